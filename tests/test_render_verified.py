"""Parse-back proofs are remembered across runs, keyed by body and data, never trusted blindly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.load import yaml_reader
from meshgen.load.config import load_config
from meshgen.render import RenderError, RenderInputs, render_tree, yaml_writer
from meshgen.render import context as render_context

from .conftest import INFRA_CONFIG


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MESHGEN_NO_CACHE", raising=False)
    render_context._verified.cache_clear()
    yield tmp_path / "render-verified"
    render_context._verified.cache_clear()


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = yaml_reader.load_all_as_helm_reads

    def counting(text: str) -> list[Any]:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(yaml_reader, "load_all_as_helm_reads", counting)
    return calls


def _inputs() -> RenderInputs:
    config = load_config(INFRA_CONFIG).config
    assert config is not None
    return RenderInputs(config=config)


def _new_run() -> None:
    render_context._verified().flush()
    render_context._verified.cache_clear()


def test_an_unchanged_file_is_not_parsed_back_twice(
    fresh_cache: Path, parse_calls: list[str]
) -> None:
    first = render_tree(_inputs())
    assert len(parse_calls) == len(first)
    _new_run()
    parse_calls.clear()
    second = render_tree(_inputs())
    assert parse_calls == []
    assert [(f.path, f.text, f.documents) for f in first] == [
        (f.path, f.text, f.documents) for f in second
    ]


def test_a_changed_body_is_parsed_back_and_a_bad_one_refused(
    fresh_cache: Path, parse_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    render_tree(_inputs())
    _new_run()
    parse_calls.clear()
    real_dump = yaml_writer.dump_parts

    def broken_dump(data: Any) -> list[str]:
        # An emitter bug: a string that YAML 1.1 reads as a boolean goes out unquoted.
        return [part.replace("'false'", "false") for part in real_dump(data)]

    monkeypatch.setattr(yaml_writer, "dump_parts", broken_dump)
    with pytest.raises(RenderError, match="parse back"):
        render_tree(_inputs())
    assert parse_calls, "the changed body was parsed back"


def test_no_cache_parses_every_time(
    fresh_cache: Path, parse_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESHGEN_NO_CACHE", "1")
    files = render_tree(_inputs())
    _new_run()
    render_tree(_inputs())
    assert len(parse_calls) == 2 * len(files)
    assert not fresh_cache.exists()


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (1, 1.0),
        (1, True),
        (1, "1"),
        ({1: "x"}, {"1": "x"}),
        (["ab"], ["a", "b"]),
        ({"a": "bc"}, {"ab": "c"}),
        (None, "null"),
        ([], {}),
        (0.1, 0.1000000001),
    ],
)
def test_the_data_fingerprint_tells_apart_what_yaml_would(left: Any, right: Any) -> None:
    def fingerprint(value: Any) -> str | None:
        return render_context.data_digest([value])

    assert fingerprint(left) != fingerprint(right)
    assert fingerprint(left) == fingerprint(left)


def test_non_plain_data_never_reaches_the_fingerprint() -> None:
    """What a renderer hands over becomes exact plain data before it is fingerprinted."""
    import datetime

    data = render_context._plain([{"d": datetime.date(2024, 1, 1), "t": (1, 2.0, True)}])
    assert data == [{"d": "2024-01-01", "t": [1, 2.0, True]}]
    assert [type(v) for v in data[0]["t"]] == [int, float, bool]
    assert type(data[0]["d"]) is str


def test_parse_back_tells_a_number_from_a_boolean() -> None:
    """`True == 1` in Python; the proof compares types too."""
    with pytest.raises(RenderError, match="parse back"):
        render_context._parse_back("f.yaml", "a: 1\n", [{"a": True}], ())
    with pytest.raises(RenderError, match="parse back"):
        render_context._parse_back("f.yaml", "a: 1.0\n", [{"a": 1}], ())
    render_context._parse_back("f.yaml", "a: true\nb: 1.5\n", [{"a": True, "b": 1.5}], ())


# The data digest: its type-tagged text (`_data_text`) against `repr`, the text it replaced.

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["", "1", "1.0", "True", "None", "\udc80", "é"])
)
_data = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.lists(inner, max_size=4).map(tuple)
    | st.dictionaries(st.text(max_size=4) | st.integers(-3, 3) | st.booleans(), inner, max_size=4),
    max_leaves=20,
)


def _retyped(value: Any, choice: int) -> Any:
    """`value` with its type changed and its value kept as far as Python's `==` goes."""
    if type(value) is bool:
        return [int(value), float(value), str(value)][choice % 3]
    if type(value) is int:
        return [float(value), str(value), bool(value) if value in (0, 1) else -value][choice % 3]
    if type(value) is float:
        return int(value) if value.is_integer() and abs(value) < 1e300 else str(value)
    if type(value) is str:
        return value.encode("utf-8", "surrogatepass") if choice % 2 else [value]
    if type(value) is list:
        return tuple(value)
    if type(value) is tuple:
        return list(value)
    if type(value) is dict:
        if not value:
            return []
        return {(str(k) if type(k) is not str else k + "x"): v for k, v in value.items()}
    return "None"


@settings(max_examples=300, deadline=None)
@given(_data | st.floats() | st.dates())
def test_the_data_text_reads_back_as_the_same_data(value: Any) -> None:
    """The premise of `_data_text`'s injectivity: its tokens rebuild the data exactly."""
    text = render_context._data_text([value])
    rebuilt, end = _decode(text, 0)
    assert end == len(text)
    assert repr(rebuilt) == repr([value])


def _decode(text: str, at: int) -> tuple[Any, int]:
    """The value whose `_data_text` tokens start at `at`, and where they end."""
    tag = text[at]
    if tag in "NTF":
        return {"N": None, "T": True, "F": False}[tag], at + 1
    if tag in "if":
        end = text.index(";", at)
        number = text[at + 1 : end]
        return (int(number, 16) if tag == "i" else float(number)), end + 1
    colon = text.index(":", at)
    count = int(text[at + 1 : colon])
    if tag in "sr":
        chars = text[colon + 1 : colon + 1 + count]
        return (chars if tag == "s" else _Repr(chars)), colon + 1 + count
    at = colon + 1
    items = []
    for _ in range(count * 2 if tag == "{" else count):
        item, at = _decode(text, at)
        items.append(item)
    if tag == "{":
        return dict(zip(items[::2], items[1::2], strict=True)), at
    return (items if tag == "[" else tuple(items)), at


class _Repr(str):
    """A value known by its `repr` (an `r` token): it prints as that text."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


@settings(max_examples=300, deadline=None)
@given(_data, _data)
def test_the_data_digest_tells_data_apart_exactly_as_repr_does(left: Any, right: Any) -> None:
    same_text = repr([left]) == repr([right])
    assert (render_context.data_digest([left]) == render_context.data_digest([right])) == same_text


@settings(max_examples=300, deadline=None)
@given(_data, st.integers(0, 5), st.data())
def test_data_that_differs_by_type_only_has_another_digest(
    value: Any, choice: int, data: st.DataObject
) -> None:
    # Change the type of one node, somewhere inside `value`.
    def change(node: Any) -> Any:
        kind = type(node)
        if kind in (list, tuple) and node and data.draw(st.booleans()):
            index = data.draw(st.integers(0, len(node) - 1))
            items = list(node)
            items[index] = change(items[index])
            return kind(items)
        if kind is dict and node and data.draw(st.booleans()):
            key = data.draw(st.sampled_from(list(node)))
            return {k: (change(v) if k == key else v) for k, v in node.items()}
        return _retyped(node, choice)

    changed = change(value)
    assert repr(changed) != repr(value)
    assert render_context.data_digest([changed]) != render_context.data_digest([value])


@given(_data)
def test_the_data_digest_depends_on_values_not_on_shared_objects(value: Any) -> None:
    import copy

    assert render_context.data_digest([value, value]) == render_context.data_digest(
        [value, copy.deepcopy(value)]
    )


def test_the_data_digest_does_not_depend_on_interning() -> None:
    import sys

    interned = sys.intern("".join(["meshgen", "-", "key"]))
    text = "".join(["meshgen", "-", "key"])
    assert text is not interned
    assert render_context.data_digest([{text: text}]) == render_context.data_digest(
        [{interned: interned}]
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(_data, max_size=3) | st.lists(_data, max_size=3).map(tuple))
def test_one_walk_copies_and_digests_as_the_two_walks_do(documents: Any) -> None:
    intended, digest = render_context.plain_with_digest(documents)
    expected = [render_context._plain(doc) for doc in documents]
    assert repr(intended) == repr(expected)  # repr tells 1, 1.0, True and [..], (..) apart
    assert digest == render_context.data_digest(expected)
    for made, document in zip(intended, documents, strict=True):
        # A fresh copy, not the renderer's own containers (strings and scalars are shared).
        if type(document) in (dict, list, tuple):
            assert made is not document


# The text digest: what names a rendered file's text, from the body's SHA-256 (one pass).


def test_a_rendered_files_text_digest_is_that_of_its_text() -> None:
    from meshgen.render.files import text_digest

    loaded = load_config(INFRA_CONFIG)
    assert loaded.config is not None
    files = render_tree(RenderInputs(config=loaded.config))
    assert files
    for file in files:
        assert file.text_digest == text_digest(file.text), file.path


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab\n:0é"), max_size=12),
    st.text(alphabet=st.sampled_from("ab\n:0é"), max_size=12),
)
def test_text_digests_are_equal_exactly_when_the_texts_are(left: str, right: str) -> None:
    from meshgen.render.files import text_digest

    assert (text_digest(left) == text_digest(right)) == (left == right)
