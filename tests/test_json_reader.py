"""Dashboards are read as strict JSON: NaN and Infinity are errors at their place, as in Grafana."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from meshgen.load import json_reader
from tests.conftest import REPO, CliResult

Run = Callable[..., CliResult]


@pytest.mark.parametrize(
    ("text", "name", "line", "col"),
    [
        ('{"a": NaN}', "NaN", 1, 7),
        ('{"a": [1,\n  -Infinity]}', "-Infinity", 2, 3),
        ('{"t": "NaN \\" NaN", "b": Infinity}', "Infinity", 1, 26),
        ('{"t": "x\\\\", "b": NaN}', "NaN", 1, 19),
    ],
)
def test_non_json_constants_are_decode_errors_at_their_place(
    text: str, name: str, line: int, col: int
) -> None:
    with pytest.raises(json.JSONDecodeError) as raised:
        json_reader.loads(text)
    assert raised.value.msg == f"{name} is not a JSON value"
    assert (raised.value.lineno, raised.value.colno) == (line, col)


def test_strict_json_reads_as_json_does() -> None:
    text = '{"t": "NaN and Infinity", "n": [1, 2.5, -0.0, 1e400, null, true]}'
    assert repr(json_reader.loads(text)) == repr(json.loads(text))


@pytest.fixture
def dashboard(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "tests" / "golden" / "offline-dashboards", tmp_path / "p")
    return tmp_path / "p" / "dashboards" / "mesh-overview.json"


def test_a_dashboard_with_nan_is_c009_at_the_constant(run_cli: Run, dashboard: Path) -> None:
    dashboard.write_text('{\n  "title": "x",\n  "panels": [], "y": NaN\n}\n')
    result = run_cli("validate", "-c", str(dashboard.parent.parent / "meshgen.yaml"))
    assert result.code == 1
    assert (
        "mesh-overview.json:3:22: C009 dashboard file dashboards/mesh-overview.json is not "
        "valid JSON: NaN is not a JSON value" in result.out
    )


def test_a_dashboard_that_is_no_object_is_c009(run_cli: Run, dashboard: Path) -> None:
    dashboard.write_text("[1, 2]\n")
    result = run_cli("validate", "-c", str(dashboard.parent.parent / "meshgen.yaml"))
    assert result.code == 1
    assert "holds a JSON list, not the object a Grafana dashboard is" in result.out


def test_lint_refuses_nan_in_a_dashboard(run_cli: Run, tmp_path: Path) -> None:
    board = tmp_path / "board.json"
    board.write_text('{"title": "x", "panels": [{"id": Infinity}]}\n')
    result = run_cli("lint", str(board))
    assert result.code != 0
    assert "board.json:1:34: C002 invalid JSON: Infinity is not a JSON value" in result.out
