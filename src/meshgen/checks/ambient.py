"""C140-C141: the ambient data plane in the config (namespaces, waypoints)."""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.analysis.ambient import service_is_ambient
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity


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
