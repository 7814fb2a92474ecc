"""The wheel ships templates/ and schemas/ and renders from a fresh virtual environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("meshgen-*.whl")
    return built


def test_wheel_contains_templates_and_schemas(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "meshgen/templates/helmfile.yaml.j2" in names
    assert "meshgen/templates/init/meshgen.yaml" in names
    assert "meshgen/schemas/meshgen.schema.json" in names
    assert "meshgen/analysis/cel_tables.json" in names  # or every run builds the CEL tables
    assert "meshgen/render/compiled/helmfile_yaml.py" in names  # or every run compiles it
    assert "meshgen/py.typed" in names


def test_fresh_venv_renders_the_infrastructure_config(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    # The project's dependencies come from this test environment's site-packages, added as a
    # plain path (its .pth files, including the editable install of meshgen, are not run).
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "work"
    shutil.copytree(REPO / "infrastructure", work, ignore=shutil.ignore_patterns("deployment"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.check_output(
        [
            str(python),
            "-c",
            "import meshgen, meshgen.resources as r; print(meshgen.__file__); print(r.templates_dir())",
        ],
        text=True,
        cwd=work,
        env=env,
    ).split()
    assert all(str(venv) in line for line in where), where
    result = subprocess.run(
        [str(venv / "bin" / "meshgen"), "render", "-c", "meshgen.yaml"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "10 created" in result.stdout
    expected = REPO / "infrastructure" / "deployment" / "helmfile" / "helmfile.yaml"
    assert (work / "deployment" / "helmfile" / "helmfile.yaml").read_text() == expected.read_text()
