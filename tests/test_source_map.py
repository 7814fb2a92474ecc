"""`SourceMap` keeps positions packed and gives back exactly the spans it was given."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from meshgen.source import SourceMap, Span

_POSITIONS = st.tuples(st.integers(1, 10**7), st.integers(1, 10**6))


@given(_POSITIONS, _POSITIONS)
def test_lookup_gives_back_the_spans_added(value: tuple[int, int], key: tuple[int, int]) -> None:
    smap = SourceMap("f.yaml")
    smap.add(("a", 0), value=Span("f.yaml", *value), key=Span("f.yaml", *key))
    assert smap.lookup(("a", 0)) == Span("f.yaml", *value)
    assert smap.lookup(("a", 0), key=True) == Span("f.yaml", *key)
    assert smap.lookup(("a", 0, "deeper", 3)) == Span("f.yaml", *value)
    assert smap.has(("a", 0)) and not smap.has(("a",))


def test_a_position_at_the_first_column_of_the_first_line_is_a_hit() -> None:
    """The packed 1:1 is 0: found as itself, not passed over for a prefix's position."""
    smap = SourceMap("f.yaml")
    smap.add(("a",), value=Span("f.yaml", 5, 3))
    smap.add(("a", "b"), value=Span("f.yaml", 1, 1), key=Span("f.yaml", 1, 1))
    assert smap.lookup(("a", "b")) == Span("f.yaml", 1, 1)
    assert smap.lookup(("a", "b"), key=True) == Span("f.yaml", 1, 1)
    assert SourceMap("g.yaml").lookup(("x",)) == Span("g.yaml", 1, 1)
