"""The one YAML writer: every YAML file meshgen renders goes through `dump`.

Writing goes through a serializer so that a user string can never become YAML structure.
Ordinary documents are written directly (`_fast_dump_parts`): ruamel's emitter inspects every
character in Python, which dominated rendering at scale. Anything the direct writer is not
certain about goes through ruamel's emitter (`_ruamel_dump`). Renderers parse every file back
(`meshgen.load.yaml_reader.load_all_as_helm_reads`) and compare it with the data, so a value
written wrongly cannot reach the disk.
"""

from __future__ import annotations

import io
import math
import re
import secrets
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from meshgen.load.yaml_rules import YAML11_NON_STRING, YAML12_NON_STRING

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import SafeRepresenter


def dump(data: Any) -> str:
    """Serialize plain data (dicts, lists, scalars) to block-style YAML text.

    The text is exactly what ruamel's emitter (`_ruamel_dump`) produces.
    Ordinary documents are written directly (`_fast_dump_parts`): ruamel's emitter inspects
    every character in Python, which dominated rendering at scale. Anything the direct
    writer is not certain about sends the whole document through ruamel. Renderers also
    parse every file back and compare it with the data, so a value written wrongly cannot
    reach the disk.
    """
    return "".join(dump_parts(data))


def dump_parts(data: Any) -> list[str]:
    """`dump`'s text as a list of pieces, unjoined (a large document is not copied whole)."""
    pieces = _fast_dump_parts(data)
    if pieces is not None:
        return pieces
    return [_ruamel_dump(data)]


class _Unsupported(Exception):
    """The direct writer cannot promise ruamel's exact text for this document."""


#: Longest line the direct writer produces; ruamel folds scalars past its width (4096).
_MAX_LINE = 4000


#: ruamel writes a key of 123+ characters (with its `!!str` tag, 128) as a complex `? key`.
_MAX_KEY = 100


#: Deeper (or cyclic) documents are left to ruamel.
_MAX_FAST_DEPTH = 100


#: First characters that keep ruamel from writing a string plain (YAML indicators).
_INDICATOR_START = frozenset("#,[]{}&*!|>'\"%@`")


#: Float texts known to be plain YAML floats (`1.5`, `1.0e-06`, `-.inf`, `.nan`).
_FLOAT_TEXT = re.compile(r"-?[0-9]+\.[0-9]*(?:e[-+][0-9]+)?|-?\.inf|\.nan")


def _fast_dump_parts(data: Any) -> list[str] | None:
    """`dump`'s pieces written directly, or None when only ruamel's emitter can be trusted."""
    out: list[str] = []
    try:
        if type(data) is dict:
            if not data:
                return ["{}\n"]
            _write_mapping(data, 0, "", out, 0)
        elif type(data) is list or type(data) is tuple:
            if not data:
                return ["[]\n"]
            # ruamel indents a top-level sequence like one under a key at column 0.
            _write_sequence(data, 4, "  - ", out, 0)
        else:
            return None
    except _Unsupported:
        return None
    return out


def _write_mapping(
    mapping: dict[Any, Any], indent: int, lead: str, out: list[str], depth: int
) -> None:
    """Block mapping with keys at column `indent`; `lead` starts the first key's line."""
    if depth > _MAX_FAST_DEPTH:
        raise _Unsupported
    pad = " " * indent
    for key, value in mapping.items():
        key_text = _key_text(key)
        out.append(f"{lead}{key_text}:")
        lead = pad
        kind = type(value)
        if kind is dict and value:
            out.append("\n")
            _write_mapping(value, indent + 2, " " * (indent + 2), out, depth + 1)
        elif (kind is list or kind is tuple) and value:
            out.append("\n")
            _write_sequence(value, indent + 4, " " * (indent + 2) + "- ", out, depth + 1)
        else:
            _write_leaf(value, " ", indent + len(key_text) + 2, indent + 2, out)


def _write_sequence(
    items: Sequence[Any], content: int, lead: str, out: list[str], depth: int
) -> None:
    """Block sequence whose items start at column `content` (dash two before it)."""
    if depth > _MAX_FAST_DEPTH:
        raise _Unsupported
    dash = " " * (content - 2) + "- "
    for item in items:
        kind = type(item)
        if kind is dict and item:
            _write_mapping(item, content, lead, out, depth + 1)
        elif (kind is list or kind is tuple) and item:
            _write_sequence(item, content + 4, lead + "  - ", out, depth + 1)
        else:
            out.append(lead)
            _write_leaf(item, "", content, content, out)
        lead = dash


def _write_leaf(value: Any, space: str, column: int, block_indent: int, out: list[str]) -> None:
    """A scalar or empty collection at `column` (a literal block's lines at `block_indent`)."""
    kind = type(value)
    if kind is str:
        if "\n" in value:
            out.append(space + _literal_block(value, block_indent))
            return
        text = _string_text(value)
        if text is None:
            raise _Unsupported
    elif kind is bool:
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif kind is int:
        # Python refuses str() of a huge int: ruamel's error is the one to raise.
        if not -(10**100) < value < 10**100:
            raise _Unsupported
        text = str(value)
    elif kind is float:
        text = _float_text(value)
    elif (kind is dict or kind is list or kind is tuple) and not value:
        text = "{}" if kind is dict else "[]"
    else:
        raise _Unsupported
    if column + len(text) > _MAX_LINE:
        raise _Unsupported
    out.append(f"{space}{text}\n")


def _key_text(key: Any) -> str:
    """A mapping key as ruamel writes a simple (`key:`) key."""
    if type(key) is not str or len(key) > _MAX_KEY:
        raise _Unsupported
    text = _string_text(key)
    if text is None:
        raise _Unsupported
    return text


@lru_cache(maxsize=1 << 16)
def _string_text(value: str) -> str | None:
    """A one-line string as `_str_representer` and ruamel's emitter write it, or None."""
    if not value.isprintable():
        # Line breaks, control characters: block scalars or escapes, left to ruamel.
        return None
    if YAML11_NON_STRING.match(value):
        return "'" + value.replace("'", "''") + "'"
    if _plain_allowed(value):
        return value
    if "'" in value:
        # ruamel prefers double quotes to doubling a quote; printable text needs only these.
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"'{value}'"


def _plain_allowed(value: str) -> bool:
    """Whether ruamel's emitter writes this printable one-line string as a plain scalar."""
    if not value or value[0] == " " or value[-1] == " " or value[0] in _INDICATOR_START:
        return False
    if value[0] in "?:-" and (len(value) == 1 or value[1] == " "):
        return False
    if value.startswith(("---", "...")) or ": " in value or " #" in value or value[-1] == ":":
        return False
    # A plain text that YAML 1.2 reads as another type (`09`, `1_0`) is quoted by ruamel.
    return YAML12_NON_STRING.fullmatch(value) is None


#: A line break followed by a non-empty line (empty lines in a block get no indentation).
_BREAK_BEFORE_TEXT = re.compile(r"\n(?=[^\n])")


def _literal_block(value: str, indent: int) -> str:
    """A multi-line string as the `|` block `_str_representer` asks ruamel for."""
    if value[0] in " \n" or value.endswith("\n\n"):
        # ruamel adds an indentation (`|2`) or keep (`|+`) indicator, and may end the document.
        raise _Unsupported
    # `_str_representer`'s test (printable lines without trailing blanks), line by line in
    # C: among printable characters only the space is whitespace.
    if not value.replace("\n", "").isprintable() or " \n" in value or value[-1] == " ":
        raise _Unsupported  # not a literal block: ruamel quotes it
    chomp = "-"
    if value[-1] == "\n":
        value = value[:-1]
        chomp = ""
    pad = " " * indent
    if "\n\n" in value:
        body = pad + _BREAK_BEFORE_TEXT.sub("\n" + pad, value)
    else:
        body = pad + value.replace("\n", "\n" + pad)
    return f"|{chomp}\n{body}\n"


def _float_text(value: float) -> str:
    """A float as ruamel's representer with `_float_representer` writes it."""
    if value != value:
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    mantissa, sep, exponent = text.partition("e")
    if sep and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    if not _FLOAT_TEXT.fullmatch(text):
        raise _Unsupported
    return text


# The ruamel emitter, for what the direct writer declines.


def _str_representer(representer: SafeRepresenter, data: str) -> Any:
    # NEL and the Unicode line/paragraph separators are line breaks to YAML 1.1 readers: the
    # emitter folds them in single quotes and they do not read back; only escapes are safe.
    if any(ch in data for ch in "\x85\u2028\u2029"):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    # Multi-line strings (scrape configs, dashboard JSON, format strings) as literal blocks;
    # a string whose lines end in spaces cannot be a block scalar and stays quoted.
    if "\n" in data and all(
        line == line.rstrip() and line.isprintable() for line in data.split("\n")
    ):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if not data.replace("\n", "").isprintable():
        # Control characters are only readable back as escapes.
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    if YAML11_NON_STRING.match(data):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return representer.represent_scalar("tag:yaml.org,2002:str", data)


def _float_representer(representer: SafeRepresenter, data: float) -> Any:
    # YAML 1.1 reads `1e-06` (no dot in the mantissa) as a string; always write a dot.
    node = representer.represent_float(data)
    mantissa, sep, exponent = node.value.partition("e")
    if sep and "." not in mantissa:
        node.value = f"{mantissa}.0e{exponent}"
    return node


@cache
def _writer() -> YAML:
    """Ruamel's safe emitter set up as meshgen writes (built on first use: it imports ruamel)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import SafeRepresenter

    class _Representer(SafeRepresenter):
        def ignore_aliases(self, data: Any) -> bool:
            # Rendered files are read by helm and humans: never anchors/aliases, even when
            # one dict object is used twice.
            return True

    _Representer.add_representer(str, _str_representer)
    _Representer.add_representer(float, _float_representer)
    _Representer.add_representer(dict, SafeRepresenter.represent_dict)
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml


#: Multi-line strings at least this long are written as literal blocks directly (below).
LONG_BLOCK = 2048


def _ruamel_dump(data: Any) -> str:
    """`dump` through ruamel's emitter, with long literal blocks spliced in afterwards."""
    blocks: list[str] = []
    # A fresh nonce per call: no string in the data can pose as a placeholder.
    nonce = secrets.token_hex(8)
    swapped = _swap_blocks(data, blocks, f"meshgen-block-{nonce}-{{0}}")
    stream = io.StringIO()
    _writer().dump(swapped, stream)
    text = stream.getvalue()
    if not blocks:
        return text

    def block(match: re.Match[str]) -> str:
        indent, item, key = match.group(1), match.group(2), match.group(3)
        value = blocks[int(match.group(4))]
        head = f"{indent}{item or key}"
        body = value[:-1] if value.endswith("\n") else value
        chomp = "" if value.endswith("\n") else "-"
        pad = " " * (len(indent) + 2)
        lines = "\n".join(pad + line if line else "" for line in body.split("\n"))
        return f"{head}|{chomp}\n{lines}"

    # Only `key: TOKEN` with a plain key at the start of its line, or `- TOKEN`: there the
    # block's indentation is certain. Anything else (a complex `? key`, `- key: TOKEN`)
    # falls back to ruamel for the whole document.
    line = re.compile(
        rf"^( *)(?:(- )|([A-Za-z0-9_][A-Za-z0-9_.\-/]*: ))meshgen-block-{nonce}-(\d+)$", re.M
    )
    result, count = line.subn(block, text)
    if count != len(blocks):
        stream = io.StringIO()
        _writer().dump(data, stream)
        return stream.getvalue()
    return result


def _literal_safe(value: str) -> bool:
    """A string a `|` block holds verbatim: printable, no trailing blanks, no edge cases."""
    if len(value) < LONG_BLOCK or "\n" not in value or value.endswith("\n\n"):
        return False
    if value[0] in " \t" or "\r" in value or "\t" in value:
        return False
    return all(line == line.rstrip() and line.isprintable() for line in value.split("\n"))


def _swap_blocks(node: Any, blocks: list[str], token: str) -> Any:
    if isinstance(node, str):
        if _literal_safe(node):
            blocks.append(node)
            return token.format(len(blocks) - 1)
        return node
    if isinstance(node, dict):
        return {key: _swap_blocks(value, blocks, token) for key, value in node.items()}
    if isinstance(node, list):
        return [_swap_blocks(value, blocks, token) for value in node]
    return node
