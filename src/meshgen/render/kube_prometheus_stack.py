"""`monitoring.stack: kube-prometheus-stack`: the stack's values and Istio's monitors.

One kube-prometheus-stack release replaces the prometheus and grafana releases:
`values/kube-prometheus-stack-values.yaml` sets its Prometheus custom resource
(`prometheus.prometheusSpec`, from `monitoring.prometheus`) and its grafana subchart
(`grafana:`, the same values meshgen renders for the grafana chart). Istio is scraped by
Prometheus Operator objects modelled on Istio's own (samples/addons/extras/
prometheus-operator.yaml): a PodMonitor for the sidecars' merged metrics endpoint and a
ServiceMonitor for istiod, in `manifests/monitors/`, a release that needs the stack (the
operator's CRDs come with it). The monitors carry the labels the stack's Prometheus selects:
`release: <stack release>` under the chart default `*SelectorNilUsesHelmValues: true`, or
what a selector set in the values asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from meshgen.models import MeshConfig, Prometheus
from meshgen.models.monitoring import KubePrometheusStack
from meshgen.render.context import RenderInputs, build_file, deep_merge
from meshgen.render.files import RenderedFile

CHART = "kube-prometheus-stack"
REPO = "prometheus-community"
VALUES = "values/kube-prometheus-stack-values.yaml"
MONITORS_RELEASE = "istio-monitors"
MONITORS_DIR = "manifests/monitors"
MONITOR_API_VERSION = "monitoring.coreos.com/v1"
POD_MONITOR = "envoy-stats-monitor"
SERVICE_MONITOR = "istio-component-monitor"
#: The Service port kube-prometheus-stack gives its Prometheus (`prometheus.service.port`).
PROMETHEUS_PORT = 9090
#: (kind, `prometheusSpec` selector key) of each monitor kind.
SELECTOR_KEYS = {"PodMonitor": "podMonitorSelector", "ServiceMonitor": "serviceMonitorSelector"}


def stack(config: MeshConfig) -> KubePrometheusStack | None:
    """The kube-prometheus-stack section when the config uses that stack."""
    return config.monitoring.kube_prometheus_stack if config.monitoring.operator else None


def prometheus_settings(config: MeshConfig) -> Prometheus:
    """`monitoring.prometheus`, or its defaults when the config leaves it out."""
    return config.monitoring.prometheus or Prometheus()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def fullname(release: str, values: Mapping[str, Any]) -> str:
    """`kube-prometheus-stack.fullname` (88.5.3 `_helpers.tpl`): cut to 26 characters."""
    override = values.get("fullnameOverride")
    if isinstance(override, str) and override:
        return override[:26].rstrip("-")
    name = values.get("nameOverride") or CHART
    full = release if str(name) in release else f"{release}-{name}"
    return full[:26].rstrip("-")


def prometheus_service(config: MeshConfig) -> tuple[str, str, int]:
    """(name, namespace, port) of the stack's Prometheus Service (`<fullname>-prometheus`)."""
    section = stack(config)
    assert section is not None
    values = stack_values_without_grafana(config)
    port = _mapping(_mapping(values.get("prometheus")).get("service")).get("port", PROMETHEUS_PORT)
    namespace = values.get("namespaceOverride")
    return (
        f"{fullname(section.release, values)}-prometheus",
        namespace if isinstance(namespace, str) and namespace else config.monitoring.namespace,
        int(port),
    )


def service_url(config: MeshConfig) -> str:
    name, namespace, port = prometheus_service(config)
    return f"http://{name}.{namespace}.svc.cluster.local:{port}"


def prometheus_section(config: MeshConfig) -> dict[str, Any]:
    """The stack's `prometheus:` section: the Prometheus custom resource's spec."""
    prometheus = prometheus_settings(config)
    section: dict[str, Any] = {
        "prometheusSpec": {
            "scrapeInterval": prometheus.scrape_interval,
            "retention": prometheus.retention,
            # Keep Prometheus out of the mesh even if its namespace is ever labelled.
            "podMetadata": {"labels": {"sidecar.istio.io/inject": "false"}},
        }
    }
    return deep_merge(section, prometheus.values)


def grafana_section(config: MeshConfig, grafana_values: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stack's `grafana:` section: the grafana chart values meshgen renders, or disabled.

    meshgen provisions its own datasource (the one the dashboards are bound to), so the
    stack's default datasource is turned off: two default datasources stop Grafana.
    """
    if grafana_values is None:
        return {"enabled": False}
    own = {"sidecar": {"datasources": {"defaultDatasourceEnabled": False}}}
    return deep_merge(own, grafana_values)


def stack_values_without_grafana(config: MeshConfig) -> dict[str, Any]:
    """The stack's values but `grafana:` (names and selectors depend on these only)."""
    section = stack(config)
    assert section is not None
    values = {"prometheus": prometheus_section(config)}
    return deep_merge(values, section.values)


def stack_values(config: MeshConfig, grafana_values: Mapping[str, Any] | None) -> dict[str, Any]:
    section = stack(config)
    assert section is not None
    values: dict[str, Any] = {
        "prometheus": prometheus_section(config),
        "grafana": grafana_section(config, grafana_values),
    }
    return deep_merge(values, section.values)


# --- selectors -----------------------------------------------------------------------------


def monitor_selector(values: Mapping[str, Any], release: str | None, kind: str) -> dict[str, Any]:
    """The label selector the stack's Prometheus custom resource gets for `kind` monitors.

    88.5.3 `templates/prometheus/prometheus.yaml`: `prometheusSpec.<kind>Selector` when set
    (non-empty), else `matchLabels: {release: <release>}` when
    `<kind>SelectorNilUsesHelmValues` (default true), else `{}` (every monitor). `release`
    None: the release name is not known (`{"release": None}` in the result).
    """
    spec = _mapping(_mapping(values.get("prometheus")).get("prometheusSpec"))
    key = SELECTOR_KEYS[kind]
    chosen = spec.get(key)
    if isinstance(chosen, Mapping) and chosen:
        return dict(chosen)
    if spec.get(f"{key}NilUsesHelmValues", True) is not False:
        return {"matchLabels": {"release": release}}
    return {}


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions) matches `labels`."""
    for key, value in _mapping(selector.get("matchLabels")).items():
        if labels.get(str(key)) != (None if value is None else str(value)):
            return False
    expressions = selector.get("matchExpressions")
    for expression in expressions if isinstance(expressions, list) else ():
        expr = _mapping(expression)
        key, operator = str(expr.get("key")), expr.get("operator")
        listed = expr.get("values")
        wanted = {str(v) for v in listed} if isinstance(listed, list) else set()
        present = key in labels
        if operator == "In" and not (present and labels[key] in wanted):
            return False
        if operator == "NotIn" and present and labels[key] in wanted:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def labels_for(selector: Mapping[str, Any]) -> dict[str, str]:
    """Labels that satisfy `selector` where it asks for labels (matchLabels, In, Exists)."""
    labels = {
        str(k): str(v) for k, v in _mapping(selector.get("matchLabels")).items() if v is not None
    }
    expressions = selector.get("matchExpressions")
    for expression in expressions if isinstance(expressions, list) else ():
        expr = _mapping(expression)
        key, values = str(expr.get("key")), expr.get("values")
        if expr.get("operator") == "In" and isinstance(values, list) and values:
            labels.setdefault(key, str(values[0]))
        elif expr.get("operator") == "Exists":
            labels.setdefault(key, "true")
    return labels


# --- monitors ------------------------------------------------------------------------------


def _relabel_address() -> list[dict[str, Any]]:
    """The pod's `prometheus.io/port` annotation as the scrape port (IPv6 and IPv4 forms)."""
    return [
        {
            "action": "replace",
            "regex": r"(\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})",
            "replacement": "[$2]:$1",
            "sourceLabels": [
                "__meta_kubernetes_pod_annotation_prometheus_io_port",
                "__meta_kubernetes_pod_ip",
            ],
            "targetLabel": "__address__",
        },
        {
            "action": "replace",
            "regex": r"(\d+);((([0-9]+?)(\.|$)){4})",
            "replacement": "$2:$1",
            "sourceLabels": [
                "__meta_kubernetes_pod_annotation_prometheus_io_port",
                "__meta_kubernetes_pod_ip",
            ],
            "targetLabel": "__address__",
        },
    ]


def pod_monitor(config: MeshConfig, labels: Mapping[str, str]) -> dict[str, Any]:
    """The sidecars' merged metrics endpoint (`:15020/stats/prometheus`, from the injector's
    `prometheus.io/*` annotations), as Istio's `envoy-stats-monitor`."""
    prometheus = prometheus_settings(config)
    endpoint: dict[str, Any] = {
        "path": "/stats/prometheus",
        "interval": prometheus.scrape_interval,
        "relabelings": [
            {
                "action": "keep",
                "sourceLabels": ["__meta_kubernetes_pod_container_name"],
                "regex": "istio-proxy",
            },
            {
                "action": "keep",
                "sourceLabels": ["__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape"],
            },
            *_relabel_address(),
            {"action": "labeldrop", "regex": "__meta_kubernetes_pod_label_(.+)"},
            {
                "sourceLabels": ["__meta_kubernetes_namespace"],
                "action": "replace",
                "targetLabel": "namespace",
            },
            {
                "sourceLabels": ["__meta_kubernetes_pod_name"],
                "action": "replace",
                "targetLabel": "pod",
            },
        ],
    }
    endpoints = [endpoint]
    if prometheus.istio_scraping.envoy_stats:
        # Envoy's own port, for meshes with metrics merging off (istio.io docs).
        endpoints.append(
            {"port": "http-envoy-prom", "path": "/stats/prometheus", "interval": endpoint["interval"]}
        )
    return {
        "apiVersion": MONITOR_API_VERSION,
        "kind": "PodMonitor",
        "metadata": {
            "name": POD_MONITOR,
            "namespace": config.istio.namespace,
            "labels": {"monitoring": "istio-proxies", **labels},
        },
        "spec": {
            "selector": {
                "matchExpressions": [{"key": "istio-prometheus-ignore", "operator": "DoesNotExist"}]
            },
            "namespaceSelector": {"any": True},
            "jobLabel": "envoy-stats",
            "podMetricsEndpoints": endpoints,
        },
    }


def service_monitor(config: MeshConfig, labels: Mapping[str, str]) -> dict[str, Any]:
    """istiod's `http-monitoring` port, as Istio's `istio-component-monitor`.

    Selected by the `istio: pilot` label, which the istiod chart puts on its Service for
    every revision (`istiod` or `istiod-<revision>`): the monitor survives a revision.
    """
    prometheus = prometheus_settings(config)
    return {
        "apiVersion": MONITOR_API_VERSION,
        "kind": "ServiceMonitor",
        "metadata": {
            "name": SERVICE_MONITOR,
            "namespace": config.istio.namespace,
            "labels": {"monitoring": "istio-components", **labels},
        },
        "spec": {
            "jobLabel": "istio",
            "targetLabels": ["app"],
            "selector": {
                "matchExpressions": [{"key": "istio", "operator": "In", "values": ["pilot"]}]
            },
            "namespaceSelector": {"matchNames": [config.istio.namespace]},
            "endpoints": [{"port": "http-monitoring", "interval": prometheus.scrape_interval}],
        },
    }


def monitors(config: MeshConfig) -> list[dict[str, Any]]:
    """Istio's monitors, each labelled for the selector of the stack's Prometheus."""
    section = stack(config)
    if section is None:
        return []
    values = stack_values_without_grafana(config)
    if _mapping(values.get("prometheus")).get("enabled", True) is False:
        return []
    out = [pod_monitor(config, labels_for(monitor_selector(values, section.release, "PodMonitor")))]
    if prometheus_settings(config).istio_scraping.istiod:
        labels = labels_for(monitor_selector(values, section.release, "ServiceMonitor"))
        out.append(service_monitor(config, labels))
    return out


def monitor_file(kind: str) -> str:
    return f"{MONITORS_DIR}/{kind.lower()}.yaml"


# --- helmfile --------------------------------------------------------------------------------


def repositories(config: MeshConfig) -> list[tuple[str, str]]:
    section = stack(config)
    return [(REPO, section.repository)] if section is not None else []


Placed = Callable[[str, list[str]], dict[str, Any]]
ChartSource = Callable[[RenderInputs, str, str, str, str | None], dict[str, Any]]


def releases(inputs: RenderInputs, placed: Placed, chart_source: ChartSource) -> list[dict[str, Any]]:
    """The stack's release and the monitors release that needs it (its CRDs)."""
    config = inputs.config
    section = stack(config)
    if section is None:
        return []
    mon_ns = config.monitoring.namespace
    out: list[dict[str, Any]] = [
        {
            "name": section.release,
            "namespace": mon_ns,
            **chart_source(inputs, REPO, section.repository, CHART, section.chart_version),
            **placed(mon_ns, []),
            # The monitors need the operator's CRDs in place (reference stacks 1).
            "wait": True,
            "labels": {"tier": "monitoring", "component": CHART},
            "values": [VALUES],
        }
    ]
    if monitors(config):
        out.append(
            {
                "name": MONITORS_RELEASE,
                "namespace": config.istio.namespace,
                "chart": f"./{MONITORS_DIR}",
                "needs": [f"{mon_ns}/{section.release}"],
                # PodMonitor/ServiceMonitor CRDs come from the stack: helm-diff cannot
                # validate them on a fresh cluster.
                "disableValidationOnInstall": True,
                "labels": {"tier": "monitoring", "component": MONITORS_RELEASE},
            }
        )
    return out


# --- files -------------------------------------------------------------------------------------


def render(inputs: RenderInputs, generated: Mapping[str, str]) -> list[RenderedFile]:
    config = inputs.config
    section = stack(config)
    if section is None:
        return []
    from meshgen.render.grafana import grafana_values

    grafana = config.monitoring.grafana
    own = (
        grafana_values(config, grafana, inputs.dashboard_files, generated)
        if grafana is not None
        else None
    )
    files = [
        build_file(
            inputs,
            VALUES,
            "values/kube-prometheus-stack-values.yaml.j2",
            [stack_values(config, own)],
            origin=("monitoring", "kubePrometheusStack"),
            monitors_release=MONITORS_RELEASE,
        )
    ]
    for monitor in monitors(config):
        files.append(
            build_file(
                inputs,
                monitor_file(monitor["kind"]),
                "manifests/monitor.yaml.j2",
                [monitor],
                origin=("monitoring", "prometheus"),
                stack_release=section.release,
            )
        )
    return files

