"""Names and Prometheus settings of a kube-prometheus-stack release, shared by renderers.

Apart from `kube_prometheus_stack` so that the grafana datasource (`prometheus.service_url`)
can name the stack's Prometheus Service without importing the stack's renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshgen.knowledge.kube_prometheus_stack import PROMETHEUS_PORT, fullname
from meshgen.load.values import merge_values
from meshgen.models import MeshConfig, Prometheus
from meshgen.models.monitoring import KubePrometheusStack


def stack(config: MeshConfig) -> KubePrometheusStack | None:
    """The kube-prometheus-stack section when the config uses that stack."""
    return config.monitoring.kube_prometheus_stack if config.monitoring.operator else None


def prometheus_settings(config: MeshConfig) -> Prometheus:
    """`monitoring.prometheus`, or its defaults when the config leaves it out."""
    return config.monitoring.prometheus or Prometheus()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


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
    return merge_values(section, prometheus.values)


def stack_values_without_grafana(config: MeshConfig) -> dict[str, Any]:
    """The stack's values but `grafana:` (names and selectors depend on these only)."""
    section = stack(config)
    assert section is not None
    values = {"prometheus": prometheus_section(config)}
    return merge_values(values, section.values)
