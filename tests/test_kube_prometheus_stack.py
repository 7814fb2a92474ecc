"""`monitoring.stack: kube-prometheus-stack`: config keys, the rendered tree, the checks on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from meshgen import api
from meshgen.knowledge import kube_prometheus_stack as kps

STACK = """\
istio: {version: 1.30.3}
monitoring:
  stack: kube-prometheus-stack
  kubePrometheusStack: {release: kps, chartVersion: 88.5.3}
%s"""


def _project(write_config: Callable[..., Path], text: str) -> api.Project:
    return api.load_project(write_config(text))


def _codes(project: api.Project) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.span.line, d.span.col, d.message) for d in api.validate_project(project)]


def _files(project: api.Project) -> dict[str, Any]:
    return {f.path: f.data for f in project.files}


def test_the_default_stack_still_requires_chart_versions(
    write_config: Callable[..., Path],
) -> None:
    project = _project(
        write_config,
        "istio: {version: 1.30.3}\nmonitoring:\n  prometheus: {scrapeInterval: 30s}\n",
    )
    assert [(d.code, d.span.line, d.span.col, d.message) for d in project.diagnostics] == [
        ("C006", 3, 15, "missing required key 'chartVersion' in monitoring.prometheus")
    ]


def test_stack_keys_are_refused_where_they_do_not_apply(
    write_config: Callable[..., Path],
) -> None:
    project = _project(write_config, STACK % "  grafana: {chartVersion: 12.11.1}\n")
    assert [(d.code, d.span.line, d.span.col) for d in project.diagnostics] == [("C005", 5, 27)]
    assert "monitoring.grafana.chartVersion: does not apply" in project.diagnostics[0].message
    plain = _project(
        write_config,
        "istio: {version: 1.30.3}\nmonitoring:\n  kubePrometheusStack: {chartVersion: 88.5.3}\n",
    )
    assert [(d.code, d.message) for d in plain.diagnostics] == [
        (
            "C005",
            "monitoring.kubePrometheusStack: applies only with `stack: kube-prometheus-stack`",
        )
    ]
    missing = _project(
        write_config, "istio: {version: 1.30.3}\nmonitoring: {stack: kube-prometheus-stack}\n"
    )
    assert [(d.code, d.message) for d in missing.diagnostics] == [
        ("C006", "missing required key 'kubePrometheusStack' in monitoring")
    ]


def test_the_stack_replaces_the_prometheus_and_grafana_releases(
    write_config: Callable[..., Path],
) -> None:
    project = _project(
        write_config,
        STACK
        % (
            "  prometheus: {scrapeInterval: 30s, retention: 7d,\n"
            "    values: {prometheusSpec: {replicas: 2}}}\n"
            "  grafana: {adminSecret: {name: admin}}\n"
        ),
    )
    assert _codes(project) == []
    files = _files(project)
    assert sorted(files) == [
        "helmfile.yaml",
        "manifests/monitors/podmonitor.yaml",
        "manifests/monitors/servicemonitor.yaml",
        "values/istio-base-values.yaml",
        "values/istio-values.yaml",
        "values/kube-prometheus-stack-values.yaml",
    ]
    state = files["helmfile.yaml"]
    assert state["repositories"] == [
        {"name": "istio", "url": "https://istio-release.storage.googleapis.com/charts"},
        {
            "name": "prometheus-community",
            "url": "https://prometheus-community.github.io/helm-charts",
        },
    ]
    releases = {r["name"]: r for r in state["releases"]}
    assert sorted(releases) == ["istio-base", "istio-monitors", "istiod", "kps"]
    assert releases["kps"]["chart"] == "prometheus-community/kube-prometheus-stack"
    assert releases["kps"]["version"] == "88.5.3"
    assert releases["istio-monitors"]["needs"] == ["monitoring/kps"]
    values = files["values/kube-prometheus-stack-values.yaml"]
    assert values["prometheus"] == {
        "prometheusSpec": {
            "scrapeInterval": "30s",
            "retention": "7d",
            "podMetadata": {"labels": {"sidecar.istio.io/inject": "false"}},
            "replicas": 2,
        },
    }
    grafana = values["grafana"]
    assert grafana["sidecar"] == {"datasources": {"enabled": False}}
    (source,) = grafana["datasources"]["datasources.yaml"]["datasources"]
    assert (
        source["url"]
        == "http://kps-kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
    )
    for path in ("manifests/monitors/podmonitor.yaml", "manifests/monitors/servicemonitor.yaml"):
        assert files[path]["metadata"]["labels"]["release"] == "kps"


def test_no_grafana_section_disables_the_subchart(write_config: Callable[..., Path]) -> None:
    project = _project(write_config, STACK % "")
    values = _files(project)["values/kube-prometheus-stack-values.yaml"]
    assert values["grafana"] == {"enabled": False}


def test_monitor_labels_follow_the_selector_the_values_set(
    write_config: Callable[..., Path],
) -> None:
    project = _project(
        write_config,
        STACK.replace(
            "chartVersion: 88.5.3}",
            "chartVersion: 88.5.3, values: {prometheus: "
            "{prometheusSpec: {serviceMonitorSelector: {matchExpressions: [{key: "
            "scrape, operator: In, values: [istio]}]}, "
            "podMonitorSelectorNilUsesHelmValues: false}}}}",
        )
        % "",
    )
    assert _codes(project) == []
    files = _files(project)
    assert files["manifests/monitors/servicemonitor.yaml"]["metadata"]["labels"] == {
        "monitoring": "istio-components",
        "scrape": "istio",
    }
    assert files["manifests/monitors/podmonitor.yaml"]["metadata"]["labels"] == {
        "monitoring": "istio-proxies"
    }


def test_the_grafana_checks_read_the_stacks_grafana_section(
    write_config: Callable[..., Path],
) -> None:
    text = STACK % (
        "  grafana:\n"
        "    adminSecret: {name: admin}\n"
        "    dashboards:\n"
        "      - {name: istio-mesh, gnetId: 7639, revision: 330}\n"
        "    values:\n"
        "      dashboardProviders:\n"
        "        dashboardproviders.yaml:\n"
        "          providers:\n"
        "            - {name: istio, options: {path: /var/lib/grafana/dashboards/istio}}\n"
        "            - {name: istio, options: {path: /var/lib/grafana/dashboards/istio}}\n"
        "      sidecar: {dashbords: {}}\n"
    )
    found = {(code, line, col) for code, line, col, _ in _codes(_project(write_config, text))}
    assert ("G101", 14, 16) in found  # the duplicate provider, at its config line
    assert ("H103", 15, 17) in found  # a grafana subchart key that does not exist


def test_the_datasource_check_knows_the_stacks_prometheus_service(
    write_config: Callable[..., Path],
) -> None:
    text = STACK % (
        "  grafana:\n"
        "    adminSecret: {name: admin}\n"
        "    values:\n"
        "      datasources:\n"
        "        datasources.yaml:\n"
        "          datasources:\n"
        "            - {name: Prometheus, type: prometheus, url: 'http://prometheus-server:80'}\n"
    )
    (g108,) = [d for d in _codes(_project(write_config, text)) if d[0] == "G108"]
    assert g108[1:3] == (11, 52)
    assert g108[3].endswith(
        "the Prometheus release serves "
        "http://kps-kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
    )


def test_init_writes_a_kube_prometheus_stack_starter(tmp_path: Path) -> None:
    config = tmp_path / "meshgen.yaml"
    api.init(config, stack="kube-prometheus-stack")
    project = api.load_project(config)
    assert [d.format_text() for d in api.validate_project(project)] == []
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert data["monitoring"]["stack"] == "kube-prometheus-stack"
    assert data["monitoring"]["kubePrometheusStack"]["chartVersion"] == kps.VERSION
    assert "values/kube-prometheus-stack-values.yaml" in {f.path for f in project.files}


def test_selector_semantics() -> None:
    labels = {"release": "kps", "monitoring": "istio-proxies"}
    assert kps.selector_matches({"matchLabels": {"release": "kps"}}, labels)
    assert not kps.selector_matches({"matchLabels": {"release": "istio"}}, labels)
    notin = {"matchExpressions": [{"key": "release", "operator": "NotIn", "values": ["kps"]}]}
    assert not kps.selector_matches(notin, labels)
    assert kps.selector_matches(
        {"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}, labels
    )
    assert not kps.selector_matches(
        {"matchExpressions": [{"key": "x", "operator": "Exists"}]}, labels
    )
    assert kps.monitor_selector({}, "kps", "PodMonitor") == {"matchLabels": {"release": "kps"}}
    off = {"prometheus": {"prometheusSpec": {"podMonitorSelectorNilUsesHelmValues": False}}}
    assert kps.monitor_selector(off, "kps", "PodMonitor") == {}
    assert kps.fullname("kube-prometheus-stack", {}) == "kube-prometheus-stack"
    assert kps.fullname("monitoring-stack-in-a-very-long-name", {}) == "monitoring-stack-in-a-very"


def test_literal_secrets_in_the_stack_values_never_reach_the_tree(
    write_config: Callable[..., Path],
) -> None:
    project = _project(
        write_config,
        STACK.replace(
            "chartVersion: 88.5.3}",
            "chartVersion: 88.5.3, values: {grafana: {adminPassword: hunter2hunter2}}}",
        )
        % "  grafana: {adminSecret: {name: admin}}\n",
    )
    assert [(code, line, col) for code, line, col, _ in _codes(project)] == [("C202", 4, 80)]
    text = {f.path: f.text for f in project.files}["values/kube-prometheus-stack-values.yaml"]
    assert "hunter2" not in text
    assert "adminPassword: '<redacted by meshgen: C202 literal-secret>'" in text


def test_the_stack_release_name_is_checked_like_other_releases(
    write_config: Callable[..., Path],
) -> None:
    project = _project(write_config, STACK.replace("release: kps", "release: KPS") % "")
    assert [(c, line, col) for c, line, col, _ in _codes(project) if c == "C101"] == [
        ("C101", 4, 34)
    ]


def test_lint_catches_istios_own_monitors_beside_a_stack_release(
    upstream: Path, tmp_path: Path
) -> None:
    """Istio's sample monitors (`release: istio`) next to a stack release named `kps`."""
    from meshgen.checks.lint import lint

    sample = upstream / "istio-1.30.3" / "samples-addons-extras-prometheus-operator.yaml"
    monitors = tmp_path / "monitors.yaml"
    monitors.write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
    helmfile = tmp_path / "helmfile.yaml"
    helmfile.write_text(
        "releases:\n"
        "  - name: kps\n"
        "    namespace: monitoring\n"
        "    chart: prometheus-community/kube-prometheus-stack\n"
        "    version: 88.5.3\n",
        encoding="utf-8",
    )
    found = [
        (Path(d.span.file).name, d.span.line, d.span.col, d.hint)
        for d in lint([monitors, helmfile]).diagnostics
        if d.code == "H130"
    ]
    assert found == [
        ("monitors.yaml", 6, 3, "label it `release: kps`"),
        ("monitors.yaml", 53, 3, "label it `release: kps`"),
    ]
    relabelled = monitors.read_text(encoding="utf-8").replace("release: istio", "release: kps")
    monitors.write_text(relabelled, encoding="utf-8")
    assert [d for d in lint([monitors, helmfile]).diagnostics if d.code == "H130"] == []


def test_a_prometheus_value_the_stack_does_not_read_is_h103(
    write_config: Callable[..., Path],
) -> None:
    """`monitoring.prometheus.values` go under the stack's `prometheus:`, where kps 88.5.3
    reads `prometheusSpec.replicas`, not `replicas`."""
    project = _project(
        write_config,
        STACK % "  prometheus: {values: {replicas: 2}}\n  grafana: {adminSecret: {name: admin}}\n",
    )
    assert [code for code, *_ in _codes(project)] == ["H103"]
    assert "has no value 'prometheus.replicas'" in _codes(project)[0][3]


def test_ambient_adds_ztunnel_and_waypoint_pod_monitors(
    write_config: Callable[..., Path],
) -> None:
    ambient = (
        "istio: {version: 1.30.3, dataplane: ambient}\n"
        "namespaces: [{name: apps}]\n"
        "monitoring:\n  stack: kube-prometheus-stack\n"
        "  kubePrometheusStack: {release: kps, chartVersion: 88.5.3}\n%s"
    )
    files = _files(_project(write_config, ambient % ""))
    monitors = {p: d for p, d in files.items() if p.startswith("manifests/monitors/")}
    assert sorted(monitors) == [
        "manifests/monitors/podmonitor.yaml",
        "manifests/monitors/servicemonitor.yaml",
        "manifests/monitors/waypoint-podmonitor.yaml",
        "manifests/monitors/ztunnel-podmonitor.yaml",
    ]
    for path in monitors:
        assert monitors[path]["metadata"]["labels"]["release"] == "kps", path
    sidecar = monitors["manifests/monitors/podmonitor.yaml"]["spec"]
    assert sidecar["selector"]["matchExpressions"][1] == {
        "key": "gateway.networking.k8s.io/gateway-class-name",
        "operator": "NotIn",
        "values": ["istio-waypoint"],
    }
    drops = [r for r in sidecar["podMetricsEndpoints"][0]["relabelings"] if r["action"] == "drop"]
    assert drops == [
        {
            "action": "drop",
            "sourceLabels": ["__meta_kubernetes_namespace", "__meta_kubernetes_pod_label_app"],
            "regex": "istio-system;ztunnel",
        }
    ]
    # `istioScraping.ztunnel: false`: no ztunnel monitor, and the sidecar one still drops it.
    off = _files(
        _project(write_config, ambient % "  prometheus: {istioScraping: {ztunnel: false}}\n")
    )
    assert "manifests/monitors/ztunnel-podmonitor.yaml" not in off
    assert "manifests/monitors/waypoint-podmonitor.yaml" in off
    # The plain stack's `ztunnel` job (and its scrape-annotation switch-off) is not rendered:
    # the PodMonitor scrapes ztunnel and nothing reads the chart's annotations.
    tuned = _files(_project(write_config, ambient % "  prometheus: {scrapeInterval: 30s}\n"))
    assert tuned["values/ztunnel-values.yaml"] == {}
    # A sidecar mesh's monitors are Istio's two, unchanged.
    plain = _files(_project(write_config, STACK % ""))
    assert sorted(p for p in plain if p.startswith("manifests/monitors/")) == [
        "manifests/monitors/podmonitor.yaml",
        "manifests/monitors/servicemonitor.yaml",
    ]
    assert (
        len(plain["manifests/monitors/podmonitor.yaml"]["spec"]["selector"]["matchExpressions"])
        == 1
    )
