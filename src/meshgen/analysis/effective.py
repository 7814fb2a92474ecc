"""Effective metrics configuration of a workload after Istio's Telemetry rules (reference 2.3).

Istio merges, in this order, the selector-less Telemetry of the root namespace, the
selector-less Telemetry of the workload's namespace, and every Telemetry in that namespace
whose `selector.matchLabels` the workload's labels satisfy (in creation order, which for
meshgen is the order of the list). Then, as in `mergeMetrics` (pilot/pkg/model/telemetry.go):

- the providers in scope are those of the last `metrics[]` entry that names any (a lower
  level *replaces* the parent's list), else the mesh default providers;
- a `metrics[]` entry without `providers` applies to its parent entry's providers; its
  overrides count only for providers still in scope;
- overrides apply in order across all levels, each to the metrics (`ALL_METRICS` or no
  metric: every one) and sides (`CLIENT`, `SERVER`, or both) its `match` selects;
  `disabled` is a sticky flag that only a later explicit `disabled: false` clears;
- tag overrides merge per label name, later wins: `REMOVE` drops a standard label (a
  non-standard one is ignored by the proxy), `UPSERT` sets a label to a CEL expression.

CLIENT is the outbound/gateway side (series with `reporter="source"`), SERVER the inbound
side (`reporter="destination"`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from types import MappingProxyType
from typing import Any, Literal, Protocol

from meshgen.knowledge.istio import STANDARD_LABELS, STANDARD_METRICS, IstioMetric
from meshgen.models import TelemetrySpec
from meshgen.models.telemetry import MetricsOverride
from meshgen.records import record
from meshgen.source import KeyPath, Span

Side = Literal["CLIENT", "SERVER"]
SIDES: tuple[Side, ...] = ("CLIENT", "SERVER")
#: The `reporter` label value each side's series carry.
REPORTER_OF: Mapping[Side, str] = MappingProxyType({"CLIENT": "source", "SERVER": "destination"})
SIDE_OF_REPORTER: Mapping[str, Side] = MappingProxyType(
    {"source": "CLIENT", "destination": "SERVER"}
)
#: `meshConfig.defaultProviders.metrics` unless the mesh config changes it.
DEFAULT_PROVIDERS: tuple[str, ...] = ("prometheus",)
#: The selectable metrics, in proto order.
STANDARD_METRIC_NAMES: tuple[str, ...] = tuple(str(m.metric) for m in STANDARD_METRICS)


class TelemetryDoc(Protocol):
    """A Telemetry resource as checks see it (`meshgen.checks.context.TelemetryDoc`)."""

    @property
    def name(self) -> str: ...

    @property
    def namespace(self) -> str: ...

    @property
    def spec(self) -> TelemetrySpec: ...

    @property
    def locate(self) -> Callable[[KeyPath], Span]: ...


@record(slots=True)
class Cause:
    """A place in a Telemetry that decided part of a metric's state."""

    #: `namespace/name` of the Telemetry.
    telemetry: str
    #: Key path under its `spec`, e.g. `("metrics", 0, "overrides", 1, "disabled")`.
    path: KeyPath
    #: Where a spec path was written; asked only when a cause is reported (most never are).
    locate: Callable[[KeyPath], Span] = field(compare=False, repr=False)

    @property
    def span(self) -> Span:
        """Where in the config (or linted file) this part of the Telemetry was written."""
        return self.locate(self.path)

    def __str__(self) -> str:
        return f"Telemetry {self.telemetry} at {self.span}"


@record(slots=True)
class MetricState:
    """One metric on one side, after every applicable Telemetry."""

    metric: str
    mode: Side
    enabled: bool
    #: Providers in scope (the metric reaches these, unless disabled).
    providers: tuple[str, ...]
    removed_labels: frozenset[str] = frozenset()
    #: Labels set by UPSERT (new ones, or standard ones with a new value), name -> CEL.
    added_labels: Mapping[str, str] = field(default_factory=dict)
    #: The last override that set `disabled`, or the `providers` that left the provider
    #: asked for out of scope; None when nothing touched it.
    enabled_by: Cause | None = None
    #: Which override decided each removed or added label.
    label_causes: Mapping[str, Cause] = field(default_factory=dict)

    @property
    def sources(self) -> tuple[Span, ...]:
        """Spans of the overrides that decided this state (enabled flag first)."""
        causes = [self.enabled_by] if self.enabled_by else []
        causes.extend(self.label_causes[k] for k in sorted(self.label_causes))
        spans: list[Span] = []
        for cause in causes:
            if cause.span not in spans:
                spans.append(cause.span)
        return tuple(spans)

    def has_label(self, label: str) -> bool:
        """Whether the series carry `label` (standard and not removed, or added)."""
        if label in self.added_labels:
            return True
        return label in STANDARD_LABELS and label not in self.removed_labels


def applicable_telemetries(
    telemetries: Sequence[TelemetryDoc],
    *,
    root_namespace: str,
    namespace: str,
    workload_labels: Mapping[str, str] | None = None,
) -> list[TelemetryDoc]:
    """The Telemetries that configure a workload, lowest precedence first.

    The first (oldest) selector-less Telemetry of the root namespace, then of `namespace`,
    then every Telemetry of `namespace` whose selector the labels satisfy. Telemetries
    with `targetRefs` attach to gateways, waypoints and services, not to sidecars.
    """
    chosen: list[TelemetryDoc] = []
    root = _namespace_wide(telemetries, root_namespace)
    if root is not None:
        chosen.append(root)
    if namespace != root_namespace:
        own = _namespace_wide(telemetries, namespace)
        if own is not None:
            chosen.append(own)
    if workload_labels is not None:
        for doc in telemetries:
            selector = _selector(doc.spec)
            if doc.namespace != namespace or not selector:
                continue
            if all(workload_labels.get(k) == v for k, v in selector.items()):
                chosen.append(doc)
    return chosen


def effective_metrics(
    telemetries: Sequence[TelemetryDoc],
    *,
    root_namespace: str,
    namespace: str,
    workload_labels: Mapping[str, str] | None = None,
    mode: Side,
    provider: str | None = None,
    default_providers: Sequence[str] = DEFAULT_PROVIDERS,
) -> dict[str, MetricState]:
    """The state of every standard metric (and any custom one named) on one side.

    `workload_labels` None means "a workload no selector matches" (the namespace scope).
    With `provider`, a metric counts as enabled only when that provider is in scope and
    the overrides attached to it leave the metric on; without, for the providers in scope.
    """
    if mode not in SIDES:
        raise ValueError(f"mode must be CLIENT or SERVER, not {mode!r}")
    docs = applicable_telemetries(
        telemetries,
        root_namespace=root_namespace,
        namespace=namespace,
        workload_labels=workload_labels,
    )
    merger = _Merger(mode, provider, tuple(default_providers))
    merger.merge(docs)
    return merger.result()


def effective_metrics_by_side(
    telemetries: Sequence[TelemetryDoc],
    *,
    root_namespace: str,
    namespace: str,
    workload_labels: Mapping[str, str] | None = None,
    provider: str | None = None,
    default_providers: Sequence[str] = DEFAULT_PROVIDERS,
) -> dict[Side, dict[str, MetricState]]:
    """`effective_metrics` for CLIENT and SERVER."""
    return {
        side: effective_metrics(
            telemetries,
            root_namespace=root_namespace,
            namespace=namespace,
            workload_labels=workload_labels,
            mode=side,
            provider=provider,
            default_providers=default_providers,
        )
        for side in SIDES
    }


@record(slots=True)
class _Tag:
    remove: bool
    value: str
    cause: Cause


@record(frozen=False, slots=True)
class _Metric:
    disabled: bool = False
    disabled_by: Cause | None = None
    tags: dict[str, _Tag] = field(default_factory=dict)


class _Merger:
    """Applies Telemetries in order, as istiod's `mergeMetrics` does, for one side."""

    def __init__(self, mode: Side, provider: str | None, defaults: tuple[str, ...]) -> None:
        self.mode = mode
        self.provider = provider
        self.defaults = defaults
        self.providers = defaults
        self.providers_cause: Cause | None = None
        self.metrics: dict[str, _Metric] = {name: _Metric() for name in STANDARD_METRIC_NAMES}

    def merge(self, docs: Iterable[TelemetryDoc]) -> None:
        entries = [
            (doc, index, metrics) for doc in docs for index, metrics in enumerate(doc.spec.metrics)
        ]
        for doc, index, metrics in entries:
            if metrics.providers:
                self.providers = tuple(p.name for p in metrics.providers)
                self.providers_cause = _cause(doc, ("metrics", index, "providers"))
        in_scope = set(self.providers)
        parent = self.defaults
        for doc, index, metrics in entries:
            names = tuple(p.name for p in metrics.providers) if metrics.providers else parent
            parent = names
            if self.provider is not None:
                relevant = self.provider in names and self.provider in in_scope
            else:
                relevant = any(name in in_scope for name in names)
            if not relevant:
                continue
            for position, override in enumerate(metrics.overrides):
                self._apply(doc, ("metrics", index, "overrides", position), override)

    def _apply(self, doc: TelemetryDoc, path: KeyPath, override: MetricsOverride) -> None:
        match = override.match
        mode = match.mode if match else None
        if mode is not None and mode != "CLIENT_AND_SERVER" and mode != self.mode:
            return
        # One cause and one tag object per override, shared by every metric it selects.
        disabled_by = _cause(doc, (*path, "disabled")) if override.disabled is not None else None
        tags = {
            label: _Tag(
                remove=tag.effective_operation == "REMOVE",
                value=tag.value or "",
                cause=_cause(doc, (*path, "tagOverrides", label)),
            )
            for label, tag in override.tag_overrides.items()
        }
        for name in _selected(override):
            state = self.metrics.get(name)
            if state is None:  # a custom metric
                state = self.metrics[name] = _Metric()
            if override.disabled is not None:
                state.disabled = override.disabled
                state.disabled_by = disabled_by
            state.tags.update(tags)

    def result(self) -> dict[str, MetricState]:
        out: dict[str, MetricState] = {}
        scoped = self.provider is None or self.provider in self.providers
        # Metrics the same overrides reached share their label views (read-only objects):
        # at scale, most metrics of a workload carry the same tags.
        views: dict[tuple[tuple[str, int], ...], tuple[Any, Any, Any]] = {}
        for name, state in self.metrics.items():
            signature = tuple((k, id(t)) for k, t in state.tags.items())
            if signature not in views:
                removed = {k: t for k, t in state.tags.items() if t.remove and k in STANDARD_LABELS}
                added = {k: t for k, t in state.tags.items() if not t.remove}
                views[signature] = (
                    frozenset(removed),
                    MappingProxyType({k: t.value for k, t in added.items()}),
                    MappingProxyType({k: t.cause for k, t in {**removed, **added}.items()}),
                )
            removed_labels, added_labels, label_causes = views[signature]
            enabled_by = state.disabled_by if scoped else self.providers_cause
            out[name] = MetricState(
                metric=name,
                mode=self.mode,
                enabled=scoped and not state.disabled,
                providers=self.providers,
                removed_labels=removed_labels,
                added_labels=added_labels,
                enabled_by=enabled_by,
                label_causes=label_causes,
            )
        return out


def _selected(override: MetricsOverride) -> tuple[str, ...]:
    match = override.match
    if match is None or (match.metric is None and match.custom_metric is None):
        return STANDARD_METRIC_NAMES
    if match.custom_metric is not None:
        return (match.custom_metric,)
    if match.metric == IstioMetric.ALL_METRICS:
        return STANDARD_METRIC_NAMES
    return (str(match.metric),)


def _cause(doc: TelemetryDoc, path: KeyPath) -> Cause:
    return Cause(f"{doc.namespace}/{doc.name}", path, doc.locate)


def _selector(spec: TelemetrySpec) -> dict[str, str]:
    return dict(spec.selector.match_labels) if spec.selector else {}


def _namespace_wide(telemetries: Sequence[TelemetryDoc], namespace: str) -> TelemetryDoc | None:
    for doc in telemetries:
        if doc.namespace == namespace and not _selector(doc.spec) and not doc.spec.has_target_refs:
            return doc
    return None
