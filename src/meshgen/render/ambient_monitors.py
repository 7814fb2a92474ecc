"""Ambient + kube-prometheus-stack: PodMonitors for ztunnel and the waypoints.

With `monitoring.stack: kube-prometheus-stack` nothing scrapes by `prometheus.io/*`
annotations, so ambient's two metric sources get PodMonitors of their own, beside Istio's
`envoy-stats-monitor` for the sidecars (render/kube_prometheus_stack.py):

- `ztunnel-monitor`: the ztunnel chart's pods (`app: ztunnel`, fixed by its DaemonSet
  selector, in the Istio namespace), port `ztunnel-stats` (:15020), path `/metrics` (the
  chart annotates port 15020 and no path: Prometheus' default path). Like the plain stack's
  `ztunnel` job, it maps the pod labels onto the series: the Ztunnel dashboard (grafana.com
  21306) selects `app="ztunnel"` and `pod=~"ztunnel-.*"`.
- `waypoint-monitor`: the pods istiod deploys for every Gateway of class `istio-waypoint`
  (istiod `files/waypoint.yaml` labels them `gateway.networking.k8s.io/gateway-class-name`),
  in any namespace, port `metrics` (:15020), path `/stats/prometheus` (the merged metrics
  the template's own `prometheus.io/*` annotations name).

Both run the `istio-proxy` container and carry a `prometheus.io/scrape` annotation, so
Istio's sidecar monitor (keep container `istio-proxy` with that annotation present) would
keep them too: in ambient mode it leaves out waypoint pods by label (the two monitors split
pods by the class label) and drops ztunnel's targets, so no series is scraped twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshgen.models import MeshConfig
from meshgen.models.ambient import WAYPOINT_CLASS
from meshgen.render.ambient import (
    WAYPOINT_CLASS_LABEL,
    WAYPOINT_METRICS_PATH,
    WAYPOINT_METRICS_PORT,
    ZTUNNEL_APP,
    ZTUNNEL_METRICS_PATH,
    ZTUNNEL_METRICS_PORT,
)
from meshgen.render.stack_names import prometheus_settings

MONITOR_API_VERSION = "monitoring.coreos.com/v1"
ZTUNNEL_MONITOR = "ztunnel-monitor"
WAYPOINT_MONITOR = "waypoint-monitor"
#: Where each monitor is rendered (beside podmonitor.yaml and servicemonitor.yaml).
FILES = {
    ZTUNNEL_MONITOR: "manifests/monitors/ztunnel-podmonitor.yaml",
    WAYPOINT_MONITOR: "manifests/monitors/waypoint-podmonitor.yaml",
}


def pod_target_labels() -> list[dict[str, Any]]:
    """Relabelings that give every scraped series its pod's `namespace` and `pod` labels."""
    return [
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
    ]


def ztunnel_pod_monitor(config: MeshConfig, labels: Mapping[str, str]) -> dict[str, Any]:
    """The ztunnel pods' `ztunnel-stats` port (:15020/metrics), its series labelled as the job's."""
    namespace = config.istio.namespace
    return {
        "apiVersion": MONITOR_API_VERSION,
        "kind": "PodMonitor",
        "metadata": {
            "name": ZTUNNEL_MONITOR,
            "namespace": namespace,
            "labels": {"monitoring": "istio-ztunnel", **labels},
        },
        "spec": {
            "selector": {"matchLabels": {"app": ZTUNNEL_APP}},
            "namespaceSelector": {"matchNames": [namespace]},
            # job="ztunnel", as the plain stack's job is named.
            "jobLabel": "app",
            "podMetricsEndpoints": [
                {
                    "port": ZTUNNEL_METRICS_PORT,
                    "path": ZTUNNEL_METRICS_PATH,
                    "interval": prometheus_settings(config).scrape_interval,
                    "relabelings": [
                        {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
                        *pod_target_labels(),
                        {
                            "sourceLabels": ["__meta_kubernetes_pod_node_name"],
                            "action": "replace",
                            "targetLabel": "node",
                        },
                    ],
                }
            ],
        },
    }


def waypoint_pod_monitor(config: MeshConfig, labels: Mapping[str, str]) -> dict[str, Any]:
    """Every waypoint's merged metrics (:15020/stats/prometheus), in any namespace."""
    return {
        "apiVersion": MONITOR_API_VERSION,
        "kind": "PodMonitor",
        "metadata": {
            "name": WAYPOINT_MONITOR,
            "namespace": config.istio.namespace,
            "labels": {"monitoring": "istio-waypoints", **labels},
        },
        "spec": {
            "selector": {"matchLabels": {WAYPOINT_CLASS_LABEL: WAYPOINT_CLASS}},
            "namespaceSelector": {"any": True},
            # job="istio-waypoint": the class label's value.
            "jobLabel": WAYPOINT_CLASS_LABEL,
            "podMetricsEndpoints": [
                {
                    "port": WAYPOINT_METRICS_PORT,
                    "path": WAYPOINT_METRICS_PATH,
                    "interval": prometheus_settings(config).scrape_interval,
                    "relabelings": pod_target_labels(),
                }
            ],
        },
    }


def monitors(config: MeshConfig, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The ambient PodMonitors (none for a sidecar mesh), labelled `labels`."""
    if not config.ambient:
        return []
    out = []
    if prometheus_settings(config).istio_scraping.ztunnel:
        out.append(ztunnel_pod_monitor(config, labels))
    out.append(waypoint_pod_monitor(config, labels))
    return out


def sidecar_selector_exclusions() -> list[dict[str, Any]]:
    """Selector expressions keeping waypoint pods out of the sidecar monitor (ambient)."""
    return [{"key": WAYPOINT_CLASS_LABEL, "operator": "NotIn", "values": [WAYPOINT_CLASS]}]


def sidecar_relabel_exclusions(config: MeshConfig) -> list[dict[str, Any]]:
    """Relabelings dropping ztunnel's pods from the sidecar monitor (ambient)."""
    return [
        {
            "action": "drop",
            "sourceLabels": ["__meta_kubernetes_namespace", "__meta_kubernetes_pod_label_app"],
            "regex": f"{config.istio.namespace};{ZTUNNEL_APP}",
        }
    ]
