"""Symbolic-link loops where meshgen resolves paths: a finding at the config line, never exit 3."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult

Run = Callable[..., CliResult]


@pytest.mark.parametrize("command", [("render",), ("check",), ("validate",), ("telemetry", "show")])
def test_an_output_folder_that_is_a_link_loop_is_c005(
    command: tuple[str, ...], run_cli: Run, tmp_path: Path
) -> None:
    shutil.copytree(REPO / "infrastructure", tmp_path / "infra")
    output = tmp_path / "infra" / "deployment" / "helmfile"
    shutil.rmtree(output)
    output.symlink_to("helmfile")  # points at itself
    result = run_cli(*command, "-c", str(tmp_path / "infra" / "meshgen.yaml"))
    assert "internal error" not in result.err
    if command[0] == "telemetry":  # reads the config only
        assert result.code == 0, result.err
    else:
        assert result.code == 1, result.err
        found = result.out + result.err
        assert "C005 output folder 'deployment/helmfile' cannot be resolved" in found
        assert not output.is_dir()


def test_a_dashboard_file_that_is_a_link_loop_is_c009(run_cli: Run, tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests" / "golden" / "offline-dashboards", tmp_path / "p")
    dashboard = tmp_path / "p" / "dashboards" / "mesh-overview.json"
    dashboard.unlink()
    dashboard.symlink_to("mesh-overview.json")
    result = run_cli("validate", "-c", str(tmp_path / "p" / "meshgen.yaml"))
    assert result.code == 1, result.err
    assert (
        "C009 dashboard file 'dashboards/mesh-overview.json' is a symbolic-link loop" in result.out
    )
    assert "internal error" not in result.err
