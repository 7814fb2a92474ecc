"""Which grafana.com revision of each Istio dashboard belongs to which Istio release.

Istio's release builder uploads one revision of each dashboard per release, its description
naming the version ("Istio Mesh Dashboard version 1.30.3", reference 5). The table holds the
releases meshgen knows, by minor version: the revisions this project pins for Istio 1.30
(the starter and infrastructure configs). grafana.com was not reachable when it was written,
so add a release here only from its published revision list.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from meshgen.knowledge import dashboards

#: gnetId -> {Istio minor version: revision}.
REVISIONS: Mapping[int, Mapping[str, int]] = MappingProxyType(
    {
        dashboards.MESH.gnet_id: {"1.30": 330},
        dashboards.SERVICE.gnet_id: {"1.30": 329},
        dashboards.WORKLOAD.gnet_id: {"1.30": 329},
        dashboards.PERFORMANCE.gnet_id: {"1.30": 329},
        dashboards.CONTROL_PLANE.gnet_id: {"1.30": 329},
    }
)

#: `meshgen dashboards add NAME`: the names, as the starter config spells them.
BY_NAME: Mapping[str, dashboards.IstioDashboard] = MappingProxyType(
    {
        f"istio-{d.key}": d
        for d in (
            dashboards.MESH,
            dashboards.SERVICE,
            dashboards.WORKLOAD,
            dashboards.PERFORMANCE,
            dashboards.CONTROL_PLANE,
        )
    }
)


def minor(version: str) -> str | None:
    """`1.30` of `1.30.3` (or of `1.30`); None when it is not a version."""
    parts = version.lstrip("v").split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return f"{int(parts[0])}.{int(parts[1])}"


def revision_for(gnet_id: int, istio_version: str) -> int | None:
    """The revision of dashboard `gnet_id` published for `istio_version`; None: not known."""
    release = minor(istio_version)
    return REVISIONS.get(gnet_id, {}).get(release) if release else None


def releases_of(gnet_id: int, revision: int) -> list[str]:
    """The Istio releases (minor versions) whose revision of `gnet_id` is `revision`."""
    return sorted(v for v, r in REVISIONS.get(gnet_id, {}).items() if r == revision)
