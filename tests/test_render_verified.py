"""Parse-back proofs are remembered across runs, keyed by body and data, never trusted blindly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
