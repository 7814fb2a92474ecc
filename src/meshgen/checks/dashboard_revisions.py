"""C130: a grafana.com dashboard pinned to a revision of another Istio release."""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.knowledge import dashboard_revisions, dashboards


@check("C130", "dashboard-revision-of-another-istio", Severity.WARNING)
def dashboard_revision_of_another_istio(ctx: CheckContext) -> Iterator[Finding]:
    """An Istio dashboard's pinned `revision` is not the one published for the configured Istio.

    Istio uploads one revision of each of its grafana.com dashboards per release; meshgen
    knows which revision belongs to which release (`meshgen dashboards add` writes it).
    A release meshgen does not know is not judged.

    Why: another release's dashboard queries the metrics and labels of that release
    (a 1.29 Service dashboard still matches `destination_service=~"$service"`).

    Example: `{name: istio-mesh, gnetId: 7639, revision: 200}` with `istio.version: 1.30.3`.

    Fix: pin the revision the message names (`meshgen dashboards add istio-mesh` rewrites
    the entry).
    """
    config = ctx.config
    grafana = config.monitoring.grafana if config else None
    if config is None or grafana is None:
        return
    for index, dash in enumerate(grafana.dashboards):
        record = dashboards.by_gnet_id(dash.gnet_id)
        if record is None or dash.revision is None:
            continue
        expected = dashboard_revisions.revision_for(record.gnet_id, config.istio.version)
        if expected is None or expected == dash.revision:
            continue
        release = dashboard_revisions.minor(config.istio.version)
        others = dashboard_revisions.releases_of(record.gnet_id, dash.revision)
        of = f" (Istio {', '.join(others)})" if others else ""
        yield Finding(
            f"dashboard {dash.name!r} (gnetId {record.gnet_id}) pins revision {dash.revision}"
            f"{of}; Istio {release} publishes revision {expected}",
            at=("monitoring", "grafana", "dashboards", index, "revision"),
            related=(("istio", "version"),),
        )
