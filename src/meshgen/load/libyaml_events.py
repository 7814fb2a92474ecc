"""The config's fast path: libyaml's C parser gives events with positions; we build the data.

ruamel's round-trip loader is pure Python and dominated `meshgen check` on large configs
(about 7 s for a 1.25 MB file); libyaml parses the same file in a fraction of that. This
module turns libyaml's event stream into plain data (YAML 1.2 core schema, as ruamel reads
a config) plus a `SourceMap`, or declines: `load` returns None whenever the document holds
anything whose meaning or diagnostic it is not certain to give exactly as the ruamel path
does (syntax errors, tags, anchors, merge keys, duplicate keys, complex keys, numbers
outside the plain decimal forms, YAML 1.1-only line breaks, oversized documents). The
caller then takes the ruamel path, which owns every diagnostic. A differential test keeps
both paths' data and positions equal.
"""

from __future__ import annotations

import re
from typing import Any

from meshgen.load.yaml_rules import INT_RANGE, YAML12_NON_STRING
from meshgen.source import COLUMN_BITS, KeyPath, SourceMap

# The plain scalars this path resolves itself (YAML 1.2 core schema, as ruamel does).
# Anything numeric-looking outside these forms (octal, hex, `1_000`, `1e3`, `.5`, `1:20`,
# dates) declines to the ruamel path.
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_RESOLVED = _TRUE | _FALSE | _NULL  # plain scalars `_scalar` reads as a bool or null
# A plain scalar starting with one of these may be a number, date, special float, merge
# key or value key under ruamel's YAML 1.2 resolver...
_NUMERIC_START = frozenset("0123456789+-.=<")
# ...when ruamel's YAML 1.2 resolver reads it as another type (`yaml_rules.YAML12_NON_STRING`).
# Such a match other than the simple forms above declines; no match is a string (`1.30.3`).

# Texts the two parsers could read differently: YAML 1.1 (libyaml) treats NEL and the
# Unicode line/paragraph separators as line breaks, YAML 1.2 (ruamel) does not; libyaml
# resolves a node under the non-specific tag `!` as if it had none; and a `%YAML 1.1`
# directive makes ruamel read `yes` as true (any directive line is left to ruamel).
_DIFFERENT_READING = re.compile("[\x85\u2028\u2029]|(?:^|[ \t\\[{,])!(?:[ \t\r\n]|$)|^%", re.M)
_DIFFERENT_READING_CHARS = ("\x85", "\u2028", "\u2029", "!", "%")


class _Decline(Exception):
    """This document is for the ruamel path."""


def load(text: str, shown: str, *, max_nodes: int, max_depth: int) -> tuple[Any, SourceMap] | None:
    """Plain data and positions of a one-document YAML text, or None to use the ruamel path."""
    # The characters each alternative needs, found by fast substring scans first: the
    # regex alone scans a large config at every position (a tenth of its load time).
    if any(c in text for c in _DIFFERENT_READING_CHARS) and _DIFFERENT_READING.search(text):
        return None
    try:
        import yaml
        from yaml.cyaml import CParser
    except ImportError:  # PyYAML built without libyaml: no fast path
        return None
    parser = CParser(text)
    source = SourceMap(shown)
    source.values[()] = 0  # 1:1
    try:
        return _Builder(parser, source, max_nodes, max_depth).document(), source
    except (_Decline, RecursionError, yaml.YAMLError, ValueError, UnicodeError):
        return None  # the ruamel path reads it, or reports it with its wording and position
    finally:
        parser.dispose()


class _Builder:
    """Consumes libyaml's events once, building data and recording every position.

    Events rather than a composed node graph: nothing but the data and the positions is
    ever held, so memory stays near the size of the result. Positions are stored packed
    (`source.pack`: libyaml's marks are 0-based, as the packing is).
    """

    def __init__(self, parser: Any, source: SourceMap, max_nodes: int, max_depth: int) -> None:
        from yaml import events

        self.next = parser.get_event
        self.values = source.values
        self.keys = source.keys
        self.budget = max_nodes
        self.max_depth = max_depth
        self.scalar = events.ScalarEvent
        self.mapping_start = events.MappingStartEvent
        self.mapping_end = events.MappingEndEvent
        self.sequence_start = events.SequenceStartEvent
        self.sequence_end = events.SequenceEndEvent
        self.document_start = events.DocumentStartEvent
        self.stream_end = events.StreamEndEvent

    def document(self) -> Any:
        """The single document's data (None for an empty stream)."""
        self.next()  # StreamStartEvent
        event = self.next()
        if type(event) is self.stream_end:
            return None
        if type(event) is not self.document_start:
            raise _Decline
        data = self.value(self.next(), (), 0)
        self.next()  # DocumentEndEvent
        if type(self.next()) is not self.stream_end:
            raise _Decline  # several documents: the ruamel path reports it
        return data

    def value(self, event: Any, path: KeyPath, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0 or depth > self.max_depth:
            raise _Decline
        if event.anchor is not None or getattr(event, "tag", None) is not None:
            raise _Decline  # anchors (aliases), explicit or non-specific tags
        kind = type(event)
        if kind is self.scalar:
            return _scalar(event)
        if kind is self.mapping_start:
            return self.mapping(path, depth)
        if kind is self.sequence_start:
            return self.sequence(path, depth)
        raise _Decline  # an alias

    def sequence(self, path: KeyPath, depth: int) -> list[Any]:
        items: list[Any] = []
        next_event, end, values, value = self.next, self.sequence_end, self.values, self.value
        while True:
            event = next_event()
            if type(event) is end:
                return items
            child = (*path, len(items))
            mark = event.start_mark
            values[child] = mark.line << COLUMN_BITS | mark.column
            items.append(value(event, child, depth + 1))

    def mapping(self, path: KeyPath, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        next_event, end, scalar = self.next, self.mapping_end, self.scalar
        values, keys = self.values, self.keys
        # A quoted or block scalar, or a plain one no resolver reads as another type, is
        # its text: `_scalar`'s first tests, inline for keys and scalar values.
        numeric_start, resolved = _NUMERIC_START, _RESOLVED
        # Whether a scalar value here is within the depth limit (`value`'s test).
        shallow = depth < self.max_depth
        while True:
            key_event = next_event()
            if type(key_event) is end:
                return out
            if type(key_event) is not scalar or key_event.anchor or key_event.tag:
                raise _Decline  # complex, aliased, anchored or tagged key
            if not key_event.style and key_event.value == "<<":
                raise _Decline  # merge key
            key = key_event.value
            if not key_event.style and (not key or key[0] in numeric_start or key in resolved):
                key = _scalar(key_event)
            if key in out:
                raise _Decline  # duplicate key (C003)
            value_event = next_event()
            child = (*path, key if type(key) is str else str(key))
            kmark, vmark = key_event.start_mark, value_event.start_mark
            keys[child] = kmark.line << COLUMN_BITS | kmark.column
            values[child] = vmark.line << COLUMN_BITS | vmark.column
            if (
                shallow
                and type(value_event) is scalar
                and value_event.anchor is None
                and value_event.tag is None
            ):
                # Most values are plain scalars: `value`'s checks, without its call.
                self.budget -= 2  # the key and the value
                if self.budget < 0:
                    raise _Decline
                text = value_event.value
                if not value_event.style and (
                    not text or text[0] in numeric_start or text in resolved
                ):
                    text = _scalar(value_event)
                out[key] = text
            else:
                self.budget -= 1  # the key; `value` counts the value
                out[key] = self.value(value_event, child, depth + 1)


def _scalar(event: Any) -> Any:
    value: str = event.value
    if event.style:  # libyaml marks plain scalars with an empty style
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
            if not INT_RANGE[0] <= number <= INT_RANGE[1]:
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
