"""The `telemetry:` section: Istio Telemetry resources, histogram buckets, proxy stats matcher.

The resource models mirror `telemetry.istio.io/v1` `spec` field for field (reference 2.2), so
`meshgen lint` reads hand-written Telemetry YAML with the same models.
"""

from typing import Any, Literal

from pydantic import Field

from meshgen.models.base import Model

IstioMetric = Literal[
    "ALL_METRICS",
    "REQUEST_COUNT",
    "REQUEST_DURATION",
    "REQUEST_SIZE",
    "RESPONSE_SIZE",
    "TCP_OPENED_CONNECTIONS",
    "TCP_CLOSED_CONNECTIONS",
    "TCP_SENT_BYTES",
    "TCP_RECEIVED_BYTES",
    "GRPC_REQUEST_MESSAGES",
    "GRPC_RESPONSE_MESSAGES",
]
WorkloadMode = Literal["CLIENT_AND_SERVER", "CLIENT", "SERVER"]
Operation = Literal["UPSERT", "REMOVE"]


class WorkloadSelector(Model):
    """`spec.selector`: the pods a workload-level Telemetry applies to."""

    match_labels: dict[str, str] = Field(default_factory=dict)


class TargetRef(Model):
    """`spec.targetRefs[]` (or the single `spec.targetRef`): a Gateway or Service it attaches to."""

    group: str | None = None
    kind: str
    name: str
    namespace: str | None = None


class ProviderRef(Model):
    """`providers[]`: a provider by name (built in, or a meshConfig extension provider)."""

    name: str


class MetricSelector(Model):
    """`overrides[].match`: which metric (built in or custom) and which side."""

    metric: IstioMetric | None = None
    custom_metric: str | None = None
    mode: WorkloadMode | None = None


class TagOverride(Model):
    """`tagOverrides.<tag>`: UPSERT a CEL value expression, or REMOVE the tag."""

    operation: Operation | None = None
    value: str | None = None

    @property
    def effective_operation(self) -> Operation:
        return self.operation or "UPSERT"


class MetricsOverride(Model):
    """`metrics[].overrides[]`: disable a metric or change its tags."""

    match: MetricSelector | None = None
    disabled: bool | None = None
    tag_overrides: dict[str, TagOverride] = Field(default_factory=dict)


class Metrics(Model):
    """`spec.metrics[]`: providers, overrides and the TCP reporting interval."""

    providers: tuple[ProviderRef, ...] | None = None
    reporting_interval: str | None = None
    overrides: tuple[MetricsOverride, ...] = ()


class ModeMatch(Model):
    mode: WorkloadMode | None = None


class AccessLogFilter(Model):
    expression: str


class AccessLoggingEntry(Model):
    """`spec.accessLogging[]`."""

    match: ModeMatch | None = None
    providers: tuple[ProviderRef, ...] | None = None
    disabled: bool | None = None
    filter: AccessLogFilter | None = None


class TracingEntry(Model):
    """`spec.tracing[]`."""

    match: ModeMatch | None = None
    providers: tuple[ProviderRef, ...] | None = None
    random_sampling_percentage: float | None = None
    disable_span_reporting: bool | None = None
    custom_tags: dict[str, Any] | None = None
    use_request_id_for_trace_sampling: bool | None = None
    enable_istio_tags: bool | None = None
    disable_context_propagation: bool | None = None


#: The `spec` fields, by their Python names.
SPEC_FIELDS = ("selector", "target_ref", "target_refs", "metrics", "access_logging", "tracing")


class TelemetrySpec(Model):
    """`spec` of a `telemetry.istio.io/v1` Telemetry."""

    selector: WorkloadSelector | None = None
    #: The single form the CRD still has (telemetry.istio.io/v1 @1.30.3); at most one of
    #: `selector`, `targetRef` and `targetRefs` may be set (the CRD's CEL rule).
    target_ref: TargetRef | None = None
    target_refs: tuple[TargetRef, ...] | None = None
    metrics: tuple[Metrics, ...] = ()
    access_logging: tuple[AccessLoggingEntry, ...] = ()
    tracing: tuple[TracingEntry, ...] = ()

    @property
    def has_target_refs(self) -> bool:
        """Attached by `targetRefs` or the single `targetRef` (not by a selector)."""
        return self.target_ref is not None or bool(self.target_refs)

    def spec_dict(self) -> dict[str, Any]:
        """The spec as the Telemetry API writes it (camelCase, unset fields left out)."""
        return self.model_dump(
            by_alias=True,
            exclude_none=True,
            exclude_defaults=True,
            include=set(SPEC_FIELDS),
        )


class TelemetryResource(TelemetrySpec):
    """A Telemetry to render: its name, namespace (default: the mesh root) and spec."""

    name: str
    namespace: str | None = None


class ProxyStatsMatcher(Model):
    """meshConfig.defaultConfig.proxyStatsMatcher: extra Envoy stats to expose."""

    inclusion_prefixes: tuple[str, ...] = ()
    inclusion_suffixes: tuple[str, ...] = ()
    inclusion_regexps: tuple[str, ...] = ()


#: Histogram bounds per stats prefix; `istiocustom` covers every Istio histogram.
HistogramBuckets = dict[str, tuple[float, ...]]


class Telemetry(Model):
    """Telemetry resources plus bootstrap-time stats settings."""

    resources: tuple[TelemetryResource, ...] = ()
    histogram_buckets: HistogramBuckets = Field(default_factory=dict)
    proxy_stats_matcher: ProxyStatsMatcher | None = None
