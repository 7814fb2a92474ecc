"""What Kiali's traffic graph needs of Istio's standard metrics (reference stacks.md 3).

Source: kiali/kiali `graph/telemetry/istio/istio.go` ("missing expected TS labels"): the
graph drops every `istio_requests_total` series that lacks `request_protocol`,
`response_code` or one of the canonical workload/service labels, and request and TCP series
without `response_flags`. Kiali's maintainers will not draw partial graphs (kiali#3496), so
removing one of these labels with a Telemetry `tagOverrides` REMOVE empties the graph
wherever the removal applies.

The same facts are kept by the grafana checks' G113 (`GRAPH_LABELS` there); the two tables
are to be unified into this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: The workload and service identity labels every graph series must carry.
KIALI_CANONICAL_LABELS: frozenset[str] = frozenset(
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

#: Telemetry metric (`match.metric`) -> the labels without which Kiali's graph drops its series.
KIALI_GRAPH_LABELS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "REQUEST_COUNT": KIALI_CANONICAL_LABELS
        | {"request_protocol", "response_code", "response_flags"},
        "TCP_SENT_BYTES": KIALI_CANONICAL_LABELS | {"response_flags"},
        "TCP_RECEIVED_BYTES": KIALI_CANONICAL_LABELS | {"response_flags"},
    }
)

#: The Prometheus series of each of those metrics, as Kiali queries them.
KIALI_GRAPH_SERIES: Mapping[str, str] = MappingProxyType(
    {
        "REQUEST_COUNT": "istio_requests_total",
        "TCP_SENT_BYTES": "istio_tcp_sent_bytes_total",
        "TCP_RECEIVED_BYTES": "istio_tcp_received_bytes_total",
    }
)

#: Kiali's own default `external_services.grafana.dashboards` (kiali/kiali `config/config.go`):
#: Istio dashboard title -> the Grafana variables Kiali's links fill in.
KIALI_DASHBOARD_VARIABLES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "Istio Service Dashboard": {"namespace": "var-namespace", "service": "var-service"},
        "Istio Workload Dashboard": {"namespace": "var-namespace", "workload": "var-workload"},
        "Istio Mesh Dashboard": {},
        "Istio Control Plane Dashboard": {},
        "Istio Performance Dashboard": {},
        "Istio Wasm Extension Dashboard": {},
    }
)
