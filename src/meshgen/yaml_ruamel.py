"""The ruamel.yaml side of meshgen's YAML, imported only when needed.

- Round-trip reading (comments, order, positions) for configs the libyaml path declines,
  for `meshgen lint` and for the editing commands; its constructor refuses what a config
  may not use (unknown tags, complex keys, numbers helm cannot carry).
- The reference writer: `dump` here is what `meshgen.yamlio.dump` must produce byte for
  byte; yamlio writes ordinary documents directly and falls back to this one.
"""

from __future__ import annotations

import io
import math
import re
import secrets
from functools import cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter, SafeRepresenter

from meshgen.yamlio import _YAML11_NON_STRING, INT_RANGE, to_plain

#: The YAML types a config may name with an explicit `!!tag`.
_STANDARD_TAGS = frozenset(
    {"str", "int", "float", "bool", "null", "map", "seq", "binary", "timestamp", "set", "omap"}
)


class RefusedYAMLError(MarkedYAMLError):
    """Valid YAML that a config may not use: unknown tags, non-scalar keys, wild numbers."""


class NumberRangeError(RefusedYAMLError):
    """A number that cannot be carried faithfully to helm (go-yaml reads 64-bit numbers)."""


def _number_error(node: Any, what: str) -> NumberRangeError:
    text = str(node.value)
    shown = text if len(text) <= 32 else f"{text[:20]}... ({len(text)} digits)"
    return NumberRangeError(None, None, f"the number {shown} {what}", node.start_mark)


class _RtConstructor(RoundTripConstructor):
    # Python refuses int() of more than 4300 digits with a ValueError (no position), and a
    # float literal past 1.8e308 silently becomes inf: both are refused here, at the value.
    def construct_yaml_int(self, node: Any) -> Any:
        try:
            value = super().construct_yaml_int(node)
        except ValueError:
            raise _number_error(node, "is too large") from None
        if not INT_RANGE[0] <= value <= INT_RANGE[1]:
            raise _number_error(node, "is outside the 64-bit range helm reads")
        return value

    def construct_yaml_float(self, node: Any) -> Any:
        value = super().construct_yaml_float(node)
        if math.isinf(value) and ".inf" not in node.value.lower():
            raise _number_error(node, "is outside the 64-bit float range")
        return value

    # ruamel keeps an unknown tag (`!include`, `!!python/object/apply:...`) as tagged data;
    # a config has no use for one, so it is refused where it is written.
    def construct_unknown(self, node: Any) -> Any:
        tag = str(node.tag)
        if tag.removeprefix("tag:yaml.org,2002:") not in _STANDARD_TAGS:
            raise RefusedYAMLError(
                None, None, f"the YAML tag {tag} is not allowed in a config", node.start_mark
            )
        return super().construct_unknown(node)

    def construct_mapping(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                raise RefusedYAMLError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
        return super().construct_mapping(node, *args, **kwargs)


_RtConstructor.add_constructor("tag:yaml.org,2002:int", _RtConstructor.construct_yaml_int)
_RtConstructor.add_constructor("tag:yaml.org,2002:float", _RtConstructor.construct_yaml_float)
_RtConstructor.add_constructor(None, _RtConstructor.construct_unknown)


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
    if _YAML11_NON_STRING.match(data):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return representer.represent_scalar("tag:yaml.org,2002:str", data)


class _Representer(SafeRepresenter):
    def ignore_aliases(self, data: Any) -> bool:
        # Rendered files are read by helm and humans: never anchors/aliases, even when one
        # dict object is used twice.
        return True


def _float_representer(representer: SafeRepresenter, data: float) -> Any:
    # YAML 1.1 reads `1e-06` (no dot in the mantissa) as a string; always write a dot.
    node = representer.represent_float(data)
    mantissa, sep, exponent = node.value.partition("e")
    if sep and "." not in mantissa:
        node.value = f"{mantissa}.0e{exponent}"
    return node


_Representer.add_representer(str, _str_representer)
_Representer.add_representer(float, _float_representer)
_Representer.add_representer(dict, SafeRepresenter.represent_dict)


class _RtRepresenter(RoundTripRepresenter):
    pass


_RtRepresenter.add_representer(str, _str_representer)


@cache
def _writer() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml


def new_roundtrip() -> YAML:
    """A round-trip YAML instance (comments, order, positions), strict about duplicate keys."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _RtConstructor
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


#: Multi-line strings at least this long are written as literal blocks directly (below).
LONG_BLOCK = 2048


def dump(data: Any) -> str:
    """`yamlio.dump` through ruamel's emitter, with long literal blocks spliced in afterwards."""
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


def load_roundtrip(text: str) -> Any:
    """Parse one YAML document keeping comments and positions. Raises ruamel errors."""
    return new_roundtrip().load(text)


def load_all_safe(text: str) -> list[Any]:
    """Parse a multi-document YAML stream into plain data (for re-reading rendered files)."""
    return [to_plain(doc) for doc in YAML(typ="safe", pure=True).load_all(text)]
