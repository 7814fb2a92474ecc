"""Names of the releases and files meshgen renders, shared by every renderer and check."""

from __future__ import annotations

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


def prometheus_service(release: str) -> str:
    """Service name the prometheus chart creates (`prometheus.server.fullname`, chart 29.x)."""
    return f"{release}-server" if "prometheus" in release else f"{release}-prometheus-server"


def dashboard_provider_path(provider: str) -> str:
    return f"{GRAFANA_DASHBOARD_ROOT}/{provider}"
