"""What checks look at: the config, the rendered files, and the documents derived from them.

The same document types come from a config (`from_project`) or from files given to
`meshgen lint` (see `meshgen.lint`), so one check serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from meshgen import yamlio
from meshgen.models import MeshConfig, TelemetrySpec
from meshgen.render.files import RenderedFile
from meshgen.source import KeyPath, SourceMap, Span

Locate = Callable[[KeyPath], Span]


@dataclass(frozen=True)
class TelemetryDoc:
    """A Telemetry resource: name, namespace, spec, and where each spec key was written."""

    name: str
    namespace: str
    spec: TelemetrySpec
    locate: Locate
    #: Span of a spec *key* (e.g. a tag name); None: `locate` (the value) is the best known.
    locate_key: Locate | None = None


@dataclass(frozen=True)
class PodDoc:
    """A Pod known from linted files (its labels decide which Telemetry selects it)."""

    name: str
    namespace: str
    labels: dict[str, str]
    span: Span


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ValuesDoc:
    """Chart values to check against a chart's known keys (`chart` is istiod/base/grafana/...)."""

    chart: str
    data: dict[str, Any]
    locate: Locate


@dataclass
class CheckContext:
    """Inputs of one validation run. `kinds` says which inputs are present."""

    config: MeshConfig | None = None
    source: SourceMap = field(default_factory=lambda: SourceMap(""))
    files: Sequence[RenderedFile] = ()
    output_dir: str = ""
    telemetries: list[TelemetryDoc] = field(default_factory=list)
    pods: list[PodDoc] = field(default_factory=list)
    dashboards: list[DashboardDoc] = field(default_factory=list)
    values: list[ValuesDoc] = field(default_factory=list)
    #: Mesh root namespace and extension providers (from the config or linted values).
    root_namespace: str = "istio-system"
    extension_providers: tuple[str, ...] = ()
    istio_version: str | None = None
    kinds: set[str] = field(default_factory=set)
    #: What writing the tree would change (present for `check` and `validate --drift`).
    plan: Any = None
    #: Source maps of rendered files, built on first use by `rendered_span`.
    _rendered_maps: dict[str, SourceMap] = field(default_factory=dict, init=False, repr=False)
    #: What several checks derive from the same inputs (e.g. each dashboard's analysed
    #: queries), computed once per run; each key belongs to the module that fills it.
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def at(self, path: KeyPath) -> Span:
        """Span of a config key path."""
        return self.source.lookup(path)

    def key_at(self, path: KeyPath) -> Span:
        return self.source.lookup(path, key=True)

    def rendered(self, path: str) -> RenderedFile | None:
        for rendered in self.files:
            if rendered.path == path:
                return rendered
        return None

    def rendered_span(self, path: str, keys: KeyPath) -> Span:
        """Position of `keys` inside a rendered file (parsed on first use)."""
        from meshgen.loader import build_source_map

        maps = self._rendered_maps
        if path not in maps:
            rendered = self.rendered(path)
            shown = f"{self.output_dir}/{path}" if self.output_dir else path
            if rendered is None:
                return Span(shown)
            maps[path] = build_source_map(yamlio.load_roundtrip(rendered.text), shown)
        return maps[path].lookup(keys)
