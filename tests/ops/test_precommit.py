"""The pre-commit hooks, run by the real `pre-commit` tool in a temporary git repository.

The temporary repository's `.pre-commit-config.yaml` is a `repo: local` copy of this
repository's `.pre-commit-hooks.yaml` (same ids, entries, `files`, `pass_filenames`,
`require_serial`) with `language: system` and this venv's meshgen as the program, so that
pre-commit installs nothing and needs no network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from meshgen.load import yaml_reader
from meshgen.render import yaml_writer
from tests.conftest import REPO
from tests.ops.conftest import FIXTURE_CONFIG

BIN = Path(sys.executable).parent
PRE_COMMIT = BIN / "pre-commit"
MESHGEN = BIN / "meshgen"

pytestmark = pytest.mark.skipif(
    not PRE_COMMIT.exists() or shutil.which("git") is None,
    reason="needs pre-commit in the venv and git",
)


def manifest() -> list[dict]:
    return yaml_reader.load_all_data((REPO / ".pre-commit-hooks.yaml").read_text(), "hooks")[0]


def local_config() -> str:
    hooks = []
    for hook in manifest():
        local = dict(hook, language="system")
        program, _, rest = hook["entry"].partition(" ")
        assert program == "meshgen"
        local["entry"] = f"{MESHGEN} {rest}"
        hooks.append(local)
    return yaml_writer.dump({"repos": [{"repo": "local", "hooks": hooks}]})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "charts" / "inference-balancer").mkdir(parents=True)
    (root / "charts" / "inference-balancer" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: inference-balancer\nversion: 0.1.0\n"
    )
    shutil.copy(FIXTURE_CONFIG, root / "meshgen.yaml")
    (root / ".pre-commit-config.yaml").write_text(local_config())
    (root / "README.md").write_text("# project\n")
    subprocess.run(
        [MESHGEN, "render", "-c", "meshgen.yaml"], cwd=root, check=True, capture_output=True
    )
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    git(root, "init", "-q")
    git(root, "add", "-A")
    return root


def git(root: Path, *args: str) -> None:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)


def pre_commit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PRE_COMMIT, "run", "--color", "never", *args],
        cwd=root,
        text=True,
        capture_output=True,
        check=False,
    )


def status(output: str, hook: str) -> str:
    match = re.search(rf"^{re.escape(hook)}\.+(?:\([^)]*\))?(\w+)$", output, re.M)
    assert match, output
    return match.group(1)


def test_manifest_is_valid_and_shaped_as_documented():
    result = subprocess.run(
        [PRE_COMMIT, "validate-manifest", REPO / ".pre-commit-hooks.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {h["id"]: h for h in manifest()}
    assert hooks["meshgen-check"]["entry"] == "meshgen check"
    assert hooks["meshgen-check"]["pass_filenames"] is False
    assert hooks["meshgen-check"]["require_serial"] is True
    assert hooks["meshgen-lint"]["entry"] == "meshgen lint"
    assert hooks["meshgen-lint"].get("pass_filenames", True) is True


def test_own_config_is_valid_and_uses_the_manifest_filters():
    result = subprocess.run(
        [PRE_COMMIT, "validate-config", REPO / ".pre-commit-config.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    own = yaml_reader.load_all_data((REPO / ".pre-commit-config.yaml").read_text(), "config")[0]
    local = {h["id"]: h for r in own["repos"] if r["repo"] == "local" for h in r["hooks"]}
    for hook in manifest():
        for key in ("files", "always_run", "pass_filenames"):
            assert local[hook["id"]].get(key) == hook.get(key), (hook["id"], key)
    assert "ruff" in local


@pytest.mark.parametrize(
    ("hook", "path", "matches"),
    [
        ("meshgen-lint", "deployment/helmfile/manifests/telemetry/inference-x.yaml", True),
        ("meshgen-lint", "k8s/telemetry.yaml", True),
        ("meshgen-lint", "dashboards/istio/service.json", True),
        ("meshgen-lint", "grafana/istio-service-dashboard.json", True),
        ("meshgen-lint", "k8s/deployment.yaml", False),
        ("meshgen-lint", "package.json", False),
    ],
)
def test_files_filters(hook, path, matches):
    pattern = next(h["files"] for h in manifest() if h["id"] == hook)
    assert bool(re.search(pattern, path)) is matches


def test_check_runs_on_every_commit_with_no_file_filter():
    """No pattern can name everything `check` reads (charts, dashboards, a custom output)."""
    check = next(h for h in manifest() if h["id"] == "meshgen-check")
    assert check["always_run"] is True and "files" not in check


def test_passes_on_a_fresh_tree(repo):
    result = pre_commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert status(result.stdout, "meshgen check") == "Passed"
    assert status(result.stdout, "meshgen lint") == "Passed"


def test_runs_and_passes_when_only_other_files_are_staged(repo):
    git(repo, "commit", "-q", "-m", "init", "--no-verify", "--author", "t <t@example.com>")
    (repo / "README.md").write_text("# project\n\nmore\n")
    git(repo, "add", "README.md")
    result = pre_commit(repo)
    assert result.returncode == 0, result.stdout
    assert status(result.stdout, "meshgen check") == "Passed"


def test_fails_when_a_local_chart_the_config_uses_is_removed(repo):
    """A path no pattern watched (charts/<name>/Chart.yaml): the commit must still fail."""
    git(repo, "commit", "-q", "-m", "init", "--no-verify", "--author", "t <t@example.com>")
    git(repo, "rm", "-q", "charts/inference-balancer/Chart.yaml")
    result = pre_commit(repo)
    assert result.returncode == 1, result.stdout
    assert status(result.stdout, "meshgen check") == "Failed"
    assert "H108" in result.stdout


def test_fails_with_the_diagnostic_on_an_invalid_config(repo):
    config = repo / "meshgen.yaml"
    config.write_text(config.read_text().replace("scrapeInterval: 15s", "scrapeIntervall: 15s"))
    git(repo, "add", "meshgen.yaml")
    result = pre_commit(repo)
    assert result.returncode == 1
    assert status(result.stdout, "meshgen check") == "Failed"
    line = next(
        n for n, text in enumerate(config.read_text().splitlines(), 1) if "scrapeIntervall" in text
    )
    assert re.search(
        rf"^meshgen\.yaml:{line}:\d+: C\d{{3}} .*scrapeIntervall", result.stdout, re.M
    ), result.stdout


def test_fails_with_the_diff_on_a_stale_tree(repo):
    config = repo / "meshgen.yaml"
    config.write_text(config.read_text().replace("retention: 15d", "retention: 30d"))
    git(repo, "add", "meshgen.yaml")
    result = pre_commit(repo)
    assert result.returncode == 1
    assert status(result.stdout, "meshgen check") == "Failed"
    assert "--- deployment/helmfile/values/prometheus-values.yaml" in result.stdout
    assert "-  retention: 15d\n+  retention: 30d" in result.stdout


def test_lint_gets_the_staged_files_and_fails_on_a_broken_dashboard(repo):
    (repo / "dashboards").mkdir()
    (repo / "dashboards" / "broken.json").write_text('{"panels": [')
    git(repo, "add", "dashboards/broken.json")
    result = pre_commit(repo)
    assert result.returncode == 1
    assert status(result.stdout, "meshgen lint") == "Failed"
    assert "dashboards/broken.json" in result.stdout


def test_the_readme_snippet_works_when_pasted(repo, monkeypatch):
    """The README's `.pre-commit-config.yaml`, as printed, in a repository with meshgen."""
    readme = (REPO / "README.md").read_text()
    snippet = re.search(r"```yaml\n(repos:\n  - repo: local\n.*?)```", readme, re.S)
    assert snippet, "the README lost its pre-commit snippet"
    (repo / "infrastructure").mkdir()
    for name in ("meshgen.yaml", "charts", "deployment"):
        shutil.move(str(repo / name), str(repo / "infrastructure" / name))
    (repo / ".pre-commit-config.yaml").write_text(snippet.group(1))
    monkeypatch.setenv("PATH", f"{Path(MESHGEN).parent}{os.pathsep}{os.environ['PATH']}")
    git(repo, "add", "-A")
    result = pre_commit(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert status(result.stdout, "meshgen check") == "Passed"
