"""Who reports a workload's metrics in a mesh that may mix sidecars and ambient.

Sidecar: the pod's own Envoy reports every Istio metric, `reporter="source"` on the client
and `"destination"` on the server. Ambient: ztunnel reports L4 metrics only
(`istio_tcp_*`, not customisable by Telemetry); a waypoint, when one serves the service,
reports the L7 metrics with `reporter="waypoint"`, server side only (reference stacks 2).
"""

from __future__ import annotations

from meshgen.models import MeshConfig, Namespace, Service
from meshgen.records import record

SIDECAR = "sidecar"
WAYPOINT = "waypoint"
ZTUNNEL = "ztunnel"


def namespace_of(config: MeshConfig, name: str) -> Namespace | None:
    """The managed namespace called `name`, if the config has one."""
    return config.namespace_index.get(name)


def is_ambient_namespace(config: MeshConfig, name: str) -> bool:
    ns = namespace_of(config, name)
    return ns is not None and ns.ambient


def service_is_ambient(config: MeshConfig, service: Service) -> bool:
    """Whether the service runs in a namespace meshgen labels for ambient."""
    return is_ambient_namespace(config, service.namespace)


def waypoint_serving(config: MeshConfig, service: Service) -> str | None:
    """The waypoint serving an ambient service: its own, else its namespace's; else None."""
    if not service_is_ambient(config, service):
        return None
    if service.waypoint is not None:
        return service.waypoint.name
    ns = namespace_of(config, service.namespace)
    return ns.waypoint.name if ns is not None and ns.waypoint is not None else None


def namespace_has_waypoint(config: MeshConfig, name: str) -> bool:
    """Whether any waypoint (the namespace's or a service's) runs in ambient namespace `name`."""
    ns = namespace_of(config, name)
    if ns is None or not ns.ambient:
        return False
    return ns.waypoint is not None or any(
        s.namespace == name and s.waypoint is not None for s in config.services
    )


def has_l7_proxy_anywhere(config: MeshConfig) -> bool:
    """Whether any workload of the mesh has an Envoy that honours Telemetry metric settings."""
    if config.istio.dataplane == "sidecar" or any(ns.injected for ns in config.namespaces):
        return True
    return any(namespace_has_waypoint(config, ns.name) for ns in config.namespaces)


@record
class Reporting:
    """Who reports a service's metrics, and which metric families exist for it."""

    dataplane: str
    reporters: tuple[str, ...]
    waypoint: str | None
    metrics: str


def reporting(config: MeshConfig, service: Service) -> Reporting:
    """Who reports `service`'s metrics (sidecar / waypoint / ztunnel)."""
    ns = namespace_of(config, service.namespace)
    if ns is not None and ns.ambient:
        waypoint = waypoint_serving(config, service)
        if waypoint is not None:
            return Reporting(
                "ambient",
                (WAYPOINT, ZTUNNEL),
                waypoint,
                'L7 from the waypoint (reporter="waypoint", server side only); TCP from ztunnel',
            )
        return Reporting("ambient", (ZTUNNEL,), None, "TCP only (istio_tcp_*), from ztunnel")
    if ns is not None and not ns.injected:
        return Reporting("none", (), None, "none: the namespace is not in the mesh")
    return Reporting(
        "sidecar",
        (SIDECAR,),
        None,
        'all Istio metrics, reporter="source" (client) and "destination" (server)',
    )


def reporting_table(
    config: MeshConfig, namespace: str | None, workload: tuple[str, str] | None
) -> list[tuple[Service, Reporting]]:
    """Each configured service in scope (namespace, `label=value`) with who reports it."""
    rows: list[tuple[Service, Reporting]] = []
    for svc in config.services:
        if namespace is not None and svc.namespace != namespace:
            continue
        if workload is not None and svc.selector_labels.get(workload[0]) != workload[1]:
            continue
        rows.append((svc, reporting(config, svc)))
    return rows


def reporting_json(rows: list[tuple[Service, Reporting]]) -> list[dict[str, object]]:
    return [
        {
            "service": svc.name,
            "namespace": svc.namespace,
            "dataplane": r.dataplane,
            "reporters": list(r.reporters),
            "waypoint": r.waypoint,
            "metrics": r.metrics,
        }
        for svc, r in rows
    ]


def reporting_text(rows: list[tuple[Service, Reporting]]) -> str:
    lines = ["", "Who reports each workload's metrics (ambient: ztunnel L4, waypoints L7)"]
    for svc, r in rows:
        who = ", ".join(r.reporters) or "nobody"
        via = f" (waypoint {r.waypoint})" if r.waypoint else ""
        lines.append(f"{svc.namespace + '/' + svc.name:40} {r.dataplane:8} {who}{via}")
        lines.append(f"    metrics: {r.metrics}")
    return "\n".join(lines) + "\n"
