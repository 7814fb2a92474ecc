"""`meshgen lint`: check plain files without a meshgen config.

Recognised, by content:
- YAML (multi-document) holding Istio `Telemetry` resources (telemetry.istio.io/v1 or
  v1alpha1), workloads (Pods and the pod templates of Deployments, StatefulSets,
  DaemonSets, ReplicaSets, Jobs, CronJobs), `Namespace`s, `ConfigMap`s (Grafana dashboards
  in `data` entries ending in `.json`) and an IstioOperator's `spec.meshConfig`;
- helmfile states: one or several documents, `.gotmpl` templates read without rendering,
  releases' inline `values:` (checked as the release chart's values);
- Prometheus Operator PodMonitors and ServiceMonitors (checked against the selectors of a
  kube-prometheus-stack release's Prometheus);
- istiod, base, grafana, prometheus and kube-prometheus-stack chart values (by the keys only
  that chart has; the istiod and base charts' `_internal_defaults_do_not_set` layout
  unwrapped; kube-prometheus-stack's `grafana:` section as grafana values);
- Grafana dashboard JSON.

Files are grouped by project (`group_inputs`); each project's files are checked together in
one `CheckContext`, on which every registered check whose `needs` are present runs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.dashboard_delivery import LINTED_CONFIGMAPS, linted_configmap
from meshgen.checks.framework import Check, Finding
from meshgen.diagnostics import Diagnostic, close_matches, diagnostic, sort_diagnostics
from meshgen.knowledge import istio as istio_facts
from meshgen.knowledge import istio_versions
from meshgen.knowledge import kube_prometheus_stack as kps
from meshgen.load import json_reader, yaml_reader
from meshgen.load.config import validate_data
from meshgen.load.documents import DashboardDoc, Locate, PodDoc, TelemetryDoc, ValuesDoc
from meshgen.load.files import display_path, read_text
from meshgen.load.lint_inputs import (
    INTERNAL_DEFAULTS,
    STATE_VALUE_READ,
    PodTemplate,
    StatePart,
    common_parent,
    helmfile_root,
    is_state_document,
    is_templated,
    kiali_shaped,
    looks_like_helmfile,
    merged_state,
    pod_template,
    release_values_files,
    state_keys_read,
    state_values_files,
    untemplate,
    unwrap_internal_defaults,
)
from meshgen.models import TelemetrySpec
from meshgen.records import record
from meshgen.render.files import RenderedFile
from meshgen.source import KeyPath, SourceMap, Span, iter_key_paths

TELEMETRY_API_VERSIONS = ("telemetry.istio.io/v1", "telemetry.istio.io/v1alpha1")
VALUES_CHARTS = ("istiod", "base", "grafana", "prometheus", "gateway", "kiali-server")
#: Charts of which a project commonly has several values files (ingress and egress gateways):
#: never a reason to check files apart (C014).
_MANY_PER_PROJECT = frozenset({"gateway"})
#: Codes that mean a file could not be read or parsed at all (exit 2, like `validate`).
UNREADABLE_CODES = frozenset({"C001", "C002", "C003", "C007"})


@record(frozen=False)
class LintResult:
    """Diagnostics of a lint run; `unreadable` when some input could not be read or parsed."""

    diagnostics: list[Diagnostic]
    unreadable: bool = False


@record(frozen=False)
class _Run:
    """What reading one file found: its documents (in `ctx`) and how it belongs to a project."""

    ctx: CheckContext
    chosen: list[Check]
    path: Path = Path()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Kinds of which a project has one file: "helmfile" and the values' charts.
    singles: set[str] = field(default_factory=set)
    #: Values files the file's helmfile releases name: path -> (release key, chart or None).
    references: dict[Path, tuple[str, str | None]] = field(default_factory=dict)
    #: Every known chart of the releases naming each of those files.
    reference_charts: dict[Path, set[str]] = field(default_factory=dict)
    #: Charts of all releases that name this file (it may serve istiod and a gateway).
    also_charts: set[str] = field(default_factory=set)
    #: Release keys ("<helmfile>#<index>") whose values this file is (layers of one release).
    layers: set[str] = field(default_factory=set)
    #: Istio version of an istiod/base release (`version:`) and where it is written.
    istio_version: tuple[str, Span] | None = None
    #: Versions the file's helmfile releases pin for other charts meshgen knows the keys of.
    chart_versions: dict[str, tuple[str, Span]] = field(default_factory=dict)
    #: Chart a helmfile release says this file's values are for.
    chart_hint: str | None = None
    #: State values files of the file's helmfile: path -> top-level keys its templates read.
    state_values: dict[Path, frozenset[str]] = field(default_factory=dict)
    #: Top-level keys of this file that a helmfile's templates read (not chart values).
    state_keys: frozenset[str] = frozenset()
    #: apiVersion of each Telemetry resource and where it is written.
    telemetry_apis: list[tuple[str, Span]] = field(default_factory=list)

    def chosen_check(self, chk: Check) -> bool:
        return chk in self.chosen

    def report(self, chk: Check, message: str, span: Span) -> None:
        from meshgen.checks.engine import stamp

        if self.chosen_check(chk):
            self.diagnostics.append(stamp(chk, Finding(message, span=span), self.ctx))


def lint_files(paths: Sequence[Path], *, istio_version: str | None = None) -> list[Diagnostic]:
    """Lint files together with every registered check; diagnostics sorted by position."""
    return lint(paths, istio_version=istio_version).diagnostics


def lint(
    paths: Sequence[Path],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    debug: bool = False,
    istio_version: str | None = None,
) -> LintResult:
    """Lint files, each project's files together; `select`/`ignore` pick checks by code prefix.

    Files are grouped by the project they belong to (`group_inputs`): a helmfile state and
    the values files its releases name, else the files under one helmfile's directory, else
    one directory (merged with sibling directories while that mixes no two files of a kind).
    `istio_version` (`--istio-version`) overrides the version a helmfile release pins.
    """
    from meshgen.checks import all_checks
    from meshgen.checks.engine import run_checks, select_checks

    chosen = select_checks(all_checks(), select=select, ignore=ignore)
    runs = _read_all(paths, chosen)
    diagnostics = [d for run in runs for d in run.diagnostics]
    for group, note in group_inputs(runs):
        ctx = _merge(group, istio_version)
        diagnostics.extend(note)
        diagnostics.extend(_version_notes(group, ctx, istio_version))
        diagnostics.extend(_chart_version_notes(group, ctx))
        diagnostics.extend(run_checks(chosen, ctx, debug=debug))
    unreadable = any(d.code in UNREADABLE_CODES for d in diagnostics)
    return LintResult(sort_diagnostics(diagnostics), unreadable)


def build_context(
    paths: Sequence[Path], *, chosen: Sequence[Check] | None = None
) -> tuple[CheckContext, list[Diagnostic]]:
    """The check context of files read as one project, and the diagnostics of reading them.

    Reading reports unreadable files (C001-C007), Telemetry specs the model refuses, and the
    resource-schema checks (K1xx) among `chosen` (default: all).
    """
    from meshgen.checks import all_checks

    runs = _read_all(paths, list(all_checks() if chosen is None else chosen))
    return _merge(runs, None), [d for run in runs for d in run.diagnostics]


def _read_all(paths: Sequence[Path], chosen: Sequence[Check]) -> list[_Run]:
    """Read every file; helmfile states first, so the values files they name know their chart."""
    runs = [_Run(CheckContext(), list(chosen), path) for path in paths]
    hints: dict[Path, tuple[str, str | None]] = {}
    also: dict[Path, set[str]] = {}
    state_keys: dict[Path, frozenset[str]] = {}
    order = sorted(range(len(runs)), key=lambda i: not looks_like_helmfile(str(paths[i])))
    for i in order:
        run = runs[i]
        known = hints.get(_absolute(run.path))
        if known is not None:
            run.chart_hint = known[1]
        run.state_keys = state_keys.get(_absolute(run.path), frozenset())
        run.also_charts = also.get(_absolute(run.path), set())
        _lint_file(run, run.path)
        for path, charts in run.reference_charts.items():
            also.setdefault(path, set()).update(charts)
        for path, ref in run.references.items():
            if hints.get(path, ("", None))[1] is None or ref[1] == "istiod":
                hints[path] = ref
        for path, keys in run.state_values.items():
            state_keys[path] = state_keys.get(path, frozenset()) | keys
    for run in runs:
        named = hints.get(_absolute(run.path))
        if named is not None:
            run.layers.add(named[0])
        if "helmfile" in run.singles and run.path.parent.name == "helmfile.d":
            run.layers.add(str(_absolute(run.path).parent))  # one state in several files
    return runs


def _absolute(path: Path) -> Path:
    """`path` from the filesystem root, `..` resolved but symlinks kept (as shown)."""
    return Path(os.path.normpath(path.absolute()))


def _merge(runs: Sequence[_Run], istio_version: str | None) -> CheckContext:
    """One check context of the documents of `runs` (the files of one project)."""
    ctx = CheckContext()
    files: list[RenderedFile] = []
    for run in runs:
        part = run.ctx
        ctx.telemetries.extend(part.telemetries)
        ctx.pods.extend(part.pods)
        ctx.dashboards.extend(part.dashboards)
        ctx.values.extend(part.values)
        ctx.monitors.extend(part.monitors)
        files.extend(part.files)
        ctx.kinds |= part.kinds
        linted = part.memo.get(LINTED_CONFIGMAPS)
        if linted:  # the dashboard ConfigMaps reading found (G121, G122)
            ctx.memo.setdefault(LINTED_CONFIGMAPS, []).extend(linted)
        for path, smap in part.known_positions.items():
            ctx.add_positions(path, smap)
        for name, labels in part.namespace_labels.items():
            ctx.namespace_labels.setdefault(name, labels)
    ctx.files = files
    ctx.istio_version = istio_version or next(
        (run.istio_version[0] for run in runs if run.istio_version is not None), None
    )
    for run in runs:
        for chart, (version, _) in run.chart_versions.items():
            ctx.chart_versions.setdefault(chart, version)
    _context_from_values(ctx)
    return ctx


# --- projects -------------------------------------------------------------------------------

#: A project's files, and the notes about what was not combined.
Group = tuple[list[_Run], list[Diagnostic]]


def group_inputs(runs: Sequence[_Run]) -> list[Group]:
    """The files of each project, checked together; a file may serve two projects.

    A helmfile state's project is its directory and the values files its releases name;
    another file belongs to the nearest helmfile directory above it (up to the directory
    holding every input), else to its own directory, which joins the nearest directory
    above it holding inputs (sibling directories stay apart) unless that mixes two files of
    a kind (helmfile state, istiod/base/grafana/prometheus/kube-prometheus-stack values) or
    crosses a `.git` boundary. Two files of a kind within one project (other than layers of one
    release's `values:`) are never combined: each is checked alone (C014).
    """
    # A missing file was reported (C001) and holds nothing to check.
    present = [run for run in runs if _absolute(run.path).exists()]
    if not present:
        return []
    limit = common_parent([_absolute(run.path) for run in present])
    groups: dict[Path, list[_Run]] = {}
    anchored: set[Path] = set()
    for run in present:
        path = _absolute(run.path)
        homes = [
            _absolute(other.path).parent
            for other in present
            if "helmfile" in other.singles and path in other.references
        ]
        if "helmfile" in run.singles:
            # helmfile.d/*.yaml are parts of the state of the directory above
            homes.append(path.parent.parent if path.parent.name == "helmfile.d" else path.parent)
        if not homes:
            root = helmfile_root(path, limit)
            if root is not None:
                homes.append(root)
        anchored.update(homes)
        for home in homes or [path.parent]:
            groups.setdefault(home, []).append(run)
    _merge_nested(groups, anchored, limit)
    out: list[Group] = []
    for key in sorted(groups):
        out.extend(_split(groups[key]))
    return out


def _conflicts(runs: Sequence[_Run]) -> dict[str, list[_Run]]:
    """Kinds held by more than one file of `runs` that are not layers of one release."""
    out: dict[str, list[_Run]] = {}
    for kind in sorted({kind for run in runs for kind in run.singles}):
        holders = [run for run in runs if kind in run.singles]
        if len(holders) > 1 and not set.intersection(*(run.layers for run in holders)):
            out[kind] = holders
    return out


def _merge_nested(groups: dict[Path, list[_Run]], anchored: set[Path], limit: Path) -> None:
    """Merge each directory's files into the nearest directory above holding inputs.

    Only nesting joins: sibling directories (`team-a/`, `team-b/`) with no input above them
    stay apart, since nothing says they are one project. A merge that would mix two files
    of a kind, or cross a `.git` boundary, is not made.
    """
    for key in sorted(groups, key=lambda k: (-len(k.parts), k)):
        if key in anchored or key == limit or limit not in key.parents or (key / ".git").exists():
            continue
        for above in key.parents:
            if above in groups:
                merged = [*groups[above], *(r for r in groups[key] if r not in groups[above])]
                if not _conflicts(merged):
                    groups[above] = merged
                    del groups[key]
                break
            if above == limit or (above / ".git").exists():
                break
    _share_workloads(groups)


def _share_workloads(groups: dict[Path, list[_Run]]) -> None:
    """A directory holding only workloads joins each sibling directory's files.

    Workloads say which pods exist (the selectors' targets), not how a project is
    configured, so they cannot carry one project's values or providers into another; a
    Telemetry beside its istiod values and the Deployments in `../app/` are checked together.
    """
    workload_only = [
        key for key, runs in groups.items() if all(run.ctx.kinds == {"pods"} for run in runs)
    ]
    for key in workload_only:
        siblings = [k for k in groups if k.parent == key.parent and k not in workload_only]
        for sibling in siblings:
            groups[sibling] = [*groups[sibling], *groups[key]]
        if siblings:
            del groups[key]


def _split(runs: list[_Run]) -> list[Group]:
    """The project's files, with each file of a duplicated kind checked on its own."""
    conflicts = _conflicts(runs)
    if not conflicts:
        return [(runs, [])]
    alone: list[_Run] = []
    notes: list[Diagnostic] = []
    for kind, holders in conflicts.items():
        shown = ", ".join(display_path(run.path) for run in holders)
        for run in holders:
            if run not in alone:
                alone.append(run)
            notes.append(
                diagnostic(
                    "C014",
                    f"{_KIND_NAMES.get(kind, kind)} {display_path(run.path)} is checked on its "
                    f"own: the files of one project include several of that kind ({shown}), "
                    "and meshgen does not guess which the other files go with",
                    Span(display_path(run.path), 1, 1),
                )
            )
    rest = [run for run in runs if run not in alone]
    out: list[Group] = [([run], notes if i == 0 else []) for i, run in enumerate(alone)]
    if rest:
        out.append((rest, []))
    return out


_KIND_NAMES = {
    "helmfile": "helmfile state",
    "istiod": "istiod values",
    "base": "base values",
    "grafana": "grafana values",
    "prometheus": "prometheus values",
    kps.CHART: "kube-prometheus-stack values",
    "kiali-server": "kiali-server values",
}


# --- the Istio version ----------------------------------------------------------------------


def _version_notes(
    runs: Sequence[_Run], ctx: CheckContext, option: str | None
) -> Iterator[Diagnostic]:
    """C011 and C013 of a project's Istio version.

    C011 when it is a version meshgen has no facts for; C013 for a Telemetry API version
    it does not serve.
    """
    version = ctx.istio_version
    if version is None:
        return
    uses_facts = ctx.telemetries or any(v.chart in ("istiod", "base") for v in ctx.values)
    pinned = next((run.istio_version for run in runs if run.istio_version is not None), None)
    if option is not None or pinned is None:
        first = next((run for run in runs if run.ctx.telemetries or run.ctx.values), None)
        where = Span(display_path(first.path), 1, 1) if first else None
        source = "--istio-version"
    else:
        where = pinned[1]
        source = "the helmfile release"
    if uses_facts and where is not None and not istio_versions.has_facts(version):
        yield diagnostic(
            "C011",
            f"Istio {version} ({source}) is not a version meshgen has facts for (it has "
            f"{istio_versions.describe_supported()}): Telemetry checks use the "
            f"{istio_facts.newest().version} facts, which may not hold for {version}, and "
            "istiod/base value keys are not checked",
            where,
        )
    for run in runs:
        for api, span in run.telemetry_apis:
            if istio_versions.telemetry_api_served(api, version) is False:
                since = istio_versions.TELEMETRY_API_SINCE[api]
                yield diagnostic(
                    "C013",
                    f"apiVersion {api} is served from Istio {since[0]}.{since[1]}; Istio "
                    f"{version} ({source}) does not know it",
                    span,
                    hint="use telemetry.istio.io/v1alpha1 for Istio before 1.22",
                )


def _chart_version_notes(runs: Sequence[_Run], ctx: CheckContext) -> Iterator[Diagnostic]:
    """C015 for a release's chart version whose value keys meshgen does not know."""
    from meshgen.knowledge import charts

    present = {doc.chart for doc in ctx.values}
    for run in runs:
        for chart, (version, span) in sorted(run.chart_versions.items()):
            if chart not in present or charts.chart_keys(chart, version) is not None:
                continue
            known = charts.chart_keys(chart)
            has = f" (it has {known.version})" if known is not None else ""
            yield diagnostic(
                "C015",
                f"{chart} {version} (the helmfile release) is not a version meshgen knows the "
                f"value keys of{has}: the {chart} values are not checked for unknown keys",
                span,
            )


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
    if path.suffix == ".json":
        found = _lint_json(run, text, shown)
    elif path.name.endswith(".gotmpl"):
        found = _lint_gotmpl(run, text, shown)
    else:
        found = _lint_yaml(run, text, shown)
    if found is False:
        run.diagnostics.append(
            diagnostic(
                "C010",
                f"nothing meshgen lint checks in {shown} (expected Telemetry resources, "
                "workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, "
                "CronJob), Namespace, ConfigMap or IstioOperator resources, a helmfile state, "
                "istiod/base/gateway/grafana/prometheus/kube-prometheus-stack/kiali-server "
                "values, or a Grafana dashboard)",
                start,
            )
        )


# --- Grafana dashboard JSON ---------------------------------------------------------------


def _is_dashboard(data: Any) -> bool:
    return isinstance(data, dict) and ("panels" in data or "rows" in data)


def _lint_json(run: _Run, text: str, shown: str) -> bool | None:
    try:
        data = json_reader.loads(text)
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
        if "{{" in text and (looks_like_helmfile(shown) or "\nreleases:" in f"\n{text}"):
            run.diagnostics.append(_templated_yaml(documents, shown))
            _lint_gotmpl(run, text, shown, note=False)
            return None
        run.diagnostics.append(documents)
        return None
    found = False
    state: list[StatePart] = []
    for document in documents:
        node, data, smap = document.node, document.data, document.source
        if not isinstance(data, dict):
            continue
        if "kind" in data and "apiVersion" in data:
            found = _resource(run, node, data, smap, text) or found
        elif is_state_document(data):
            state.append(StatePart(data, smap))
        else:
            found = _values(run, data, smap) or found
    if state:
        _helmfile_state(run, state, text, shown)
        found = True
    return found


def _templated_yaml(problem: Diagnostic, shown: str) -> Diagnostic:
    """C002 of a helmfile named `.yaml` that holds Go template actions, saying why."""
    return diagnostic(
        "C002",
        f"{problem.message}: {shown} holds Go template actions, which helmfile 1.x renders only "
        "in files named *.gotmpl (it reads a .yaml state as plain YAML)",
        problem.span,
        hint=f"rename it to {Path(shown).name}.gotmpl",
    )


def _lint_gotmpl(run: _Run, text: str, shown: str, *, note: bool = True) -> bool | None:
    """A templated helmfile (`helmfile.yaml.gotmpl`): read with its template actions taken out.

    What the templates would render is not known: lines that are only actions are blanked,
    inline expressions become a marker the checks skip; a note (C012) says what was skipped.
    """
    plain = untemplate(text)
    documents = yaml_reader.parse_all(plain.text, shown)
    if isinstance(documents, Diagnostic):
        if not note:
            return None
        run.diagnostics.append(
            diagnostic(
                "C012",
                f"{shown} is a Go template that is not YAML until helmfile renders it "
                f"({documents.message}); nothing in it is checked (lint the output of "
                "`helmfile template` or `helmfile build` instead)",
                Span(shown, 1, 1),
            )
        )
        return None
    state = [StatePart(d.data, d.source) for d in documents if is_state_document(d.data)]
    if state:
        _helmfile_state(run, state, plain.text, shown, raw=text)
    else:  # a templated values file (`values.yaml.gotmpl`)
        recognised = [_values(run, d.data, d.source) for d in documents if isinstance(d.data, dict)]
        if not any(recognised):
            return False
    if plain.lines and note:
        more = ", ..." if len(plain.lines) > 8 else ""
        lines = ", ".join(str(n) for n in plain.lines[:8]) + more
        run.diagnostics.append(
            diagnostic(
                "C012",
                f"{shown} is a Go template: {len(plain.lines)} line(s) with template actions "
                f"(line {lines}) were read without rendering them; releases and values those "
                "actions produce or change are not checked",
                Span(shown, plain.lines[0], 1),
            )
        )
    return True


def _resource(run: _Run, node: Any, data: dict[str, Any], smap: SourceMap, source: str) -> bool:
    from meshgen.checks import resources

    api, kind = str(data.get("apiVersion")), str(data.get("kind"))
    skip: tuple[str, ...] = ()
    workload = pod_template(data)
    if kind == "Telemetry" and api in TELEMETRY_API_VERSIONS:
        run.telemetry_apis.append((api, smap.lookup(("apiVersion",))))
        if not _telemetry(run, data, smap):
            skip = ("spec",)  # the model already reported the spec's problems
    elif workload is not None:
        _pod(run, workload, smap)
        if (api, kind) == ("v1", "Pod"):
            return True
    elif (api, kind) == ("v1", "ConfigMap"):
        _configmap_dashboards(run, node, data, smap, source)
    elif (api, kind) == ("v1", "Namespace"):
        meta = _metadata(data)
        labels = meta.get("labels")
        if meta.get("name"):
            run.ctx.namespace_labels[str(meta["name"])] = {
                str(k): str(v) for k, v in (labels.items() if isinstance(labels, Mapping) else ())
            }
    elif (api, kind) == ("install.istio.io/v1alpha1", "IstioOperator"):
        return _istio_operator(run, data, smap)
    elif (monitor := kps.monitor_doc(data, smap)) is not None:
        run.ctx.monitors.append(monitor)
        run.ctx.kinds.add("monitors")
        return True
    schema = resources.schema_for(data)
    if schema is None:
        return workload is not None
    chk = resources.CHECK_BY_SCHEMA[schema]
    for path, message in resources.resource_errors(data, skip=skip):
        run.report(chk, message, smap.lookup(path))
    return True


def _istio_operator(run: _Run, data: Mapping[str, Any], smap: SourceMap) -> bool:
    """An IstioOperator's `spec.meshConfig`: the mesh config istiod gets, like istiod values'.

    Its `spec.values` and `components` follow the operator's own layout and are not checked.
    """
    spec = data.get("spec")
    mesh = spec.get("meshConfig") if isinstance(spec, Mapping) else None
    if not isinstance(mesh, dict):
        return False
    run.ctx.values.append(
        ValuesDoc("istiod", {"meshConfig": mesh}, _locator(smap, ("spec",), key=True))
    )
    run.ctx.kinds.add("values")
    run.singles.add("istiod")
    run.diagnostics.append(
        diagnostic(
            "C012",
            "IstioOperator: its spec.meshConfig is checked (as the mesh config istiod gets); "
            "spec.values and spec.components are not",
            smap.lookup(("spec", "meshConfig"), key=True),
        )
    )
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


def injected_labels(labels: Mapping[str, str], workload: str) -> dict[str, str]:
    """A pod's labels once Istio's sidecar injector has added its own.

    The injector labels every injected pod with its canonical service (the
    `app.kubernetes.io/name` or `app` label, else the workload's name), canonical revision
    (`app.kubernetes.io/version` or `version`, else `latest`) and `security.istio.io/tlsMode:
    istio`, unless the pod sets them; a Telemetry selector may match those. Whether a pod
    is injected is not known from the files, so they are assumed: a selector on them is not
    called unmatched.
    """
    out = dict(labels)
    out.setdefault(
        "service.istio.io/canonical-name",
        labels.get("app.kubernetes.io/name") or labels.get("app") or workload,
    )
    out.setdefault(
        "service.istio.io/canonical-revision",
        labels.get("app.kubernetes.io/version") or labels.get("version") or "latest",
    )
    out.setdefault("security.istio.io/tlsMode", "istio")
    return out


def _pod(run: _Run, workload: PodTemplate, smap: SourceMap) -> None:
    """The pods of a Pod or a workload's pod template (their labels decide selection)."""
    run.ctx.pods.append(
        PodDoc(
            name=workload.name,
            namespace=workload.namespace,
            labels=injected_labels(workload.labels, workload.name),
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
    before = len(run.ctx.dashboards)
    for key, text in entries.items():
        if not (isinstance(key, str) and key.endswith(".json") and isinstance(text, str)):
            continue
        declared = smap.lookup(("data", key), key=True)
        raw_text = raw.get(key) if isinstance(raw, Mapping) else None
        offset = _block_offset(raw_text, smap, key, source)
        try:
            board = json_reader.loads(text)
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
    if len(run.ctx.dashboards) > before:
        run.ctx.memo.setdefault(LINTED_CONFIGMAPS, []).append(
            linted_configmap(data, smap.lookup(("metadata", "name")))
        )


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

#: Chart names (the last part of a release's `chart:`) of the values meshgen checks.
RELEASE_CHARTS = {
    "istiod": "istiod",
    "base": "base",
    "grafana": "grafana",
    "prometheus": "prometheus",
    kps.CHART: kps.CHART,
    "gateway": "gateway",
    "kiali-server": "kiali-server",
}
#: Which chart a values file several releases name is checked as: istiod's and base's
#: checks know the most (a file shared with a gateway release is usually Istio's values).
_HINT_ORDER: tuple[str | None, ...] = (
    "istiod",
    "base",
    *(c for c in RELEASE_CHARTS if c not in ("istiod", "base")),
    None,
)
#: Charts whose `version:` in a release is recorded (their value keys depend on it).
_VERSIONED_CHARTS = frozenset({kps.CHART, "gateway", "kiali-server"})


#: The version a release's `version:` names (`1.22.3`, `~1.22.0`: its lower bound).
_VERSION_IN = re.compile(r"\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?")


def _release_chart(rel: Mapping[str, Any]) -> str | None:
    chart = rel.get("chart")
    if not isinstance(chart, str) or is_templated(chart):
        return None
    name = RELEASE_CHARTS.get(chart.rstrip("/").rsplit("/", 1)[-1])
    if name == "gateway" and "istio" not in chart:
        return None  # `gateway` is a common chart name; Istio's comes from an Istio repository
    return name


def _helmfile_state(
    run: _Run, parts: Sequence[StatePart], text: str, shown: str, *, raw: str | None = None
) -> None:
    """A helmfile state of one or more documents.

    Its releases, inline values, the values files they name and the Istio version an
    istiod/base release pins.
    """
    state, smap = merged_state(parts, shown)
    files = list(run.ctx.files)
    files.append(RenderedFile(path=shown, parts=(text,), documents=(state,)))
    run.ctx.files = files
    run.ctx.add_positions(shown, smap)
    run.singles.add("helmfile")
    base = _absolute(run.path).parent
    rels = state.get("releases")
    for index, rel in enumerate(rels if isinstance(rels, list) else ()):
        if not isinstance(rel, Mapping):
            continue
        chart = _release_chart(rel)
        layer = f"{shown}#{index}"
        version = rel.get("version")
        versioned = chart in ("istiod", "base") or chart in _VERSIONED_CHARTS
        if versioned and is_templated(version) and raw is not None:
            version = _state_value(
                raw, smap.lookup(("releases", index, "version")).line, state, base
            )
        if (
            chart in ("istiod", "base")
            and isinstance(version, str | int | float)
            and not is_templated(str(version))
            and run.istio_version is None
        ):
            pinned = _VERSION_IN.search(str(version))
            if pinned is not None:
                where = smap.lookup(("releases", index, "version"))
                run.istio_version = (pinned.group(0), where)
        if (
            chart in _VERSIONED_CHARTS
            and isinstance(version, str | int | float)
            and not is_templated(str(version))
            and chart not in run.chart_versions
        ):
            pinned = _VERSION_IN.search(str(version))
            if pinned is not None:
                where = smap.lookup(("releases", index, "version"))
                run.chart_versions[chart] = (pinned.group(0), where)
        entries = rel.get("values")
        for j, entry in enumerate(entries if isinstance(entries, list) else ()):
            if isinstance(entry, dict) and not is_templated(entry):
                prefix: KeyPath = ("releases", index, "values", j)
                if _values(run, entry, smap, prefix=prefix, hint=chart):
                    run.layers.add(layer)
        for _, path in release_values_files({"releases": [rel]}, base):
            named = run.references.get(_absolute(path))
            if named is None or _HINT_ORDER.index(chart) < _HINT_ORDER.index(named[1]):
                run.references[_absolute(path)] = (layer, chart)
            if chart is not None:
                run.reference_charts.setdefault(_absolute(path), set()).add(chart)
    read = state_keys_read(raw) if raw is not None else frozenset()
    for path in state_values_files(state, base):
        run.state_values[_absolute(path)] = read


def _state_value(raw: str, line: int, state: Mapping[str, Any], base: Path) -> Any:
    """The state value a templated line reads (`version: {{ .Values.istio.version }}`).

    Looked up in the state's own values files (top-level and environment `values:`); None
    when the expression is more than a read or the value is not found.
    """
    lines = raw.split("\n")
    match = STATE_VALUE_READ.search(lines[line - 1]) if 0 < line <= len(lines) else None
    if match is None:
        return None
    keys = match.group(1).split(".")
    for path in state_values_files(state, base):
        text, problem = read_text(path, display_path(path)) if path.is_file() else (None, None)
        if problem is not None or text is None:
            continue
        parsed = yaml_reader.parse(text, display_path(path))
        if isinstance(parsed, Diagnostic):
            continue
        value: Any = parsed[0]
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    return None


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
    "gateway": frozenset({"networkGateway", "networkGatewayPorts"}),
    "kiali-server": frozenset(
        {
            "external_services",
            "kiali_feature_flags",
            "login_token",
            "kiali_route_url",
            "istio_labels",
            "kubernetes_config",
            "istio_namespace",
            "health_config",
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


def _is_kube_prometheus_stack(data: Mapping[str, Any]) -> bool:
    """kube-prometheus-stack values, by a key only it has.

    A top-level key, a `prometheus:` section beside `alertmanager:`/`grafana:`, a
    `prometheusSpec`/`alertmanagerSpec`, or a `grafana:` section holding keys only the
    parent's templates read.
    """
    if any(str(key) in kps.SIGNATURE for key in data):
        return True
    # Its `prometheus:` section beside `alertmanager:` or `grafana:`: the prometheus chart
    # has no top-level `prometheus` key, and the grafana chart neither.
    beside = "alertmanager" in data or "grafana" in data
    if isinstance(data.get("prometheus"), Mapping) and beside:
        return True
    for section, key in kps.SPEC_KEYS:
        if isinstance(data.get(section), Mapping) and key in data[section]:
            return True
    grafana = data.get("grafana")
    # `enabled` and `name` are common to every chart that wraps grafana
    parent_only = {p[0] for p in kps.PARENT_GRAFANA_KEYS if len(p) == 1} - {"enabled", "name"}
    return isinstance(grafana, Mapping) and any(str(k) in parent_only for k in grafana)


def values_chart(data: Mapping[str, Any], name: str = "") -> str | None:
    """Which chart a values mapping is for, by its signature keys, else by known key paths.

    Defaults wrapped in `_internal_defaults_do_not_set` (copies of the istiod and base
    charts' own values.yaml) count as set. A file that only sets keys istiod and base share
    (e.g. `global.istioNamespace`) is base values when its file name says so, else istiod
    values; both charts read those keys alike.
    """
    data, _ = unwrap_internal_defaults(data)
    if _is_kube_prometheus_stack(data):
        return kps.CHART
    if kiali_shaped(data):
        return "kiali-server"
    if _pre_1_22_gateway(data):
        return "gateway"
    scores = dict.fromkeys(VALUES_CHARTS, 0)
    for key in data:
        for chart, signature in SIGNATURES.items():
            if key in signature or close_matches(str(key), signature, cutoff=0.85):
                scores[chart] += 1
    best = max(scores.values())
    candidates = [chart for chart, score in scores.items() if score == best]
    if best == 0:
        paths = list(iter_key_paths(data))
        candidates = [c for c in ("istiod", "base", "grafana") if all(_has(c, p) for p in paths)]
    candidates = [c for c in candidates if _plausible(c, data)]
    if candidates == ["grafana"] and isinstance(data.get("grafana"), Mapping):
        return None  # a chart that wraps grafana: its own keys are not the grafana chart's
    if len(candidates) == 1:
        return candidates[0]
    if candidates and set(candidates) <= {"istiod", "base"}:
        return "base" if "base" in Path(name).name else "istiod"
    return None


def _pre_1_22_gateway(data: Mapping[str, Any]) -> bool:
    """Gateway values in the pre-1.22 layout: the chart's defaults copied under `defaults:`.

    Istio 1.22+ charts keep their defaults under `_internal_defaults_do_not_set` and fail on
    a `defaults:` key (zzz_profile.yaml); copies of the older gateway values.yaml keep it.
    """
    inner = data.get("defaults")
    if not isinstance(inner, Mapping) or not inner or set(data) - {"defaults"}:
        return False
    signature = {"networkGateway", "rbac", "serviceAccount", "podAnnotations", "kind"}
    return len(signature & {str(k) for k in inner}) >= 3 and _plausible("gateway", inner)


def _plausible(chart: str, data: Mapping[str, Any]) -> bool:
    """Most top-level keys are the chart's own (or within typo distance of one).

    A signature key alone does not make a file istiod values: Istio's cni, gateway and
    ztunnel charts share `revision`, `global` and the `_internal_defaults_do_not_set`
    layout with istiod, and their other keys are none of istiod's.
    """
    from meshgen.knowledge import charts

    keys = charts.chart_keys(chart)
    if keys is None or not data:
        return True
    known = set(keys.tree) | ({charts.ISTIOD_ALIAS} if chart == "istiod" else set())
    unknown = [k for k in data if k not in known and not close_matches(str(k), known, cutoff=0.85)]
    return len(unknown) * 2 <= len(data)


def _values_locator(smap: SourceMap, prefix: KeyPath, data: Mapping[str, Any]) -> Locate:
    """Where a key of the (unwrapped) values is written.

    At the top level, or inside `_internal_defaults_do_not_set` when only the wrapper has it.
    """
    wrapped = isinstance(data.get(INTERNAL_DEFAULTS), Mapping)

    def locate(path: KeyPath) -> Span:
        full = (*prefix, *path)
        if wrapped and path and not smap.has(full):
            inner = (*prefix, INTERNAL_DEFAULTS, *path)
            if smap.has(inner) or not smap.has((*prefix, path[0])):
                full = inner
        return smap.lookup(full, key=True)

    return locate


def _values(
    run: _Run,
    data: dict[str, Any],
    smap: SourceMap,
    *,
    prefix: KeyPath = (),
    hint: str | None = None,
) -> bool:
    """Chart values (a file's document, or a helmfile release's inline `values:` entry)."""
    whole = data
    if not prefix and run.state_keys:
        # keys the helmfile's templates read from this file (it is also its state values)
        data = {k: v for k, v in data.items() if k not in run.state_keys}
    chart = hint or (run.chart_hint if not prefix else None) or values_chart(data, smap.file)
    if chart is None:
        return False
    merged, _ = unwrap_internal_defaults(data)
    locate = _values_locator(smap, prefix, data)
    run.ctx.values.append(ValuesDoc(chart, merged, locate))
    if not prefix and chart != "gateway" and "gateway" in run.also_charts:
        # An istio/gateway release gets the same file: its schema judges it as well.
        # helm hands the release the whole file, state values included.
        shared, _ = unwrap_internal_defaults(whole)
        run.ctx.values.append(ValuesDoc("gateway", shared, locate, secondary=True))
    run.ctx.kinds.add("values")
    if chart not in _MANY_PER_PROJECT:
        run.singles.add(chart)
    if chart == kps.CHART:
        _kps_grafana(run, merged, locate, smap.lookup(prefix))
    return True


def _kps_grafana(run: _Run, data: Mapping[str, Any], locate: Locate, where: Span) -> None:
    """kube-prometheus-stack's `grafana:` section as values of its grafana subchart."""
    section = data.get("grafana", {})  # no section: the subchart with its defaults
    checked = isinstance(section, Mapping) and section.get("enabled", True) is not False
    if checked:
        assert isinstance(section, Mapping)
        grafana = kps.grafana_subchart_values(section)

        def locate_grafana(path: KeyPath) -> Span:
            return locate(("grafana", *path))

        run.ctx.values.append(ValuesDoc("grafana", grafana, locate_grafana))
        run.singles.add("grafana")
    what = (
        f"its `grafana:` section is checked as values of its grafana {kps.GRAFANA_VERSION} subchart"
        if checked
        else "its grafana subchart is disabled"
    )
    run.diagnostics.append(
        diagnostic(
            "C012",
            f"kube-prometheus-stack values: {what}; the keys of kube-prometheus-stack itself "
            f"(prometheus, alertmanager, prometheusOperator, ...) are checked against "
            f"{kps.CHART} {kps.VERSION}, the version meshgen knows (a helmfile release naming "
            "another version turns that check off: C015)",
            where,
        )
    )


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
