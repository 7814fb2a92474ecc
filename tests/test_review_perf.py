"""Adversarial review of the issue 11 performance changes: each test failed on the code it
guards before its fix (or holds a behaviour the review checked against the code before)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from meshgen import api
from meshgen.checks import dashboard_delivery
from meshgen.checks.build import from_project
from meshgen.output import read_tree_text
from meshgen.source import Span

CONFIG = """
istio: {version: 1.30.3}
monitoring:
  prometheus: {chartVersion: 29.27.0}
  grafana:
    chartVersion: 12.11.1
    adminSecret: {name: grafana-admin}
    dashboardDelivery: configMaps
    dashboards:
      - {name: one, file: one.json}
"""
DASHBOARD = '{"title": "One", "uid": "one", "schemaVersion": 39, "panels": []}\n'


@pytest.fixture
def fresh_sizes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESHGEN_NO_CACHE", raising=False)
    dashboard_delivery._stored_sizes.cache_clear()
    yield
    dashboard_delivery._stored_sizes.cache_clear()


def _released_sizes(config: Path, released_text: Callable[[str], str | None]) -> list[Any]:
    project = api.load_project(config)
    project.plan = api.output_plan(project)
    api._release_unchanged(project)
    assert project.plan.unchanged, "the tree on disk holds the rendered files"
    ctx = from_project(project)
    ctx.released_text = released_text
    return dashboard_delivery._dashboards_release_sizes(ctx)


@pytest.mark.parametrize("on_disk", ["vanished", "edited"])
def test_h150_size_of_a_tree_changed_after_the_plan_is_not_cached_as_the_rendered_one(
    write_config: Callable[..., Path],
    fresh_sizes: None,
    monkeypatch: pytest.MonkeyPatch,
    on_disk: str,
) -> None:
    """A released file's text is read from disk when its size is not known; when that text
    is no longer the rendered one (deleted or edited after the plan proved it), the size
    computed from it must not be stored under the rendered text's digest."""
    config = write_config(CONFIG)
    (config.parent / "one.json").write_text(DASHBOARD, encoding="utf-8")
    project = api.load_project(config)
    api.write_tree(config, project)
    output_dir = api.load_project(config).output_dir
    assert output_dir is not None

    def changed(rel: str) -> str | None:
        text = read_tree_text(output_dir, rel)
        if on_disk == "vanished" or text is None:
            return None
        return text + "# edited by hand after the plan\n" * 50

    _released_sizes(config, changed)
    cached = _released_sizes(config, lambda rel: read_tree_text(output_dir, rel))
    dashboard_delivery._stored_sizes.cache_clear()
    monkeypatch.setenv("MESHGEN_NO_CACHE", "1")
    truth = _released_sizes(config, lambda rel: read_tree_text(output_dir, rel))
    assert cached == truth
    assert [size for _, size in truth] == [1600]


@pytest.mark.parametrize("kind", ["deeper-than-the-json-decoder", "deeper-than-the-reduction"])
def test_a_dashboard_nested_too_deeply_is_c009_not_an_internal_error(
    tmp_path: Path, kind: str
) -> None:
    import sys

    if kind == "deeper-than-the-json-decoder":
        text = "[" * 100_000 + "]" * 100_000
    else:
        # Parses (one C frame a level), but reducing it (a function's frame and a
        # comprehension's a level) does not: relative to the limit in force, which other
        # tests of the suite may have raised.
        depth = sys.getrecursionlimit() * 3 // 4
        text = '{"panels": [' + "[" * depth + "]" * depth + "]}"
    (tmp_path / "deep.json").write_text(text, encoding="utf-8")
    read = api.read_dashboard(tmp_path, "deep.json", Span("meshgen.yaml", 7, 9))
    assert read.text is None and read.data is None
    assert read.problem is not None
    assert (read.problem.code, read.problem.message) == (
        "C009",
        "dashboard file deep.json nests too deeply to be read",
    )
    assert (read.problem.span.line, read.problem.span.col) == (1, 1)
    assert read.problem.span.file.endswith("deep.json")


def test_h150_size_of_an_unchanged_released_tree_is_stored_and_reused(
    write_config: Callable[..., Path], fresh_sizes: None
) -> None:
    """The guard above must not cost the cache its hits: a tree as rendered is stored, and
    the next run does not read the released files again."""
    config = write_config(CONFIG)
    (config.parent / "one.json").write_text(DASHBOARD, encoding="utf-8")
    api.write_tree(config, api.load_project(config))
    output_dir = api.load_project(config).output_dir
    assert output_dir is not None
    first = _released_sizes(config, lambda rel: read_tree_text(output_dir, rel))
    read: list[str] = []
    again = _released_sizes(config, lambda rel: read.append(rel) or "garbage")  # type: ignore[func-returns-value]
    assert again == first == [("grafana-dashboards-istio", 1600)]
    assert read == []


def test_holds_reads_as_read_text_whatever_the_chunking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_holds` (one read for a small file, chunk by chunk for a large one) says exactly
    what comparing `read_text()` with the joined parts says: CRLF and lone CR, a byte more
    or less, a byte that is no UTF-8, parts split anywhere, chunks of any size."""
    import random

    from meshgen import output

    rnd = random.Random(11)
    alphabet = ["a", "\n", "\r", "\r\n", "é", "\ufffd", "\U0001f600"]
    path = tmp_path / "f.yaml"
    for _ in range(3000):
        monkeypatch.setattr(output, "_CHUNK", rnd.choice([1, 2, 3, 5, 8]))
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24)))
        cuts = sorted(rnd.randint(0, len(text)) for _ in range(rnd.randint(0, 5)))
        parts = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        data = bytearray(rnd.choice([text, text.replace("\n", "\r\n"), text + "a"]).encode())
        if data and rnd.random() < 0.3:
            data[rnd.randrange(len(data))] = rnd.choice([0xFF, ord("\n"), ord("\r")])
        if data and rnd.random() < 0.2:
            del data[-1]
        path.write_bytes(bytes(data))
        expected = path.read_text(encoding="utf-8", errors="replace") == "".join(parts)
        assert output._holds(path, parts) is expected, (output._CHUNK, parts, bytes(data))
