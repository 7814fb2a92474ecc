"""`meshgen template|diff|apply|sync` with the real helmfile and helm on PATH, no cluster.

Before helmfile starts, meshgen checks what it will need and fails with one line and
exit 2 for each missing piece: helmfile 0.166 with helm 4 (it would panic), no helm, no
helm-diff plugin for diff/apply, no reachable cluster. A helmfile panic is never passed
through as its exit code 2 (which `diff --detailed-exitcode` uses for "changes").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from meshgen.handoff import runner, tempdirs

REPO = Path(__file__).resolve().parent.parent.parent
TOOLS = REPO / ".tools"
MESHGEN = Path(sys.executable).parent / "meshgen"

pytestmark = pytest.mark.skipif(
    not (TOOLS / "bin" / "helmfile").is_file(),
    reason="the real helm/helmfile/kubectl are not installed: run `python scripts/test-tools`",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "infrastructure", tmp_path / "infrastructure")
    return tmp_path / "infrastructure"


def _path(tmp_path: Path, *tools: str) -> str:
    """A PATH with only the named tools (helm from helm3/ or helm4/) and coreutils."""
    folder = tmp_path / "path"
    folder.mkdir(exist_ok=True)
    for tool in tools:
        source = TOOLS / "helm4" / "helm" if tool == "helm4" else (
            TOOLS / "helm3" / "helm" if tool == "helm3" else TOOLS / "bin" / tool
        )
        (folder / ("helm" if tool.startswith("helm") and tool != "helmfile" else tool)).symlink_to(source)
    return f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin"


def _meshgen(project: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "HOME": str(project.parent), "KUBECONFIG": str(project.parent / "no-kubeconfig")}
    return subprocess.run(
        [str(MESHGEN), *args, "-c", str(project / "meshgen.yaml")],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("meshgen: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_helmfile_0_166_with_helm_4_is_refused_before_it_panics(tmp_path: Path, project: Path) -> None:
    result = _meshgen(project, _path(tmp_path, "helmfile", "helm4"), "template")
    assert result.returncode == 2, result
    assert "cannot drive helm 4.1.4" in _one_error_line(result)
    assert "goroutine" not in result.stdout + result.stderr


def test_no_helm_is_one_line(tmp_path: Path, project: Path) -> None:
    result = _meshgen(project, _path(tmp_path, "helmfile"), "template")
    assert result.returncode == 2
    assert "helm not found on PATH" in _one_error_line(result)


@pytest.mark.parametrize("command", ["diff", "apply"])
def test_diff_and_apply_need_helm_diff(tmp_path: Path, project: Path, command: str) -> None:
    result = _meshgen(project, _path(tmp_path, "helmfile", "helm3"), command)
    assert result.returncode == 2
    assert "helm-diff plugin" in _one_error_line(result)


def test_sync_without_a_cluster_is_one_line(tmp_path: Path, project: Path) -> None:
    result = _meshgen(project, _path(tmp_path, "helmfile", "helm3"), "sync", "--context", "prod")
    assert result.returncode == 2, result
    assert "cannot reach the Kubernetes cluster (context prod)" in _one_error_line(result)


def test_a_helmfile_panic_is_not_passed_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real helmfile 0.166 panics with no helm on PATH; meshgen says so, exit 1."""
    state = tmp_path / "helmfile.yaml"
    state.write_text("releases:\n  - name: x\n    chart: ./x\n")
    monkeypatch.setenv("PATH", _path(tmp_path, "helmfile"))
    with pytest.raises(runner.ToolCrashedError) as caught:
        runner.helmfile(["--file", str(state), "template"], timeout=60)
    assert caught.value.exit_code == 1
    assert "crashed (a Go panic, exit 2)" in str(caught.value)


def test_helmfile_evaluates_templates_in_a_plain_helmfile_yaml(tmp_path: Path) -> None:
    """The fact behind H109: a release version with `{{ }}` is evaluated, not kept."""
    state = tmp_path / "helmfile.yaml"
    state.write_text(
        "releases:\n  - name: api\n    namespace: apps\n    chart: ./api\n"
        "    version: '0.1.0{{ \"-x\" }}'\n"
    )
    environ = {**os.environ, "PATH": _path(tmp_path, "helmfile", "helm3")}
    with tempdirs.helmfile_env(environ) as env:
        listed = subprocess.run(
            [str(TOOLS / "bin" / "helmfile"), "--file", str(state), "list"],
            capture_output=True, text=True, env=env, check=False, timeout=60,
        )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "0.1.0-x" in listed.stdout and "{{" not in listed.stdout
