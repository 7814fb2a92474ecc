"""Source positions: where in which file a config key or value was written.

A `SourceMap` maps a key path such as ``("services", 0, "name")`` to the `Span` of the
value written under that key. Lookups fall back to the longest known prefix, so a
pydantic error location that carries extra union tags still lands on a real line.
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


@record(frozen=False, slots=True)
class SourceMap:
    """Key path -> spans of the key itself and of its value, for one file."""

    file: str
    values: dict[KeyPath, Span] = field(default_factory=dict)
    keys: dict[KeyPath, Span] = field(default_factory=dict)

    def add(self, path: KeyPath, *, value: Span, key: Span | None = None) -> None:
        self.values[path] = value
        if key is not None:
            self.keys[path] = key

    def lookup(self, path: Iterable[str | int], *, key: bool = False) -> Span:
        """Span of the value (or of the key) at `path`, else of its longest known prefix."""
        parts = tuple(path)
        table: Mapping[KeyPath, Span] = self.keys if key else self.values
        for end in range(len(parts), 0, -1):
            prefix = parts[:end]
            hit = table.get(prefix) or self.values.get(prefix)
            if hit is not None:
                return hit
        return self.values.get((), Span(self.file, 1, 1))

    def has(self, path: KeyPath) -> bool:
        return path in self.values
