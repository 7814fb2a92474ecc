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


class EffectiveTelemetry:
    """`effective_metrics` for many workloads of one set of Telemetries, shared work done once.

    Every workload of a namespace starts from the same namespace-wide (root, then
    namespace) Telemetries; their merge is computed once per distinct pair of them and
    per providers in scope, and only the selector-scoped Telemetries a workload matches
    are applied on top. Workloads that the same Telemetries configure get the same result.
    The Telemetries and the results are read-only: each result object is shared, the
    resources are assumed not to change while this object is in use.
    """

    def __init__(
        self,
        telemetries: Sequence[TelemetryDoc],
        *,
        root_namespace: str,
        provider: str | None = None,
        default_providers: Sequence[str] = DEFAULT_PROVIDERS,
    ) -> None:
        self.root_namespace = root_namespace
        self.provider = provider
        self.defaults = tuple(default_providers)
        self._by_namespace: dict[str, list[TelemetryDoc]] = {}
        for doc in telemetries:
            self._by_namespace.setdefault(doc.namespace, []).append(doc)
        self._namespaces: dict[str, _Namespace] = {}
        # Keyed by the ids of the documents each entry keeps: they cannot be reused.
        self._wide: dict[tuple[int, ...], _Wide] = {}
        self._results: dict[
            tuple[int, ...], tuple[list[TelemetryDoc], dict[Side, dict[str, MetricState]]]
        ] = {}
        #: `metrics` of one side, where `by_side` did not merge both.
        self._one_side: dict[
            tuple[Side, tuple[int, ...]], tuple[list[TelemetryDoc], dict[str, MetricState]]
        ] = {}
        self._effects: dict[tuple[int, int, int], _Effect] = {}
        self._views: dict[tuple[tuple[str, int], ...], _Views] = {}

    def applicable(
        self, *, namespace: str, workload_labels: Mapping[str, str] | None = None
    ) -> list[TelemetryDoc]:
        """`applicable_telemetries` of the Telemetries given, for one workload."""
        scope = self._namespace(namespace)
        chosen = list(scope.wide)
        if workload_labels is not None:
            for doc, selector in scope.selected:
                if all(workload_labels.get(k) == v for k, v in selector):
                    chosen.append(doc)
        return chosen

    def by_side(
        self, *, namespace: str, workload_labels: Mapping[str, str] | None = None
    ) -> dict[Side, dict[str, MetricState]]:
        """`effective_metrics_by_side` of the Telemetries given, for one workload.

        The same object for every workload the same Telemetries configure: do not modify it.
        """
        chosen, key = self._chosen(namespace, workload_labels)
        found = self._results.get(key)
        if found is None:
            result = {side: self._merge_for(namespace, chosen, side) for side in SIDES}
            found = self._results[key] = (chosen, result)
        return found[1]

    def metrics(
        self, *, namespace: str, workload_labels: Mapping[str, str] | None = None, mode: Side
    ) -> dict[str, MetricState]:
        """`effective_metrics` of the Telemetries given, for one workload and side (shared).

        Only `mode` is merged (unless `by_side` merged both already): the renderer asks
        for the server side of every service and nothing else.
        """
        if mode not in SIDES:
            raise ValueError(f"mode must be CLIENT or SERVER, not {mode!r}")
        chosen, key = self._chosen(namespace, workload_labels)
        both = self._results.get(key)
        if both is not None:
            return both[1][mode]
        found = self._one_side.get((mode, key))
        if found is None:
            found = self._one_side[(mode, key)] = (
                chosen,
                self._merge_for(namespace, chosen, mode),
            )
        return found[1]

    def _chosen(
        self, namespace: str, workload_labels: Mapping[str, str] | None
    ) -> tuple[list[TelemetryDoc], tuple[int, ...]]:
        """The applicable Telemetries and the key of their merge (the documents' ids)."""
        chosen = self.applicable(namespace=namespace, workload_labels=workload_labels)
        return chosen, tuple(id(doc) for doc in chosen)

    def _merge_for(
        self, namespace: str, chosen: list[TelemetryDoc], mode: Side
    ) -> dict[str, MetricState]:
        """`_merge` of `applicable`'s answer: its namespace-wide part comes first."""
        wide = len(self._namespace(namespace).wide)
        return self._merge(chosen[:wide], chosen[wide:], mode)

    def _namespace(self, namespace: str) -> _Namespace:
        found = self._namespaces.get(namespace)
        if found is None:
            wide: list[TelemetryDoc] = []
            root = self.root_namespace
            for name in (root, namespace) if namespace != root else (root,):
                doc = _namespace_wide(self._by_namespace.get(name, ()), name)
                if doc is not None:
                    wide.append(doc)
            selected = []
            for doc in self._by_namespace.get(namespace, ()):
                selector = _selector(doc.spec)
                if selector:
                    selected.append((doc, tuple(selector.items())))
            found = self._namespaces[namespace] = _Namespace(tuple(wide), tuple(selected))
        return found

    def _merge(
        self, wide_docs: Sequence[TelemetryDoc], docs: Sequence[TelemetryDoc], mode: Side
    ) -> dict[str, MetricState]:
        entries = _entries(docs)
        wide = self._wide_of(wide_docs)
        providers, providers_at = _last_providers(entries) or (wide.providers, wide.providers_at)
        base = wide.states(self, mode, providers)
        # The selector-scoped entries, on copies of the metrics they change.
        changed: dict[str, _Metric] = {}

        def state_of(name: str) -> _Metric:
            state = changed.get(name)
            if state is None:
                before = base.metrics.get(name)
                state = changed[name] = (
                    _Metric(before.disabled, before.disabled_by, dict(before.tags))
                    if before is not None
                    else _Metric()
                )
            return state

        # An entry without providers applies to the namespace-wide ones before it.
        self._apply(entries, mode, providers, wide.providers, state_of)
        if self.provider is not None and self.provider not in providers:
            # Out of scope: every metric is off, by the `providers` that left it out.
            cause = (
                _cause(providers_at[0], ("metrics", providers_at[1], "providers"))
                if providers_at is not None
                else None
            )
            merged = {**base.metrics, **changed}
            return _states(merged, mode, providers, (cause,), self._views)
        out = dict(base.result)
        out.update(_states(changed, mode, providers, None, self._views))
        return out

    def _wide_of(self, docs: Sequence[TelemetryDoc]) -> _Wide:
        key = tuple(id(doc) for doc in docs)
        found = self._wide.get(key)
        if found is None:
            entries = _entries(docs)
            last = _last_providers(entries)
            providers, providers_at = last or (self.defaults, None)
            found = self._wide[key] = _Wide(tuple(docs), entries, providers, providers_at)
        return found

    def _apply(
        self,
        entries: list[tuple[TelemetryDoc, int, Any]],
        mode: Side,
        providers: tuple[str, ...],
        parent: tuple[str, ...],
        state_of: Callable[[str], _Metric],
    ) -> None:
        """Apply the overrides of `entries` for `mode` to the metrics `state_of` gives.

        `providers` are those in scope; `parent` is what a first entry without providers
        applies to.
        """
        in_scope = set(providers)
        for doc, index, metrics in entries:
            names = tuple(p.name for p in metrics.providers) if metrics.providers else parent
            parent = names
            if not _relevant(self.provider, names, in_scope):
                continue
            for position, override in enumerate(metrics.overrides):
                effect = self._effect(doc, index, position, override)
                if effect.mode is not None and effect.mode != mode:
                    continue
                for name in effect.selected:
                    state = state_of(name)
                    if effect.disabled is not None:
                        state.disabled = effect.disabled
                        state.disabled_by = effect.disabled_by
                    state.tags.update(effect.tags)

    def _effect(
        self, doc: TelemetryDoc, index: int, position: int, override: MetricsOverride
    ) -> _Effect:
        # The documents live as long as this object (`_by_namespace`): their ids name them.
        key = (id(doc), index, position)
        found = self._effects.get(key)
        if found is None:
            found = self._effects[key] = _effect(
                doc, ("metrics", index, "overrides", position), override
            )
        return found


# Plain classes, not records: a record compiles its `__init__` at import, which every run
# would pay for, and these are never compared or printed.
class _Namespace:
    """A namespace's namespace-wide Telemetries, and its selector-scoped ones in order."""

    __slots__ = ("selected", "wide")

    def __init__(
        self,
        wide: tuple[TelemetryDoc, ...],
        selected: tuple[tuple[TelemetryDoc, tuple[tuple[str, str], ...]], ...],
    ) -> None:
        self.wide = wide
        self.selected = selected


class _Wide:
    """The namespace-wide Telemetries of some workloads, merged once per side and scope.

    `providers` (and the entry `providers_at` naming them) are those in scope unless a
    selector-scoped Telemetry names others; they are also what a following entry without
    providers applies to.
    """

    __slots__ = ("docs", "entries", "merged", "providers", "providers_at")

    def __init__(
        self,
        docs: tuple[TelemetryDoc, ...],
        entries: list[tuple[TelemetryDoc, int, Any]],
        providers: tuple[str, ...],
        providers_at: tuple[TelemetryDoc, int] | None,
    ) -> None:
        self.docs = docs
        self.entries = entries
        self.providers = providers
        self.providers_at = providers_at
        self.merged: dict[tuple[Side, tuple[str, ...]], _Base] = {}

    def states(self, shared: EffectiveTelemetry, mode: Side, providers: tuple[str, ...]) -> _Base:
        """The merged entries for `mode` when `providers` are the ones in scope."""
        key = (mode, providers)
        found = self.merged.get(key)
        if found is None:
            metrics: dict[str, _Metric] = {name: _Metric() for name in STANDARD_METRIC_NAMES}

            def state_of(name: str) -> _Metric:
                state = metrics.get(name)
                if state is None:
                    state = metrics[name] = _Metric()
                return state

            shared._apply(self.entries, mode, providers, shared.defaults, state_of)
            scoped = shared.provider is None or shared.provider in providers
            result = _states(metrics, mode, providers, None, shared._views) if scoped else {}
            found = self.merged[key] = _Base(metrics, result)
        return found


class _Base:
    """Merged namespace-wide entries: the metrics as merged, and their states (in scope)."""

    __slots__ = ("metrics", "result")

    def __init__(self, metrics: dict[str, _Metric], result: dict[str, MetricState]) -> None:
        self.metrics = metrics
        self.result = result


class _Effect:
    """What one override does on the side(s) it matches (`mode` None: both)."""

    __slots__ = ("disabled", "disabled_by", "mode", "selected", "tags")

    def __init__(
        self,
        mode: Side | None,
        selected: tuple[str, ...],
        disabled: bool | None,
        disabled_by: Cause | None,
        tags: dict[str, _Tag],
    ) -> None:
        self.mode = mode
        self.selected = selected
        self.disabled = disabled
        self.disabled_by = disabled_by
        self.tags = tags


_Views = tuple[frozenset[str], Mapping[str, str], Mapping[str, Cause]]


def _last_providers(
    entries: Sequence[tuple[TelemetryDoc, int, Any]],
) -> tuple[tuple[str, ...], tuple[TelemetryDoc, int]] | None:
    """The providers the last entry naming any names, and that entry; None: none names any."""
    for doc, index, metrics in reversed(entries):
        if metrics.providers:
            return tuple(p.name for p in metrics.providers), (doc, index)
    return None


def _entries(docs: Iterable[TelemetryDoc]) -> list[tuple[TelemetryDoc, int, Any]]:
    return [(doc, index, metrics) for doc in docs for index, metrics in enumerate(doc.spec.metrics)]


def _relevant(provider: str | None, names: tuple[str, ...], in_scope: set[str]) -> bool:
    if provider is not None:
        return provider in names and provider in in_scope
    return any(name in in_scope for name in names)


def _effect(doc: TelemetryDoc, path: KeyPath, override: MetricsOverride) -> _Effect:
    match = override.match
    mode = match.mode if match else None
    side: Side | None = None if mode is None or mode == "CLIENT_AND_SERVER" else mode
    disabled_by = _cause(doc, (*path, "disabled")) if override.disabled is not None else None
    tags = {
        label: _Tag(
            remove=tag.effective_operation == "REMOVE",
            value=tag.value or "",
            cause=_cause(doc, (*path, "tagOverrides", label)),
        )
        for label, tag in override.tag_overrides.items()
    }
    return _Effect(side, _selected(override), override.disabled, disabled_by, tags)


def _states(
    metrics: Mapping[str, _Metric],
    mode: Side,
    providers: tuple[str, ...],
    out_of_scope: tuple[Cause | None] | None,
    views: dict[tuple[tuple[str, int], ...], _Views],
) -> dict[str, MetricState]:
    """`_Merger.result` for merged metrics; `out_of_scope` holds the cause when not scoped."""
    out: dict[str, MetricState] = {}
    scoped = out_of_scope is None
    for name, state in metrics.items():
        signature = tuple((k, id(t)) for k, t in state.tags.items())
        view = views.get(signature)
        if view is None:
            view = views[signature] = _label_views(state.tags)
        out[name] = MetricState(
            metric=name,
            mode=mode,
            enabled=scoped and not state.disabled,
            providers=providers,
            removed_labels=view[0],
            added_labels=view[1],
            enabled_by=state.disabled_by if out_of_scope is None else out_of_scope[0],
            label_causes=view[2],
        )
    return out


def _label_views(tags: Mapping[str, _Tag]) -> _Views:
    removed = {k: t for k, t in tags.items() if t.remove and k in STANDARD_LABELS}
    added = {k: t for k, t in tags.items() if not t.remove}
    return (
        frozenset(removed),
        MappingProxyType({k: t.value for k, t in added.items()}),
        MappingProxyType({k: t.cause for k, t in {**removed, **added}.items()}),
    )


@record(slots=True)
class _Tag:
    """One tag override of a metric as merged so far: removed, or set to `value`; and why."""

    remove: bool
    value: str
    cause: Cause


@record(frozen=False, slots=True)
class _Metric:
    """One metric's state while the layers merge: whether (and why) it is off, its tags."""

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
