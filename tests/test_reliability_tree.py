"""Writing the rendered tree under hostile conditions (issue 12: items 1, 2, 3, 6, 15, 17, 18, 20).

Each test reproduces a way the tree was lost or a wrong verdict given; see the issue.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meshgen import output

from .test_output_safety import expected_tree, tree

V1 = """\
istio: {version: 1.30.3}
namespaces: [{name: apps}, {name: tools}]
services:
  - {name: api, namespace: apps, chart: ./c, values: {generation: one}}
  - {name: web, namespace: apps, chart: ./c, values: {generation: one}}
"""
V2 = """\
istio: {version: 1.30.3, accessLogging: {enabled: true}}
namespaces: [{name: apps}, {name: batch}]
services:
  - {name: api, namespace: apps, chart: ./c, values: {generation: two}}
  - {name: web, namespace: apps, chart: ./c, values: {generation: two}}
"""
WITH_TELEMETRY = (
    V1
    + """\
telemetry:
  resources:
    - name: mesh-default
      namespace: apps
      metrics: [{overrides: [{match: {metric: REQUEST_COUNT}, disabled: true}]}]
"""
)


def layout(root: Path) -> dict[str, bytes | None]:
    """Every entry under `root`: a file's bytes, None for a folder."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- 1. two outputs on one path ---------------------------------------------------------


def test_a_service_named_like_a_fixed_values_file_is_a_config_error(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(
        "istio: {version: 1.30.3}\n"
        "services:\n"
        "  - {name: istio, namespace: istio-system, chart: ./c}\n",
        encoding="utf-8",
    )
    result = run_cli("validate", "-c", str(config))
    assert result.code == 1, result
    assert "C109" in result.out + result.err, result
    assert "X002" not in result.out + result.err, result
    result = run_cli("render", "--force", "-c", str(config))
    assert result.code == 1 and "nothing written" in result.err, result
    assert not list(project.rglob("*-values.yaml")), "a refused render wrote something"
    # The writer refuses two files on one path too, whatever a caller asks.
    from meshgen import api

    loaded = api.load_project(config)
    with pytest.raises(api.UsageError, match=r"values/istio-values\.yaml"):
        api.write_tree(config, loaded, force=True)


def test_two_telemetry_resources_on_one_file_are_reported_at_both_entries(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(
        "istio: {version: 1.30.3}\n"
        "namespaces: [{name: a}, {name: a-b}]\n"
        "telemetry:\n"
        "  resources:\n"
        "    - {name: c, namespace: a-b, accessLogging: [{providers: [{name: envoy}]}]}\n"
        "    - {name: b-c, namespace: a, accessLogging: [{providers: [{name: envoy}]}]}\n",
        encoding="utf-8",
    )
    result = run_cli("validate", "-c", str(config))
    assert result.code == 1, result
    # (the issue's `a-b`/`c` and `b-c`/`a` give c-a-b.yaml and a-b-c.yaml: no collision)
    lines = [line for line in (result.out + result.err).splitlines() if "C109" in line]
    assert len(lines) == 2, result
    assert any(":5:" in line for line in lines) and any(":6:" in line for line in lines), lines


def test_the_writer_refuses_two_files_on_one_path(tmp_path: Path) -> None:
    from meshgen.render.files import RenderedFile

    one = RenderedFile(path="a.yaml", parts=("a: 1\n",), documents=({"a": 1},))
    two = RenderedFile(path="a.yaml", parts=("a: 2\n",), documents=({"a": 2},))
    planned = output.plan([one, two], tmp_path / "out")
    assert [(p.name, r) for p, r in planned.blocked] == [
        ("a.yaml", "is the path of two rendered files")
    ]
    with pytest.raises(output.UsageError, match=r"a\.yaml.*two rendered files"):
        output.write(planned, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- 2. a tree folder replaced by a plain file -------------------------------------------


def test_a_folder_replaced_by_a_file_leaves_the_tree_exactly_as_it_was(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(WITH_TELEMETRY, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    out_dir = project / "deployment" / "helmfile"
    telemetry = out_dir / "manifests" / "telemetry"
    for path in telemetry.iterdir():
        path.unlink()
    telemetry.rmdir()
    telemetry.write_text("not a folder\n")
    config.write_text(WITH_TELEMETRY.replace("generation: one", "generation: two"))
    before = layout(out_dir)
    for force in ([], ["--force"]):
        result = run_cli("render", *force, "-c", str(config))
        assert result.code in (1, 2), result
        assert "manifests/telemetry" in result.err, result
        assert layout(out_dir) == before, "a refused render changed the tree"
        assert not output.staging_dir(out_dir).exists()
    telemetry.unlink()
    assert run_cli("render", "-c", str(config)).code == 0


def test_moving_validates_every_target_before_the_first_rename(tmp_path: Path) -> None:
    """A complete staging folder whose targets are in the way moves nothing."""
    out_dir = tmp_path / "out"
    (out_dir / "b").mkdir(parents=True)
    (out_dir / "b" / "x.yaml").mkdir()
    staging = output.staging_dir(out_dir)
    (staging / "b").mkdir(parents=True)
    (staging / "a.yaml").write_text("a: 1\n")
    (staging / "b" / "x.yaml").write_text("x: 1\n")
    (staging / output.COMMIT_MARKER).write_text("")
    with pytest.raises(output.UsageError, match=r"x\.yaml"):
        output.recover(out_dir)
    assert not (out_dir / "a.yaml").exists()


# --- 3. recovery after a kill -----------------------------------------------------------

KILLER = """\
import os, pathlib, signal, sys
calls = 0
real = pathlib.Path.replace
def replace(*args, **kwargs):
    global calls
    result = real(*args, **kwargs)
    calls += 1
    if calls == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
    return result
pathlib.Path.replace = replace
from meshgen.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_recovery_runs_before_planning(project: Path, run_cli: Callable[..., Any]) -> None:
    out_dir = project / "deployment" / "helmfile"
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    config.write_text(V2, encoding="utf-8")
    (project / "killer.py").write_text(KILLER, encoding="utf-8")
    killed = subprocess.run(
        [sys.executable, str(project / "killer.py"), "1", "render", "-c", str(config)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed
    assert (output.staging_dir(out_dir) / output.COMMIT_MARKER).exists()
    config.write_text(V1, encoding="utf-8")  # revert
    assert run_cli("render", "-c", str(config)).code == 0
    assert not output.staging_dir(out_dir).exists()
    assert tree(out_dir) == expected_tree(project, V1, run_cli)
    assert run_cli("render", "--check", "-c", str(config)).code == 0


# --- 6. hand-added files in the tree ----------------------------------------------------


def test_a_hand_added_telemetry_is_a_finding_in_check_and_render_check(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(WITH_TELEMETRY, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    extra = project / "deployment" / "helmfile" / "manifests" / "telemetry" / "mine.yaml"
    extra.write_text("apiVersion: telemetry.istio.io/v1\nkind: Telemetry\n")
    checked = run_cli("check", "-c", str(config))
    assert checked.code == 1 and "D103" in checked.out + checked.err, checked
    rendered = run_cli("render", "--check", "-c", str(config))
    assert rendered.code == 1 and "mine.yaml" in rendered.out + rendered.err, rendered
    assert extra.exists()


def test_a_rendered_file_replaced_by_a_folder_fails_render_check(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    values = project / "deployment" / "helmfile" / "values" / "api-values.yaml"
    values.unlink()
    values.mkdir()
    assert run_cli("check", "-c", str(config)).code == 1
    rendered = run_cli("render", "--check", "-c", str(config))
    assert rendered.code == 1 and "api-values.yaml" in rendered.out + rendered.err, rendered


# --- 15. a path component too long ------------------------------------------------------


def test_an_output_folder_name_too_long_is_a_config_error(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(f"output: deploy/{'x' * 300}\n" + V1, encoding="utf-8")
    for command in (("validate",), ("check",), ("render",), ("render", "--check")):
        result = run_cli(*command, "-c", str(config))
        assert result.code in (1, 2), (command, result)
        assert "C005" in result.out + result.err, (command, result)
        assert ":1:" in result.out + result.err, (command, result)


def test_a_chart_path_too_long_is_a_config_error(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V1.replace("chart: ./c,", f"chart: ./{'c' * 300},", 1), encoding="utf-8")
    for command in (("validate",), ("check",), ("render",)):
        result = run_cli(*command, "-c", str(config))
        assert result.code in (1, 2), (command, result)
        shown = result.out + result.err
        assert "Traceback" not in shown and "X001" not in shown, (command, result)


# --- 17. permission denied, a folder where a file is meant -------------------------------


def test_render_into_an_unwritable_place_is_a_one_line_error(
    project: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    real_mkdir = Path.mkdir

    def denied(self: Path, *args: Any, **kwargs: Any) -> None:
        if "meshgen-staging" in self.name:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", denied)
    result = run_cli("render", "-c", str(config))
    assert result.code == 2, result
    assert "Permission denied" in result.err and len(result.err.strip().splitlines()) == 1, result


def test_init_and_schema_under_a_plain_file_are_usage_errors(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    (project / "plain").write_text("a file\n")
    for args in (("init", "plain/meshgen.yaml"), ("schema", "-o", "plain/schema.json")):
        result = run_cli(*args)
        assert result.code == 2, (args, result)
        assert "plain" in result.err and "Traceback" not in result.err, (args, result)


def test_schema_to_a_folder_is_a_one_line_error(project: Path, run_cli: Callable[..., Any]) -> None:
    (project / "folder").mkdir()
    result = run_cli("schema", "-o", "folder")
    assert result.code == 2, result
    assert "folder" in result.err and len(result.err.strip().splitlines()) == 1, result
    assert list((project / "folder").iterdir()) == []


# --- 18. disk full ----------------------------------------------------------------------


def test_disk_full_while_staging_leaves_the_old_tree_and_no_staging(
    project: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = project / "deployment" / "helmfile"
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    before = layout(out_dir)
    config.write_text(V2, encoding="utf-8")
    real_fsync = os.fsync
    calls = {"n": 0}

    def full(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(output.os, "fsync", full)
    result = run_cli("render", "-c", str(config))
    assert result.code == 2, result
    assert "No space left on device" in result.err, result
    assert "bug" not in result.err and len(result.err.strip().splitlines()) == 1, result
    assert not output.staging_dir(out_dir).exists()
    assert layout(out_dir) == before
    monkeypatch.setattr(output.os, "fsync", real_fsync)
    assert run_cli("render", "-c", str(config)).code == 0


# --- 20. the render lock ----------------------------------------------------------------


def test_the_lock_survives_the_config_being_replaced_by_rename(
    project: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a render holds the lock, an edit replaces the config by rename; a second
    render (another process) must still be refused, not run concurrently."""
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    real_plan = output.plan
    second: list[subprocess.CompletedProcess[str]] = []

    def plan_then_race(*args: Any, **kwargs: Any) -> output.Plan:
        replacement = project / "meshgen.yaml.new"
        replacement.write_text(V2, encoding="utf-8")
        replacement.replace(config)  # what an editor (or `meshgen telemetry`) does
        second.append(
            subprocess.run(
                [sys.executable, "-m", "meshgen", "render", "-c", str(config)],
                cwd=project,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        )
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(output, "plan", plan_then_race)
    assert run_cli("render", "-c", str(config)).code == 0
    (raced,) = second
    assert raced.returncode == 2 and "another meshgen process" in raced.stderr, raced


def test_an_output_folder_that_is_a_file_is_refused_before_anything_is_staged(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    out_dir = project / "deployment" / "helmfile"
    out_dir.parent.mkdir()
    out_dir.write_text("a file\n")
    result = run_cli("render", "--force", "-c", str(config))
    assert result.code == 2 and "which is not a folder" in result.err, result
    assert out_dir.read_text() == "a file\n"
    assert not output.staging_dir(out_dir).exists()


def test_helmfile_lock_beside_the_state_file_is_not_foreign(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    (project / "deployment" / "helmfile" / "helmfile.lock").write_text("version: v1\n")
    assert run_cli("check", "-c", str(config)).code == 0
    assert run_cli("render", "--check", "-c", str(config)).code == 0
