"""The YAML meshgen writes, and the fast readers; ruamel.yaml only where it is needed.

Writing goes through a serializer so that a user string can never become YAML structure:
`dump` writes ordinary documents directly, producing exactly the bytes of ruamel's emitter
(`meshgen.yaml_ruamel.dump`, the reference it falls back to). Rendered files are read back
through libyaml as helm reads them. Round-trip reading (comments, positions) is ruamel's,
behind small wrappers here so that importing this module does not import ruamel.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any


class TooLargeError(ValueError):
    """A document expands (through aliases or nesting) past what a config may hold."""


#: How many nodes a loaded document may expand to; a YAML alias bomb stops here.
MAX_NODES = 200_000
#: How deep a document may nest.
MAX_DEPTH = 64
#: Integers go-yaml reads as integers (int64 or uint64); a config may hold no others.
INT_RANGE = (-(2**63), 2**64 - 1)


# Helm and helmfile read YAML 1.1 (go-yaml v2 semantics): there `yes`, `on`, `0o17`, `1:20`
# or `1_000` are not strings. A string that any YAML 1.1 or 1.2 resolver would read as another
# type is written quoted.
_YAML11_NON_STRING = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|=|<<
    |[-+]?(?:0b[0-1_]+|0[0-7_]+|0o[0-7]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)
    |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?:[eE][-+]?[0-9]+)
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?)$""",
    re.X,
)


# What ruamel's YAML 1.2 resolver (ruamel.yaml.resolver, the version 1.2 entries) reads as
# another type than a string when written plain: booleans, null, floats, integers,
# timestamps, the merge key `<<`, the value key `=` and the `!`/`&`/`*` indicators alone.
# ruamel picks the patterns to try by the first character, hence `_1` stays a string.
YAML12_NON_STRING = re.compile(
    r"""true|True|TRUE|false|False|FALSE|~|null|Null|NULL|
    |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+][0-9_]+|[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]
     (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    |<<|=|!|&|\*""",
    re.X,
)


def dump(data: Any) -> str:
    """Serialize plain data (dicts, lists, scalars) to block-style YAML text.

    The text is exactly what ruamel's writer (`meshgen.yaml_ruamel.dump`) produces.
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
    from meshgen import yaml_ruamel

    return [yaml_ruamel.dump(data)]


# The direct writer. It produces ruamel's exact text (`yaml_ruamel.dump`) for the
# common shapes of rendered data and refuses anything else with `_Unsupported`, so that
# `dump` falls back to ruamel for the whole document: no mixing of the two per value.


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
    if _YAML11_NON_STRING.match(value):
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


def new_roundtrip() -> Any:
    """A ruamel round-trip YAML instance (see `meshgen.yaml_ruamel.new_roundtrip`)."""
    from meshgen import yaml_ruamel

    return yaml_ruamel.new_roundtrip()


def load_roundtrip(text: str) -> Any:
    """Parse one YAML document keeping comments and positions. Raises ruamel errors."""
    from meshgen import yaml_ruamel

    return yaml_ruamel.load_roundtrip(text)


def load_all_safe(text: str) -> list[Any]:
    """Parse a multi-document YAML stream into plain data (for re-reading rendered files)."""
    from meshgen import yaml_ruamel

    return yaml_ruamel.load_all_safe(text)


def load_all_as_helm_reads(text: str) -> list[Any]:
    """Parse rendered YAML with YAML 1.1 rules, as helm and helmfile (go-yaml) read it.

    PyYAML's libyaml loader: a YAML 1.1 resolver (so `yes`, `on`, `1:20`, dates are what helm
    would take them for) and about ten times faster than ruamel's pure-Python one.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return list(yaml.load_all(text, Loader=loader))


def to_plain(node: Any, *, budget: list[int] | None = None, depth: int = 0) -> Any:
    """Convert ruamel containers to dicts/lists/scalars, bounded in size and depth.

    Dates and timestamps become their ISO text: a config value is a string until a model
    says otherwise.
    """
    if budget is None:
        budget = [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise TooLargeError(f"the document expands to more than {MAX_NODES} values")
    if depth > MAX_DEPTH:
        raise TooLargeError(f"the document nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, Mapping):
        return {
            to_plain(k, budget=budget, depth=depth + 1): to_plain(v, budget=budget, depth=depth + 1)
            for k, v in node.items()
        }
    if isinstance(node, list | tuple):
        return [to_plain(v, budget=budget, depth=depth + 1) for v in node]
    if isinstance(node, datetime.date | datetime.datetime):
        return node.isoformat()
    if isinstance(node, bool | int | float) or node is None:
        return node if type(node) in (bool, int, float) or node is None else _scalar(node)
    if isinstance(node, str):
        return str(node)
    return node


def _scalar(node: Any) -> Any:
    # ruamel's ScalarFloat / ScalarInt / ScalarBoolean subclasses -> builtins
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    return float(node)
