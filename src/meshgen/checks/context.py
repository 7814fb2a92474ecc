"""What checks look at: the config, the rendered files, and the documents derived from them.

The same document types come from a config (`from_project`) or from files given to
`meshgen lint` (see `meshgen.checks.lint`), so one check serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Any

from meshgen.load import yaml_reader
from meshgen.load.documents import DashboardDoc, MonitorDoc, PodDoc, TelemetryDoc, ValuesDoc
from meshgen.models import MeshConfig
from meshgen.records import record
from meshgen.render.files import RenderedFile
from meshgen.source import KeyPath, SourceMap, Span


@record(frozen=False)
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
    #: Prometheus Operator PodMonitors and ServiceMonitors (kind "monitors").
    monitors: list[MonitorDoc] = field(default_factory=list)
    #: Mesh root namespace and extension providers (from the config or linted values).
    root_namespace: str = "istio-system"
    extension_providers: tuple[str, ...] = ()
    istio_version: str | None = None
    #: Versions of other charts (kube-prometheus-stack, kiali-server, gateway) that linted
    #: helmfile releases pin; a config's own versions are read from the config.
    chart_versions: dict[str, str] = field(default_factory=dict)
    #: Labels of the namespaces known: linted `Namespace` objects, a config's `namespaces:`.
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)
    #: What writing the tree would change (present for `check` and `validate --drift`).
    plan: Any = None
    #: The text of a released rendered file (one the tree on disk was proven to hold), read
    #: from that tree when a finding needs a position in it; None: positions fall back.
    released_text: Callable[[str], str | None] = lambda _path: None
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

    def add_positions(self, path: str, smap: SourceMap) -> None:
        """Positions of a file's keys, for `rendered_span`.

        A helmfile `meshgen lint` read from several documents has no single one to parse.
        """
        self._rendered_maps[path] = smap

    @property
    def known_positions(self) -> dict[str, SourceMap]:
        """The source maps `rendered_span` has built or was given, by file."""
        return self._rendered_maps

    def rendered_span(self, path: str, keys: KeyPath) -> Span:
        """Position of `keys` inside a rendered file (parsed on first use)."""
        return self.rendered_source_map(path).lookup(keys)

    def rendered_source_map(self, path: str) -> SourceMap:
        """The source map of a rendered file (parsed on first use; empty when unknown)."""
        from meshgen.load.yaml_reader import build_source_map

        maps = self._rendered_maps
        if path not in maps:
            rendered = self.rendered(path)
            shown = f"{self.output_dir}/{path}" if self.output_dir else path
            text = None
            if rendered is not None:
                text = rendered.text if not rendered.released else self.released_text(path)
            if text is None:
                return SourceMap(shown)
            maps[path] = build_source_map(yaml_reader.load_roundtrip(text), shown)
        return maps[path]
