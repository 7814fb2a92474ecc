"""Fixtures for the hand-off tests: a project copy in tmp and stand-in helmfile/kubectl on PATH."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "recorded"
FIXTURE_CONFIG = HERE / "fixtures" / "meshgen.yaml"


#: What meshgen asks before it starts helmfile, and a working setup's answers.
PREREQUISITES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("helmfile", ("--version",), "helmfile version 0.166.0\n"),
    ("helm", ("version", "--short"), "v3.15.3+g3bb50bb\n"),
    ("helm", ("plugin", "list"), "NAME\tVERSION\tDESCRIPTION\ndiff\t3.9.11\tPreview helm upgrade\n"),
    ("helm", ("list", "--max", "1", "-q"), ""),
    ("helm", ("list", "--max", "1", "-q", "--kube-context", "prod"), ""),
)


class Standins:
    """Stand-in executables in a bin folder that is the whole of PATH."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        self._responses: list[dict[str, Any]] = []
        self._save()

    def install(self, *tools: str) -> None:
        """Install stand-ins; helmfile comes with a helm 3 that has helm-diff and a cluster.

        meshgen checks those prerequisites before it starts helmfile (with the real tools in
        tests/realtools); their calls are answered here and left out of `calls()`.
        """
        source = (HERE / "standins" / "standin.py").read_text(encoding="utf-8")
        if "helmfile" in tools and "helm" not in tools:
            tools = (*tools, "helm")
            for tool, args, out in PREREQUISITES:
                self.on(tool, *args, stdout=out)
        for tool in tools:
            path = self.bin / tool
            path.write_text(f"#!{sys.executable}\n{source}", encoding="utf-8")
            path.chmod(0o755)

    def on(
        self,
        tool: str,
        *args: str,
        code: int = 0,
        stdout: str = "",
        stderr: str = "",
        stdout_file: str = "",
        stderr_file: str = "",
    ) -> None:
        """Record the response to `tool args...` (files are relative to tests/ops/recorded)."""
        self._responses.append(
            {
                "tool": tool,
                "args": list(args),
                "code": code,
                "stdout": stdout,
                "stderr": stderr,
                "stdout_file": stdout_file,
                "stderr_file": stderr_file,
            }
        )
        self._save()

    def _save(self) -> None:
        (self.root / "responses.json").write_text(json.dumps(self._responses), encoding="utf-8")

    def calls(self) -> list[dict[str, Any]]:
        log = self.root / "calls.jsonl"
        if not log.exists():
            return []
        calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        checks = {(tool, tuple(args)) for tool, args, _ in PREREQUISITES}
        return [c for c in calls if (c["tool"], tuple(c["args"])) not in checks]

    def argv(self) -> list[list[str]]:
        return [[c["tool"], *c["args"]] for c in self.calls()]


@pytest.fixture
def standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Standins:
    """PATH holds only the stand-ins (none installed until `install`)."""
    s = Standins(tmp_path / "standins")
    monkeypatch.setenv("PATH", str(s.bin))
    monkeypatch.setenv("STANDIN_DIR", str(s.root))
    monkeypatch.setenv("STANDIN_RECORDED", str(RECORDED))
    return s


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture config in tmp (cwd), with a placeholder local chart."""
    root = tmp_path / "repo"
    (root / "charts" / "inference-balancer").mkdir(parents=True)
    (root / "charts" / "inference-balancer" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: inference-balancer\nversion: 0.1.0\n", encoding="utf-8"
    )
    shutil.copy(FIXTURE_CONFIG, root / "meshgen.yaml")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def render(run_cli: Callable[..., Any], project_dir: Path) -> Callable[[], Path]:
    """Render the project's tree (as `meshgen render` would) and return its folder."""

    def go() -> Path:
        result = run_cli("render", "-c", "meshgen.yaml")
        assert result.code == 0, result
        return project_dir / "deployment" / "helmfile"

    return go
