"""The YAML writer: what it writes reads back type-exact, as helm reads it (YAML 1.1) and 1.2.

Byte-for-byte agreement with ruamel's emitter is test_yaml_emit.py; this file holds the
property that matters to helm whatever the bytes: the data read back is the data written,
of the same types (`tests.yaml_data.typed`), read by libyaml as YAML 1.1 and by ruamel as
YAML 1.2.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from meshgen.load import yaml_reader
from meshgen.render import yaml_writer
from tests.yaml_data import NASTY, as_loaded, hostile_documents, typed


def assert_reads_back(data: Any) -> str:
    text = yaml_writer.dump(data)
    expected = typed(as_loaded(data))
    as_helm_reads = yaml_reader.load_all_as_helm_reads(text)  # YAML 1.1, libyaml
    assert [typed(doc) for doc in as_helm_reads] == [expected], text
    as_yaml_12 = list(YAML(typ="safe", pure=True).load_all(text))
    assert [typed(doc) for doc in as_yaml_12] == [expected], text
    return text


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
        {"a": BIG + "\n"},  # `|+`, last in the document
        {"a": " " + BIG, "b": BIG.replace("\n", " \n")},  # `|2`; trailing blanks: quoted
    ],
)
def test_long_blocks_read_back(data: dict[str, Any]) -> None:
    assert_reads_back(data)


@pytest.mark.parametrize("value", NASTY)
def test_nasty_strings_read_back(value: str) -> None:
    for data in ({"k": value}, [value], {value: [value]}, [{"k": {value: value}}]):
        assert_reads_back(data)


@pytest.mark.parametrize(
    "value",
    [1, 1.0, True, 0, 0.0, -0.0, False, None, 10**19, 2**64, 10**120, 1e16, 1e-05, 5e-324,
     float("inf"), -float("inf"), float("nan"), "1", "1.0", "true", "null", ""],
)  # fmt: skip
def test_scalar_types_are_kept(value: Any) -> None:
    """Python's `==` takes `1`, `1.0` and `True` for one another; YAML must not."""
    assert_reads_back({"k": value, "l": [value], "m": {value: "x"} if value == value else {}})


def test_the_comparison_tells_the_types_apart() -> None:
    assert typed({"a": 1}) != typed({"a": True})
    assert typed([1]) != typed([1.0])
    assert typed({1: "x"}) != typed({True: "x"})
    assert typed({"a": 1, "b": 2}) != typed({"b": 2, "a": 1})
    assert typed([float("nan")]) == typed([float("nan")])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_documents)
@example({"a": "x " * 2100, "b": "y" * 4100})
@example({"k" * 130: {"a\nb": ["c\n\n"]}})
def test_hostile_data_reads_back_type_exact(data: Any) -> None:
    try:
        assert_reads_back(data)
    except ValueError as exc:  # an int of more digits than Python prints
        assert "digits" in str(exc)


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.one_of(
            st.text(max_size=20),
            st.lists(st.text(max_size=60), min_size=40, max_size=80).map("\n".join),
            st.integers(),
            st.floats(),
            st.booleans(),
            st.none(),
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(min_size=1, max_size=12), children, max_size=3),
        ),
        max_leaves=6,
    )
)
def test_any_text_reads_back_type_exact(data: Any) -> None:
    try:
        assert_reads_back({"root": data})
    except ValueError as exc:
        assert "digits" in str(exc)


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.characters(max_codepoint=0x7F))
    | st.text()
    | st.lists(st.sampled_from(["{", '  "a": 1,', " ", "\t", "\x7f", "\x00", "~", "é", ""]))
    .map("\n".join)
)
def test_the_literal_block_printable_test_is_isprintable_per_line(value: str) -> None:
    """The ASCII fast path of `_lines_printable` agrees with the plain `isprintable` test."""
    assert yaml_writer._lines_printable(value) == value.replace("\n", "").isprintable()
