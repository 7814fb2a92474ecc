"""The real helmfile 0.166 through meshgen leaves nothing in the system temp folder.

helmfile 0.166 makes a chart of each release whose chart is a folder of plain manifests
(manifests/telemetry, manifests/namespaces) in a new `chartify<digits>` folder of the system
temp folder and never removes it (helmfile/helmfile#1799). meshgen points
`HELMFILE_TEMPDIR`/`CHARTIFY_TEMPDIR` at a private folder it removes (handoff/tempdirs.py).
Each test gives the test process (and so meshgen and helmfile) a private TMPDIR, so that
what appears there is this run's alone, whatever else runs on the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from meshgen.handoff import runner, tempdirs
from tests.realtools import harness
from tests.realtools.harness import NEEDS_TOOLS, REPO

pytestmark = NEEDS_TOOLS


@pytest.fixture
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TMPDIR of the test process: a fresh folder (meshgen's own folder is made in it)."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # recomputed from TMPDIR
    for name in ("HELMFILE_TEMPDIR", "CHARTIFY_TEMPDIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", harness.env()["PATH"])
    assert tempfile.gettempdir() == str(folder)
    return folder


def _committed_tree(tmp_path: Path) -> Path:
    """A copy of infrastructure/ with the committed tree's charts pointed at local sources."""
    project = tmp_path / "infrastructure"
    shutil.copytree(REPO / "infrastructure", project)
    helmfile = project / "deployment" / "helmfile" / "helmfile.yaml"
    harness.point_charts_at_sources(helmfile)
    return helmfile


def _manifest_releases(helmfile: Path) -> list[str]:
    """The releases whose chart is a folder without Chart.yaml (what helmfile chartifies)."""
    state = yaml.safe_load(helmfile.read_text(encoding="utf-8"))
    return [
        r["name"]
        for r in state["releases"]
        if not ((helmfile.parent / r["chart"]) / "Chart.yaml").is_file()
    ]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_without_meshgen_helmfile_0_166_leaves_a_chartify_folder_per_manifest_release(
    tmp_path: Path, system_tmp: Path
) -> None:
    """The fact the fix is for (and proof that the checks below can see a leak)."""
    helmfile = _committed_tree(tmp_path)
    assert _manifest_releases(helmfile) == ["mesh-telemetry", "mesh-namespaces"]
    done = subprocess.run(
        ["helmfile", "--file", str(helmfile), "template", "--skip-deps"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    left = _leftovers(system_tmp)
    assert len(left) == 2 and all(name.startswith("chartify") for name in left), (
        f"helmfile 0.166 was expected to leak 2 chartify folders (helmfile/helmfile#1799): {left}"
    )


def test_runner_helmfile_of_the_committed_tree_leaves_nothing(
    tmp_path: Path, system_tmp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    helmfile = _committed_tree(tmp_path)
    code = runner.helmfile(["--file", str(helmfile), "template", "--skip-deps"], timeout=300)
    out, err = capfd.readouterr()
    assert code == 0, err[-3000:]
    assert "kind: Telemetry" in out and "kind: Namespace" in out  # the chartified releases
    assert _leftovers(system_tmp) == []


def test_a_failing_helmfile_run_leaves_nothing(
    tmp_path: Path, system_tmp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """helm fails on a chartified release after chartify made its folder."""
    helmfile = _committed_tree(tmp_path)
    broken = helmfile.parent / "manifests" / "telemetry" / "broken.yaml"
    broken.write_text("kind: ConfigMap\nmetadata: {name: x\n", encoding="utf-8")
    code = runner.helmfile(["--file", str(helmfile), "template", "--skip-deps"], timeout=300)
    _, err = capfd.readouterr()
    assert code != 0
    assert "mesh-telemetry" in err, err[-3000:]
    assert _leftovers(system_tmp) == []


def test_meshgen_template_leaves_nothing(tmp_path: Path, system_tmp: Path) -> None:
    """`meshgen template` end to end: an air-gapped starter (every chart in a local mirror)."""
    from tests.realtools.test_starter import _airgapped

    config = tmp_path / "project" / "meshgen.yaml"
    harness.init(config)
    config.write_text(_airgapped(config.read_text(encoding="utf-8")), encoding="utf-8")
    harness.make_mirror(config.parent / "mirror")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "XDG_CACHE_HOME": str(home),
    }
    done = harness.meshgen("template", "-c", str(config), "--", "--skip-deps", env=env)
    assert "kind: Telemetry" in done.stdout
    helmfile = config.parent / "deployment" / "helmfile" / "helmfile.yaml"
    assert "mesh-telemetry" in _manifest_releases(helmfile)
    assert _leftovers(system_tmp) == []


def test_the_harness_leaves_nothing(tmp_path: Path, system_tmp: Path) -> None:
    """harness.template (every real-tool tree test) runs helmfile as meshgen does."""
    helmfile = _committed_tree(tmp_path)
    objects = harness.template(helmfile)
    assert any(o.get("kind") == "Telemetry" for o in objects)
    assert _leftovers(system_tmp) == []
    with tempdirs.helmfile_env() as env:
        assert env["TMPDIR"] == str(system_tmp)  # the user's TMPDIR is kept
        assert Path(env["CHARTIFY_TEMPDIR"]).parent == system_tmp
