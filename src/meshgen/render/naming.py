"""Names of the releases and files meshgen renders, shared by every renderer and check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ISTIO_BASE_RELEASE = "istio-base"
ISTIOD_RELEASE = "istiod"
NAMESPACES_RELEASE = "mesh-namespaces"
TELEMETRY_RELEASE = "mesh-telemetry"

HELMFILE = "helmfile.yaml"
ISTIO_BASE_VALUES = "values/istio-base-values.yaml"
ISTIO_VALUES = "values/istio-values.yaml"
PROMETHEUS_VALUES = "values/prometheus-values.yaml"
GRAFANA_VALUES = "values/grafana-values.yaml"
NAMESPACES_DIR = "manifests/namespaces"
TELEMETRY_DIR = "manifests/telemetry"
TRAFFIC_DIR = "traffic"

#: Tiers the Makefile and `--tier` select with helmfile's `-l tier=...`.
TIERS = ("mesh", "monitoring", "app")

GRAFANA_DASHBOARD_ROOT = "/var/lib/grafana/dashboards"
HISTOGRAM_ANNOTATION = "sidecar.istio.io/statsHistogramBuckets"


def service_values(service: str) -> str:
    return f"values/{service}-values.yaml"


def telemetry_file(namespace: str, name: str) -> str:
    return f"{TELEMETRY_DIR}/{namespace}-{name}.yaml"


def namespace_file(name: str) -> str:
    return f"{NAMESPACES_DIR}/{name}.yaml"


def traffic_file(service: str) -> str:
    return f"{TRAFFIC_DIR}/{service}-fortio-job.yaml"


def prometheus_server(
    release: str, namespace: str, values: Mapping[str, Any]
) -> tuple[str, str, int]:
    """(Service name, namespace, port) of the prometheus chart's server.

    `prometheus.server.fullname` (chart 29.x `_helpers.tpl`): `server.fullnameOverride`,
    else `<release>-<server.name>` when the release name contains the chart name
    (`nameOverride`, default `prometheus`), else `<release>-<name>-<server.name>`; cut to 63.
    """
    server = _mapping(values.get("server"))
    override = server.get("fullnameOverride")
    if isinstance(override, str) and override:
        name = override
    else:
        chart = values.get("nameOverride") or "prometheus"
        component = server.get("name") or "server"
        name = f"{release}-{component}" if chart in release else f"{release}-{chart}-{component}"
    name = name[:63].rstrip("-")
    forced = values.get("forceNamespace")
    port = _mapping(server.get("service")).get("servicePort", 80)
    return name, forced if isinstance(forced, str) and forced else namespace, int(port)


def grafana_service(
    release: str, default_namespace: str, values: Mapping[str, Any]
) -> tuple[str, str, int]:
    """(Service name, namespace, port) of the grafana chart (12.x `grafana.fullname`)."""
    override = values.get("fullnameOverride")
    if isinstance(override, str) and override:
        name = override
    else:
        chart = values.get("nameOverride") or "grafana"
        name = release if str(chart) in release else f"{release}-{chart}"
    forced = values.get("namespaceOverride")
    service = values.get("service")
    port = service.get("port", 80) if isinstance(service, Mapping) else 80
    name = name[:63].rstrip("-")
    return name, forced if isinstance(forced, str) and forced else default_namespace, int(port)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def dashboard_provider_path(provider: str) -> str:
    return f"{GRAFANA_DASHBOARD_ROOT}/{provider}"
