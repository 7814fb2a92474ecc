"""`meshgen validate` renders service charts when helm can tell, and says when it cannot.

The real-helm side (what a rendered chart is compared with) is in
tests/realtools/test_starter.py; here helm is absent or a stand-in that must not run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

CONFIG = """\
istio: {version: 1.30.3}
namespaces: [{name: apps}]
services:
  - {name: api, namespace: apps, chart: ./c, podLabels: {app: api}}
  - name: web
    namespace: apps
    chart: podinfo/podinfo
    version: 6.7.1
    repository: {name: podinfo, url: https://stefanprodan.github.io/podinfo}
    podLabels: {app.kubernetes.io/name: podinfo}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (tmp_path / "meshgen.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _no_helm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def _codes(result: CliResult) -> list[str]:
    return [line.split(": ")[1].split()[0] for line in result.out.splitlines() if ": " in line]


def test_without_helm_validate_warns_for_the_chart_on_disk_only(
    project: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    _no_helm(monkeypatch, project)
    result = run_cli("validate")
    assert result.out == (
        "meshgen.yaml:4:41: H122 service api: the labels of its pods are not known (helm is "
        "not on PATH); meshgen relies on app=api as the config says [service-chart-unknown]\n"
        "0 error(s), 1 warning(s), 0 info(s)\n"
    )
    assert result.code == 0  # a warning: exit 1 only with --strict
    assert run_cli("validate", "--strict").code == 1


def test_charts_flag_also_reports_the_remote_chart_and_no_charts_is_silent(
    project: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    _no_helm(monkeypatch, project)
    asked = run_cli("validate", "--charts")
    assert _codes(asked) == ["H122", "H122"]
    assert "chart podinfo/podinfo comes from a remote repository and is not fetched" in asked.out
    assert _codes(run_cli("validate", "--no-charts")) == []


def test_check_never_starts_helm(
    project: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    # A helm that leaves a mark when run: the hook must not run it, validate --no-charts
    # neither; plain validate does (once, for the one chart on disk).
    bin_dir = project / "bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    helm.write_text(f'#!/bin/sh\necho "$@" >> {project / "helm-ran"}\nexit 1\n')
    helm.chmod(helm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    assert run_cli("render").code == 0
    run_cli("check")
    run_cli("validate", "--no-charts")
    assert not (project / "helm-ran").exists()
    result = run_cli("validate")
    ran = (project / "helm-ran").read_text().splitlines()
    assert [line.split()[:2] for line in ran] == [["template", "api"]]
    assert "helm template failed" in result.out and _codes(result) == ["H122"]


def test_many_services_without_helm_are_one_finding(
    project: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    # One cause (no helm) for every chart on disk: one line, not one per service.
    services = "".join(
        f"  - {{name: s{n}, namespace: apps, chart: ./c, podLabels: {{app: s{n}}}}}\n"
        for n in range(5)
    )
    (project / "meshgen.yaml").write_text(
        "istio: {version: 1.30.3}\nnamespaces: [{name: apps}]\nservices:\n" + services,
        encoding="utf-8",
    )
    _no_helm(monkeypatch, project)
    result = run_cli("validate")
    assert result.out.splitlines()[0] == (
        "meshgen.yaml:4:40: H122 5 services (s0, s1, s2 and 2 more): the labels of their pods "
        "are not known (helm is not on PATH); meshgen relies on the labels the config gives "
        "each [service-chart-unknown]"
    )
    assert _codes(result) == ["H122"]
