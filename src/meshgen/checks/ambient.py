"""C140-C144: the ambient data plane in the config (namespaces, waypoints, dashboards)."""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.analysis.ambient import WAYPOINT, reporting, service_is_ambient
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.knowledge import ambient as ambient_facts
from meshgen.knowledge import dashboards
from meshgen.knowledge.dashboards import Panel, Read
from meshgen.models import Dashboard


@check("C140", "injection-on-ambient-namespace", Severity.ERROR)
def injection_on_ambient_namespace(ctx: CheckContext) -> Iterator[Finding]:
    """An ambient namespace also sets `injection:`.

    Why: an ambient namespace joins the mesh with `istio.io/dataplane-mode: ambient` and
    must never also carry an injection label: injected pods get a sidecar and are then
    skipped by ztunnel, so the namespace silently runs two data planes. meshgen renders no
    injection label for an ambient namespace, so the setting would be ignored.

    Example: `istio.dataplane: ambient` and `namespaces: [{name: apps, injection: enabled}]`.

    Fix: drop `injection:`, or give the namespace `dataplane: sidecar` (a mixed mesh).
    """
    cfg = ctx.config
    assert cfg is not None
    for i, ns in enumerate(cfg.namespaces):
        if ns.ambient and "injection" in ns.model_fields_set:
            yield Finding(
                f"namespace {ns.name!r} is ambient (istio.io/dataplane-mode=ambient) and "
                "must not also set sidecar injection",
                at=("namespaces", i, "injection"),
                key=True,
                hint="remove `injection:`, or set `dataplane: sidecar` on this namespace",
            )


@check("C141", "waypoint-outside-ambient", Severity.ERROR)
def waypoint_outside_ambient(ctx: CheckContext) -> Iterator[Finding]:
    """A namespace or service names a waypoint but is not in the ambient data plane.

    Why: waypoints carry ambient traffic only (ztunnel sends it to them over HBONE); a
    sidecar namespace, or one meshgen does not label, ignores `istio.io/use-waypoint`, so
    the waypoint would run and serve nothing.

    Example: `namespaces: [{name: apps, dataplane: sidecar, waypoint: {}}]`.

    Fix: make the namespace ambient (`dataplane: ambient`), or drop `waypoint:`.
    """
    cfg = ctx.config
    assert cfg is not None
    for i, ns in enumerate(cfg.namespaces):
        if ns.waypoint is not None and not ns.ambient:
            yield Finding(
                f"namespace {ns.name!r} names waypoint {ns.waypoint.name!r} but uses "
                f"the {ns.dataplane} data plane",
                at=("namespaces", i, "waypoint"),
                key=True,
            )
    for i, svc in enumerate(cfg.services):
        if svc.waypoint is not None and not service_is_ambient(cfg, svc):
            yield Finding(
                f"service {svc.name!r} names waypoint {svc.waypoint.name!r} but its namespace "
                f"{svc.namespace!r} is not an ambient namespace of this config",
                at=("services", i, "waypoint"),
                key=True,
            )


@check("C144", "service-waypoint-label-not-passed", Severity.WARNING)
def service_waypoint_label_not_passed(ctx: CheckContext) -> Iterator[Finding]:
    """A service names a waypoint, but its chart labels its pods (and Service) its own way.

    Why: a service uses a waypoint only when its Kubernetes Service carries
    `istio.io/use-waypoint`. meshgen passes that label as the value `service.labels` to
    charts that follow its convention (no `podLabels`); a chart of its own kind (podinfo,
    for one) has no such value, so the label never reaches the Service and the waypoint
    serves nothing.

    Example: `{name: api, chart: podinfo/podinfo, podLabels: {...}, waypoint: {}}`.

    Fix: set the chart's own Service-label value in `values:` (then re-grade this check
    with a reason), or name the waypoint on the namespace instead.
    """
    cfg = ctx.config
    assert cfg is not None
    for i, svc in enumerate(cfg.services):
        if svc.waypoint is not None and svc.pod_labels is not None:
            yield Finding(
                f"service {svc.name!r} names waypoint {svc.waypoint.name!r}, but its chart "
                "labels its pods itself: meshgen cannot pass istio.io/use-waypoint to its "
                "Service",
                at=("services", i, "waypoint"),
                key=True,
                related=(("services", i, "podLabels"),),
                hint="name the waypoint on the namespace, or set the chart's Service labels "
                "in `values:`",
            )


def _is_ztunnel_dashboard(dash: Dashboard, text: str | None) -> bool:
    if dash.gnet_id == ambient_facts.ZTUNNEL_DASHBOARD_GNET_ID:
        return True
    if dash.url is not None and dash.url.endswith(ambient_facts.ZTUNNEL_DASHBOARD_FILE):
        return True
    return bool(text) and ambient_facts.ZTUNNEL_DASHBOARD_UID in (text or "")


@check("C142", "ambient-without-ztunnel-dashboard", Severity.INFO)
def ambient_without_ztunnel_dashboard(ctx: CheckContext) -> Iterator[Finding]:
    """An ambient mesh's Grafana has no Ztunnel dashboard.

    Why: in ambient mode ztunnel carries every pod's traffic; its health (connections,
    bytes, DNS, xDS, memory per node) is only on Istio's Ztunnel dashboard (grafana.com
    21306), which no other Istio dashboard replaces. meshgen's `ztunnel` scrape job (with
    kube-prometheus-stack: its `ztunnel-monitor` PodMonitor) gives its series the `app` and
    `pod` labels that dashboard selects on. `meshgen init --dataplane ambient` provisions
    it, pinned to the Istio release: the file in istio/istio at the release's tag (which
    grafana.com revision of 21306 belongs to which release is not known).

    Example: `istio.dataplane: ambient` with `grafana.dashboards: [{name: istio-mesh, ...}]`.

    Fix: add it, pinned to your Istio version: `{name: istio-ztunnel, url:
    https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/addons/dashboards/ztunnel-dashboard.gen.json}`
    (downloaded at pod start like a grafana.com dashboard), or vendor that file and name it
    with `file:` (works offline, and under `dashboardDelivery: configMaps`).
    """
    cfg = ctx.config
    assert cfg is not None
    grafana = cfg.monitoring.grafana
    if not cfg.ambient or grafana is None:
        return
    texts = {d.name: d.text for d in ctx.dashboards}
    if any(_is_ztunnel_dashboard(d, texts.get(d.name)) for d in grafana.dashboards):
        return
    yield Finding(
        "this ambient mesh's Grafana has no Ztunnel dashboard (grafana.com 21306): "
        "nothing shows ztunnel's connections, traffic and resources per node",
        at=("monitoring", "grafana", "dashboards")
        if grafana.dashboards
        else ("monitoring", "grafana"),
        key=True,
        hint="add {name: istio-ztunnel, url: "
        f"{ambient_facts.ztunnel_dashboard_url(cfg.istio.version)}}}, or vendor that file "
        "and name it with `file:`",
    )


def _reportable(read: Read, reporters: tuple[str, ...]) -> bool:
    """Whether a panel's read can show series for a workload reported by `reporters`."""
    seen = {r for view in read.views for r in view}
    if read.metric.startswith(ambient_facts.TCP_METRIC_PREFIX):
        # ztunnel reports TCP on both sides (source, destination); a waypoint as waypoint.
        return bool(seen & {"source", "destination"}) or (
            WAYPOINT in reporters and WAYPOINT in seen
        )
    return WAYPOINT in reporters and WAYPOINT in seen


def silent_panels(record: dashboards.IstioDashboard, reporters: tuple[str, ...]) -> list[Panel]:
    """The panels on Istio's metrics that show nothing for a workload these reporters report."""
    return [
        p
        for p in record.panels
        if _istio_panel(p) and not any(_reportable(r, reporters) for r in p.reads)
    ]


def _istio_panel(panel: Panel) -> bool:
    return not panel.variable and all(
        r.metric.startswith(ambient_facts.STANDARD_METRIC_PREFIXES) for r in panel.reads
    )


@check("C143", "dashboard-reporter-never-reports", Severity.WARNING)
def dashboard_reporter_never_reports(ctx: CheckContext) -> Iterator[Finding]:
    """Istio dashboard panels filter on a reporter that never reports for ambient services.

    Why: in ambient mode there are no sidecars: L7 metrics come only from waypoints, with
    `reporter="waypoint"` (server side), and ztunnel reports TCP only. Istio 1.30's
    Workload and Service dashboards filter on `reporter="source"`/`"destination"`, so
    their request panels stay empty for an ambient service (istio#61815, istio#51313), and
    every L7 panel is empty for one that no waypoint serves.

    Example: `istio-workload` (gnetId 7630) in an ambient mesh whose `inference`
    namespace uses a waypoint.

    Fix: read those services on meshgen's generated dashboards (they query
    `reporter="waypoint"`, or TCP metrics when no waypoint serves the service) and the
    Mesh dashboard, which knows `waypoint`; keep the Workload/Service dashboards for the
    sidecar namespaces.
    """
    cfg = ctx.config
    assert cfg is not None
    grafana = cfg.monitoring.grafana
    if grafana is None or not cfg.ambient:
        return
    ambient_services = [
        (svc, reporting(cfg, svc)) for svc in cfg.services if service_is_ambient(cfg, svc)
    ]
    if not ambient_services:
        return
    for i, dash in enumerate(grafana.dashboards):
        record = dashboards.by_gnet_id(dash.gnet_id)
        if record is None:
            continue
        panels = [p for p in record.panels if _istio_panel(p)]
        hit: list[str] = []
        worst = 0
        for svc, how in ambient_services:
            empty = silent_panels(record, how.reporters)
            if empty:
                hit.append(svc.name)
                worst = max(worst, len(empty))
        if not hit:
            continue
        yield Finding(
            f"dashboard {dash.name!r} ({record.title}): up to {worst} of its {len(panels)} "
            "Istio metric panels filter on reporters that never report for ambient "
            f"service(s) {', '.join(repr(n) for n in hit)} (waypoints report "
            'reporter="waypoint", ztunnel only TCP): they stay empty',
            at=("monitoring", "grafana", "dashboards", i, "gnetId"),
            hint="use meshgen's generated dashboard of each service, or the Mesh dashboard",
        )
