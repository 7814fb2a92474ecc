"""ruamel's round trip with a config's refusals (imported only when a document needs it).

Used by `yaml_reader` for documents the libyaml path declines, for linted files and for
the telemetry editor: unknown tags, non-scalar keys and numbers helm cannot carry are
refused where they are written.
"""

from __future__ import annotations

import math
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from meshgen.load.yaml_rules import INT_RANGE, STANDARD_TAGS


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
    # A standard tag reaches it only as `!!str` (ruamel keeps it as a `TaggedScalar`, so an
    # edit writes the tag back; `yaml_reader.to_plain` reads it as its string).
    def construct_unknown(self, node: Any) -> Any:
        tag = str(node.tag)
        short = tag.removeprefix("tag:yaml.org,2002:")
        if short not in STANDARD_TAGS:
            raise RefusedYAMLError(
                None, None, f"the YAML tag {tag} is not allowed in a config", node.start_mark
            )
        if short in _SCALAR_TAGS and not isinstance(node, ScalarNode):
            raise RefusedYAMLError(
                None, None, f"the YAML tag !!{short} names a scalar, not a {node.id}",
                node.start_mark,
            )
        return super().construct_unknown(node)

    def construct_mapping(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        for key_node, _ in node.value:
            _refuse_complex_key(key_node)
        return super().construct_mapping(node, *args, **kwargs)

    # `!!set {a, b}`: a mapping whose values are null (the reader makes it one); a key
    # must be plain and a value is refused rather than dropped.
    def construct_setting(self, node: Any, typ: Any, deep: bool = False) -> Any:
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                _refuse_complex_key(key_node)
                if not (isinstance(value_node, ScalarNode) and str(value_node.tag) == _NULL):
                    raise RefusedYAMLError(
                        None, None, "a !!set entry cannot have a value", value_node.start_mark
                    )
        return super().construct_setting(node, typ, deep=deep)

    # `!!omap [a: 1, b: 2]`: an ordered mapping. ruamel asserts its keys are unique (an
    # AssertionError, or nothing under -O) and records no positions: a repeated key is a
    # duplicate key at the key, and every entry gets its line and column.
    def construct_yaml_omap(self, node: Any) -> Any:
        entries = node.value if isinstance(node, SequenceNode) else []
        seen: set[Any] = set()
        for entry in entries:
            if isinstance(entry, MappingNode) and len(entry.value) == 1:
                key_node = entry.value[0][0]
                _refuse_complex_key(key_node)
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise DuplicateKeyError(
                        "while constructing an ordered map",
                        node.start_mark,
                        f'found duplicate key "{key}"',
                        key_node.start_mark,
                    )
                seen.add(key)
        steps = super().construct_yaml_omap(node)
        omap = next(steps)
        yield omap
        for _ in steps:
            pass
        for key, entry in zip(list(omap), entries, strict=False):
            key_node, value_node = entry.value[0]
            omap.lc.add_kv_line_col(
                key,
                [
                    key_node.start_mark.line,
                    key_node.start_mark.column,
                    value_node.start_mark.line,
                    value_node.start_mark.column,
                ],
            )


_NULL = "tag:yaml.org,2002:null"
_SCALAR_TAGS = frozenset({"str", "int", "float", "bool", "null", "binary", "timestamp"})


def _refuse_complex_key(key_node: Any) -> None:
    if not isinstance(key_node, ScalarNode):
        raise RefusedYAMLError(
            None, None, "a mapping key must be a plain value", key_node.start_mark
        )


_RtConstructor.add_constructor("tag:yaml.org,2002:int", _RtConstructor.construct_yaml_int)
_RtConstructor.add_constructor("tag:yaml.org,2002:float", _RtConstructor.construct_yaml_float)
_RtConstructor.add_constructor("tag:yaml.org,2002:omap", _RtConstructor.construct_yaml_omap)
_RtConstructor.add_constructor(None, _RtConstructor.construct_unknown)


def new_roundtrip(*, mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    """A round-trip YAML instance (comments, order, positions) with a config's refusals.

    The indentation is what it dumps with (the editor passes the one its file uses).
    """
    yaml = YAML(typ="rt")
    yaml.Constructor = _RtConstructor
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml
