"""`meshgen telemetry show`: the metrics a scope really emits, and who reads them.

For a scope (the mesh, a namespace, or a workload's labels) it applies Istio's Telemetry
precedence (`meshgen.analysis.effective`) on both sides, and reports per metric: on/off per side,
its Prometheus series, the labels kept, removed and added (with their CEL expressions and
the number of series values each added label can take), and which dashboard panels read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

from meshgen.analysis.effective import SIDES, MetricState, effective_metrics
from meshgen.knowledge.dashboards import Panel, by_gnet_id
from meshgen.knowledge.istio import STANDARD_METRICS
from meshgen.load.documents import DashboardDoc, TelemetryDoc
from meshgen.records import record


@record
class AddedLabel:
    name: str
    expression: str
    #: Distinct values the label can take (None: unbounded; 0: the expression is invalid).
    values: int | None


@record(frozen=False)
class MetricView:
    metric: str
    #: Prometheus name (histograms: without the _bucket/_sum/_count suffix).
    name: str
    series: tuple[str, ...]
    enabled: dict[str, bool]
    providers: list[str]
    kept: list[str]
    removed: list[str]
    added: list[AddedLabel]
    readers: list[tuple[str, str]] = field(default_factory=list)
    broken_readers: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def multiplier(self) -> int | None:
        """Series per existing series that the added labels bring (None: unbounded)."""
        total = 1
        for label in self.added:
            if label.values is None:
                return None
            total *= max(label.values, 1)
        return total


def _added(states: Sequence[MetricState]) -> list[AddedLabel]:
    from meshgen.analysis.cel import analyze

    exprs: dict[str, str] = {}
    for state in states:
        if state.enabled:
            exprs.update(state.added_labels)
    out = []
    for name, expr in sorted(exprs.items()):
        analysis = analyze(expr)
        count = (
            0
            if not analysis.ok
            else (len(analysis.possible_values) if analysis.possible_values is not None else None)
        )
        out.append(AddedLabel(name, expr, count))
    return out


def _dashboard_panels(doc: DashboardDoc) -> tuple[Panel, ...]:
    known = by_gnet_id(doc.gnet_id)
    if known is not None:
        return known.panels
    if doc.data is None:
        return ()
    from meshgen.analysis.dashboards import panels_of

    return panels_of(doc.data)


def build_view(
    telemetries: Sequence[TelemetryDoc],
    dashboards: Sequence[DashboardDoc],
    *,
    root_namespace: str,
    namespace: str | None,
    workload: Mapping[str, str] | None,
) -> list[MetricView]:
    """The view of one scope. `namespace` None is the mesh root (every namespace inherits it)."""
    target = namespace or root_namespace
    states = {
        side: effective_metrics(
            telemetries,
            root_namespace=root_namespace,
            namespace=target,
            workload_labels=workload,
            mode=side,
        )
        for side in SIDES
    }
    panels = [(doc.name, _dashboard_panels(doc)) for doc in dashboards]
    views = []
    for facts in STANDARD_METRICS:
        metric = str(facts.metric)
        per_side = [states[side][metric] for side in SIDES]
        removed = sorted({label for s in per_side if s.enabled for label in s.removed_labels})
        view = MetricView(
            metric=metric,
            name=facts.name,
            series=facts.series,
            enabled={side: states[side][metric].enabled for side in SIDES},
            providers=sorted({p for s in per_side for p in s.providers}),
            kept=[label for label in facts.labels if label not in removed],
            removed=removed,
            added=_added(per_side),
        )
        for dashboard, dash_panels in panels:
            for panel in dash_panels:
                for read in panel.reads:
                    if read.metric not in facts.series:
                        continue
                    view.readers.append((dashboard, panel.label))
                    missing = sorted(read.labels & set(removed))
                    if not any(view.enabled.values()):
                        view.broken_readers.append((dashboard, panel.label, "metric disabled"))
                    elif missing:
                        view.broken_readers.append(
                            (dashboard, panel.label, f"reads removed label {', '.join(missing)}")
                        )
        view.readers = sorted(set(view.readers))
        view.broken_readers = sorted(set(view.broken_readers))
        views.append(view)
    return views


def as_json(views: Sequence[MetricView], scope: str) -> dict[str, Any]:
    return {
        "scope": scope,
        "metrics": [
            {
                "metric": v.metric,
                "name": v.name,
                "series": list(v.series),
                "enabled": v.enabled,
                "providers": v.providers,
                "labels": {
                    "kept": v.kept,
                    "removed": v.removed,
                    "added": [
                        {"name": a.name, "expression": a.expression, "values": a.values}
                        for a in v.added
                    ],
                },
                "seriesMultiplier": v.multiplier,
                "readBy": [{"dashboard": d, "panel": p} for d, p in v.readers],
                "broken": [{"dashboard": d, "panel": p, "why": w} for d, p, w in v.broken_readers],
            }
            for v in views
        ],
    }


def as_text(views: Sequence[MetricView], scope: str) -> str:
    lines = [f"Effective metrics for {scope} (Istio's Telemetry precedence applied)", ""]
    for v in views:
        sides = " ".join(
            f"{'client' if side == 'CLIENT' else 'server'}:{'on' if v.enabled[side] else 'OFF'}"
            for side in SIDES
        )
        lines.append(f"{v.metric:24} {sides:22} {v.name}")
        if not any(v.enabled.values()):
            lines.append("    (not emitted)")
        else:
            if v.providers != ["prometheus"]:
                shown = ", ".join(v.providers) or "none"
                note = "" if "prometheus" in v.providers else " (Prometheus receives nothing)"
                lines.append(f"    providers: {shown}{note}")
            if v.removed:
                lines.append(f"    removed: {', '.join(v.removed)}")
            for a in v.added:
                count = (
                    "invalid expression"
                    if a.values == 0
                    else ("unbounded" if a.values is None else f"{a.values} values")
                )
                lines.append(f"    added:   {a.name} = {a.expression}  [{count}]")
            if v.added:
                mult = v.multiplier
                lines.append(
                    "    series multiplier: "
                    + ("unbounded" if mult is None else f"x{mult} per existing series")
                )
        if v.readers:
            dashboards: dict[str, int] = {}
            for dashboard, _ in v.readers:
                dashboards[dashboard] = dashboards.get(dashboard, 0) + 1
            read_by = ", ".join(
                f"{d} ({n} panel{'s' if n > 1 else ''})" for d, n in sorted(dashboards.items())
            )
            lines.append(f"    read by: {read_by}")
        for dashboard, panel, why in v.broken_readers:
            lines.append(f"    BROKEN:  {dashboard} {panel}: {why}")
    return "\n".join(lines) + "\n"
