"""`meshgen lint`: check plain files without a meshgen config.

Recognised, by content:
- YAML (multi-document) holding Istio `Telemetry` resources (telemetry.istio.io/v1 or
  v1alpha1), `Pod`s (the known workloads), `Namespace`s, `Job`s and `ConfigMap`s (Grafana
  dashboards in `data` entries ending in `.json`);
- a helmfile state (a mapping with `releases:`);
- istiod, base, grafana and prometheus chart values (by the keys only that chart has);
- Grafana dashboard JSON.

Files linted together are checked together: one `CheckContext` holds them all and every
registered check whose `needs` are present runs on it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Check, Finding
from meshgen.diagnostics import Diagnostic, diagnostic, sort_diagnostics
from meshgen.load import yaml_reader
from meshgen.load.config import validate_data
from meshgen.load.documents import DashboardDoc, Locate, PodDoc, TelemetryDoc, ValuesDoc
from meshgen.load.files import display_path, read_text
from meshgen.models import TelemetrySpec
from meshgen.render.files import RenderedFile
from meshgen.source import KeyPath, SourceMap, Span, iter_key_paths

TELEMETRY_API_VERSIONS = ("telemetry.istio.io/v1", "telemetry.istio.io/v1alpha1")
VALUES_CHARTS = ("istiod", "base", "grafana", "prometheus")
#: Codes that mean a file could not be read or parsed at all (exit 2, like `validate`).
UNREADABLE_CODES = frozenset({"C001", "C002", "C003", "C007"})


@dataclass
class LintResult:
    """Diagnostics of a lint run; `unreadable` when some input could not be read or parsed."""

    diagnostics: list[Diagnostic]
    unreadable: bool = False


@dataclass
class _Run:
    ctx: CheckContext
    chosen: list[Check]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def chosen_check(self, chk: Check) -> bool:
        return chk in self.chosen

    def report(self, chk: Check, message: str, span: Span) -> None:
        from meshgen.checks.engine import stamp

        if self.chosen_check(chk):
            self.diagnostics.append(stamp(chk, Finding(message, span=span), self.ctx))


def lint_files(paths: Sequence[Path]) -> list[Diagnostic]:
    """Lint files together with every registered check; diagnostics sorted by position."""
    return lint(paths).diagnostics


def lint(
    paths: Sequence[Path],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    debug: bool = False,
) -> LintResult:
    """Lint files together; `select`/`ignore` pick checks by code prefix."""
    from meshgen.checks import all_checks
    from meshgen.checks.engine import run_checks, select_checks

    chosen = select_checks(all_checks(), select=select, ignore=ignore)
    ctx, found = build_context(paths, chosen=chosen)
    diagnostics = found + run_checks(chosen, ctx, debug=debug)
    unreadable = any(d.code in UNREADABLE_CODES for d in diagnostics)
    return LintResult(sort_diagnostics(diagnostics), unreadable)


def build_context(
    paths: Sequence[Path], *, chosen: Sequence[Check] | None = None
) -> tuple[CheckContext, list[Diagnostic]]:
    """The check context of files linted together, and the diagnostics of reading them.

    Reading reports unreadable files (C001-C007), Telemetry specs the model refuses, and the
    resource-schema checks (K1xx) among `chosen` (default: all).
    """
    from meshgen.checks import all_checks

    run = _Run(CheckContext(), list(all_checks() if chosen is None else chosen))
    for path in paths:
        _lint_file(run, path)
    _context_from_values(run.ctx)
    return run.ctx, run.diagnostics


def _lint_file(run: _Run, path: Path) -> None:
    shown = display_path(path)
    start = Span(shown, 1, 1)
    if not path.exists():
        run.diagnostics.append(diagnostic("C001", f"file {shown} does not exist", start))
        return
    text, problem = read_text(path, shown)
    if problem is not None or text is None:
        if problem is not None:
            run.diagnostics.append(problem)
        return
    found = _lint_json(run, text, shown) if path.suffix == ".json" else _lint_yaml(run, text, shown)
    if found is False:
        run.diagnostics.append(
            diagnostic(
                "C010",
                f"nothing meshgen lint checks in {shown} (expected Telemetry, Pod, Namespace, "
                "Job or ConfigMap resources, a helmfile state, istiod/base/grafana/prometheus "
                "values, or a Grafana dashboard)",
                start,
            )
        )


# --- Grafana dashboard JSON ---------------------------------------------------------------


def _is_dashboard(data: Any) -> bool:
    return isinstance(data, dict) and ("panels" in data or "rows" in data)


def _lint_json(run: _Run, text: str, shown: str) -> bool | None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        span = Span(shown, exc.lineno, exc.colno)
        run.diagnostics.append(diagnostic("C002", f"invalid JSON: {exc.msg}", span))
        return None
    except RecursionError:
        run.diagnostics.append(diagnostic("C007", "the JSON nests too deep", Span(shown)))
        return None
    if not _is_dashboard(data):
        return False
    name = str(data.get("title") or Path(shown).stem)
    run.ctx.dashboards.append(DashboardDoc(name, shown, data, text))
    run.ctx.kinds.add("dashboards")
    return True


# --- YAML -----------------------------------------------------------------------------------


def _lint_yaml(run: _Run, text: str, shown: str) -> bool | None:
    documents = yaml_reader.parse_all(text, shown)
    if isinstance(documents, Diagnostic):
        run.diagnostics.append(documents)
        return None
    found = False
    for document in documents:
        node, data, smap = document.node, document.data, document.source
        if not isinstance(data, dict):
            continue
        if "kind" in data and "apiVersion" in data:
            found = _resource(run, node, data, smap, text) or found
        elif _helmfile_state(run, data, text, shown, len(documents)):
            found = True
        else:
            found = _values(run, data, smap) or found
    return found


def _resource(run: _Run, node: Any, data: dict[str, Any], smap: SourceMap, source: str) -> bool:
    from meshgen.checks import resources

    api, kind = str(data.get("apiVersion")), str(data.get("kind"))
    skip: tuple[str, ...] = ()
    if kind == "Telemetry" and api in TELEMETRY_API_VERSIONS:
        if not _telemetry(run, data, smap):
            skip = ("spec",)  # the model already reported the spec's problems
    elif (api, kind) == ("v1", "Pod"):
        _pod(run, data, smap)
        return True
    elif (api, kind) == ("v1", "ConfigMap"):
        _configmap_dashboards(run, node, data, smap, source)
    schema = resources.schema_for(data)
    if schema is None:
        return False
    chk = resources.CHECK_BY_SCHEMA[schema]
    for path, message in resources.resource_errors(data, skip=skip):
        run.report(chk, message, smap.lookup(path))
    return True


def _locator(smap: SourceMap, prefix: KeyPath, *, key: bool = False) -> Locate:
    def locate(path: KeyPath) -> Span:
        return smap.lookup((*prefix, *path), key=key)

    return locate


def _metadata(data: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = data.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _telemetry(run: _Run, data: dict[str, Any], smap: SourceMap) -> bool:
    """Validate the spec with the Telemetry model; True when it is valid."""
    spec = data.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        run.diagnostics.append(
            diagnostic("C005", "spec: a Telemetry spec must be a mapping", smap.lookup(("spec",)))
        )
        return False
    model, problems = validate_data(spec, smap, TelemetrySpec, prefix=("spec",))
    run.diagnostics.extend(problems)
    if model is None:
        return False
    meta = _metadata(data)
    run.ctx.telemetries.append(
        TelemetryDoc(
            name=str(meta.get("name") or "<unnamed>"),
            namespace=str(meta.get("namespace") or "default"),
            spec=model,
            locate=_locator(smap, ("spec",)),
            locate_key=_locator(smap, ("spec",), key=True),
        )
    )
    run.ctx.kinds.add("telemetry")
    return True


def _pod(run: _Run, data: dict[str, Any], smap: SourceMap) -> None:
    meta = _metadata(data)
    labels = meta.get("labels")
    labels = labels if isinstance(labels, Mapping) else {}
    run.ctx.pods.append(
        PodDoc(
            name=str(meta.get("name") or "<unnamed>"),
            namespace=str(meta.get("namespace") or "default"),
            labels={str(k): str(v) for k, v in labels.items()},
            span=smap.lookup(("metadata", "name")),
        )
    )
    run.ctx.kinds.add("pods")


def _configmap_dashboards(
    run: _Run, node: Any, data: dict[str, Any], smap: SourceMap, source: str
) -> None:
    entries = data.get("data")
    raw = node.get("data") if isinstance(node, Mapping) else None
    if not isinstance(entries, dict):
        return
    for key, text in entries.items():
        if not (isinstance(key, str) and key.endswith(".json") and isinstance(text, str)):
            continue
        declared = smap.lookup(("data", key), key=True)
        raw_text = raw.get(key) if isinstance(raw, Mapping) else None
        offset = _block_offset(raw_text, smap, key, source)
        try:
            board = json.loads(text)
        except json.JSONDecodeError as exc:
            span = (
                Span(declared.file, exc.lineno + offset[0], exc.colno + offset[1])
                if offset != (0, 0)
                else declared
            )
            run.diagnostics.append(diagnostic("C002", f"data.{key}: invalid JSON: {exc.msg}", span))
            continue
        if _is_dashboard(board):
            shown_text = text if offset != (0, 0) else ""
            run.ctx.dashboards.append(
                DashboardDoc(
                    key[: -len(".json")],
                    declared.file,
                    board,
                    shown_text,
                    declared=declared,
                    offset=offset,
                )
            )
            run.ctx.kinds.add("dashboards")


def _block_offset(raw: Any, smap: SourceMap, key: str, text: str) -> tuple[int, int]:
    """(lines, columns) from a `|` block scalar's text to the file; (0, 0) if not a block."""
    if not yaml_reader.is_literal_block(raw):
        return (0, 0)
    indicator = smap.lookup(("data", key))  # the 1-based line holding `|`
    lines = text.split("\n")
    if indicator.line >= len(lines):
        return (0, 0)
    first = lines[indicator.line]  # the first content line (0-based index of the next line)
    return (indicator.line, len(first) - len(first.lstrip(" ")))


# --- helmfile state and chart values --------------------------------------------------------


def _helmfile_state(run: _Run, data: dict[str, Any], text: str, shown: str, docs: int) -> bool:
    from meshgen.checks.helm.helmfile import is_helmfile_state

    if not is_helmfile_state(data):
        return False
    if docs == 1:
        files = list(run.ctx.files)
        files.append(RenderedFile(path=shown, parts=(text,), documents=(data,)))
        run.ctx.files = files
    return True


#: Top-level keys that mark a values file as one chart's (typos within 0.85 similarity count).
SIGNATURES: dict[str, frozenset[str]] = {
    "istiod": frozenset(
        {
            "meshConfig",
            "pilot",
            "telemetry",
            "sidecarInjectorWebhook",
            "revision",
            "revisionTags",
            "istiodRemote",
            "traceSampling",
            "taint",
            "gatewayClasses",
        }
    ),
    "base": frozenset({"defaultRevision"}),
    "grafana": frozenset(
        {
            "datasources",
            "dashboards",
            "dashboardProviders",
            "dashboardsConfigMaps",
            "grafana.ini",
            "adminUser",
            "adminPassword",
            "admin",
            "sidecar",
            "plugins",
            "imageRenderer",
        }
    ),
    "prometheus": frozenset(
        {
            "server",
            "extraScrapeConfigs",
            "scrapeConfigs",
            "serverFiles",
            "alertmanager",
            "kube-state-metrics",
            "prometheus-node-exporter",
            "prometheus-pushgateway",
        }
    ),
}


def _has(chart: str, path: KeyPath) -> bool:
    from meshgen.knowledge import charts

    keys = charts.chart_keys(chart)
    return keys is not None and keys.has(path)


def values_chart(data: Mapping[str, Any], name: str = "") -> str | None:
    """Which chart a values mapping is for, by its signature keys, else by known key paths.

    A file that only sets keys istiod and base share (e.g. `global.istioNamespace`) is base
    values when its file name says so, else istiod values; both charts read those keys alike.
    """
    import difflib

    scores = dict.fromkeys(VALUES_CHARTS, 0)
    for key in data:
        for chart, signature in SIGNATURES.items():
            if key in signature or difflib.get_close_matches(str(key), signature, 1, 0.85):
                scores[chart] += 1
    best = max(scores.values())
    candidates = [chart for chart, score in scores.items() if score == best]
    if best == 0:
        paths = list(iter_key_paths(data))
        candidates = [c for c in ("istiod", "base", "grafana") if all(_has(c, p) for p in paths)]
    if len(candidates) == 1:
        return candidates[0]
    if candidates and set(candidates) <= {"istiod", "base"}:
        return "base" if "base" in Path(name).name else "istiod"
    return None


def _values(run: _Run, data: dict[str, Any], smap: SourceMap) -> bool:
    chart = values_chart(data, smap.file)
    if chart is None:
        return False
    run.ctx.values.append(ValuesDoc(chart, data, _locator(smap, (), key=True)))
    run.ctx.kinds.add("values")
    return True


def _context_from_values(ctx: CheckContext) -> None:
    """Root namespace and extension providers from linted istiod values."""
    for doc in ctx.values:
        if doc.chart != "istiod":
            continue
        mesh = doc.data.get("meshConfig")
        mesh = mesh if isinstance(mesh, Mapping) else {}
        glob = doc.data.get("global")
        glob = glob if isinstance(glob, Mapping) else {}
        root = mesh.get("rootNamespace") or glob.get("istioNamespace")
        if isinstance(root, str) and root:
            ctx.root_namespace = root
        providers = mesh.get("extensionProviders")
        if isinstance(providers, list):
            ctx.extension_providers = tuple(
                str(p["name"]) for p in providers if isinstance(p, Mapping) and "name" in p
            )
