"""G112: panels the generated per-service dashboards leave out, and the setting that causes it.

meshgen writes a dashboard per service from what its telemetry really emits
(`render/dashboards.py`); a panel whose metric is off, or whose label was removed, is left
out rather than shown empty. This says so, at the Telemetry line that made it happen.
"""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.grafana.telemetry import service_states
from meshgen.diagnostics import Severity
from meshgen.render.dashboards import omissions


@check("G112", "service-dashboard-panels-omitted", Severity.INFO, needs=("telemetry",))
def service_dashboard_panels_omitted(ctx: CheckContext) -> Iterator[Finding]:
    """A generated service dashboard leaves panels out because of the telemetry config.

    Why: a generated dashboard queries only series that exist, so when a Telemetry disables
    a metric or removes a label, the panels that need it are dropped (an empty panel would
    look like an outage). That is by design, but it should not be a surprise: this names
    the panels and the override that removed them.

    Example: `tagOverrides: {response_code: {operation: REMOVE}}` on REQUEST_COUNT drops
    "Requests by response code" and "Error ratio (5xx)".

    Fix: nothing, if the trade is intended; else keep the metric or label (delete the
    override), or set `monitoring.grafana.serviceDashboards: false` to write none.
    """
    config = ctx.config
    grafana = config.monitoring.grafana if config is not None else None
    if config is None or grafana is None or not grafana.service_dashboards:
        return
    # The server side the renderer's dashboards come from, with the config's positions
    # (shared with G110/G111, which judge the same states).
    states = service_states(ctx)
    for index, service in enumerate(config.services):
        state = states[(service.namespace, service.name)]["SERVER"]
        by_reason: dict[tuple[str, str | None], list[str]] = {}
        for omission in omissions(state):
            by_reason.setdefault((omission.metric, omission.label), []).append(omission.panel)
        for (metric, label), panels in by_reason.items():
            metric_state = state.get(metric)
            cause = None
            if metric_state is not None:
                cause = metric_state.label_causes.get(label) if label else metric_state.enabled_by
            reason = f"{metric} has no {label!r} label" if label else f"{metric} is off"
            yield Finding(
                f"the dashboard of service {service.name!r} leaves out "
                f"{', '.join(repr(p) for p in panels)}: {reason}",
                span=cause.span if cause is not None else None,
                at=None if cause is not None else ("services", index, "name"),
                related=(("services", index, "name"),) if cause is not None else (),
            )
