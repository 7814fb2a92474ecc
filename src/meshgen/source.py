"""Source positions: where in which file a config key or value was written.

A `SourceMap` maps a key path such as ``("services", 0, "name")`` to the position of the
value written under that key (stored packed, a `Span` on lookup). Lookups fall back to the
longest known prefix, so a pydantic error location that carries extra union tags still
lands on a real line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from typing import Any

from meshgen.records import record

KeyPath = tuple[str | int, ...]


def iter_key_paths(values: Mapping[str, Any], prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path of nested mappings, parents first (lists are not descended)."""
    for key, value in values.items():
        path = (*prefix, str(key))
        yield path
        if isinstance(value, Mapping):
            yield from iter_key_paths(value, path)


@record(slots=True, order=True)
class Span:
    """A 1-based position in a file."""

    file: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


#: A position as `SourceMap` stores it: the 0-based line shifted past the 0-based column.
#: A large config records a hundred thousand positions and looks up a handful, so a `Span`
#: is made on lookup only. Columns stay below 2**32: no file meshgen reads has such a line.
COLUMN_BITS = 32
_COLUMN_MASK = (1 << COLUMN_BITS) - 1


def pack(line: int, col: int) -> int:
    """The stored form of the 1-based position `line`:`col` (see `SourceMap`)."""
    return (line - 1) << COLUMN_BITS | (col - 1)


@record(frozen=False, slots=True)
class SourceMap:
    """Key path -> positions of the key itself and of its value, for one file.

    `values` and `keys` hold positions packed as `pack` makes them; `lookup` gives spans.
    """

    file: str
    values: dict[KeyPath, int] = field(default_factory=dict)
    keys: dict[KeyPath, int] = field(default_factory=dict)

    def add(self, path: KeyPath, *, value: Span, key: Span | None = None) -> None:
        self.values[path] = pack(value.line, value.col)
        if key is not None:
            self.keys[path] = pack(key.line, key.col)

    def span(self, packed: int) -> Span:
        """The span of a stored position in this map's file."""
        return Span(self.file, (packed >> COLUMN_BITS) + 1, (packed & _COLUMN_MASK) + 1)

    def lookup(self, path: Iterable[str | int], *, key: bool = False) -> Span:
        """Span of the value (or of the key) at `path`, else of its longest known prefix."""
        parts = tuple(path)
        table = self.keys if key else self.values
        for end in range(len(parts), 0, -1):
            prefix = parts[:end]
            hit = table.get(prefix)
            if hit is None:
                hit = self.values.get(prefix)
            if hit is not None:
                return self.span(hit)
        root = self.values.get(())
        return Span(self.file, 1, 1) if root is None else self.span(root)

    def has(self, path: KeyPath) -> bool:
        return path in self.values
