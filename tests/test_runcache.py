"""`meshgen check` replays an identical earlier run, and only that: every input is re-hashed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import meshgen.api
from tests.conftest import REPO, CliResult

Run = Callable[..., CliResult]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESHGEN_NO_CACHE", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "infrastructure"
    shutil.copytree(REPO / "infrastructure", target)
    (target / "dash.json").write_text('{"title": "x", "panels": []}\n')
    text = (target / "meshgen.yaml").read_text()
    text = text.replace(
        "    dashboards:\n", "    dashboards:\n      - {name: local, folder: local, file: dash.json}\n", 1
    )
    (target / "meshgen.yaml").write_text(text)
    return target / "meshgen.yaml"


def _forbid_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the config was loaded: not a replay")

    monkeypatch.setattr(meshgen.api, "load_project", fail)


def _fresh(run_cli: Run, config: Path) -> CliResult:
    assert run_cli("render", "-c", str(config)).code == 0
    first = run_cli("check", "-c", str(config))
    assert first.code == 0, first
    return first


def test_an_identical_run_is_replayed(project: Path, run_cli: Run, chdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _fresh(run_cli, project)
    _forbid_loading(monkeypatch)
    again = run_cli("check", "-c", str(project))
    assert (again.code, again.out, again.err) == (first.code, first.out, first.err)


def test_failures_are_replayed_exactly(project: Path, run_cli: Run, chdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh(run_cli, project)
    project.write_text(project.read_text().replace("retention: 15d", "retention: 30d"))
    stale = run_cli("check", "-c", str(project))
    assert stale.code == 1 and "D101" in stale.out and "+  retention: 30d" in stale.err
    _forbid_loading(monkeypatch)
    again = run_cli("check", "-c", str(project))
    assert (again.code, again.out, again.err) == (stale.code, stale.out, stale.err)


@pytest.mark.parametrize(
    "change",
    [
        "edit the config",
        "edit a dashboard file",
        "edit a rendered file",
        "add a file to the tree",
        "remove a file from the tree",
        "remove the chart's Chart.yaml",
        "other arguments",
        "another working folder",
    ],
)
def test_any_changed_input_is_a_miss(
    change: str, project: Path, run_cli: Run, chdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh(run_cli, project)
    tree = project.parent / "deployment" / "helmfile"
    args = ["check", "-c", str(project)]
    if change == "edit the config":
        project.write_text(project.read_text() + "# a comment\n")
    elif change == "edit a dashboard file":
        (project.parent / "dash.json").write_text('{"title": "y", "panels": []}\n')
    elif change == "edit a rendered file":
        target = tree / "values" / "istio-values.yaml"
        target.write_text(target.read_text() + "# edited\n")
    elif change == "add a file to the tree":
        (tree / "manifests" / "telemetry" / "extra.yaml").write_text("a: 1\n")
    elif change == "remove a file from the tree":
        (tree / "traffic" / "inference-balancer-fortio-job.yaml").unlink()
    elif change == "remove the chart's Chart.yaml":
        (project.parent / "charts" / "inference-balancer" / "Chart.yaml").unlink()
    elif change == "other arguments":
        args.append("--strict")
    elif change == "another working folder":
        monkeypatch.chdir(project.parent)
    calls = []
    real = meshgen.api.load_project
    monkeypatch.setattr(meshgen.api, "load_project", lambda *a, **k: calls.append(1) or real(*a, **k))
    run_cli(*args)
    assert calls, f"{change}: the earlier run was replayed"


def test_a_code_change_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import meshgen.runcache as runcache

    fake = tmp_path / "pkg"
    fake.mkdir()
    (fake / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(runcache, "_PACKAGE", fake)
    before = runcache.code_fingerprint()
    (fake / "a.py").write_text("x = 22\n")
    assert runcache.code_fingerprint() != before


def test_a_tampered_entry_is_a_miss(project: Path, run_cli: Run, chdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    _fresh(run_cli, project)
    for store in (tmp_path / "cache" / "check-runs").glob("*.json"):  # a sharded store
        data = json.loads(store.read_text())
        for entry in data["entries"].values():
            entry["value"]["deps"] = {"tree=/nonexistent": "tree:0"}
        store.write_text(json.dumps(data))
    calls = []
    real = meshgen.api.load_project
    monkeypatch.setattr(meshgen.api, "load_project", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert run_cli("check", "-c", str(project)).code == 0
    assert calls


def test_no_cache_means_no_replay(project: Path, run_cli: Run, chdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh(run_cli, project)
    monkeypatch.setenv("MESHGEN_NO_CACHE", "1")
    calls = []
    real = meshgen.api.load_project
    monkeypatch.setattr(meshgen.api, "load_project", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert run_cli("check", "-c", str(project)).code == 0
    assert calls
