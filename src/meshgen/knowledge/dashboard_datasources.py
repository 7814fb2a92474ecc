"""How Istio's grafana.com dashboards name their datasource (Istio 1.30.3, reference 5).

Istio's dashboards pick their datasource through a template variable
(`{name: datasource, type: datasource, query: prometheus}`, panels use
`{"type": "prometheus", "uid": "${datasource}"}`); the only literal reference, the `qrep`
custom variable's `"datasource": "Prometheus"`, is what release-builder rewrites to
`"${DS_PROMETHEUS}"` for grafana.com, and a custom variable never queries it. So no binding
is needed for them, and either form of the grafana chart's `datasource:` is harmless as long
as it names a datasource that exists. `tests/test_dashboard_datasources.py` rebuilds this
record from the real dashboard JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from meshgen.records import record


@record(slots=True)
class DatasourceRefs:
    """The datasource references of a dashboard that decide where its queries go."""

    #: `"datasource": "<string>"` references of panels, targets, query variables and
    #: annotations, e.g. `${DS_PROMETHEUS}` or `Prometheus` (template-variable references
    #: and Grafana's built-ins left out). The chart's string form rewrites these.
    strings: frozenset[str] = frozenset()
    #: `uid`s of object references that name a grafana.com input (`${DS_PROMETHEUS}`):
    #: only the list form substitutes them.
    input_uids: frozenset[str] = frozenset()
    #: The datasource-type template variable the dashboard reads through, if any.
    variable: str | None = None

    @property
    def inputs(self) -> frozenset[str]:
        """Input names (`DS_PROMETHEUS`) referenced, as a string or an object uid."""
        return frozenset(
            ref.strip("${}") for ref in self.strings | self.input_uids if ref.startswith("$")
        )


_VIA_VARIABLE = DatasourceRefs(variable="datasource")

#: grafana.com id -> the datasource references of its revision for Istio 1.30.3.
ISTIO_GRAFANA_COM: Mapping[int, DatasourceRefs] = MappingProxyType(
    {
        7639: _VIA_VARIABLE,  # Mesh
        7636: _VIA_VARIABLE,  # Service
        7630: _VIA_VARIABLE,  # Workload
        11829: _VIA_VARIABLE,  # Performance
        7645: _VIA_VARIABLE,  # Control Plane
    }
)
