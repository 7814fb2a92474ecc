"""The YAML writer writes exactly what ruamel's emitter writes, and mostly without it.

`yaml_writer.dump` writes the structure itself and hands ruamel only the scalars and keys it
is not certain about (`yaml_writer._in_place`). These tests hold the result to the bytes of
ruamel's emitter alone on the whole document (with meshgen's representer settings), on
ordinary and hostile data, and check that ordinary data and rendering never need ruamel (so
the speed-up cannot silently stop applying). Reading the text back: test_yaml_writer.py.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from meshgen import api
from meshgen.render import yaml_writer
from tests.yaml_data import NASTY, direct_documents, hostile_documents

ROOT = Path(__file__).parent.parent


def ruamel_text(data: Any) -> str:
    """What ruamel's emitter alone writes for the whole document."""
    stream = io.StringIO()
    try:
        yaml_writer._writer().dump(data, stream)
    except ValueError:
        yaml_writer._writer.cache_clear()  # ruamel's emitter is left mid-document
        raise
    return stream.getvalue()


def assert_same_as_ruamel(data: Any) -> str:
    text = yaml_writer.dump(data)
    assert text == ruamel_text(data)
    return text


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The leaves the direct writer hands to ruamel (and documents that are one scalar)."""
    taken: list[Any] = []
    in_place, emit = yaml_writer._in_place, yaml_writer._emit

    def counting_in_place(path: Any, leaf: Any, entry: bool) -> tuple[str, bool]:
        taken.append(leaf)
        return in_place(path, leaf, entry)

    def counting_emit(data: Any) -> str:
        taken.append(data)
        return emit(data)

    monkeypatch.setattr(yaml_writer, "_in_place", counting_in_place)
    monkeypatch.setattr(yaml_writer, "_emit", counting_emit)
    return taken


EXAMPLES = [
    {"a": 1, "b": {"c": [1, 2, {"d": 3, "e": [4]}], "f": []}, "g": {}, "h": None, "j": 1.5},
    [1, [2, [3, 4], {"x": 1}], {"a": [5, 6], "b": {"c": 1}}, [], {}],
    [[[1]]],
    {"a": [[{"b": 1, "c": 2}]]},
    {"a": "x\ny", "b": ["p\nq\n", {"c": "m\n"}], "d": [["u\nv"]]},
    {"x": float("nan"), "y": float("inf"), "z": -float("inf"), "w": 1e16, "v": 1e-5},
    {"a": ("x", ("y", {"z": ()}))},
    {"": 1, "a": ""},
    {},
    [],
]
# Documents the direct writer declines parts of: ruamel writes those parts in place.
DECLINED = [
    {"k" * 122: 1, "k" * 123: 2, "k" * 130: {"a": [1]}},
    {"a\nb": {"x": 1, "y": [1, {"q": [2]}]}, "c\nd": [1, [2, "e\n\n"]], " e\nf": "g"},
    [{"k" * 130: 1, "b": 2}, {"a\nb": [{"c\nd": {"e": "f\x00"}}]}],
    {2: "a", None: "b", False: "c", 1.5: "d", 10**120: "e"},
    {"a": {1, 2}, "b": [{3}]},
    {"a": "x\n\n"},  # `|+` last: ruamel ends the document with `...`
    {"a": "x\n\n", "b": 1},
    [{"a": [" x\ny"]}, "z \n", "w\n\n"],
    {"a": "x " * 2100, "b": ["y" * 4100], "c": [[("z " * 2100) + "'"]]},
    {"a": 10**200, "b": [-(10**300)]},
    "scalar",
    None,
    "a\nb\n\n",
]


@pytest.mark.parametrize("data", EXAMPLES, ids=range(len(EXAMPLES)))
def test_examples_match_ruamel_without_it(data: Any, fallbacks: list[Any]) -> None:
    assert_same_as_ruamel(data)
    assert fallbacks == []


@pytest.mark.parametrize("data", DECLINED, ids=range(len(DECLINED)))
def test_declined_parts_match_ruamel(data: Any, fallbacks: list[Any]) -> None:
    assert_same_as_ruamel(data)
    assert fallbacks, "the direct writer claimed a value it cannot write"


def test_a_huge_int_is_refused_as_ruamel_refuses_it() -> None:
    with pytest.raises(ValueError, match="digits"):
        ruamel_text({"a": 10**5000})
    with pytest.raises(ValueError, match="digits"):
        yaml_writer.dump({"a": 10**5000})


@pytest.mark.parametrize("value", NASTY)
def test_nasty_strings_match_ruamel(value: str) -> None:
    for data in (
        {"k": value},
        [value],
        {value: 1},
        [{"k": [value]}],
        [[value]],
        {value: {"a": [value]}},
        [{value: [[value]]}],
    ):
        assert_same_as_ruamel(data)


LONG = "ab " * 700 + "z\nq"


def shapes(depth: int, leaves: tuple[Any, ...]) -> list[Any]:
    """Every nesting of mappings and sequences, `depth` deep, around each of `leaves`."""
    if depth == 0:
        return list(leaves)
    out = list(leaves)
    for inner in shapes(depth - 1, leaves):
        out += [[inner], [inner, inner], {"a": inner}, {"a": inner, "b": inner}]
    return out


@pytest.mark.parametrize(
    ("depth", "leaves"),
    [(3, ("v", "a\nb\n", "a\nb", [], {}, 1)), (2, (LONG, LONG + "\n", "x"))],
    ids=["short", "long-blocks"],
)
def test_every_small_nesting_is_written_directly(
    depth: int, leaves: tuple[Any, ...], fallbacks: list[Any]
) -> None:
    for data in shapes(depth, leaves):
        for document in ({"k": data}, [data]):
            assert_same_as_ruamel(document)
    assert fallbacks == []


@pytest.mark.parametrize("key", ["a\nb", "k" * 130, "x\x01", 7])
def test_every_small_nesting_under_a_declined_key_matches_ruamel(key: Any) -> None:
    """Complex `? key` entries put the structure below them at other columns."""
    leaves = ("v", "a\nb\n", " a\nb", "a\n\n", [], {}, 1)
    for data in shapes(2, leaves):
        for document in ({key: data}, [{key: data, "z": data}], {"a": [{key: [data]}]}):
            assert_same_as_ruamel(document)


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(direct_documents)
@example({"a": "x" * 3990})
@example([{"k": ["'" + "x " * 1900]}])
@example([1e16, 1e-05, -0.0, 5e-324, 1.5, float("inf"), -float("inf")])
def test_ordinary_data_is_written_directly_as_ruamel_writes_it(data: Any) -> None:
    taken: list[Any] = []
    real = yaml_writer._in_place

    def counting(path: Any, leaf: Any, entry: bool) -> tuple[str, bool]:
        taken.append(leaf)
        return real(path, leaf, entry)

    yaml_writer._in_place = counting
    try:
        assert_same_as_ruamel(data)
    finally:
        yaml_writer._in_place = real
    assert taken == [], "the direct writer refused ordinary data"


@SETTINGS
@given(hostile_documents)
@example({"a": "x " * 2100})
@example({"a": "x" * 4100})
def test_hostile_data_is_written_as_ruamel_writes_it(data: Any) -> None:
    try:
        expected = ruamel_text(data)
    except ValueError:  # an int of more digits than Python prints
        with pytest.raises(ValueError):
            yaml_writer.dump(data)
        return
    assert yaml_writer.dump(data) == expected


@pytest.mark.parametrize(
    "config",
    [
        ROOT / "infrastructure" / "meshgen.yaml",
        *sorted((ROOT / "tests" / "golden").glob("*/meshgen.yaml")),
    ],
    ids=lambda p: p.parent.name,
)
def test_rendering_takes_the_direct_path(
    config: Path, fallbacks: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Any] = []
    real = yaml_writer._Writer.__init__

    def counting(self: Any) -> None:
        written.append(self)
        real(self)

    monkeypatch.setattr(yaml_writer._Writer, "__init__", counting)
    project = api.load_project(config)
    assert project.rendered, [d.format_text() for d in project.diagnostics]
    assert written, "rendering wrote no YAML"
    assert fallbacks == []
