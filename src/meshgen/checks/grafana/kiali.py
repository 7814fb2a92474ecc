"""G113: a Telemetry removes a label Kiali's traffic graph cannot do without.

Reads the effective telemetry per scope and side that G110/G111 compute once per run
(`checks.grafana.telemetry`), so it costs one pass over the distinct configurations.
"""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.analysis.kiali_graph import GraphRemoval, RemovalKey, add_graph_removals
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.grafana.telemetry import (
    MESSAGE_LIMIT,
    _analysis,
    _by,
    _sides_text,
    scopes_text,
)
from meshgen.diagnostics import Severity


@check("G113", "kiali-graph-label-removed", Severity.WARNING, needs=("telemetry",))
def kiali_graph_label_removed(ctx: CheckContext) -> Iterator[Finding]:
    """A Telemetry removes a label without which Kiali's traffic graph drops the series.

    Why: Kiali draws its graph from `istio_requests_total` and the TCP byte counters and
    silently drops every series lacking `request_protocol`, `response_code`,
    `response_flags` or a canonical workload/service label ("missing expected TS labels");
    a mesh-wide `REMOVE` of one of them leaves Kiali's graph empty, with no error anywhere.

    Example: `tagOverrides: {request_protocol: {operation: REMOVE}}` on `ALL_METRICS` in the
    mesh root Telemetry.

    Fix: keep the label. To cut series, remove labels neither Kiali nor the Istio
    dashboards read (e.g. `grpc_response_status` in an HTTP-only mesh, `source_principal`),
    or remove it only for workloads Kiali need not draw.

    With `monitoring.kiali` in the config, K111 reports these removals instead, as errors.
    """
    if ctx.config is not None and ctx.config.monitoring.kiali is not None:
        return  # the config deploys Kiali: K111 (checks/kiali.py) reports it as an error
    analysis = _analysis(ctx)
    # Scopes configured by the same Telemetries share one state object: judge each once.
    by_state: dict[int, list[str]] = {}
    states = {}
    for scope in analysis.removing:
        sides = analysis.states[scope]
        by_state.setdefault(id(sides), []).append(scope.label)
        states[id(sides)] = sides
    found: dict[RemovalKey, GraphRemoval] = {}
    for key, sides in states.items():
        add_graph_removals(found, sides, by_state[key])
    for removal in found.values():
        yield _finding(ctx, removal)


def _finding(ctx: CheckContext, removal: GraphRemoval) -> Finding:
    causes = [removal.cause] if removal.cause else []
    series = list(removal.series)
    what = series[0] if len(series) == 1 else ", ".join(series[:-1]) + " and " + series[-1]
    message = (
        f"{_by(causes)} removes {removal.label}; Kiali's graph drops every {what} series "
        f"without it ({_sides_text(removal.sides)})"
    )
    if len(message) > MESSAGE_LIMIT:
        message = (
            f"{_by(causes)} removes {removal.label}, which Kiali's graph needs "
            f"({_sides_text(removal.sides)})"
        )
    span = removal.cause.span if removal.cause else ctx.at(("telemetry",))
    detail = (f"series: {', '.join(series)}", scopes_text(list(removal.scopes)))
    return Finding(message, span=span, detail=detail)
