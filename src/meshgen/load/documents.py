"""The documents checks read, whether they come from a config or from files given to lint.

A config's Telemetry resources, dashboards and chart values (`checks/build.py`) and the
same kinds found in plain files (`meshgen lint`) become these types, so one check serves
both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from meshgen.models import TelemetrySpec
from meshgen.records import record
from meshgen.source import KeyPath, Span

if TYPE_CHECKING:
    from meshgen.analysis.dashboards import DashboardQuery

Locate = Callable[[KeyPath], Span]


@record
class TelemetryDoc:
    """A Telemetry resource: name, namespace, spec, and where each spec key was written."""

    name: str
    namespace: str
    spec: TelemetrySpec
    locate: Locate
    #: Span of a spec *key* (e.g. a tag name); None: `locate` (the value) is the best known.
    locate_key: Locate | None = None


@record
class PodDoc:
    """A Pod known from linted files (its labels decide which Telemetry selects it)."""

    name: str
    namespace: str
    labels: dict[str, str]
    span: Span


@record
class DashboardDoc:
    """A Grafana dashboard, parsed (local JSON) or known by grafana.com id (`gnet_id`)."""

    name: str
    file: str
    data: dict[str, Any] | None
    text: str = ""
    #: Where the dashboard is declared in the config, when it comes from one.
    declared: Span | None = None
    gnet_id: int | None = None
    #: (lines, columns) to add to a position in `text` when the JSON sits inside another
    #: file (a ConfigMap's `|` block scalar, linted by `meshgen lint`).
    offset: tuple[int, int] = (0, 0)
    #: `analysis.dashboards.dashboard_queries(data)`, when the renderer carried it with a
    #: generated dashboard; None: analysed when a check first asks (`queries_of`).
    queries: tuple[DashboardQuery, ...] | None = None

    def locate_text(self, needle: str) -> Span:
        """Position of the first occurrence of `needle` (JSON-escaped) in the file."""
        import json

        escaped = json.dumps(needle)[1:-1]
        index = self.text.find(escaped)
        if index < 0:
            return self.declared or Span(self.file, 1, 1)
        line = self.text.count("\n", 0, index) + 1
        col = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return Span(self.file, line + self.offset[0], col + self.offset[1])


@record
class MonitorDoc:
    """A Prometheus Operator PodMonitor or ServiceMonitor: which Prometheus selects it."""

    kind: str
    name: str
    namespace: str
    labels: dict[str, str]
    #: Where its `metadata.labels` (or, without labels, its name) is written.
    span: Span


@record
class ValuesDoc:
    """Chart values to check against a chart's known keys (`chart` is istiod/base/grafana/...)."""

    chart: str
    data: dict[str, Any]
    locate: Locate
    #: The same values also go to a release of `chart` while another chart's checks read
    #: them (a file istiod and gateway releases share): only whole-file checks of `chart`,
    #: such as its values schema, read this document.
    secondary: bool = False
