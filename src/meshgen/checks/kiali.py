"""K111, H140: Kiali (`monitoring.kiali`) gets the data its graph is drawn from.

The labels Kiali's graph cannot do without are in `knowledge.kiali.GRAPH_LABELS`.
The grafana checks' G113 warns about such removals where Kiali may read the metrics; with
Kiali in the config, K111 reports them as errors (over the gateways' pods too) and G113
stays silent.
"""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.analysis.effective import effective_metrics_by_side
from meshgen.analysis.kiali_graph import GraphRemoval, RemovalKey, add_graph_removals
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.grafana.telemetry import scopes_text
from meshgen.diagnostics import Severity
from meshgen.render.gateways import pod_labels as gateway_pod_labels


def _scopes(ctx: CheckContext) -> list[tuple[str, str, dict[str, str] | None]]:
    """(what, namespace, workload labels or None) of every place Kiali draws."""
    cfg = ctx.config
    assert cfg is not None
    root = ctx.root_namespace
    out: list[tuple[str, str, dict[str, str] | None]] = [(f"the mesh root ({root})", root, None)]
    namespaces = [ns.name for ns in cfg.namespaces] + [t.namespace for t in ctx.telemetries]
    for name in dict.fromkeys(namespaces):
        if name != root:
            out.append((f"namespace {name}", name, None))
    for svc in cfg.services:
        out.append((f"service {svc.name} ({svc.namespace})", svc.namespace, svc.selector_labels))
    for gateway in cfg.gateways:
        labels = gateway_pod_labels(cfg, gateway)
        out.append((f"gateway {gateway.name} ({gateway.namespace})", gateway.namespace, labels))
    return out


@check("K111", "deployed-kiali-label-removed", Severity.ERROR, needs=("config", "telemetry"))
def kiali_graph_label_removed(ctx: CheckContext) -> Iterator[Finding]:
    """A Telemetry removes a label Kiali's graph needs, and the config deploys Kiali.

    Why: Kiali draws its traffic graph from `istio_requests_total` and the TCP byte
    counters, and drops every series that lacks `request_protocol`, `response_code`,
    `response_flags` or one of the canonical workload/service labels ("missing expected TS
    labels", kiali/kiali `graph/telemetry/istio/istio.go`; no partial graphs, kiali#3496).
    With `monitoring.kiali` configured, a `tagOverrides` REMOVE of one of them leaves the
    Kiali this config deploys with an empty graph wherever it applies.

    Example: `monitoring.kiali` set and the mesh root Telemetry removing `request_protocol`
    from `ALL_METRICS`.

    Fix: keep the label; to cut series, remove labels Kiali does not read (e.g.
    `source_principal`, `grpc_response_status` in an HTTP-only mesh).
    """
    cfg = ctx.config
    assert cfg is not None
    if cfg.monitoring.kiali is None:
        return
    defaults = cfg.istio.default_providers
    providers = tuple(defaults.metrics) if defaults and defaults.metrics else ("prometheus",)
    found: dict[RemovalKey, GraphRemoval] = {}
    for what, namespace, labels in _scopes(ctx):
        sides = effective_metrics_by_side(
            ctx.telemetries,
            root_namespace=ctx.root_namespace,
            namespace=namespace,
            workload_labels=labels,
            default_providers=providers,
        )
        add_graph_removals(found, sides, [what])
    for removal in found.values():
        series = " and ".join(removal.series)
        by = f"telemetry {removal.cause.telemetry}" if removal.cause else "a Telemetry"
        yield Finding(
            f"{by} removes {removal.label}, which Kiali's graph needs: Kiali (monitoring.kiali) "
            f"drops every {series} series without it",
            span=removal.cause.span if removal.cause else ctx.at(("telemetry",)),
            related=(ctx.at(("monitoring", "kiali")),),
            detail=(scopes_text(list(removal.scopes)),),
        )


@check("H140", "kiali-without-prometheus", Severity.ERROR)
def kiali_without_prometheus(ctx: CheckContext) -> Iterator[Finding]:
    """Kiali is configured, but no Prometheus for it: none rendered, no `prometheusUrl`.

    Why: without `external_services.prometheus.url` Kiali queries its built-in default,
    `http://prometheus.istio-system:9090`, which the charts meshgen renders never create;
    the graph, health and metrics pages then all fail.

    Example: `monitoring: {kiali: {chartVersion: 2.29.0}}` with no `monitoring.prometheus`.

    Fix: configure `monitoring.prometheus`, or set `monitoring.kiali.prometheusUrl` to the
    Prometheus that scrapes the mesh.
    """
    cfg = ctx.config
    assert cfg is not None
    kiali = cfg.monitoring.kiali
    if kiali is None or kiali.prometheus_url or cfg.monitoring.prometheus is not None:
        return
    yield Finding(
        "monitoring.kiali has no Prometheus to read: this config renders none and sets no "
        "prometheusUrl (Kiali would query http://prometheus.istio-system:9090)",
        at=("monitoring", "kiali"),
    )
