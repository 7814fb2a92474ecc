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


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="deeper-than-the-json-decoder"),
        # Parses, but reducing it (one frame per level and a comprehension's) does not.
        pytest.param('{"panels": [' + "[" * 700 + "]" * 700 + "]}", id="deeper-than-the-reduction"),
    ],
)
def test_a_dashboard_nested_too_deeply_is_c009_not_an_internal_error(
    tmp_path: Path, text: str
) -> None:
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
