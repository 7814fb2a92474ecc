"""Review of `meshgen validate` rendering service charts with the helm on PATH.

Found in the session-20 review:
- a chart whose rendered objects are odd but parse as YAML (a Service `port: null` from an
  unset value, `port: http`, `metadata: x`, a non-mapping `spec`) stopped validate with
  "internal error" (exit 3) from `summarize`; now those parts read as absent;
- a helm that is a wrapper script (a shim, `sh -c`) and hangs: on the timeout the wrapper
  was stopped but meshgen then waited for its child, which held the output pipe, for as long
  as that child ran (a hanging helm hung validate despite the 120 s limit).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from meshgen import api
from meshgen.checks.helm.pods import summarize
from meshgen.handoff import charts, runner
from tests.conftest import CliResult

CONFIG = """\
istio: {version: 1.30.3}
namespaces: [{name: apps}]
services:
  - {name: api, namespace: apps, chart: ./c, podLabels: {app: api}, port: 80, trafficTest: {path: /}}
"""


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helm_script: str) -> Path:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (tmp_path / "meshgen.yaml").write_text(CONFIG, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helm = bin_dir / "helm"
    helm.write_text("#!/bin/sh\n" + helm_script + "\n")
    helm.chmod(helm.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.chdir(tmp_path)
    return tmp_path


ODD_OUTPUT = {
    "port-null": "kind: Service\nmetadata: {name: api}\nspec: {ports: [{port: null}]}\n",
    "port-name": "kind: Service\nmetadata: {name: api}\nspec: {ports: [{port: http}]}\n",
    "port-inf": "kind: Service\nmetadata: {name: api}\nspec: {ports: [{port: 1e400}]}\n",
    "port-scalar": "kind: Service\nmetadata: {name: api}\nspec: {ports: [port]}\n",
    "ports-map": "kind: Service\nmetadata: {name: api}\nspec: {ports: {port: 80}}\n",
    "metadata-str": "kind: Deployment\nmetadata: x\nspec: {template: y}\n",
    "spec-list": "kind: Deployment\nmetadata: {name: a}\nspec: [1]\n",
    "template-meta-list": "kind: Pod\nmetadata: [a]\n",
}


@pytest.mark.parametrize("name", sorted(ODD_OUTPUT))
def test_odd_but_valid_yaml_from_helm_is_a_finding_not_an_internal_error(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Callable[..., CliResult],
) -> None:
    text = ODD_OUTPUT[name].replace("\n", "\\n")
    _project(tmp_path, monkeypatch, f"printf '{text}'")
    result = run_cli("validate")
    assert result.code == 1, result  # H120/H121 errors, not exit 3 (internal error)
    assert "internal error" not in result.err
    assert "H120 service api: no pod of chart" in result.out


def test_summarize_keeps_integer_ports_and_skips_the_rest() -> None:
    objects = [
        {"kind": "Service", "metadata": {"name": "api"}, "spec": {"ports": [
            {"port": 80}, {"port": "8080"}, {"port": None}, {"port": "http"}, {"port": True},
        ]}},
        {"kind": "Deployment", "metadata": {"name": "api"},
         "spec": {"template": {"metadata": {"labels": {"app": "api"}}}}},
    ]  # fmt: skip
    render = summarize("c", objects)
    assert render.services == (("api", (80, 8080)),)
    assert render.pods == (("Deployment/api", {"app": "api"}),)


def test_a_hanging_helm_wrapper_is_stopped_without_waiting_for_its_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The wrapper's child keeps stdout open and, if meshgen waits for it, leaves a mark.
    mark, pid_file = tmp_path / "late", tmp_path / "child.pid"
    child = f"echo $$ > {pid_file}; sleep 4; echo late > {mark}"
    project = _project(tmp_path, monkeypatch, f"sh -c '{child}'")
    monkeypatch.setattr(charts, "HELM_TEMPLATE_TIMEOUT", 0.5)
    monkeypatch.setattr(runner, "_GRACE", 0.5)
    try:
        loaded = api.load_project(project / "meshgen.yaml")
        diagnostics = api.validate_project(loaded, charts=None)
        assert not mark.exists()  # validate returned while the child still ran
        (h122,) = [d for d in diagnostics if d.code == "H122"]
        assert "helm did not finish within 0.5 s and was stopped" in h122.message
    finally:
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
