"""ruamel's round trip with a config's refusals (imported only when a document needs it).

Used by `yaml_reader` for documents the libyaml path declines, for linted files and for
the telemetry editor: unknown tags, non-scalar keys and numbers helm cannot carry are
refused where they are written.
"""

from __future__ import annotations

import math
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import ScalarNode

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
    def construct_unknown(self, node: Any) -> Any:
        tag = str(node.tag)
        if tag.removeprefix("tag:yaml.org,2002:") not in STANDARD_TAGS:
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
