"""What Kiali's traffic graph needs of Istio's standard metrics (reference stacks.md 3).

Kiali builds its graph from `istio_requests_total` and the TCP byte counters and drops every
series that lacks one of the labels below ("missing expected TS labels",
kiali/kiali `graph/telemetry/istio/istio.go`); its maintainers do not draw partial graphs
(kiali#3496). Removing one of them with a Telemetry `tagOverrides` REMOVE therefore empties
the graph wherever the removal applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: Workload and service identity labels every graph series must carry.
CANONICAL_LABELS: frozenset[str] = frozenset(
    {
        "source_workload_namespace",
        "source_workload",
        "source_canonical_service",
        "source_canonical_revision",
        "destination_service_namespace",
        "destination_service",
        "destination_service_name",
        "destination_workload_namespace",
        "destination_workload",
        "destination_canonical_service",
        "destination_canonical_revision",
    }
)

#: Telemetry metric -> the labels Kiali's graph drops its series without.
GRAPH_LABELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "REQUEST_COUNT": CANONICAL_LABELS | {"request_protocol", "response_code", "response_flags"},
        "TCP_SENT_BYTES": CANONICAL_LABELS | {"response_flags"},
        "TCP_RECEIVED_BYTES": CANONICAL_LABELS | {"response_flags"},
    }
)

#: The Prometheus series of each of those metrics, as Kiali queries them.
GRAPH_SERIES: Mapping[str, str] = MappingProxyType(
    {
        "REQUEST_COUNT": "istio_requests_total",
        "TCP_SENT_BYTES": "istio_tcp_sent_bytes_total",
        "TCP_RECEIVED_BYTES": "istio_tcp_received_bytes_total",
    }
)

#: Kiali's own default `external_services.grafana.dashboards` (kiali/kiali `config/config.go`):
#: Istio dashboard title -> the Grafana variables Kiali's links fill in. meshgen lists the
#: Istio dashboards it provisions under these titles (Kiali finds dashboards by name).
DASHBOARD_VARIABLES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "Istio Service Dashboard": {"namespace": "var-namespace", "service": "var-service"},
        "Istio Workload Dashboard": {"namespace": "var-namespace", "workload": "var-workload"},
        "Istio Mesh Dashboard": {},
        "Istio Control Plane Dashboard": {},
        "Istio Performance Dashboard": {},
        "Istio Wasm Extension Dashboard": {},
    }
)
