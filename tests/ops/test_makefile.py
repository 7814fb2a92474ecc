"""The setup guide's Makefile: every target exists and `make -n` shows the expected commands."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import INFRA_CONFIG, REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")

CFG = "infrastructure/meshgen.yaml"
TREE = "infrastructure/deployment/helmfile"

EXPECTED = {
    # the Secret's namespace first: the monitoring tier (which would create it) needs the Secret
    "grafana-admin-secret": [
        "test -n \"$GRAFANA_ADMIN_PASSWORD\" || { echo 'set GRAFANA_ADMIN_PASSWORD to the admin "
        "password' >&2; exit 1; }",
        "kubectl create namespace monitoring --dry-run=client -o yaml | kubectl apply -f -",
        "kubectl -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin"
        ' --from-literal=admin-password="$GRAFANA_ADMIN_PASSWORD" --dry-run=client -o yaml | '
        "kubectl apply -f -",
    ],
    "deploy-services": [
        f"meshgen apply -c {CFG} --tier mesh",
        f"meshgen apply -c {CFG} --tier monitoring",
    ],
    "enable-istio-injection": [
        f"meshgen render -c {CFG}",
        f"kubectl apply -f {TREE}/manifests/namespaces/",
    ],
    "deploy-balancer": [f"meshgen apply -c {CFG} --tier app"],
    "istio-verify": [f"meshgen verify -c {CFG}"],
    "restart-inference-balancer": [
        "kubectl -n inference rollout restart deployment --selector=app=inference-balancer",
        'deployments="$(kubectl -n inference get deployment --selector=app=inference-balancer'
        ' -o name)" || exit 1; \\',
        "for deployment in $deployments; do \\",
        '\tkubectl -n inference rollout status "$deployment" --timeout=5m || exit 1; \\',
        "done",
    ],
    "run-istio-test": [f"meshgen traffic -c {CFG}"],
    "grafana-ui": ["kubectl -n monitoring port-forward svc/grafana 3000:80"],
    "prometheus-ui": ["kubectl -n monitoring port-forward svc/prometheus-server 9090:80"],
}


def make(*args: str, folder: Path = REPO, meshgen: str | None = "meshgen") -> subprocess.CompletedProcess[str]:
    """`make` in `folder`; MESHGEN pinned unless `meshgen` is None (the Makefile's default)."""
    pinned = [f"MESHGEN={meshgen}"] if meshgen is not None else []
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(folder), *pinned, *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("target", sorted(EXPECTED))
def test_make_n_prints_the_commands(target):
    result = make("-n", target)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == EXPECTED[target]


def test_context_and_tools_can_be_overridden():
    result = make(
        "-n",
        "deploy-balancer",
        "istio-verify",
        "grafana-ui",
        "KUBE_CONTEXT=prod",
        "MESHGEN=.venv/bin/meshgen",
        "KUBECTL=kubectl-1.31",
    )
    assert result.stdout.splitlines() == [
        f".venv/bin/meshgen apply -c {CFG} --tier app --context prod",
        f".venv/bin/meshgen verify -c {CFG} --context prod",
        "kubectl-1.31 --context prod -n monitoring port-forward svc/grafana 3000:80",
    ]


def test_help_is_the_default_goal_and_lists_every_target():
    result = make()
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert listed == ["help", *EXPECTED]


def test_every_target_is_phony():
    result = make("-pn", "help")
    phony = next(line for line in result.stdout.splitlines() if line.startswith(".PHONY:"))
    assert set(phony.split()[1:]) == {"help", *EXPECTED}


def value(name: str) -> str:
    result = make("-s", "--eval", f"print-var: ; @echo $({name})", "print-var")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_defaults_match_the_config():
    from meshgen import api
    from meshgen.render import naming

    project = api.load_project(INFRA_CONFIG)
    config = project.loaded.config
    assert config is not None and config.monitoring.grafana and config.monitoring.prometheus
    balancer = next(s for s in config.services if s.name == value("BALANCER"))
    assert (REPO / value("CONFIG")).resolve() == INFRA_CONFIG.resolve()
    assert (REPO / value("TREE")).resolve() == project.output_dir
    assert value("MONITORING_NAMESPACE") == config.monitoring.namespace
    assert value("BALANCER_NAMESPACE") == balancer.namespace
    assert value("BALANCER_SELECTOR") == f"app={balancer.app_label}"
    assert value("GRAFANA_SERVICE") == config.monitoring.grafana.release
    assert config.monitoring.grafana.admin_secret is not None
    assert value("GRAFANA_ADMIN_SECRET") == config.monitoring.grafana.admin_secret.name
    assert (
        value("PROMETHEUS_SERVICE")
        == naming.prometheus_server(
            config.monitoring.prometheus.release, config.monitoring.namespace, {}
        )[0]
    )


@pytest.mark.parametrize("with_venv", [True, False])
def test_meshgen_defaults_to_the_projects_venv(tmp_path: Path, with_venv: bool) -> None:
    """Right after the README's set-up (`.venv`), `make istio-verify` finds meshgen there."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    if with_venv:
        program = tmp_path / ".venv" / "bin" / "meshgen"
        program.parent.mkdir(parents=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    result = make("-n", "istio-verify", folder=tmp_path, meshgen=None)
    assert result.returncode == 0, result.stderr
    expected = ".venv/bin/meshgen" if with_venv else "meshgen"
    assert result.stdout.splitlines() == [f"{expected} verify -c {CFG}"]
