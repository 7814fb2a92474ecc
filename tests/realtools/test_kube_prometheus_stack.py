"""`monitoring.stack: kube-prometheus-stack` through the real helmfile and helm.

The tree renders under `helmfile template` with the real kube-prometheus-stack 88.5.3 source
(its grafana 12.11.1 subchart included), and the final manifests are held to what meshgen
meant: Istio's PodMonitor and ServiceMonitor carry the labels the rendered Prometheus custom
resource selects (its `podMonitorSelector`/`serviceMonitorSelector`, read from the object),
the ServiceMonitor selects the istiod Service of the revision, the Grafana datasource names
the rendered Prometheus Service and port, dashboards reach Grafana the way it loads them
(ConfigMaps carrying the sidecar's label, or mounted under a provisioned provider's path),
and every object kubernetes-validate knows passes `--strict`.

`../shared/charts/kube-prometheus-stack-88.5.3/charts/` holds only its `crds` subchart;
helm refuses a chart whose other dependencies are missing, so the test assembles the chart
in a temporary folder: the source's files, plus grafana 12.11.1 and the kube-state-metrics
8.4.0 and prometheus-node-exporter 4.56.1 vendored with prometheus 29.27.0 (the versions
Chart.yaml asks for). prometheus-windows-exporter (0.12.*, off by default:
`windowsMonitoring.enabled: false`) is not among the chart sources: a stub Chart.yaml of
that name stands in for it, and nothing of it is rendered.
"""

from __future__ import annotations

import bz2
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.realtools import harness
from tests.realtools.harness import CHARTS, Tree

pytestmark = harness.NEEDS_TOOLS

STACK = CHARTS / "kube-prometheus-stack-88.5.3"
#: Dependencies of the stack (Chart.yaml) -> their source under ../shared/charts/.
DEPENDENCIES = {
    "grafana": "grafana-12.11.1",
    "kube-state-metrics": "prometheus-29.27.0/charts/kube-state-metrics",
    "prometheus-node-exporter": "prometheus-29.27.0/charts/prometheus-node-exporter",
}
#: Kinds of the operator's CRDs, which kubernetes-validate has no schema for.
OPERATOR_KINDS = {"Prometheus", "Alertmanager", "PodMonitor", "ServiceMonitor", "PrometheusRule"}

CONFIG = """\
istio:
  version: 1.30.3
  revision: canary
namespaces:
  - name: shop
    injection: {revision: canary}
telemetry:
  resources:
    - name: mesh-default
      metrics: [{providers: [{name: prometheus}]}]
monitoring:
  stack: kube-prometheus-stack
  kubePrometheusStack:
    release: kps
    chartVersion: 88.5.3
%(stack_values)s
  prometheus:
    scrapeInterval: 30s
    retention: 7d
  grafana:
    adminSecret: {name: grafana-admin}
    dashboards:
      - {name: istio-mesh, gnetId: 7639, revision: 330}
services:
  - name: podinfo
    namespace: shop
    chart: podinfo/podinfo
    version: 6.7.1
    repository: {name: podinfo, url: https://stefanprodan.github.io/podinfo}
    podLabels: {app.kubernetes.io/name: podinfo}
    port: 9898
"""

#: Stack values of each variant: the chart default selectors, and a selector the values set.
VARIANTS = {
    "default-selectors": "",
    "values-selector": (
        "    values:\n"
        "      prometheus:\n"
        "        prometheusSpec:\n"
        "          podMonitorSelector: {matchLabels: {team: mesh}}\n"
        "          serviceMonitorSelector:\n"
        "            matchExpressions: [{key: scrape, operator: In, values: [istio]}]\n"
    ),
}


def _assemble_stack(folder: Path) -> Path:
    """kube-prometheus-stack 88.5.3 with its dependencies under charts/ (see the docstring)."""
    chart = folder / "kube-prometheus-stack"
    chart.mkdir(parents=True)
    for entry in STACK.iterdir():
        if entry.name != "charts":
            (chart / entry.name).symlink_to(entry)
    charts = chart / "charts"
    charts.mkdir()
    (charts / "crds").symlink_to(STACK / "charts" / "crds")
    for name, source in DEPENDENCIES.items():
        (charts / name).symlink_to(CHARTS / source)
    stub = charts / "prometheus-windows-exporter"
    stub.mkdir()
    (stub / "Chart.yaml").write_text(
        "apiVersion: v2\nname: prometheus-windows-exporter\nversion: 0.12.8\n", encoding="utf-8"
    )
    return chart


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tree:
    tmp = tmp_path_factory.mktemp(f"kps-{request.param}")
    config = tmp / "meshgen.yaml"
    config.write_text(CONFIG % {"stack_values": VARIANTS[request.param]}, encoding="utf-8")
    harness.render(config)
    helmfile = tmp / "deployment" / "helmfile" / "helmfile.yaml"
    harness.point_charts_at_sources(helmfile)
    point_stack_at_source(helmfile, tmp / "charts")
    return Tree(config, helmfile, harness.template(helmfile))


def point_stack_at_source(helmfile: Path, charts: Path) -> None:
    """The kube-prometheus-stack release's `chart:` -> the stack assembled under `charts`."""
    stack = _assemble_stack(charts)
    state = yaml.safe_load(helmfile.read_text(encoding="utf-8"))
    for release in state["releases"]:
        if release["chart"] == "prometheus-community/kube-prometheus-stack":
            release["chart"] = str(stack)
            release.pop("version", None)
    helmfile.write_text(yaml.safe_dump(state, sort_keys=False), encoding="utf-8")


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) matches `labels`."""
    if not harness.selects(selector.get("matchLabels") or {}, labels):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, operator, values = expr["key"], expr["operator"], expr.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _prometheus(tree: Tree) -> dict[str, Any]:
    (prometheus,) = tree.of_kind("Prometheus", "monitoring")
    return prometheus


def test_monitors_match_the_selectors_of_the_rendered_prometheus(tree: Tree) -> None:
    spec = _prometheus(tree)["spec"]
    for kind, key in (("PodMonitor", "podMonitor"), ("ServiceMonitor", "serviceMonitor")):
        (monitor,) = tree.of_kind(kind, "istio-system")
        selector = spec[f"{key}Selector"]
        assert selector, f"{key}Selector is empty: {spec}"
        assert _selects(selector, monitor["metadata"]["labels"]), (selector, monitor["metadata"])
        # `{}` selects monitors in every namespace (the chart default); istio-system included
        assert spec[f"{key}NamespaceSelector"] == {}, spec[f"{key}NamespaceSelector"]
    if "matchExpressions" not in spec["serviceMonitorSelector"]:
        assert spec["podMonitorSelector"] in (
            {"matchLabels": {"release": "kps"}},
            {"matchLabels": {"team": "mesh"}},
        )


def test_the_service_monitor_finds_istiod_of_the_revision(tree: Tree) -> None:
    (monitor,) = tree.of_kind("ServiceMonitor", "istio-system")
    spec = monitor["spec"]
    istiod = tree.named("Service", "istio-system", "istiod-canary")
    assert _selects(spec["selector"], istiod["metadata"]["labels"])
    assert "istio-system" in spec["namespaceSelector"]["matchNames"]
    ports = {p["name"] for p in istiod["spec"]["ports"]}
    assert {e["port"] for e in spec["endpoints"]} <= ports


def test_the_pod_monitor_reads_the_injectors_merged_metrics_endpoint(tree: Tree) -> None:
    (monitor,) = tree.of_kind("PodMonitor", "istio-system")
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["path"] == "/stats/prometheus"
    # The injector's annotations say where the merged endpoint is (:15020 with merging on).
    injector = tree.named("ConfigMap", "istio-system", "istio-sidecar-injector-canary")
    template = injector["data"]["config"]
    assert "prometheus.io/port" in template and "prometheus.io/path" in template
    sources = [r.get("sourceLabels") for r in endpoint["relabelings"]]
    assert ["__meta_kubernetes_pod_annotation_prometheus_io_port", "__meta_kubernetes_pod_ip"] in (
        sources
    )


def test_the_monitors_release_needs_the_stack(tree: Tree) -> None:
    state = yaml.safe_load(tree.helmfile.read_text(encoding="utf-8"))
    releases = {r["name"]: r for r in state["releases"]}
    assert releases["istio-monitors"]["needs"] == ["monitoring/kps"]
    assert releases["kps"]["wait"] is True
    # The operator's CRDs come with the stack (its `crds` subchart, which keeps them in
    # files/crds.bz2; `helmfile template` does not print CRDs): what the monitors need.
    crds = bz2.decompress((STACK / "charts" / "crds" / "files" / "crds.bz2").read_bytes())
    kinds = set(re.findall(r"\n {4}kind: (\w+)\n", crds.decode("utf-8")))
    assert {"PodMonitor", "ServiceMonitor", "Prometheus"} <= kinds, kinds


def _grafana(tree: Tree) -> dict[str, Any]:
    return tree.named("Deployment", "monitoring", "kps-grafana")


def test_the_grafana_datasource_names_the_rendered_prometheus_service(tree: Tree) -> None:
    config_map = tree.named("ConfigMap", "monitoring", "kps-grafana")
    datasources = yaml.safe_load(config_map["data"]["datasources.yaml"])["datasources"]
    (source,) = datasources
    assert source["isDefault"] is True
    match = harness.URL.fullmatch(source["url"])
    assert match, source["url"]
    name, namespace, port, _ = match.groups()
    service = harness.services(tree).get((namespace, name))
    assert service is not None, (source["url"], sorted(harness.services(tree)))
    assert int(port) in {p["port"] for p in service["spec"]["ports"]}
    # The Service reaches the pods the operator runs for the rendered Prometheus object.
    selector = service["spec"]["selector"]
    assert selector["operator.prometheus.io/name"] == _prometheus(tree)["metadata"]["name"]
    # One default datasource: the stack's own datasource sidecar (a second default) is off.
    assert not [
        c for c in tree.of_kind("ConfigMap", "monitoring")
        if (c["metadata"].get("labels") or {}).get("grafana_datasource") == "1"
    ]  # fmt: skip


def _sidecar_label(deployment: dict[str, Any]) -> tuple[str, str]:
    (sidecar,) = [
        c
        for c in deployment["spec"]["template"]["spec"]["containers"]
        if c["name"] == "grafana-sc-dashboard"
    ]
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    return env["LABEL"], env["LABEL_VALUE"]


def test_dashboards_reach_grafana_the_way_it_loads_them(tree: Tree) -> None:
    deployment = _grafana(tree)
    label, value = _sidecar_label(deployment)
    assert (label, value) == ("grafana_dashboard", "1")
    pod = deployment["spec"]["template"]["spec"]
    mounted = {v["configMap"]["name"]: v["name"] for v in pod["volumes"] if "configMap" in v}
    mounts: dict[str, list[str]] = {}
    for container in pod["containers"]:
        for mount in container.get("volumeMounts", []):
            mounts.setdefault(mount["name"], []).append(mount["mountPath"])
    boards = 0
    for config_map in tree.of_kind("ConfigMap", None):
        data = config_map.get("data") or {}
        keys = [k for k in data if k.endswith(".json")]
        if not keys:
            continue
        boards += 1
        name = config_map["metadata"]["name"]
        labels = config_map["metadata"].get("labels") or {}
        if labels.get(label) == value:
            continue  # the sidecar loads it (the stack's own dashboards)
        assert name in mounted, f"ConfigMap {name} holds dashboards nothing loads"
        paths = mounts[mounted[name]]
        assert all(p.startswith("/var/lib/grafana/dashboards/") for p in paths), paths
        for key in keys:
            json.loads(data[key])
    provisioned = yaml.safe_load(
        tree.named("ConfigMap", "monitoring", "kps-grafana")["data"]["dashboardproviders.yaml"]
    )["providers"]
    paths = {p["options"]["path"] for p in provisioned}
    assert "/var/lib/grafana/dashboards/services" in paths
    # meshgen's generated dashboard for the service is mounted under its provider's path
    services_cm = tree.named("ConfigMap", "monitoring", "kps-grafana-dashboards-services")
    assert mounts[mounted["kps-grafana-dashboards-services"]] == [
        "/var/lib/grafana/dashboards/services/podinfo.json"
    ]
    assert "podinfo.json" in services_cm["data"]
    assert boards > 1


def test_the_final_manifests_pass_kubernetes_validate(tree: Tree) -> None:
    problems, unknown, validated = harness.kubernetes_problems(tree.objects)
    assert problems == []
    # The operator's custom resources have no bundled schema: skipped, and said so here.
    assert unknown <= OPERATOR_KINDS | {"Telemetry"}, unknown
    assert validated > 50


def test_validate_has_no_findings_for_the_tree(tree: Tree) -> None:
    assert harness.findings(tree.config) == []
