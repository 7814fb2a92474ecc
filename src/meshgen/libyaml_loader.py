"""The config's fast path: libyaml's C composer gives nodes with positions; we build the data.

ruamel's round-trip loader is pure Python and dominated `meshgen check` on large configs
(about 7 s for a 1.25 MB file). libyaml composes the same file in a fraction of that.
This module turns its node graph into plain data (YAML 1.2 core schema, as ruamel reads a
config) plus a `SourceMap`, or declines: `load` returns None whenever the document holds
anything whose meaning or diagnostic it is not certain to give exactly as the ruamel path
does (syntax errors, tags, anchors, merge keys, duplicate keys, complex keys, numbers
outside the plain decimal forms, YAML 1.1-only line breaks, oversized documents). The
caller then takes the ruamel path, which owns every diagnostic. A differential test keeps
both paths' data and positions equal.
"""

from __future__ import annotations

import re
from typing import Any

from meshgen.source import KeyPath, SourceMap, Span
from meshgen.yamlio import YAML12_NON_STRING

#: Resolution marker for untagged nodes; any other tag was written explicitly.
_IMPLICIT = "meshgen:implicit"

# The plain scalars this path resolves itself (YAML 1.2 core schema, as ruamel does).
# Anything numeric-looking outside these forms (octal, hex, `1_000`, `1e3`, `.5`, `1:20`,
# dates) declines to the ruamel path.
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
# A plain scalar starting with one of these may be a number, date, special float, merge
# key or value key under ruamel's YAML 1.2 resolver...
_NUMERIC_START = frozenset("0123456789+-.=<")
# ...when ruamel's YAML 1.2 resolver reads it as another type (`yamlio.YAML12_NON_STRING`).
# Such a match other than the simple forms above declines; no match is a string (`1.30.3`).
#: Integers go-yaml reads as integers (int64 or uint64); the ruamel path refuses others.
_INT_RANGE = (-(2**63), 2**64 - 1)

# Texts the two parsers could read differently: YAML 1.1 (libyaml) treats NEL and the
# Unicode line/paragraph separators as line breaks, YAML 1.2 (ruamel) does not; and
# libyaml resolves a node under the non-specific tag `!` as if it had none.
_DIFFERENT_READING = re.compile("[\x85\u2028\u2029]|(?:^|[ \t\\[{,])!(?:[ \t\r\n]|$)", re.M)


# libyaml's composer recurses in C per nesting level. Nesting is bounded by indentation,
# by compact `- - -` / `? ` / `: ` runs on one line and by flow brackets (the caller refuses
# deep brackets first); a text past these bounds is left to the ruamel path.
_DEEP_NESTING = re.compile(r"^ {257}|(?:[-?:][ \t]+){16}", re.M)


class _Decline(Exception):
    """This document is for the ruamel path."""


def _loader_class() -> Any:
    try:
        from yaml.cyaml import CParser as parser
    except ImportError:  # PyYAML built without libyaml: no fast path
        return None

    class _NodeLoader(parser):  # type: ignore[misc]
        # Only composition is used: every untagged node resolves to one marker, so a node
        # whose tag is anything else was tagged explicitly in the text.
        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            return _IMPLICIT

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

    return _NodeLoader


_LOADER: Any = None


def load(text: str, shown: str, *, max_nodes: int, max_depth: int) -> tuple[Any, SourceMap] | None:
    """Plain data and positions of a one-document YAML text, or None to use the ruamel path."""
    global _LOADER
    if _DIFFERENT_READING.search(text) or _DEEP_NESTING.search(text):
        return None
    if _LOADER is None:
        _LOADER = _loader_class()
        if _LOADER is None:
            return None
    import yaml

    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
    except (yaml.YAMLError, ValueError, UnicodeError):
        return None  # the ruamel path reports it, with its wording and position
    finally:
        loader.dispose()
    source = SourceMap(shown)
    source.add((), value=Span(shown, 1, 1))
    if root is None:
        return None, source
    builder = _Builder(shown, source, max_nodes, max_depth)
    try:
        data = builder.build(root, (), 0)
    except (_Decline, RecursionError):
        return None
    return data, source


class _Builder:
    """Walks the node graph once, building data and recording every position."""

    def __init__(self, shown: str, source: SourceMap, max_nodes: int, max_depth: int) -> None:
        self.shown = shown
        self.source = source
        self.budget = max_nodes
        self.max_depth = max_depth
        self.seen: set[int] = set()

    def build(self, node: Any, path: KeyPath, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0 or depth > self.max_depth or node.tag != _IMPLICIT:
            raise _Decline
        if id(node) in self.seen:
            raise _Decline  # an alias: the ruamel path bounds its expansion
        self.seen.add(id(node))
        kind = node.id
        if kind == "scalar":
            return _scalar(node)
        if kind == "sequence":
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                mark = item.start_mark
                self.source.add(child, value=Span(self.shown, mark.line + 1, mark.column + 1))
                items.append(self.build(item, child, depth + 1))
            return items
        if kind == "mapping":
            return self._mapping(node, path, depth)
        raise _Decline

    def _mapping(self, node: Any, path: KeyPath, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.id != "scalar" or key_node.tag != _IMPLICIT:
                raise _Decline  # complex or tagged key
            if not key_node.style and key_node.value == "<<":
                raise _Decline  # merge key
            key = _scalar(key_node)
            if key in out or id(key_node) in self.seen:
                raise _Decline  # duplicate key (C003) or aliased key
            self.seen.add(id(key_node))
            self.budget -= 1
            child = (*path, str(key))
            kmark, vmark = key_node.start_mark, value_node.start_mark
            self.source.add(
                child,
                key=Span(self.shown, kmark.line + 1, kmark.column + 1),
                value=Span(self.shown, vmark.line + 1, vmark.column + 1),
            )
            out[key] = self.build(value_node, child, depth + 1)
        return out


def _scalar(node: Any) -> Any:
    value: str = node.value
    if node.style:  # libyaml marks plain scalars with an empty style
        return value  # quoted or block: always a string
    if not value:
        # An empty value (`key:`): ruamel places it at the next token, libyaml right after
        # the colon; the positions would differ.
        raise _Decline
    first = value[0]
    if first in _NUMERIC_START:
        if _INT.fullmatch(value):
            if len(value) > 21:  # past 64 bits; also int() refuses 4300+ digits
                raise _Decline
            number = int(value)
            if not _INT_RANGE[0] <= number <= _INT_RANGE[1]:
                raise _Decline
            return number
        if _FLOAT.fullmatch(value) and len(value) <= 32:
            return float(value)
        if YAML12_NON_STRING.fullmatch(value):
            raise _Decline
        return value
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value in _NULL:
        return None
    return value
