"""`meshgen verify` against a stand-in kubectl replaying recorded cluster state."""

from __future__ import annotations

import json

import pytest

from meshgen.handoff.verify import has_proxy
from tests.ops.conftest import RECORDED

GRAFANA = "app.kubernetes.io/name=grafana,app.kubernetes.io/instance=grafana"

#: The kubectl calls of one verify run, in order, with the recorded output each gets.
CALLS = {
    "istiod": (["get", "deployments", "-n", "istio-system"], "deployments-istio-system.json"),
    "namespaces": (["get", "namespaces"], "namespaces.json"),
    "pods": (["get", "pods", "-n", "inference"], "pods-inference-classic.json"),
    "tel-inference": (
        ["get", "telemetries.telemetry.istio.io", "-n", "inference"],
        "telemetries-inference.json",
    ),
    "tel-root": (
        ["get", "telemetries.telemetry.istio.io", "-n", "istio-system"],
        "telemetries-istio-system.json",
    ),
    "monitoring": (["get", "deployments", "-n", "monitoring"], "deployments-monitoring.json"),
    "configmaps": (
        ["get", "configmaps", "-n", "monitoring", "-l", GRAFANA],
        "configmaps-grafana.json",
    ),
    "grafana-pods": (["get", "pods", "-n", "monitoring", "-l", GRAFANA], "pods-grafana.json"),
}

HEALTHY = """\
CHECK                                           RESULT  DETAIL
istiod available                                PASS    Deployment istio-system/istiod: 1/1 ready
namespace inference labels                      PASS    istio-injection=enabled
sidecars in inference                           PASS    2/2 running pods have istio-proxy
inference-balancer pods running                 PASS    2 running pods labelled app=inference-balancer
telemetry inference/inference-balancer-metrics  PASS    present, spec as rendered
telemetry istio-system/mesh-default             PASS    present, spec as rendered
prometheus available                            PASS    Deployment monitoring/prometheus-server: 1/1 ready
grafana available                               PASS    Deployment monitoring/grafana: 1/1 ready
grafana dashboard providers                     PASS    istio, services in ConfigMap grafana
grafana dashboard downloads                     PASS    5 dashboards fetched by download-dashboards
grafana dashboards (services)                   PASS    inference-balancer in ConfigMap grafana-dashboards-services

11 checks: 11 passed, 0 failed
"""


def cluster(standins, context=None, **files):
    """Record every call of a verify run; `files` replaces the output of a named call."""
    standins.install("kubectl")
    prefix = ["--context", context] if context else []
    for key, (args, default) in CALLS.items():
        output = files.get(key.replace("-", "_"), default)
        if isinstance(output, tuple):  # (code, stderr)
            standins.on("kubectl", *prefix, *args, "-o", "json", code=output[0], stderr=output[1])
        else:
            standins.on("kubectl", *prefix, *args, "-o", "json", stdout_file=f"kubectl/{output}")
    return [["kubectl", *prefix, *args, "-o", "json"] for args, _ in CALLS.values()]


def rows(text):
    return {line.split("  ")[0]: line for line in text.splitlines()}


def test_healthy_cluster_passes_every_check(standins, project_dir, run_cli):
    expected_calls = cluster(standins)
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert (result.code, result.err) == (0, "")
    assert result.out == HEALTHY
    assert standins.argv() == expected_calls


def test_native_sidecars_count_as_the_proxy(standins, project_dir, run_cli):
    cluster(standins, pods="pods-inference-native.json")
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 0, result.out
    assert f"{'sidecars in inference':46}  PASS    2/2 running pods have istio-proxy" in result.out


def test_context_is_passed_to_every_kubectl_call(standins, project_dir, run_cli):
    expected_calls = cluster(standins, context="prod")
    result = run_cli("verify", "-c", "meshgen.yaml", "--context", "prod")
    assert result.code == 0, result
    assert standins.argv() == expected_calls


def test_pods_without_proxy_fail_with_what_to_do(standins, project_dir, run_cli):
    cluster(standins, pods="pods-inference-missing-proxy.json")
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 1
    assert rows(result.out)["sidecars in inference"] == (
        f"{'sidecars in inference':46}  FAIL    2 of 3 running pods without istio-proxy: "
        "inference-balancer-5f7b9c6d8e-lt4vn, inference-balancer-5f7b9c6d8e-zp2kd"
    )
    assert (
        "  sidecars in inference: pods started before injection was enabled: "
        "make restart-inference-balancer (kubectl -n inference rollout restart deployment)"
    ) in result.out.splitlines()
    assert result.out.endswith("11 checks: 10 passed, 1 failed\n")


def test_restart_advice_names_the_make_target_only_for_the_balancer(
    standins, project_dir, run_cli
):
    config = project_dir / "meshgen.yaml"
    text = config.read_text()
    assert "- name: inference-balancer\n" in text
    config.write_text(text.replace("- name: inference-balancer\n", "- name: checkout\n", 1))
    cluster(standins, pods="pods-inference-missing-proxy.json")
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert (
        "  sidecars in inference: pods started before injection was enabled: "
        "kubectl -n inference rollout restart deployment"
    ) in result.out.splitlines(), result.out
    assert "make restart-inference-balancer" not in result.out


def test_conflicting_injection_labels_fail(standins, project_dir, run_cli):
    cluster(standins, namespaces="namespaces-conflict.json")
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 1
    assert rows(result.out)["namespace inference labels"].endswith(
        "FAIL    istio-injection=enabled but also istio.io/rev=canary "
        "(only one injection label may be set)"
    )
    assert (
        "  namespace inference labels: kubectl label namespace inference istio.io/rev-"
        in result.out
    )


def test_missing_injection_label_points_at_the_make_target(standins, project_dir, run_cli):
    cluster(standins, namespaces="namespaces-unlabelled.json")
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 1
    assert "FAIL    want istio-injection=enabled, found istio-injection=<unset>" in result.out
    assert (
        "  namespace inference labels: make enable-istio-injection "
        "(kubectl apply -f deployment/helmfile/manifests/namespaces/)"
    ) in result.out


def test_unavailable_deployments_fail(standins, project_dir, run_cli):
    cluster(
        standins,
        istiod="deployments-istio-system-unavailable.json",
        monitoring="deployments-monitoring-grafana-down.json",
    )
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 1
    table = rows(result.out)
    assert table["istiod available"].endswith(
        "FAIL    Deployment istio-system/istiod: 0/1 ready, not Available"
    )
    assert table["grafana available"].endswith(
        "FAIL    Deployment monitoring/grafana: 0/1 ready, not Available"
    )
    assert table["prometheus available"].endswith(
        "PASS    Deployment monitoring/prometheus-server: 1/1 ready"
    )


def test_telemetry_missing_or_edited_fails(standins, project_dir, run_cli):
    cluster(
        standins,
        tel_inference="telemetries-inference-edited.json",
        tel_root="pods-inference-empty.json",
    )
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 1
    assert (
        "telemetry inference/inference-balancer-metrics  FAIL    present but its spec differs"
        in result.out
    )
    assert f"{'telemetry istio-system/mesh-default':46}  FAIL    not found" in result.out


def test_cluster_without_telemetry_crd_fails_the_check(standins, project_dir, run_cli):
    no_crd = (1, 'error: the server doesn\'t have a resource type "telemetries"\n')
    cluster(standins, tel_inference=no_crd, tel_root=no_crd)
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 1
    assert result.out.count("FAIL    the cluster has no Telemetry API (CRDs from istio-base)") == 2


def test_dashboard_download_failures(standins, project_dir, run_cli):
    cluster(standins, grafana_pods="pods-grafana-download-failed.json")
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 1
    assert rows(result.out)["grafana dashboard downloads"].endswith(
        "FAIL    init container download-dashboards has not succeeded: "
        "grafana-5b8f7d9c6-tq7xm (CrashLoopBackOff, last exit code 6)"
    )


def test_dashboard_script_that_lacks_a_pinned_revision_fails(standins, project_dir, run_cli):
    cluster(standins, configmaps="configmaps-grafana-stale-download.json")
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 1
    table = rows(result.out)
    assert table["grafana dashboard downloads"].endswith(
        "FAIL    download_dashboards.sh in ConfigMap grafana lacks istio-mesh"
    )
    assert table["grafana dashboards (services)"].endswith(
        "FAIL    ConfigMap grafana-dashboards-services lacks inference-balancer"
    )


def test_json_format(standins, project_dir, run_cli):
    cluster(standins, pods="pods-inference-missing-proxy.json")
    result = run_cli("verify", "-c", "meshgen.yaml", "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert data["summary"] == {"passed": 10, "failed": 1}
    failed = [c for c in data["checks"] if not c["ok"]]
    assert [c["check"] for c in failed] == ["sidecars in inference"]
    assert failed[0]["fix"].startswith("pods started before injection was enabled")


@pytest.mark.parametrize(
    "stderr",
    [
        "E1125 13:02:11.123456   41233 memcache.go:265] couldn't get current server API group list: "
        'Get "https://127.0.0.1:6443/api?timeout=32s": dial tcp 127.0.0.1:6443: connect: connection '
        "refused\nThe connection to the server 127.0.0.1:6443 was refused - did you specify the "
        "right host or port?\n",
        "Unable to connect to the server: dial tcp: lookup kind.example on 10.0.0.2:53: no such host\n",
        'error: context "prod" does not exist\n',
    ],
)
def test_unreachable_cluster_is_exit_2(standins, project_dir, run_cli, stderr):
    cluster(standins, istiod=(1, stderr))
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(
        "meshgen: error: cannot reach the Kubernetes cluster (current kubectl context): "
    )
    assert result.err.count("\n") == 1
    assert len(standins.calls()) == 1


def test_unreachable_message_is_kubectls_summary_not_klog_noise(standins, project_dir, run_cli):
    # stderr of a real kubectl 1.32 client with no cluster configured
    stderr = (RECORDED / "kubectl" / "unreachable-kubectl-1.32.err").read_text()
    cluster(standins, istiod=(1, stderr))
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "meshgen: error: cannot reach the Kubernetes cluster (current kubectl context): "
        "The connection to the server localhost:8080 was refused - did you specify the right "
        "host or port?\n"
    )


def test_other_kubectl_failure_is_exit_2_with_its_message(standins, project_dir, run_cli):
    forbidden = (
        1,
        'Error from server (Forbidden): pods is forbidden: User "dev" cannot list '
        'resource "pods" in API group "" in the namespace "inference"\n',
    )
    cluster(standins, pods=forbidden)
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 2
    assert result.err == (
        "meshgen: error: `kubectl get pods -n inference -o json` failed with exit code 1: "
        + forbidden[1]
    )


def test_missing_kubectl_is_exit_2(standins, project_dir, run_cli):
    result = run_cli("verify", "-c", "meshgen.yaml")
    assert result.code == 2
    assert result.err.startswith("meshgen: error: kubectl not found on PATH: install kubectl ")


def test_has_proxy_distinguishes_native_sidecars():
    pods = {
        name: json.loads((RECORDED / "kubectl" / name).read_text())["items"]
        for name in (
            "pods-inference-classic.json",
            "pods-inference-native.json",
            "pods-inference-missing-proxy.json",
        )
    }
    assert all(has_proxy(p) for p in pods["pods-inference-classic.json"][:2])
    assert all(has_proxy(p) for p in pods["pods-inference-native.json"])
    # an init container named istio-proxy without restartPolicy: Always is not a sidecar
    assert [has_proxy(p) for p in pods["pods-inference-missing-proxy.json"]] == [
        True,
        False,
        False,
        False,
    ]
