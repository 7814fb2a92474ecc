"""The YAML writer: what it writes reads back identically, as YAML 1.1 (helm) and 1.2."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.load import yaml_reader
from meshgen.render import yaml_writer

BIG = "{\n" + "\n".join(f'  "a{i}": 1,' for i in range(300)) + "\n}\n"


@pytest.mark.parametrize(
    "data",
    [
        {"dashboards": {"services": {"line\nbreak": {"json": BIG}}}},  # complex key
        {"x": [{"json": BIG}]},  # a mapping inside a sequence item
        {"x": [BIG]},
        {"a": {"b-c.d": BIG}},
        {"a": BIG.rstrip("\n")},  # no final newline
        {"a": "x: y\n" * 600},  # long but still a plain-looking text
    ],
)
def test_long_blocks_read_back(data: dict[str, Any]) -> None:
    text = yaml_writer.dump(data)
    assert yaml_reader.load_all_as_helm_reads(text) == [data]
    assert yaml_reader.load_all_safe(text) == [data]


keys = st.text(min_size=1, max_size=12)
long_text = st.lists(st.text(max_size=60), min_size=40, max_size=80).map("\n".join)
leaves = st.one_of(st.text(max_size=20), long_text, st.integers(), st.booleans())
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, trees, min_size=1, max_size=3))
def test_anything_written_reads_back(data: dict[str, Any]) -> None:
    text = yaml_writer.dump(data)
    assert yaml_reader.load_all_as_helm_reads(text) == [data]
