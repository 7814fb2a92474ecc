"""G110, G111: dashboard queries that read metrics or labels the telemetry config turns off.

For every scope a workload can be in (the mesh root, each namespace, each service's or
pod's labels) and each side (CLIENT = `reporter="source"`, SERVER = `"destination"`),
`meshgen.analysis.effective` computes which standard metrics are on and which labels they carry.
Each dashboard query is then matched against the scopes and sides it reads:

- a metric is *dark* for a query when, in some scope, every side of one reporter view of
  the query (what one evaluation sums) has it disabled;
- a label is *missing* when the query needs it (matcher, `by`, `on`, ...) and a side it
  reads still emits the metric but without that label.

Local dashboard JSON is analysed query by query; Istio's grafana.com dashboards through the
built-in record (`knowledge.dashboards`). Literal matchers on the reporting workload or its
namespace (e.g. `source_workload="istio-ingressgateway"`) narrow the scopes a query reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from functools import cached_property

from meshgen.analysis.dashboards import read_of, variable_options
from meshgen.analysis.effective import (
    SIDE_OF_REPORTER,
    Cause,
    EffectiveTelemetry,
    MetricState,
    Side,
)
from meshgen.analysis.promql import Query, Selector
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.grafana.common import dashboard_label, per_document, queries_of
from meshgen.diagnostics import Severity
from meshgen.knowledge.dashboards import Read, by_gnet_id
from meshgen.knowledge.istio import STANDARD_METRICS
from meshgen.load.documents import DashboardDoc
from meshgen.records import record
from meshgen.source import Span

#: Prometheus series name -> Telemetry metric enum (histograms: every suffix).
METRIC_OF_SERIES: Mapping[str, str] = {
    series: str(m.metric) for m in STANDARD_METRICS for series in m.series
}


@record(slots=True)
class Scope:
    """Workloads that share one effective telemetry configuration."""

    label: str
    namespace: str | None
    #: Pod labels (sorted items); None for "a workload no selector picks".
    labels: tuple[tuple[str, str], ...] | None = None
    workload: str | None = None


@record(slots=True, eq=False)
class Usage:
    """One read of a metric by a panel, and the expression that makes it."""

    doc: DashboardDoc
    dashboard: str
    panel: str
    read: Read
    #: None for a grafana.com dashboard (reported where the config declares it).
    expression: str | None


@record(frozen=False)
class _Hit:
    """What one read adds to one problem, whichever dashboard and panel it sits in."""

    #: The removed label (G111), or None (G110: the metric is off).
    label: str | None
    #: Names of the Telemetries whose overrides cause it, and where they were written.
    causes: str
    related: tuple[Span, ...]
    #: Sides the read loses (a dict as an ordered set).
    sides: dict[Side, None] = field(default_factory=dict)
    #: Labels of the scopes it is reported for, in order.
    scopes: dict[str, None] = field(default_factory=dict)


#: A problem's identity apart from the dashboard it is reported for: what is lost and the
#: Telemetries that lose it (neither sides nor the overrides within one Telemetry are part
#: of it: a CLIENT and a SERVER override of one Telemetry make one finding naming both).
_HitKey = tuple[object, ...]


@record(frozen=False)
class _Problem:
    """One cause, one dashboard: every panel it breaks there, with the sides each loses."""

    dashboard: str
    hit: _Hit
    #: Ordered sets (dicts): panels and scopes are added many times at scale.
    panels: dict[str, dict[Side, None]] = field(default_factory=dict)
    panel_metrics: dict[str, dict[str, None]] = field(default_factory=dict)
    metrics: dict[str, None] = field(default_factory=dict)
    scopes: dict[str, None] = field(default_factory=dict)
    dashboard_spans: dict[Span, None] = field(default_factory=dict)
    #: The overrides that cause it, over every read (one Telemetry may have several).
    causes: dict[Span, None] = field(default_factory=dict)

    def finding(self, *, labels: bool) -> Finding:
        """At the override that causes it, the dashboard related; every panel in `detail`."""
        sides: dict[Side, None] = {}
        for panel_sides in self.panels.values():
            sides.update(panel_sides)
        where = list(self.dashboard_spans)
        causes = sorted(self.causes, key=lambda s: (s.file, s.line, s.col))
        span = causes[0] if causes else where[0]
        related = tuple(dict.fromkeys([*causes[1:], *where]))
        detail = [
            f"{panel} ({_sides_text(panel_sides)})"
            if labels
            else f"{panel}: {', '.join(self.panel_metrics[panel])} ({_sides_text(panel_sides)})"
            for panel, panel_sides in self.panels.items()
        ]
        detail.append(scopes_text(list(self.scopes)))
        return Finding(
            _message(self, labels=labels, sides=_sides_text(sides)),
            span=span,
            related=tuple(r for r in related if r != span),
            detail=tuple(detail),
        )


#: The longest message; the panels and scopes it summarises are in the finding's detail.
MESSAGE_LIMIT = 159


def _message(problem: _Problem, *, labels: bool, sides: str) -> str:
    hit = problem.hit
    panels = list(problem.panels)
    metrics = list(problem.metrics)
    if labels:
        what = f"removes {hit.label}"
        verb = "need" if len(panels) != 1 else "needs"
    else:
        what = f"disables {metrics[0]}" if len(metrics) == 1 else f"disables {len(metrics)} metrics"
        verb = "read" if len(panels) != 1 else "reads"
    counted = f"{len(panels)} panels" if len(panels) != 1 else "1 panel"
    dashboard = problem.dashboard
    short = dashboard.split(" (grafana.com")[0]
    candidates = [
        f"{hit.causes} {what}, which {panels[0]} of {dashboard} {verb} ({sides})",
        f"{hit.causes} {what}, which {counted} of {dashboard} {verb} ({sides})",
        f"{hit.causes} {what}, which {counted} of {short} {verb} ({sides})",
    ]
    if len(panels) != 1:
        candidates.pop(0)
    for message in candidates:
        if len(message) <= MESSAGE_LIMIT:
            return message
    return candidates[-1][: MESSAGE_LIMIT - 3] + "..."


#: Scopes a finding's detail names one by one; more are counted (a mesh-wide override
#: reaches every service).
SCOPES_SHOWN = 20


def scopes_text(scopes: Sequence[str]) -> str:
    """`for <scope>, <scope>, ...` with at most `SCOPES_SHOWN` named, then the count."""
    shown = ", ".join(scopes[:SCOPES_SHOWN])
    if len(scopes) > SCOPES_SHOWN:
        shown += f" ({len(scopes)} scopes in all)"
    return f"for {shown}"


def _sides_text(sides: Mapping[Side, None]) -> str:
    if len(sides) == 2:
        return "client and server side"
    return "client side" if "CLIENT" in sides else "server side"


class _Analysis:
    """Effective telemetry per scope and side, computed once per run."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.scopes = _scopes(ctx)
        self.declared = {s.namespace for s in self.scopes if s.namespace}
        self._indexes: dict[tuple[int, bool], dict[str | None, frozenset[Scope]]] = {}
        self._orders: dict[int, dict[Scope, int]] = {}
        self._groups: dict[bool, list[list[Scope]]] = {}
        #: By (G111?, id of an interned read): the reads live as long as `usages`.
        self._hits: dict[tuple[bool, int], dict[_HitKey, _Hit]] = {}
        self._spans: dict[tuple[int, str | None], Span] = {}
        self._flaggables: dict[tuple[int, bool], dict[str, dict[Side, frozenset[str]]]] = {}

    @cached_property
    def usages(self) -> list[Usage]:
        """Every read of every dashboard, in order, each repeat of a panel's read dropped.

        Equal reads are one object (see `_reads_memo`), so they compare by identity here and
        in `hits`. A repeat would only add its panel and scopes to a problem a second time.
        """
        seen: set[tuple[int, str, int, str | None]] = set()
        out: list[Usage] = []
        for doc in self.ctx.dashboards:
            for usage in _usages(self.ctx, doc):
                key = (id(doc), usage.panel, id(usage.read), usage.expression)
                if key not in seen:
                    seen.add(key)
                    out.append(usage)
        return out

    @cached_property
    def relevant(self) -> tuple[frozenset[str], Mapping[str, frozenset[str]]]:
        """The series a read must be of for G110 or G111 to flag it.

        Those of a metric off somewhere (G110) and, per series of a metric that lacks
        labels somewhere, those labels (G111). A read of anything else cannot be flagged,
        so it is never built: with the usual config (a few metrics off, a label or two
        removed) most reads are skipped.
        """
        dark: set[str] = set()
        removed: dict[str, set[str]] = {}
        for labels in (False, True):
            for members in self.groups(labels=labels):
                for found in self._flaggable(members, labels=labels).items():
                    metric, sides = found
                    if labels:
                        removed.setdefault(metric, set()).update(*sides.values())
                    else:
                        dark.add(metric)
        series_dark = frozenset(s for s, m in METRIC_OF_SERIES.items() if m in dark)
        series_removed = {
            s: frozenset(removed[m]) for s, m in METRIC_OF_SERIES.items() if m in removed
        }
        return series_dark, series_removed

    def wanted(self, metric: str, labels: frozenset[str]) -> bool:
        """Whether a read of `metric` needing `labels` can be flagged at all (`relevant`)."""
        dark, removed = self.relevant
        if metric in dark:
            return True
        lost = removed.get(metric)
        return lost is not None and not lost.isdisjoint(labels)

    def wants(self, selector: Selector) -> bool:
        """`wanted` for the read a selector makes, without building its labels.

        Every selector of every dashboard is asked about, and `labels_read` is a new set
        each time: the labels it would hold are tested one by one instead.
        """
        metric = selector.metric
        if metric is None:
            return False
        dark, removed = self.relevant
        if metric in dark:
            return True
        lost = removed.get(metric)
        if lost is None:
            return False
        # `labels_read` without the set: a matcher's label, or one an enclosing clause reads.
        if not lost.isdisjoint(selector.context_labels):
            return True
        return any(m.name in lost and m.name != "__name__" for m in selector.matchers)

    @cached_property
    def positions(self) -> dict[int, tuple[Read, list[int]]]:
        """Each distinct read (by id), and where it occurs in `usages`."""
        out: dict[int, tuple[Read, list[int]]] = {}
        for index, usage in enumerate(self.usages):
            out.setdefault(id(usage.read), (usage.read, []))[1].append(index)
        return out

    def flagged_usages(self, *, labels: bool) -> list[Usage]:
        """The usages, in order, whose read adds to a G111 (`labels`) or G110 problem."""
        if not self.groups(labels=labels):
            return []
        indexes = [
            index
            for read, where in self.positions.values()
            if self.hits(read, labels=labels)
            for index in where
        ]
        return [self.usages[index] for index in sorted(indexes)]

    def hits(self, read: Read, *, labels: bool) -> dict[_HitKey, _Hit]:
        """What `read` adds to G111's (`labels`) or G110's problems, wherever it sits.

        It depends on the read only, and dashboards generated per service, or copied from
        one another, repeat the same reads: each is judged once.
        """
        key = (labels, id(read))
        if key not in self._hits:
            self._hits[key] = self._judge(read, labels=labels)
        return self._hits[key]

    def _flaggable(
        self, members: list[Scope], *, labels: bool
    ) -> dict[str, dict[Side, frozenset[str]]]:
        """Per metric, the sides on which a read alone is flagged in a group (`_flagged`).

        G110: the sides where the metric is off. G111: those where it is on without some
        labels, with those labels (a read is flagged if it needs one of them).
        """
        key = (id(members), labels)
        if key not in self._flaggables:
            found: dict[str, dict[Side, frozenset[str]]] = {}
            for side, metrics in self.states[members[0]].items():
                for metric, state in metrics.items():
                    if labels and state.enabled and state.removed_labels:
                        found.setdefault(metric, {})[side] = state.removed_labels
                    elif not labels and not state.enabled:
                        found.setdefault(metric, {})[side] = frozenset()
            self._flaggables[key] = found
        return self._flaggables[key]

    def span(self, usage: Usage) -> Span:
        """Where to report a usage: its expression in the file, found when first needed."""
        doc = usage.doc
        key = (id(doc), usage.expression)
        if key not in self._spans:
            if usage.expression is None:
                self._spans[key] = doc.declared or Span(doc.file)
            else:
                self._spans[key] = doc.locate_text(usage.expression)
        return self._spans[key]

    def _judge(self, read: Read, *, labels: bool) -> dict[_HitKey, _Hit]:
        hits: dict[_HitKey, _Hit] = {}
        metric = METRIC_OF_SERIES[read.metric]
        pinned = _pins(read)
        for members in self.groups(labels=labels):
            flaggable = self._flaggable(members, labels=labels).get(metric)
            if not flaggable:
                continue
            by_side = self.states[members[0]]
            for view in read.views:
                view_sides = _sides(view)
                # A set of sides is flagged when all (G110) or any (G111) of its sides are
                # flagged alone: when none is, no split of the group below can be.
                if not any(
                    side in flaggable and (not labels or read.labels & flaggable[side])
                    for side in view_sides
                ):
                    continue
                # Which sides a scope's series reach depends on the scope only when the
                # query pins a workload or namespace literally; split the group by that.
                parts: dict[tuple[Side, ...], list[Scope]] = {}
                if pinned:
                    passing = {side: list(self.reading(members, side, read)) for side in view_sides}
                    sides_of: dict[Scope, list[Side]] = {}
                    for side in view_sides:
                        for scope in passing[side]:
                            sides_of.setdefault(scope, []).append(side)
                    for scope, reached in sides_of.items():
                        parts.setdefault(tuple(reached), []).append(scope)
                else:
                    parts[tuple(view_sides)] = members
                for sides, scopes in parts.items():
                    if not sides or not _flagged(labels, read, by_side, metric, sides):
                        continue
                    # Flagged: each scope reports the override that caused it.
                    for scope in scopes:
                        states = [self.states[scope][s][metric] for s in sides]
                        if labels:
                            _label_problems(hits, read, scope, states)
                        else:
                            _metric_problem(hits, read, scope, states)
        return hits

    @cached_property
    def states(self) -> dict[Scope, dict[Side, dict[str, MetricState]]]:
        root = self.ctx.root_namespace
        # Scopes configured by the same Telemetries share one state object (every namespace
        # without its own Telemetry, for one), and the namespace-wide merge is done once.
        effective = EffectiveTelemetry(self.ctx.telemetries, root_namespace=root)
        return {
            scope: effective.by_side(
                namespace=scope.namespace or root,
                workload_labels=dict(scope.labels) if scope.labels is not None else None,
            )
            for scope in self.scopes
        }

    def groups(self, *, labels: bool) -> list[list[Scope]]:
        """Scopes with identical effective telemetry on both sides, grouped.

        Thousands of services usually share a handful of configurations; a query is then
        judged once per group instead of once per scope. The lists live as long as the
        analysis: the indexes below are keyed by their identity.
        """
        if labels not in self._groups:
            grouped: dict[tuple[object, ...], list[Scope]] = {}
            # Scopes configured alike hold one states object (see `states`): one signature
            # each. The objects live in `states`, so their ids name them.
            signatures: dict[int, tuple[object, ...]] = {}
            for scope in self.removing if labels else self.disabling:
                states = self.states[scope]
                signature = signatures.get(id(states))
                if signature is None:
                    signature = signatures[id(states)] = _signature(states)
                grouped.setdefault(signature, []).append(scope)
            self._groups[labels] = list(grouped.values())
        return self._groups[labels]

    @cached_property
    def disabling(self) -> list[Scope]:
        """Scopes where some metric is off on some side (the only ones G110 can flag)."""
        return self._where(lambda m: not m.enabled)

    @cached_property
    def removing(self) -> list[Scope]:
        """Scopes where some metric lacks a standard label (the only ones G111 can flag)."""
        return self._where(lambda m: bool(m.removed_labels))

    def _where(self, test: Callable[[MetricState], bool]) -> list[Scope]:
        """The scopes, in order, some metric of which passes `test` on some side."""
        # Scopes configured alike hold one states object (see `states`): judged once each.
        # The objects live in `states`, so their ids name them.
        judged: dict[int, bool] = {}
        out = []
        for scope, sides in self.states.items():
            passed = judged.get(id(sides))
            if passed is None:
                passed = judged[id(sides)] = any(
                    test(m) for metrics in sides.values() for m in metrics.values()
                )
            if passed:
                out.append(scope)
        return out

    def reading(self, members: list[Scope], side: Side, read: Read) -> Iterator[Scope]:
        """The scopes of a group whose `side` series `read` sees.

        A literal `=` on the workload or its namespace names the only scopes that can pass
        (plus the unnamed ones); an index finds them, so a query pinned to one workload
        costs the same with ten services or ten thousand.
        """
        prefix = "source_" if side == "CLIENT" else "destination_"
        narrowed: list[frozenset[Scope]] = []
        for matcher in read.where:
            if matcher.op != "=" or matcher.variables or not matcher.name.startswith(prefix):
                continue
            index = self._index(members, namespace=matcher.name.endswith("_namespace"))
            narrowed.append(index.get(matcher.value, frozenset()) | index.get(None, frozenset()))
        pool: Iterable[Scope] = members
        if narrowed:
            narrowed.sort(key=len)
            order = self._order(members)
            pool = sorted(narrowed[0].intersection(*narrowed[1:]), key=order.__getitem__)
        return (scope for scope in pool if self.reads(scope, side, read))

    def _index(
        self, members: list[Scope], *, namespace: bool
    ) -> dict[str | None, frozenset[Scope]]:
        key = (id(members), namespace)
        if key not in self._indexes:
            index: dict[str | None, list[Scope]] = {}
            for scope in members:
                name = scope.namespace if namespace else scope.workload
                index.setdefault(name, []).append(scope)
            self._indexes[key] = {k: frozenset(v) for k, v in index.items()}
        return self._indexes[key]

    def _order(self, members: list[Scope]) -> dict[Scope, int]:
        key = id(members)
        if key not in self._orders:
            self._orders[key] = {scope: i for i, scope in enumerate(members)}
        return self._orders[key]

    def reads(self, scope: Scope, side: Side, read: Read) -> bool:
        """Whether `read` sees the series `scope`'s workloads report on `side`."""
        prefix = "source_" if side == "CLIENT" else "destination_"
        for matcher in read.where:
            if not matcher.name.startswith(prefix):
                continue
            if matcher.name.endswith("_namespace"):
                candidate = scope.namespace
                if candidate is None:
                    # Other namespaces: only an exact match on a declared one excludes them.
                    if matcher.op == "=" and matcher.value in self.declared:
                        return False
                    continue
            else:
                candidate = scope.workload
                if candidate is None:
                    continue
            if matcher.matches(candidate) is False:
                return False
        return True


def _signature(sides: Mapping[Side, Mapping[str, MetricState]]) -> tuple[object, ...]:
    """What decides whether a read is dark or missing a label (not which override did it)."""
    return tuple(
        (side, metric, state.enabled, state.removed_labels)
        for side, metrics in sorted(sides.items())
        for metric, state in sorted(metrics.items())
    )


def _pins(read: Read) -> bool:
    """Whether a read's workload/namespace matchers can exclude a scope (literal values).

    A matcher on a Grafana variable (`destination_workload=~"$workload"`) reads whatever
    the user picks, so it excludes nothing.
    """
    return any(not matcher.variables for matcher in read.where)


def _analysis(ctx: CheckContext) -> _Analysis:
    """One analysis per context, shared by G110 and G111."""
    analysis = ctx.memo.get(_ANALYSIS)
    if not isinstance(analysis, _Analysis):
        analysis = ctx.memo[_ANALYSIS] = _Analysis(ctx)
    return analysis


_ANALYSIS = "grafana_telemetry.analysis"


ServiceStates = dict[tuple[str, str], Mapping[Side, Mapping[str, MetricState]]]


def service_states(ctx: CheckContext) -> ServiceStates:
    """(namespace, service) -> its effective telemetry on both sides, from the one analysis.

    G110, G111 and G112 judge the same states; they are computed once per run.
    """
    return {
        (scope.namespace or ctx.root_namespace, scope.workload): states
        for scope, states in _analysis(ctx).states.items()
        if scope.workload is not None  # only a configured service's scope names one
    }


def _scopes(ctx: CheckContext) -> list[Scope]:
    root = ctx.root_namespace
    # Namespace None: any namespace without a Telemetry of its own (configured from the root).
    scopes = [Scope(f"the mesh root ({root})", None)]
    namespaces: list[str] = []
    if ctx.config is not None:
        namespaces.extend(ns.name for ns in ctx.config.namespaces)
    namespaces.extend(t.namespace for t in ctx.telemetries)
    namespaces.extend(p.namespace for p in ctx.pods)
    for name in dict.fromkeys(namespaces):
        if name != root:
            scopes.append(Scope(f"namespace {name}", name))
    if ctx.config is not None:
        for svc in ctx.config.services:
            labels = tuple(svc.selector_labels.items())
            label = f"service {svc.name} ({svc.namespace})"
            scopes.append(Scope(label, svc.namespace, labels, svc.name))
    for pod in ctx.pods:
        scopes.append(
            Scope(
                f"pod {pod.name} ({pod.namespace})",
                pod.namespace,
                tuple(sorted(pod.labels.items())),
            )
        )
    return scopes


def _usages(ctx: CheckContext, doc: DashboardDoc) -> tuple[Usage, ...]:
    """Every Istio-metric read of a dashboard (once per run)."""
    return per_document(ctx, "grafana_telemetry.usages", doc, lambda: tuple(_find_usages(ctx, doc)))


def _find_usages(ctx: CheckContext, doc: DashboardDoc) -> Iterator[Usage]:
    label = dashboard_label(doc)
    if doc.data is None:
        record = by_gnet_id(doc.gnet_id)
        if record is None:
            return
        analysis = _analysis(ctx)
        for panel in record.panels:
            for read in panel.reads:
                if read.metric in METRIC_OF_SERIES and analysis.wanted(read.metric, read.labels):
                    yield Usage(doc, label, panel.label, _intern(ctx, read), None)
        return
    reads_of = _reads_memo(ctx, tuple(variable_options(doc.data).items()))
    for item in queries_of(ctx, doc):
        reads = reads_of(item.query)
        if not reads:  # most queries: nothing here can flag them
            continue
        where = f"variable ${item.title}" if item.variable else f"panel {item.title!r}"
        for read in reads:
            yield Usage(doc, label, where, read, item.expression)


def _reads_memo(
    ctx: CheckContext, choices: tuple[tuple[str, tuple[str, ...]], ...]
) -> Callable[[Query], tuple[Read, ...]]:
    """The Istio-metric reads of a query that a check here can flag, given the choices.

    Remembered per query object (equal expressions analysed here share one, see
    `promql.analyze`; a generated dashboard's carried queries are its own objects) and
    choices, and interned, so that equal reads are one object for the rest of the run.
    The memo of one set of choices is looked up once per dashboard, not once per query.
    """
    memo: dict[object, dict[int, tuple[Read, ...]]]
    memo = ctx.memo.setdefault("grafana_telemetry.reads_of", {})
    by_query = memo.setdefault(choices, {})
    # Keep each query, so that its id names it for the whole run.
    queries: list[Query] = ctx.memo.setdefault("grafana_telemetry.queries", [])
    wants = _analysis(ctx).wants
    reads: dict[Read, Read] = ctx.memo.setdefault("grafana_telemetry.reads", {})
    options = dict(choices)

    def reads_of(query: Query) -> tuple[Read, ...]:
        found = by_query.get(id(query))
        if found is None:
            found = by_query[id(query)] = tuple(_flaggable_reads(query, options, wants, reads))
            queries.append(query)
        return found

    return reads_of


def _flaggable_reads(
    query: Query,
    options: Mapping[str, Sequence[str]],
    wants: Callable[[Selector], bool],
    reads: dict[Read, Read],
) -> Iterator[Read]:
    """The reads of `query` that G110 or G111 can flag (`wants`), interned in `reads`."""
    for selector in query.selectors:
        if wants(selector):
            read = read_of(selector, options)
            assert read is not None  # a selector with a metric always reads
            yield reads.setdefault(read, read)


def _intern(ctx: CheckContext, read: Read) -> Read:
    reads: dict[Read, Read] = ctx.memo.setdefault("grafana_telemetry.reads", {})
    return reads.setdefault(read, read)


def _problems(ctx: CheckContext, labels: bool) -> Iterator[Finding]:
    analysis = _analysis(ctx)
    found: dict[tuple[str, _HitKey], _Problem] = {}
    for usage in analysis.flagged_usages(labels=labels):
        for key, hit in analysis.hits(usage.read, labels=labels).items():
            at = (usage.dashboard, key)
            problem = found.get(at)
            if problem is None:
                problem = found[at] = _Problem(usage.dashboard, hit)
            sides = problem.panels.setdefault(usage.panel, {})
            sides.update(hit.sides)
            problem.panel_metrics.setdefault(usage.panel, {})[usage.read.metric] = None
            problem.metrics[usage.read.metric] = None
            problem.scopes.update(hit.scopes)
            problem.causes.update(dict.fromkeys(hit.related))
            problem.dashboard_spans[analysis.span(usage)] = None
    for problem in found.values():
        yield problem.finding(labels=labels)


def _flagged(
    labels: bool,
    read: Read,
    by_side: Mapping[Side, Mapping[str, MetricState]],
    metric: str,
    sides: Sequence[Side],
) -> bool:
    states = [by_side[s][metric] for s in sides]
    if labels:
        return any(state.enabled and read.labels & state.removed_labels for state in states)
    return not any(state.enabled for state in states)


def _sides(view: Sequence[str]) -> list[Side]:
    """Sidecar sides whose series a reporter view sums (waypoints are not sidecars)."""
    return list(dict.fromkeys(SIDE_OF_REPORTER[r] for r in view if r in SIDE_OF_REPORTER))


def _metric_problem(
    hits: dict[_HitKey, _Hit], read: Read, scope: Scope, states: list[MetricState]
) -> None:
    if any(state.enabled for state in states):
        return
    causes = [s.enabled_by for s in states if s.enabled_by]
    related = tuple(dict.fromkeys(c.span for c in causes))
    key = ("metric", tuple(dict.fromkeys(c.telemetry for c in causes)))
    _add(hits, key, None, causes, related, scope, [s.mode for s in states])


def _label_problems(
    hits: dict[_HitKey, _Hit], read: Read, scope: Scope, states: list[MetricState]
) -> None:
    for state in states:
        if not state.enabled or not state.removed_labels:
            continue
        for label in sorted(read.labels & state.removed_labels):
            cause = state.label_causes.get(label)
            related = (cause.span,) if cause else ()
            causes = [cause] if cause else []
            key = ("label", label, cause.telemetry if cause else None)
            _add(hits, key, label, causes, related, scope, [state.mode])


def _add(
    hits: dict[_HitKey, _Hit],
    key: _HitKey,
    label: str | None,
    causes: Sequence[Cause],
    related: tuple[Span, ...],
    scope: Scope,
    sides: Sequence[Side],
) -> None:
    hit = hits.get(key)
    if hit is None:
        hit = hits[key] = _Hit(label, _by(causes), related)
    else:
        hit.related = tuple(dict.fromkeys((*hit.related, *related)))
    for side in sides:
        hit.sides[side] = None
    hit.scopes[scope.label] = None


def _by(causes: Sequence[Cause]) -> str:
    names = list(dict.fromkeys(c.telemetry for c in causes))
    return f"Telemetry {' and '.join(names)}" if names else "the telemetry config"


@check("G110", "dashboard-metric-disabled", Severity.WARNING, needs=("telemetry", "dashboards"))
def dashboard_metric_disabled(ctx: CheckContext) -> Iterator[Finding]:
    """A dashboard panel reads a metric that the Telemetry config disables where it looks.

    Why: the panel stays empty for those workloads, and nothing says why. The side matters:
    `reporter="source"` series come from CLIENT metrics, `reporter="destination"` from
    SERVER ones; Istio's Mesh dashboard reads the client side only, Service and Workload
    let the user pick (`$qrep`).

    Example: a namespace Telemetry with `{match: {metric: REQUEST_COUNT, mode: CLIENT},
    disabled: true}` empties the Mesh dashboard's request panels for that namespace.

    The finding sits at the override that disables the metric, one per dashboard, with the
    dashboard as a related location; its detail lists every panel and the sides it loses.

    Fix: keep the metric on (a lower-level `disabled: false` re-enables it), or drop the
    panel. Disabling metrics no dashboard reads (TCP_OPENED/CLOSED_CONNECTIONS, GRPC_*) is
    safe.
    """
    yield from _problems(ctx, labels=False)


@check("G111", "dashboard-label-removed", Severity.WARNING, needs=("telemetry", "dashboards"))
def dashboard_label_removed(ctx: CheckContext) -> Iterator[Finding]:
    """A dashboard query needs a label that the Telemetry config removes where it looks.

    Why: a matcher on a removed label matches nothing (or, with `!=`/`!~`, everything), and
    `by (label)` folds every series into one unnamed group; the panel shows nothing or
    wrong numbers.

    Example: `tagOverrides: {response_code: {operation: REMOVE}}` mesh-wide breaks every
    success-rate panel (`response_code!~"5.."`).

    The finding sits at the override that removes the label, one per dashboard, with the
    dashboard as a related location; its detail lists every panel and the sides it loses.

    Fix: keep the label, or remove it only for the workloads and side you do not chart.
    Labels no Istio dashboard reads (e.g. `grpc_response_status`, `source_principal`) are
    safe to remove for the dashboards; Kiali's graph still needs `request_protocol`,
    `response_code`, `response_flags` and the canonical labels (G113).
    """
    yield from _problems(ctx, labels=True)
