"""`monitoring.stack: kube-prometheus-stack`: the stack's values and Istio's monitors.

One kube-prometheus-stack release replaces the prometheus and grafana releases:
`values/kube-prometheus-stack-values.yaml` sets its Prometheus custom resource
(`prometheus.prometheusSpec`, from `monitoring.prometheus`) and its grafana subchart
(`grafana:`, the same values meshgen renders for the grafana chart). Istio is scraped by
Prometheus Operator objects modelled on Istio's own (samples/addons/extras/
prometheus-operator.yaml): a PodMonitor for the sidecars' merged metrics endpoint and a
ServiceMonitor for istiod, in `manifests/monitors/`, a release that needs the stack (the
operator's CRDs come with it); in ambient mode also PodMonitors for ztunnel and the
waypoints (render/ambient_monitors.py). The monitors carry the labels the stack's
Prometheus selects: `release: <stack release>` under the chart default
`*SelectorNilUsesHelmValues: true`, or what a selector set in the values asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from meshgen.knowledge.kube_prometheus_stack import (
    labels_for,
    monitor_selector,
    prometheus_enabled,
)
from meshgen.load.values import merge_values
from meshgen.models import MeshConfig
from meshgen.render import ambient_monitors
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import Carried, RenderedFile
from meshgen.render.stack_names import (
    prometheus_section,
    prometheus_service,
    prometheus_settings,
    service_url,
    stack,
    stack_values_without_grafana,
)

CHART = "kube-prometheus-stack"
REPO = "prometheus-community"
VALUES = "values/kube-prometheus-stack-values.yaml"
MONITORS_RELEASE = "istio-monitors"
MONITORS_DIR = "manifests/monitors"
MONITOR_API_VERSION = "monitoring.coreos.com/v1"
POD_MONITOR = "envoy-stats-monitor"
SERVICE_MONITOR = "istio-component-monitor"


def grafana_section(config: MeshConfig, grafana_values: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stack's `grafana:` section: the grafana chart values meshgen renders, or disabled.

    meshgen provisions its own datasource (the one the dashboards are bound to), so the
    stack's datasource sidecar is turned off: its default datasource would be a second
    default one, which stops Grafana, and datasources then come from one place only.
    """
    if grafana_values is None:
        return {"enabled": False}
    own = {"sidecar": {"datasources": {"enabled": False}}}
    return merge_values(own, grafana_values)


def stack_values(config: MeshConfig, grafana_values: Mapping[str, Any] | None) -> dict[str, Any]:
    section = stack(config)
    assert section is not None
    values: dict[str, Any] = {
        "prometheus": prometheus_section(config),
        "grafana": grafana_section(config, grafana_values),
    }
    return merge_values(values, section.values)


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
    """The sidecars' merged metrics endpoint, as Istio's `envoy-stats-monitor`.

    Port and path come from the injector's `prometheus.io/*` pod annotations: with metrics
    merging on, `:15020/stats/prometheus`.
    """
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
            # Ambient: ztunnel runs an `istio-proxy` container too; its own monitor reads it.
            *(ambient_monitors.sidecar_relabel_exclusions(config) if config.ambient else ()),
            {"action": "labeldrop", "regex": "__meta_kubernetes_pod_label_(.+)"},
            *ambient_monitors.pod_target_labels(),
        ],
    }
    endpoints = [endpoint]
    if prometheus.istio_scraping.envoy_stats:
        # Envoy's own port, for meshes with metrics merging off (istio.io docs).
        endpoints.append(
            {
                "port": "http-envoy-prom",
                "path": "/stats/prometheus",
                "interval": endpoint["interval"],
            }
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
                "matchExpressions": [
                    {"key": "istio-prometheus-ignore", "operator": "DoesNotExist"},
                    # Ambient: waypoint pods are the waypoint monitor's.
                    *(ambient_monitors.sidecar_selector_exclusions() if config.ambient else ()),
                ]
            },
            "namespaceSelector": {"any": True},
            "jobLabel": "envoy-stats",
            "podMetricsEndpoints": endpoints,
        },
    }


def service_monitor(config: MeshConfig, labels: Mapping[str, str]) -> dict[str, Any]:
    """Istiod's `http-monitoring` port, as Istio's `istio-component-monitor`.

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
    if not prometheus_enabled(values):
        return []
    out = [pod_monitor(config, labels_for(monitor_selector(values, section.release, "PodMonitor")))]
    if prometheus_settings(config).istio_scraping.istiod:
        labels = labels_for(monitor_selector(values, section.release, "ServiceMonitor"))
        out.append(service_monitor(config, labels))
    pod_labels = labels_for(monitor_selector(values, section.release, "PodMonitor"))
    out += ambient_monitors.monitors(config, pod_labels)
    return out


def monitor_file(kind: str) -> str:
    return f"{MONITORS_DIR}/{kind.lower()}.yaml"


def monitor_path(monitor: Mapping[str, Any]) -> str:
    """The file a rendered monitor goes to (Istio's two by kind, ambient's by name)."""
    name = monitor["metadata"]["name"]
    return ambient_monitors.FILES.get(name) or monitor_file(monitor["kind"])


#: Every file a monitor may be rendered to (what the checks read back).
MONITOR_FILES = (
    monitor_file("PodMonitor"),
    monitor_file("ServiceMonitor"),
    *ambient_monitors.FILES.values(),
)


# --- helmfile --------------------------------------------------------------------------------


def repositories(config: MeshConfig) -> list[tuple[str, str]]:
    section = stack(config)
    return [(REPO, section.repository)] if section is not None else []


Placed = Callable[[str, list[str]], dict[str, Any]]
ChartSource = Callable[[RenderInputs, str, str, str, str | None], dict[str, Any]]


def releases(
    inputs: RenderInputs, placed: Placed, chart_source: ChartSource
) -> list[dict[str, Any]]:
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


def render(
    inputs: RenderInputs, generated: Mapping[str, str], carried: Carried = ()
) -> list[RenderedFile]:
    """The stack's values (and its CRDs); `carried`: the generated dashboards, for the checks."""
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
            carried=carried if grafana is not None and not grafana.config_maps else (),
            monitors_release=MONITORS_RELEASE,
        )
    ]
    for monitor in monitors(config):
        files.append(
            build_file(
                inputs,
                monitor_path(monitor),
                "manifests/monitor.yaml.j2",
                [monitor],
                origin=("monitoring", "prometheus"),
                stack_release=section.release,
            )
        )
    return files


__all__ = [
    "prometheus_section",
    "prometheus_service",
    "prometheus_settings",
    "service_url",
    "stack",
    "stack_values_without_grafana",
]
