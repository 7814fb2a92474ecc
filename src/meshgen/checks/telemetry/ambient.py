"""T140-T142: Telemetry settings that do nothing in ambient namespaces (reference stacks 2)."""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.analysis.ambient import (
    has_l7_proxy_anywhere,
    is_ambient_namespace,
    namespace_has_waypoint,
    service_is_ambient,
)
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.telemetry.common import key_span
from meshgen.diagnostics import Severity
from meshgen.load.documents import TelemetryDoc
from meshgen.models import MeshConfig
from meshgen.source import KeyPath


@check("T140", "selector-telemetry-in-ambient", Severity.WARNING, needs=("config", "telemetry"))
def selector_telemetry_in_ambient(ctx: CheckContext) -> Iterator[Finding]:
    """A Telemetry with a workload `selector` in an ambient namespace.

    Why: a `selector` picks the sidecars of the selected pods; an ambient namespace has
    none (ztunnel serves its pods and cannot be customised), so the Telemetry does
    nothing. In ambient mode, Telemetry attaches to a waypoint with `targetRefs`.

    Example: `{name: api-metrics, namespace: apps, selector: {matchLabels: {app: api}}}`
    with `apps` ambient.

    Fix: replace `selector` with `targetRefs: [{kind: Gateway, group:
    gateway.networking.k8s.io, name: <waypoint>}]` (give the namespace a waypoint).
    """
    cfg = ctx.config
    assert cfg is not None
    for doc in ctx.telemetries:
        if doc.spec.selector is not None and is_ambient_namespace(cfg, doc.namespace):
            yield Finding(
                f"telemetry {doc.name!r} selects workloads in ambient namespace "
                f"{doc.namespace!r}, which run without sidecars: it applies to nothing",
                span=doc.locate(("selector",)),
                hint="attach it to the namespace's waypoint with `targetRefs` instead",
            )


def _only_ztunnel(cfg: MeshConfig, ctx: CheckContext, doc: TelemetryDoc) -> bool:
    """Whether every workload the Telemetry reaches is served by ztunnel alone."""
    if doc.spec.selector is not None or doc.spec.has_target_refs:
        return False
    if doc.namespace == ctx.root_namespace:
        return not has_l7_proxy_anywhere(cfg)
    return is_ambient_namespace(cfg, doc.namespace) and not namespace_has_waypoint(
        cfg, doc.namespace
    )


@check("T141", "customisation-only-ztunnel-sees", Severity.WARNING, needs=("config", "telemetry"))
def customisation_only_ztunnel_sees(ctx: CheckContext) -> Iterator[Finding]:
    """A tagOverride or a disabled metric that only ztunnel would see.

    Why: ztunnel's metrics cannot be customised (no tagOverrides, no CEL, no disabling:
    istio/ztunnel#1600, istio#42320). A namespace (or mesh-wide) Telemetry whose workloads
    are all ambient with no waypoint changes nothing.

    Example: a Telemetry in ambient namespace `apps` (no waypoint) removing
    `request_protocol`.

    Fix: give the namespace a waypoint and attach the Telemetry to it with `targetRefs`
    (its L7 metrics then carry the change), or drop the override.
    """
    cfg = ctx.config
    assert cfg is not None
    for doc in ctx.telemetries:
        if not _only_ztunnel(cfg, ctx, doc):
            continue
        for i, metrics in enumerate(doc.spec.metrics):
            for j, override in enumerate(metrics.overrides):
                base: KeyPath = ("metrics", i, "overrides", j)
                what = None
                if override.tag_overrides:
                    what, path = "tagOverrides", (*base, "tagOverrides")
                elif override.disabled:
                    what, path = "disabled", (*base, "disabled")
                if what is None:
                    continue
                yield Finding(
                    f"telemetry {doc.name!r} sets {what} for workloads that only ztunnel "
                    f"serves (namespace {doc.namespace!r}): ztunnel metrics cannot be "
                    "customised",
                    span=key_span(doc, path),
                )


@check("T142", "histogram-buckets-on-ambient-pods", Severity.WARNING)
def histogram_buckets_on_ambient_pods(ctx: CheckContext) -> Iterator[Finding]:
    """Histogram-bucket annotations reach the pods of an ambient service.

    Why: `sidecar.istio.io/statsHistogramBuckets` is read by a sidecar's pilot-agent at
    bootstrap; ambient pods have no sidecar and ztunnel ignores pod annotations, so the
    buckets do nothing (reference stacks 2).

    Example: `telemetry.histogramBuckets: {istiocustom: [1, 5, 10]}` with a service in an
    ambient namespace.

    Fix: drop the buckets for ambient services (or run them with `dataplane: sidecar`).
    """
    cfg = ctx.config
    assert cfg is not None
    for i, svc in enumerate(cfg.services):
        if not service_is_ambient(cfg, svc):
            continue
        if svc.histogram_buckets:
            at: KeyPath = ("services", i, "histogramBuckets")
        elif cfg.telemetry.histogram_buckets:
            at = ("telemetry", "histogramBuckets")
        else:
            continue
        yield Finding(
            f"service {svc.name!r} runs in ambient namespace {svc.namespace!r}: its pods "
            "have no sidecar, so the histogram-bucket annotation does nothing",
            at=at,
            related=(("services", i, "namespace"),),
        )
