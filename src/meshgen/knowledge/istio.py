"""Istio telemetry facts per supported minor version (1.28, 1.29, 1.30).

Everything here is data read from the reference notes (istio-telemetry.md, sections 1.4, 2,
3, 4 and 6), which record istio/istio, istio/api and istio/proxy at tags 1.28.10, 1.29.6 and
1.30.3. Pick the facts of a config with `facts_for(config.istio.version)`; `None` means the
version is not one meshgen knows, and callers fall back to `newest()`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from meshgen.records import record


class IstioMetric(StrEnum):
    """`telemetry.istio.io` `IstioMetric` enum, in proto order (ALL_METRICS = 0)."""

    ALL_METRICS = "ALL_METRICS"
    REQUEST_COUNT = "REQUEST_COUNT"
    REQUEST_DURATION = "REQUEST_DURATION"
    REQUEST_SIZE = "REQUEST_SIZE"
    RESPONSE_SIZE = "RESPONSE_SIZE"
    TCP_OPENED_CONNECTIONS = "TCP_OPENED_CONNECTIONS"
    TCP_CLOSED_CONNECTIONS = "TCP_CLOSED_CONNECTIONS"
    TCP_SENT_BYTES = "TCP_SENT_BYTES"
    TCP_RECEIVED_BYTES = "TCP_RECEIVED_BYTES"
    GRPC_REQUEST_MESSAGES = "GRPC_REQUEST_MESSAGES"
    GRPC_RESPONSE_MESSAGES = "GRPC_RESPONSE_MESSAGES"


class WorkloadMode(StrEnum):
    """`WorkloadMode`: CLIENT is the outbound side (`reporter="source"`), SERVER inbound."""

    CLIENT_AND_SERVER = "CLIENT_AND_SERVER"
    CLIENT = "CLIENT"
    SERVER = "SERVER"


class TagOperation(StrEnum):
    """`MetricsOverrides.TagOverride.Operation`; UPSERT is the default."""

    UPSERT = "UPSERT"
    REMOVE = "REMOVE"


class Protocol(StrEnum):
    """Traffic a standard metric is emitted for (the `request_protocol` label values)."""

    HTTP = "http"
    GRPC = "grpc"
    TCP = "tcp"


class MetricKind(StrEnum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"


#: The histogram series suffixes Prometheus exposes for one Envoy histogram.
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


@record(slots=True)
class MetricFacts:
    """One standard metric: its Prometheus name, type, protocols and labels."""

    metric: IstioMetric
    #: Base Prometheus name, e.g. `istio_request_duration_milliseconds`.
    name: str
    kind: MetricKind
    protocols: frozenset[Protocol]
    #: Labels of its series (standard set; TCP metrics lack the HTTP-only ones).
    labels: tuple[str, ...]
    #: `ms` or `bytes` for histograms.
    unit: str | None = None

    @property
    def series(self) -> tuple[str, ...]:
        """Every series name it produces (histograms: `_bucket`, `_sum`, `_count`)."""
        if self.kind is MetricKind.HISTOGRAM:
            return tuple(self.name + suffix for suffix in HISTOGRAM_SUFFIXES)
        return (self.name,)

    @property
    def is_tcp(self) -> bool:
        """True for metrics of TCP connections, whose tags are evaluated at connection open."""
        return self.protocols == frozenset({Protocol.TCP})

    @property
    def stat_name(self) -> str:
        """The Envoy stat name (custom stat namespace `istiocustom`, stripped on export)."""
        return f"{STATS_NAMESPACE}.{self.name}"


@record(slots=True)
class TelemetryField:
    """A Telemetry `spec` field that exists only from some minor version on.

    `path` is the camelCase key path under `spec`; `*` stands for any list index or map key.
    """

    path: tuple[str, ...]
    since: tuple[int, int]
    what: str
    #: How the field is written in messages, e.g. `tracing[].disableContextPropagation`.
    display: str


@record(slots=True)
class IstioFacts:
    """What meshgen knows about one Istio minor version."""

    minor: tuple[int, int]
    metrics: Mapping[IstioMetric, MetricFacts]
    standard_labels: tuple[str, ...]
    builtin_providers: tuple[str, ...]
    default_histogram_buckets: tuple[float, ...]
    #: Telemetry spec fields added after this version (unusable here).
    unavailable_fields: tuple[TelemetryField, ...]

    @property
    def version(self) -> str:
        """`major.minor`, e.g. `1.30`."""
        return f"{self.minor[0]}.{self.minor[1]}"

    def selected(self, metric: IstioMetric | str | None) -> tuple[MetricFacts, ...]:
        """The metrics an override `match.metric` selects (none or ALL_METRICS: every one)."""
        if metric is None or metric == IstioMetric.ALL_METRICS:
            return tuple(self.metrics.values())
        facts = self.metrics.get(IstioMetric(metric))
        return (facts,) if facts else ()

    def is_builtin_provider(self, name: str) -> bool:
        """Istiod matches provider names case-insensitively (pilot/pkg/model/telemetry.go)."""
        return name.lower() in self.builtin_providers

    def is_standard_label(self, name: str) -> bool:
        return name in self.standard_labels


#: The custom stat namespace of Istio's metrics; Prometheus exposition drops it.
STATS_NAMESPACE = "istiocustom"

#: istio_stats.cc `all_tags_`, in emission order (reference 3).
STANDARD_LABELS: tuple[str, ...] = (
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "source_canonical_service",
    "source_canonical_revision",
    "source_cluster",
    "destination_workload",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "destination_canonical_service",
    "destination_canonical_revision",
    "destination_cluster",
    "request_protocol",
    "response_flags",
    "connection_security_policy",
    "response_code",
    "grpc_response_status",
)

#: Labels only HTTP and gRPC metrics carry.
HTTP_ONLY_LABELS = frozenset({"response_code", "grpc_response_status"})

#: Providers istiod defines itself (pkg/config/mesh/mesh.go DefaultMeshConfig).
BUILTIN_PROVIDERS: tuple[str, ...] = ("prometheus", "stackdriver", "envoy")

#: Envoy's bucket bounds when `sidecar.istio.io/statsHistogramBuckets` is unset (reference 6.1).
DEFAULT_HISTOGRAM_BUCKETS: tuple[float, ...] = (
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
    30000, 60000, 300000, 600000, 1800000, 3600000,
)  # fmt: skip

#: Telemetry spec fields newer than 1.28 (reference 2.1 "Schema delta").
TELEMETRY_FIELDS_ADDED: tuple[TelemetryField, ...] = (
    TelemetryField(
        ("tracing", "*", "customTags", "*", "formatter"),
        (1, 29),
        "tracing custom tag formatter",
        "tracing[].customTags.<tag>.formatter",
    ),
    TelemetryField(
        ("tracing", "*", "disableContextPropagation"),
        (1, 30),
        "disabling trace context propagation",
        "tracing[].disableContextPropagation",
    ),
)

_HTTP_GRPC = frozenset({Protocol.HTTP, Protocol.GRPC})
_TCP = frozenset({Protocol.TCP})
_GRPC = frozenset({Protocol.GRPC})
_ALL_LABELS = STANDARD_LABELS
_TCP_LABELS = tuple(label for label in STANDARD_LABELS if label not in HTTP_ONLY_LABELS)


def _metric(
    metric: IstioMetric,
    name: str,
    kind: MetricKind,
    protocols: frozenset[Protocol],
    unit: str | None = None,
) -> MetricFacts:
    labels = _TCP_LABELS if protocols == _TCP else _ALL_LABELS
    return MetricFacts(metric, name, kind, protocols, labels, unit)


_C, _H = MetricKind.COUNTER, MetricKind.HISTOGRAM

#: `metricToPrometheusMetric` with the `istio_` prefix Prometheus sees (reference 2.3, 3).
STANDARD_METRICS: tuple[MetricFacts, ...] = (
    _metric(IstioMetric.REQUEST_COUNT, "istio_requests_total", _C, _HTTP_GRPC),
    _metric(
        IstioMetric.REQUEST_DURATION, "istio_request_duration_milliseconds", _H, _HTTP_GRPC, "ms"
    ),
    _metric(IstioMetric.REQUEST_SIZE, "istio_request_bytes", _H, _HTTP_GRPC, "bytes"),
    _metric(IstioMetric.RESPONSE_SIZE, "istio_response_bytes", _H, _HTTP_GRPC, "bytes"),
    _metric(IstioMetric.TCP_OPENED_CONNECTIONS, "istio_tcp_connections_opened_total", _C, _TCP),
    _metric(IstioMetric.TCP_CLOSED_CONNECTIONS, "istio_tcp_connections_closed_total", _C, _TCP),
    _metric(IstioMetric.TCP_SENT_BYTES, "istio_tcp_sent_bytes_total", _C, _TCP),
    _metric(IstioMetric.TCP_RECEIVED_BYTES, "istio_tcp_received_bytes_total", _C, _TCP),
    _metric(IstioMetric.GRPC_REQUEST_MESSAGES, "istio_request_messages_total", _C, _GRPC),
    _metric(IstioMetric.GRPC_RESPONSE_MESSAGES, "istio_response_messages_total", _C, _GRPC),
)

_VERSION = re.compile(r"v?(?P<major>\d+)\.(?P<minor>\d+)(\.\d+)?([-+][0-9A-Za-z.+-]*)?")

#: The provider kind behind each built-in provider name (pkg/config/mesh/mesh.go
#: DefaultMeshConfig @1.30.3; reference 1.4).
BUILTIN_PROVIDER_KINDS: Mapping[str, str] = MappingProxyType(
    {"prometheus": "prometheus", "stackdriver": "stackdriver", "envoy": "envoyFileAccessLog"}
)

#: Which Telemetry sections (and `defaultProviders` lists) each provider kind serves; istiod
#: silently produces nothing for any other (istio/istio @1.30: metrics only build stats
#: filters for `prometheus` (pilot/pkg/networking/core/*stats*), tracing.go errors
#: "provider %T does not support tracing" for ext-authz, the access-log kinds and
#: prometheus, and telemetry_logging.go `telemetryAccessLog` builds logs only for the four
#: envoy*Log kinds ("No access logs supported for" the others). Stackdriver is kept for
#: metrics and tracing, where older releases served it.
PROVIDER_KIND_SECTIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "metrics": frozenset({"prometheus", "stackdriver"}),
        "tracing": frozenset(
            {
                "zipkin",
                "lightstep",
                "datadog",
                "stackdriver",
                "opencensus",
                "skywalking",
                "opentelemetry",
            }
        ),
        "accessLogging": frozenset(
            {"envoyFileAccessLog", "envoyHttpAls", "envoyTcpAls", "envoyOtelAls"}
        ),
    }
)


#: Supported minors, oldest first.
SUPPORTED_MINORS: tuple[tuple[int, int], ...] = ((1, 28), (1, 29), (1, 30))


def _build(minor: tuple[int, int]) -> IstioFacts:
    return IstioFacts(
        minor=minor,
        metrics=MappingProxyType({m.metric: m for m in STANDARD_METRICS}),
        standard_labels=STANDARD_LABELS,
        builtin_providers=BUILTIN_PROVIDERS,
        default_histogram_buckets=DEFAULT_HISTOGRAM_BUCKETS,
        unavailable_fields=tuple(f for f in TELEMETRY_FIELDS_ADDED if f.since > minor),
    )


_FACTS: Mapping[tuple[int, int], IstioFacts] = MappingProxyType(
    {minor: _build(minor) for minor in SUPPORTED_MINORS}
)


def parse_minor(version: str | None) -> tuple[int, int] | None:
    """`(major, minor)` of `1.30.3`, `v1.30`, `1.30.0-rc.1`; None if it is not a version."""
    match = _VERSION.fullmatch((version or "").strip())
    return (int(match["major"]), int(match["minor"])) if match else None


def facts_for(version: str | None) -> IstioFacts | None:
    """Facts of the Istio minor `version` belongs to; None for a version meshgen does not know."""
    minor = parse_minor(version)
    return _FACTS.get(minor) if minor else None


def newest() -> IstioFacts:
    """Facts of the newest supported minor."""
    return _FACTS[SUPPORTED_MINORS[-1]]


def facts_or_newest(version: str | None) -> IstioFacts:
    """`facts_for(version)`, falling back to the newest minor for unknown versions."""
    return facts_for(version) or newest()


def supported_versions() -> tuple[str, ...]:
    """`("1.28", "1.29", "1.30")`."""
    return tuple(f"{major}.{minor}" for major, minor in SUPPORTED_MINORS)


#: CEL attributes whose values are unbounded: a tag set from them multiplies series without
#: limit (reference 4.2, 4.4). Attribute prefix -> what it is.
UNBOUNDED_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("request.path", "request paths"),
    ("request.url_path", "request paths"),
    ("request.query", "query strings"),
    ("request.referer", "referers"),
    ("request.host", "hosts"),
    ("request.headers", "raw header values"),
    ("request.useragent", "user agents"),
    ("request.id", "request ids"),
    ("request.time", "timestamps"),
    ("request.duration", "durations"),
    ("request.size", "sizes"),
    ("request.total_size", "sizes"),
    ("request.headers_bytes", "sizes"),
    ("response.headers", "raw header values"),
    ("response.trailers", "raw trailer values"),
    ("response.size", "sizes"),
    ("response.total_size", "sizes"),
    ("response.headers_bytes", "sizes"),
    ("response.backend_latency", "durations"),
    ("connection.id", "connection ids"),
    ("connection.requested_server_name", "SNI hosts"),
    ("source.address", "addresses"),
    ("source.port", "client ports"),
    ("destination.address", "addresses"),
    ("upstream.address", "addresses"),
    ("upstream.local_address", "addresses"),
    ("upstream_peer.name", "pod names"),
    ("downstream_peer.name", "pod names"),
)


@record(slots=True)
class BoundedAttribute:
    """A CEL attribute under an unbounded prefix whose values come from a small fixed set.

    E.g. a header Envoy sets under `request.headers`: copying it into a tag adds few series.
    """

    attribute: str
    values: str
    source: str


_ROUTER_DOC = "Envoy docs, configuration/http/http_filters/router_filter (headers set)"
_HCM_DOC = "Envoy docs, configuration/http/http_conn_man/headers"

#: Headers Envoy itself sets to a small fixed set of values (it strips client-sent `x-envoy-*`
#: headers at the edge, so the values are Envoy's). Header names are matched lower-case, as
#: Envoy exposes them to CEL. Matched before `UNBOUNDED_ATTRIBUTES`.
BOUNDED_ATTRIBUTES: tuple[BoundedAttribute, ...] = (
    BoundedAttribute(
        "request.headers['x-envoy-attempt-count']",
        "the attempt number, 1 to the route's retries + 1",
        f"{_ROUTER_DOC}: x-envoy-attempt-count",
    ),
    BoundedAttribute(
        "response.headers['x-envoy-attempt-count']",
        "the attempt number, 1 to the route's retries + 1",
        f"{_ROUTER_DOC}: x-envoy-attempt-count (include_attempt_count_in_response)",
    ),
    BoundedAttribute(
        "request.headers['x-envoy-is-timeout-retry']",
        "'true' or 'false'",
        f"{_ROUTER_DOC}: x-envoy-is-timeout-retry",
    ),
    BoundedAttribute(
        "request.headers['x-envoy-internal']",
        "'true', or absent",
        f"{_HCM_DOC}: x-envoy-internal",
    ),
    BoundedAttribute(
        "request.headers['x-forwarded-proto']",
        "'http' or 'https'",
        f"{_HCM_DOC}: x-forwarded-proto",
    ),
    BoundedAttribute(
        "response.headers['x-envoy-overloaded']",
        "'true', or absent",
        f"{_ROUTER_DOC}: x-envoy-overloaded",
    ),
    BoundedAttribute(
        "response.headers['x-envoy-ratelimited']",
        "'true', or absent",
        f"{_ROUTER_DOC}: x-envoy-ratelimited",
    ),
    BoundedAttribute(
        "response.headers['x-envoy-immediate-health-check-fail']",
        "'true', or absent",
        f"{_ROUTER_DOC}: x-envoy-immediate-health-check-fail",
    ),
    BoundedAttribute(
        "response.headers['x-envoy-degraded']",
        "present or absent",
        f"{_ROUTER_DOC}: x-envoy-degraded",
    ),
)

_BOUNDED_BY_NAME: Mapping[str, BoundedAttribute] = MappingProxyType(
    {b.attribute: b for b in BOUNDED_ATTRIBUTES}
)


def bounded_attribute(attribute: str) -> BoundedAttribute | None:
    """The bounded-set fact for an attribute (header names compared lower-case), if any."""
    return _BOUNDED_BY_NAME.get(attribute.lower())


#: The CEL attribute vocabulary of tag values and access-log filters (reference 4.2: Envoy's
#: `docs/root/intro/arch_overview/advanced/attributes.rst` plus istio_stats.cc
#: `StreamOverrides::FindValue`): root -> its fields, or None where the reference lists them
#: only in part (any field is taken). Evaluating any other attribute fails in the proxy,
#: and the tag becomes `unknown`.
CEL_ATTRIBUTES: Mapping[str, frozenset[str] | None] = MappingProxyType(
    {
        "request": frozenset(
            {"path", "url_path", "host", "scheme", "method", "headers", "headers_bytes",
             "referer", "useragent", "time", "id", "protocol", "query", "duration", "size",
             "total_size"}
        ),
        "response": frozenset(
            {"code", "code_details", "flags", "grpc_status", "headers", "headers_bytes",
             "trailers", "size", "total_size", "backend_latency"}
        ),
        "source": frozenset({"address", "port"}),
        "destination": frozenset({"address", "port"}),
        "connection": None,
        "upstream": None,
        "metadata": None,
        "filter_state": None,
        "upstream_filter_state": None,
        "xds": None,
        "node": None,
        "upstream_peer": None,
        "downstream_peer": None,
    }
)  # fmt: skip

#: Identifiers CEL itself defines (type names), which are not attributes.
CEL_BUILTIN_IDENTIFIERS: frozenset[str] = frozenset(
    {"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
     "dyn", "google"}
)  # fmt: skip


#: Attribute roots that exist only for HTTP/gRPC streams, not on TCP metrics (reference 4.3).
HTTP_ATTRIBUTE_ROOTS: tuple[str, ...] = ("request", "response")

#: Envoy stat names of Istio's histograms; a bucket prefix must be a prefix of one of them to
#: change Istio's buckets (reference 6.1: `istiocustom`, or `istio`, covers them all).
ISTIO_HISTOGRAM_STATS: tuple[str, ...] = tuple(
    m.stat_name for m in STANDARD_METRICS if m.kind is MetricKind.HISTOGRAM
)
