"""What Istio's Grafana dashboards read, per panel (Istio 1.30.3, reference 5 and 5.1).

A typed record of the five dashboards Istio publishes on grafana.com (Mesh 7639, Service
7636, Workload 7630, Performance 11829, Control Plane 7645): for each panel and template
variable, the metrics its PromQL reads, the labels it needs on them (matchers, `by`/`on`
clauses, `label_values`, `label_join` sources), and which `reporter` values one evaluation
sums (a *view*). A `$qrep`-driven query offers one view per reporter the user can pick.

meshgen cannot read a grafana.com dashboard (it is downloaded in the cluster), so checks
use this record for them. `tests/test_dashboards_upstream.py` rebuilds it from the real
dashboard JSON of istio/istio 1.30.3 and fails on any difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from meshgen.analysis.promql import LabelMatcher, MatchOp
from meshgen.records import record

#: Labels that say which workload reported a series; literal matchers on them narrow a read.
SCOPE_LABELS = frozenset(
    {
        "source_workload",
        "source_workload_namespace",
        "destination_workload",
        "destination_workload_namespace",
    }
)

View = tuple[str, ...]

#: Views: no reporter matcher sums every reporter; `$qrep` lets the user pick one side.
ANY: tuple[View, ...] = (("destination", "source", "waypoint"),)
SOURCE: tuple[View, ...] = (("source",),)
DESTINATION: tuple[View, ...] = (("destination",),)
CLIENT_SIDE: tuple[View, ...] = (("source", "waypoint"),)
QREP: tuple[View, ...] = (("source",), ("destination",))


@record(slots=True)
class Read:
    """One metric a panel reads, the labels it needs, and the reporter views it sums."""

    metric: str
    labels: frozenset[str]
    views: tuple[View, ...] = ANY
    #: Literal matchers on `SCOPE_LABELS` (e.g. `source_workload="istio-ingressgateway"`).
    where: tuple[LabelMatcher, ...] = ()


@record(slots=True)
class Panel:
    """A panel (or, with `variable`, a template variable) and what it reads."""

    title: str
    reads: tuple[Read, ...]
    variable: bool = False

    @property
    def label(self) -> str:
        return f"variable ${self.title}" if self.variable else f"panel {self.title!r}"


@record(slots=True)
class IstioDashboard:
    """One of Istio's dashboards: identity on grafana.com and in the repo, and its reads."""

    key: str
    title: str
    gnet_id: int
    #: File name under `manifests/addons/dashboards/` at 1.30.3.
    file: str
    #: The dashboard's top-level `uid` (None: Grafana assigns one).
    uid: str | None
    panels: tuple[Panel, ...]

    @property
    def metrics(self) -> frozenset[str]:
        return frozenset(r.metric for p in self.panels for r in p.reads)

    def labels_of(self, metric: str) -> frozenset[str]:
        """Every label any panel reads on `metric`."""
        labels: set[str] = set()
        for panel in self.panels:
            for read in panel.reads:
                if read.metric == metric:
                    labels |= read.labels
        return frozenset(labels)

    def views_of(self, metric: str) -> frozenset[View]:
        """Every reporter view any panel reads `metric` in."""
        return frozenset(
            v for p in self.panels for r in p.reads if r.metric == metric for v in r.views
        )


def _l(*labels: str) -> frozenset[str]:
    return frozenset(labels)


def _m(name: str, op: MatchOp, value: str) -> LabelMatcher:
    return LabelMatcher(name, op, value)


# Generated from the 1.30.3 JSON with `meshgen.analysis.dashboards.panels_of`, then kept
# as data; the upstream test rebuilds it and compares.
MESH = IstioDashboard(
    key="mesh",
    title="Istio Mesh Dashboard",
    gnet_id=7639,
    file="istio-mesh-dashboard.gen.json",
    uid="1a9a8ea49444aae205c7737573e894f9",
    panels=(
        Panel(
            "Traffic Volume",
            (Read("istio_requests_total", _l("reporter"), CLIENT_SIDE),),
        ),
        Panel(
            "Success Rate",
            (Read("istio_requests_total", _l("reporter", "response_code"), CLIENT_SIDE),),
        ),
        Panel(
            "4xxs",
            (Read("istio_requests_total", _l("reporter", "response_code"), CLIENT_SIDE),),
        ),
        Panel(
            "5xxs",
            (Read("istio_requests_total", _l("reporter", "response_code"), CLIENT_SIDE),),
        ),
        Panel(
            "HTTP/gRPC Workloads",
            (
                Read(
                    "istio_request_duration_milliseconds_bucket",
                    _l("destination_workload", "destination_workload_namespace", "le", "reporter"),
                    CLIENT_SIDE,
                ),
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "response_code",
                    ),
                    CLIENT_SIDE,
                ),
            ),
        ),
        Panel(
            "TCP Workloads",
            (
                Read(
                    "istio_tcp_received_bytes_total",
                    _l(
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                    ),
                    CLIENT_SIDE,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                    ),
                    CLIENT_SIDE,
                ),
            ),
        ),
        Panel(
            "Istio Component Versions",
            (Read("istio_build", _l("component", "tag")),),
        ),
    ),
)

SERVICE = IstioDashboard(
    key="service",
    title="Istio Service Dashboard",
    gnet_id=7636,
    file="istio-service-dashboard.json",
    uid=None,
    panels=(
        Panel(
            "Client Request Volume",
            (Read("istio_requests_total", _l("destination_service", "reporter"), QREP),),
        ),
        Panel(
            "Client Success Rate (non-5xx responses)",
            (
                Read(
                    "istio_requests_total",
                    _l("destination_service", "reporter", "response_code"),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Client Request Duration",
            (
                Read(
                    "istio_request_duration_milliseconds_bucket",
                    _l("destination_service", "le", "reporter"),
                    QREP,
                ),
                Read(
                    "istio_request_duration_seconds_bucket",
                    _l("destination_service", "le", "reporter"),
                    QREP,
                ),
            ),
        ),
        Panel(
            "TCP Received Bytes",
            (Read("istio_tcp_received_bytes_total", _l("destination_service", "reporter"), QREP),),
        ),
        Panel(
            "Server Request Volume",
            (Read("istio_requests_total", _l("destination_service", "reporter"), DESTINATION),),
        ),
        Panel(
            "Server Success Rate (non-5xx responses)",
            (
                Read(
                    "istio_requests_total",
                    _l("destination_service", "reporter", "response_code"),
                    DESTINATION,
                ),
            ),
        ),
        Panel(
            "Server Request Duration",
            (
                Read(
                    "istio_request_duration_milliseconds_bucket",
                    _l("destination_service", "le", "reporter"),
                    DESTINATION,
                ),
                Read(
                    "istio_request_duration_seconds_bucket",
                    _l("destination_service", "le", "reporter"),
                    DESTINATION,
                ),
            ),
        ),
        Panel(
            "TCP Sent Bytes",
            (Read("istio_tcp_sent_bytes_total", _l("destination_service", "reporter"), QREP),),
        ),
        Panel(
            "Incoming Requests By Source And Response Code",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "reporter",
                        "response_code",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Success Rate (non-5xx responses) By Source",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "reporter",
                        "response_code",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Request Duration By Source",
            (
                Read(
                    "istio_request_duration_milliseconds_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
                Read(
                    "istio_request_duration_seconds_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Request Size By Source",
            (
                Read(
                    "istio_request_bytes_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Response Size By Source",
            (
                Read(
                    "istio_response_bytes_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Bytes Received from Incoming TCP Connection",
            (
                Read(
                    "istio_tcp_received_bytes_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                    ),
                    DESTINATION,
                ),
                Read(
                    "istio_tcp_received_bytes_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Bytes Sent to Incoming TCP Connection",
            (
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                    ),
                    DESTINATION,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Requests By Destination Workload And Response Code",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "response_code",
                    ),
                    DESTINATION,
                ),
            ),
        ),
        Panel(
            "Incoming Success Rate (non-5xx responses) By Destination Workload",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "response_code",
                    ),
                    DESTINATION,
                ),
            ),
        ),
        Panel(
            "Incoming Request Duration By Service Workload",
            (
                Read(
                    "istio_request_duration_milliseconds_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "le",
                        "reporter",
                    ),
                    DESTINATION,
                ),
                Read(
                    "istio_request_duration_seconds_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "le",
                        "reporter",
                    ),
                    DESTINATION,
                ),
            ),
        ),
        Panel(
            "Incoming Request Size By Service Workload",
            (
                Read(
                    "istio_request_bytes_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "le",
                        "reporter",
                    ),
                    DESTINATION,
                ),
            ),
        ),
        Panel(
            "Response Size By Service Workload",
            (
                Read(
                    "istio_response_bytes_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "le",
                        "reporter",
                    ),
                    DESTINATION,
                ),
            ),
        ),
        Panel(
            "service",
            (
                Read("istio_requests_total", _l("destination_service")),
                Read("istio_tcp_sent_bytes_total", _l("destination_service")),
            ),
            variable=True,
        ),
        Panel(
            "srccluster",
            (
                Read(
                    "istio_requests_total",
                    _l("destination_service", "reporter", "source_cluster"),
                    QREP,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l("destination_service", "reporter", "source_cluster"),
                    QREP,
                ),
            ),
            variable=True,
        ),
        Panel(
            "srcns",
            (
                Read(
                    "istio_requests_total",
                    _l("destination_service", "reporter", "source_workload_namespace"),
                    QREP,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l("destination_service", "reporter", "source_workload_namespace"),
                    QREP,
                ),
            ),
            variable=True,
        ),
        Panel(
            "srcwl",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_service",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "destination_service",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
            variable=True,
        ),
        Panel(
            "dstcluster",
            (
                Read(
                    "istio_requests_total",
                    _l("destination_cluster", "destination_service", "reporter"),
                    DESTINATION,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l("destination_cluster", "destination_service", "reporter"),
                    DESTINATION,
                ),
            ),
            variable=True,
        ),
        Panel(
            "dstns",
            (
                Read(
                    "istio_requests_total",
                    _l("destination_service", "destination_workload_namespace", "reporter"),
                    DESTINATION,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l("destination_service", "destination_workload_namespace", "reporter"),
                    DESTINATION,
                ),
            ),
            variable=True,
        ),
        Panel(
            "dstwl",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_cluster",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                    ),
                    DESTINATION,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "destination_cluster",
                        "destination_service",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                    ),
                    DESTINATION,
                ),
            ),
            variable=True,
        ),
    ),
)

WORKLOAD = IstioDashboard(
    key="workload",
    title="Istio Workload Dashboard",
    gnet_id=7630,
    file="istio-workload-dashboard.json",
    uid=None,
    panels=(
        Panel(
            "Incoming Request Volume",
            (
                Read(
                    "istio_requests_total",
                    _l("destination_workload", "destination_workload_namespace", "reporter"),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Success Rate (non-5xx responses)",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "response_code",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Request Duration",
            (
                Read(
                    "istio_request_duration_milliseconds_bucket",
                    _l("destination_workload", "destination_workload_namespace", "le", "reporter"),
                    QREP,
                ),
                Read(
                    "istio_request_duration_seconds_bucket",
                    _l("destination_workload", "destination_workload_namespace", "le", "reporter"),
                    QREP,
                ),
            ),
        ),
        Panel(
            "TCP Server Traffic",
            (
                Read(
                    "istio_tcp_received_bytes_total",
                    _l("destination_workload", "destination_workload_namespace", "reporter"),
                    QREP,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l("destination_workload", "destination_workload_namespace", "reporter"),
                    QREP,
                ),
            ),
        ),
        Panel(
            "TCP Client Traffic",
            (
                Read(
                    "istio_tcp_received_bytes_total",
                    _l("reporter", "source_workload", "source_workload_namespace"),
                    QREP,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l("reporter", "source_workload", "source_workload_namespace"),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Requests By Source And Response Code",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "connection_security_policy",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "response_code",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Success Rate (non-5xx responses) By Source",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "connection_security_policy",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "response_code",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Request Duration By Source",
            (
                Read(
                    "istio_request_duration_milliseconds_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_workload",
                        "destination_workload_namespace",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
                Read(
                    "istio_request_duration_seconds_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_workload",
                        "destination_workload_namespace",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Incoming Request Size By Source",
            (
                Read(
                    "istio_request_bytes_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_workload",
                        "destination_workload_namespace",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Response Size By Source",
            (
                Read(
                    "istio_response_bytes_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_workload",
                        "destination_workload_namespace",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Bytes Received from Incoming TCP Connection",
            (
                Read(
                    "istio_tcp_received_bytes_total",
                    _l(
                        "connection_security_policy",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Bytes Sent to Incoming TCP Connection",
            (
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "connection_security_policy",
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
        ),
        Panel(
            "Outgoing Requests By Destination And Response Code",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_principal",
                        "destination_service",
                        "reporter",
                        "response_code",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
            ),
        ),
        Panel(
            "Outgoing Success Rate (non-5xx responses) By Destination",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "reporter",
                        "response_code",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
            ),
        ),
        Panel(
            "Outgoing Request Duration By Destination",
            (
                Read(
                    "istio_request_duration_milliseconds_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
                Read(
                    "istio_request_duration_seconds_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
            ),
        ),
        Panel(
            "Outgoing Request Size By Destination",
            (
                Read(
                    "istio_request_bytes_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
            ),
        ),
        Panel(
            "Response Size By Destination",
            (
                Read(
                    "istio_response_bytes_bucket",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "le",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
            ),
        ),
        Panel(
            "Bytes Sent on Outgoing TCP Connection",
            (
                Read(
                    "istio_tcp_received_bytes_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
            ),
        ),
        Panel(
            "Bytes Received from Outgoing TCP Connection",
            (
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "connection_security_policy",
                        "destination_service",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
            ),
        ),
        Panel(
            "namespace",
            (
                Read("istio_requests_total", _l("destination_workload_namespace")),
                Read("istio_tcp_sent_bytes_total", _l("destination_workload_namespace")),
            ),
            variable=True,
        ),
        Panel(
            "workload",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_workload",
                        "destination_workload_namespace",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "destination_workload",
                        "destination_workload_namespace",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                ),
            ),
            variable=True,
        ),
        Panel(
            "srcns",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
            variable=True,
        ),
        Panel(
            "srcwl",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "destination_workload",
                        "destination_workload_namespace",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    QREP,
                ),
            ),
            variable=True,
        ),
        Panel(
            "dstsvc",
            (
                Read(
                    "istio_requests_total",
                    _l(
                        "destination_service",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
                Read(
                    "istio_tcp_sent_bytes_total",
                    _l(
                        "destination_service",
                        "reporter",
                        "source_workload",
                        "source_workload_namespace",
                    ),
                    SOURCE,
                ),
            ),
            variable=True,
        ),
    ),
)

PERFORMANCE = IstioDashboard(
    key="performance",
    title="Istio Performance Dashboard",
    gnet_id=11829,
    file="istio-performance-dashboard.json",
    uid=None,
    panels=(
        Panel(
            "vCPU / 1k rps",
            (
                Read("container_cpu_usage_seconds_total", _l("container", "namespace", "pod")),
                Read(
                    "istio_requests_total",
                    _l("source_workload"),
                    where=(_m("source_workload", "=", "istio-ingressgateway"),),
                ),
                Read("istio_requests_total", frozenset()),
                Read(
                    "istio_requests_total",
                    _l("reporter", "source_workload"),
                    SOURCE,
                    where=(_m("source_workload", "=", "istio-ingressgateway"),),
                ),
            ),
        ),
        Panel(
            "vCPU",
            (
                Read("container_cpu_usage_seconds_total", _l("container", "namespace", "pod")),
                Read("process_cpu_seconds_total", _l("app")),
            ),
        ),
        Panel(
            "Memory Usage",
            (Read("container_memory_working_set_bytes", _l("container", "namespace", "pod")),),
        ),
        Panel(
            "Bytes transferred / sec",
            (
                Read(
                    "istio_request_bytes_sum",
                    _l("reporter", "source_workload_namespace"),
                    SOURCE,
                    where=(_m("source_workload_namespace", "!=", "istio-system"),),
                ),
                Read(
                    "istio_response_bytes_sum",
                    _l("reporter", "source_workload"),
                    SOURCE,
                    where=(_m("source_workload", "=", "istio-ingressgateway"),),
                ),
                Read(
                    "istio_response_bytes_sum",
                    _l("reporter", "source_workload_namespace"),
                    SOURCE,
                    where=(_m("source_workload_namespace", "!=", "istio-system"),),
                ),
            ),
        ),
        Panel(
            "Istio Components by Version",
            (Read("istio_build", _l("component", "tag")),),
        ),
        Panel(
            "Memory",
            (
                Read("container_memory_working_set_bytes", _l("container", "pod")),
                Read("go_memstats_alloc_bytes", _l("app")),
                Read("go_memstats_heap_alloc_bytes", _l("app")),
                Read("go_memstats_heap_inuse_bytes", _l("app")),
                Read("go_memstats_heap_sys_bytes", _l("app")),
                Read("go_memstats_stack_inuse_bytes", _l("app")),
                Read("process_resident_memory_bytes", _l("app")),
                Read("process_virtual_memory_bytes", _l("app")),
            ),
        ),
        Panel(
            "Disk",
            (
                Read("container_fs_usage_bytes", _l("container", "pod")),
                Read("process_open_fds", _l("app")),
            ),
        ),
        Panel(
            "Goroutines",
            (Read("go_goroutines", _l("app")),),
        ),
    ),
)

CONTROL_PLANE = IstioDashboard(
    key="control-plane",
    title="Istio Control Plane Dashboard",
    gnet_id=7645,
    file="pilot-dashboard.gen.json",
    uid="1813f692a8e4ac77155348d4c7d2fba8",
    panels=(
        Panel(
            "Pilot Versions",
            (Read("istio_build", _l("component", "tag")),),
        ),
        Panel(
            "Memory Usage",
            (
                Read("container_memory_working_set_bytes", _l("container", "pod")),
                Read("go_memstats_heap_alloc_bytes", _l("app", "pod")),
                Read("go_memstats_heap_inuse_bytes", _l("app", "pod")),
                Read("go_memstats_stack_inuse_bytes", _l("app", "pod")),
            ),
        ),
        Panel(
            "Memory Allocations",
            (
                Read("go_memstats_alloc_bytes_total", _l("app", "pod")),
                Read("go_memstats_mallocs_total", _l("app", "pod")),
            ),
        ),
        Panel(
            "CPU Usage",
            (Read("container_cpu_usage_seconds_total", _l("container", "pod")),),
        ),
        Panel(
            "Goroutines",
            (Read("go_goroutines", _l("app", "pod")),),
        ),
        Panel(
            "XDS Pushes",
            (Read("pilot_xds_pushes", _l("type")),),
        ),
        Panel(
            "Events",
            (
                Read("pilot_k8s_cfg_events", _l("event", "type")),
                Read("pilot_k8s_reg_events", _l("event", "type")),
                Read("pilot_push_triggers", _l("type")),
            ),
        ),
        Panel(
            "Connections",
            (
                Read("envoy_cluster_upstream_cx_active", _l("cluster_name")),
                Read("pilot_xds", frozenset()),
            ),
        ),
        Panel(
            "Push Errors",
            (
                Read("pilot_total_xds_internal_errors", frozenset()),
                Read("pilot_total_xds_rejects", _l("type")),
            ),
        ),
        Panel(
            "Push Time",
            (Read("pilot_xds_push_time_bucket", _l("le")),),
        ),
        Panel(
            "Push Size",
            (Read("pilot_xds_config_size_bytes_bucket", _l("le")),),
        ),
        Panel(
            "Validation",
            (
                Read("galley_validation_failed", frozenset()),
                Read("galley_validation_passed", frozenset()),
            ),
        ),
        Panel(
            "Injection",
            (
                Read("sidecar_injection_failure_total", frozenset()),
                Read("sidecar_injection_success_total", frozenset()),
            ),
        ),
    ),
)


#: The five dashboards, by grafana.com id.
BY_GNET_ID: Mapping[int, IstioDashboard] = MappingProxyType(
    {d.gnet_id: d for d in (MESH, SERVICE, WORKLOAD, PERFORMANCE, CONTROL_PLANE)}
)


def by_gnet_id(gnet_id: int | None) -> IstioDashboard | None:
    """The record of an Istio grafana.com dashboard, or None for any other id."""
    return BY_GNET_ID.get(gnet_id) if gnet_id is not None else None
