"""An external datasource (Thanos, Mimir, VictoriaMetrics, another Prometheus) through the real
helmfile and helm, on both stacks.

Each kind is rendered with the plain prometheus + grafana charts and with kube-prometheus-stack
88.5.3 (its grafana 12.11.1 subchart), templated by the real `helmfile template` from the chart
sources, and the final manifests are held to what meshgen meant: the grafana chart's
datasource provisioning (the `datasources.yaml` of its ConfigMap) holds one datasource with the
configured URL, `type: prometheus`, the kind's `prometheusType`/`prometheusVersion` and the
header names, header values from a Secret only as `${VAR}` that the Grafana container's
environment fills from that Secret (`secretKeyRef`), no provisioning object in the release marks
a second datasource default (under the stack: its own datasource ConfigMap is not rendered), the
rendered Prometheus is still there to scrape, and kubernetes-validate `--strict` passes.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.realtools import harness
from tests.realtools.harness import Tree
from tests.realtools.test_kube_prometheus_stack import OPERATOR_KINDS, point_stack_at_source

pytestmark = harness.NEEDS_TOOLS

#: kind -> (the `datasource:` flow mapping, expected jsonData, expected secureJsonData,
#: expected Grafana env: variable -> (Secret, key)).
KINDS: dict[str, tuple[str, dict[str, str], dict[str, str], dict[str, tuple[str, str]]]] = {
    "prometheus": (
        "{name: Central, uid: central, url: 'https://prometheus.central.example.com',"
        " headers: [{name: Authorization, secret: {name: central-auth, key: header}}]}",
        {"prometheusType": "Prometheus", "httpHeaderName1": "Authorization"},
        {"httpHeaderValue1": "${MESHGEN_DATASOURCE_HEADER_1}"},
        {"MESHGEN_DATASOURCE_HEADER_1": ("central-auth", "header")},
    ),
    "thanos": (
        "{name: Thanos, uid: thanos, kind: thanos, version: 0.39.2,"
        " url: 'http://thanos-query.thanos.svc.cluster.local:10902'}",
        {"prometheusType": "Thanos", "prometheusVersion": "0.39.2"},
        {},
        {},
    ),
    "mimir": (
        "{name: Mimir, uid: mimir, kind: mimir,"
        " url: 'http://mimir-nginx.mimir.svc.cluster.local/prometheus',"
        " headers: [{name: X-Scope-OrgID, secret: {name: mimir-tenant, key: tenant}}]}",
        {"prometheusType": "Mimir", "httpHeaderName1": "X-Scope-OrgID"},
        {"httpHeaderValue1": "${MESHGEN_DATASOURCE_HEADER_1}"},
        {"MESHGEN_DATASOURCE_HEADER_1": ("mimir-tenant", "tenant")},
    ),
    "victoriametrics": (
        "{name: VictoriaMetrics, uid: vm, kind: victoriametrics,"
        " url: 'http://vmselect-vm.vm.svc.cluster.local:8481/select/0/prometheus',"
        " headers: [{name: X-Team, value: 'mesh$1'}]}",
        {
            "prometheusType": "Prometheus",
            "prometheusVersion": "2.24.0",
            "httpHeaderName1": "X-Team",
        },
        # Grafana expands `$` in provisioning files: a literal one is written `$$`.
        {"httpHeaderValue1": "mesh$$1"},
        {},
    ),
}
URLS = {
    "prometheus": "https://prometheus.central.example.com",
    "thanos": "http://thanos-query.thanos.svc.cluster.local:10902",
    "mimir": "http://mimir-nginx.mimir.svc.cluster.local/prometheus",
    "victoriametrics": "http://vmselect-vm.vm.svc.cluster.local:8481/select/0/prometheus",
}

PLAIN = """\
istio: {version: 1.30.3}
namespaces: [{name: shop}]
monitoring:
  prometheus: {chartVersion: 29.27.0}
  grafana:
    chartVersion: 12.11.1
    adminSecret: {name: grafana-admin}
    datasource: %(datasource)s
    dashboards: [{name: istio-mesh, gnetId: 7639, revision: 330}]
"""
STACK = """\
istio: {version: 1.30.3}
namespaces: [{name: shop}]
monitoring:
  stack: kube-prometheus-stack
  kubePrometheusStack:
    release: kps
    chartVersion: 88.5.3
    values: {alertmanager: {enabled: false}}
  grafana:
    adminSecret: {name: grafana-admin}
    datasource: %(datasource)s
    dashboards: [{name: istio-mesh, gnetId: 7639, revision: 330}]
"""
#: stack -> (config template, the grafana release's object name prefix).
STACKS = {"prometheus": (PLAIN, "grafana"), "kube-prometheus-stack": (STACK, "kps-grafana")}


@pytest.fixture(
    scope="module",
    params=[(stack, kind) for stack in sorted(STACKS) for kind in sorted(KINDS)],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def case(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str, Tree]:
    stack, kind = request.param
    tmp = tmp_path_factory.mktemp(f"ds-{stack}-{kind}")
    config = tmp / "meshgen.yaml"
    config.write_text(STACKS[stack][0] % {"datasource": KINDS[kind][0]}, encoding="utf-8")
    harness.render(config)
    helmfile = tmp / "deployment" / "helmfile" / "helmfile.yaml"
    harness.point_charts_at_sources(helmfile)
    if stack == "kube-prometheus-stack":
        point_stack_at_source(helmfile, tmp / "charts")
    return stack, kind, Tree(config, helmfile, harness.template(helmfile))


def _provisioned(tree: Tree) -> list[tuple[str, dict[str, Any]]]:
    """(object/key, datasource) of every datasource any rendered object provisions."""
    out: list[tuple[str, dict[str, Any]]] = []
    for obj in tree.of_kind("ConfigMap", None) + tree.of_kind("Secret", None):
        data = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
        for key, text in data.items():
            if not isinstance(text, str) or "datasources:" not in text:
                continue
            doc = yaml.safe_load(text)
            entries = doc.get("datasources") if isinstance(doc, dict) else None
            for entry in entries if isinstance(entries, list) else ():
                out.append((f"{obj['kind']}/{obj['metadata']['name']}/{key}", entry))
    return out


def test_grafana_provisions_the_external_datasource(case: tuple[str, str, Tree]) -> None:
    stack, kind, tree = case
    name = STACKS[stack][1]
    config_map = tree.named("ConfigMap", "monitoring", name)
    (source,) = yaml.safe_load(config_map["data"]["datasources.yaml"])["datasources"]
    assert source["url"] == URLS[kind]
    assert source["type"] == "prometheus" and source["access"] == "proxy"
    assert source["isDefault"] is True
    json_data, secure, _ = KINDS[kind][1], KINDS[kind][2], KINDS[kind][3]
    assert {k: v for k, v in source["jsonData"].items() if k != "timeInterval"} == json_data
    assert source.get("secureJsonData", {}) == secure


def test_only_one_default_datasource(case: tuple[str, str, Tree]) -> None:
    _, _, tree = case
    provisioned = _provisioned(tree)
    defaults = [where for where, entry in provisioned if entry.get("isDefault") is True]
    assert len(defaults) == 1, provisioned
    # Under kube-prometheus-stack its own datasource ConfigMap (sidecar-loaded) is not there.
    assert not [
        c for c in tree.of_kind("ConfigMap", None)
        if (c["metadata"].get("labels") or {}).get("grafana_datasource") == "1"
    ]  # fmt: skip


def test_header_values_come_from_secrets_through_the_environment(
    case: tuple[str, str, Tree],
) -> None:
    stack, kind, tree = case
    deployment = tree.named("Deployment", "monitoring", STACKS[stack][1])
    (grafana,) = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "grafana"
    ]
    env = {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in grafana.get("env", [])
        if e["name"].startswith("MESHGEN_") and "secretKeyRef" in e.get("valueFrom", {})
    }
    assert env == KINDS[kind][3]
    # No Secret of the release was made to hold a header value.
    for secret in tree.of_kind("Secret", "monitoring"):
        for text in (secret.get("stringData") or {}).values():
            assert "httpHeaderValue" not in str(text), secret["metadata"]["name"]


def test_the_rendered_prometheus_still_scrapes(case: tuple[str, str, Tree]) -> None:
    stack, _, tree = case
    if stack == "kube-prometheus-stack":
        assert tree.of_kind("Prometheus", "monitoring")
        assert tree.of_kind("PodMonitor", "istio-system")
    else:
        tree.named("Deployment", "monitoring", "prometheus-server")


def test_kubernetes_validate_passes(case: tuple[str, str, Tree]) -> None:
    _, _, tree = case
    problems, unknown, validated = harness.kubernetes_problems(tree.objects)
    assert problems == []
    assert unknown <= OPERATOR_KINDS, unknown
    assert validated > 20
