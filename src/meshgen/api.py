"""The library facade: what `cli/` and the tests call, one function per step of the pipeline.

    load_project -> validate_project -> check | write_tree | tree_diff -> hand-off
    (helmfile_argv / run_helmfile, verify, run_traffic); lint; edit_config / write_config
    for the telemetry editor; init and the JSON Schema; the catalogue of codes.

Everything before a `write_*` function is pure and in memory, so `check`, `validate`,
`render --check` and the tests share one path; only `meshgen.output` writes files and only
`meshgen.handoff.runner` starts programs. Importing this module stays light (the CLI
imports it for `--help`): the stages are imported by the functions that need them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meshgen.diagnostics import Diagnostic, Severity, diagnostic, has_errors
from meshgen.errors import InputError, MeshgenError, ToolError, UsageError
from meshgen.load.files import CONFIG_CANDIDATES, discover_config, display_path, read_text
from meshgen.records import record
from meshgen.source import SourceMap, Span

if TYPE_CHECKING:
    from meshgen.analysis.telemetry_view import MetricView
    from meshgen.checks.lint import LintResult
    from meshgen.edit.telemetry import Scope
    from meshgen.handoff.traffic import TrafficRun
    from meshgen.handoff.verify import CheckResult
    from meshgen.handoff.verify import Query as VerifyQuery
    from meshgen.load.config import LoadResult
    from meshgen.models import MeshConfig, Service
    from meshgen.output import Plan
    from meshgen.render import RenderedFile, RenderInputs

__all__ = [
    "CONFIG_CANDIDATES",
    "Diagnostic",
    "InputError",
    "MeshgenError",
    "Severity",
    "ToolError",
    "UsageError",
    "discover_config",
    "display_path",
    "has_errors",
]


@record(frozen=False)
class Project:
    """A loaded config and, when it is valid, its rendered tree and diagnostics."""

    config_path: Path
    loaded: LoadResult
    output_dir: Path | None = None
    inputs: RenderInputs | None = None
    #: Each local dashboard file's JSON, reduced to what the checks read
    #: (`analysis.dashboards.shared_essentials`), by dashboard name; None when it is no JSON
    #: object. Parsed once, when the file is read (`read_dashboard`).
    dashboard_data: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    #: The rendered tree. After `validate_project(disk=True)`, files the tree on disk was
    #: proven to hold are `RenderedFile.release()`d (their text dropped, not re-read).
    files: list[RenderedFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: How the tree on disk differs from `files`, once `validate_project(disk=True)` ran.
    plan: Plan | None = None

    @property
    def unreadable(self) -> bool:
        return self.loaded.unreadable

    @property
    def rendered(self) -> bool:
        return self.inputs is not None

    @property
    def shown_output_dir(self) -> str:
        return display_path(self.output_dir) if self.output_dir else ""


def load_project(config_path: Path, *, text: str | None = None) -> Project:
    """Load, read referenced files, and render in memory. Never writes.

    With `text`, that text stands for the file's content (an edit not yet written).
    """
    from meshgen.load.config import LoadResult, config_folder, load_config, load_text
    from meshgen.output import confined_output_dir
    from meshgen.render import RenderError, RenderInputs, render_tree

    if text is None:
        loaded = load_config(config_path)
    else:
        shown = display_path(config_path)
        loaded = load_text(
            text, shown, LoadResult(path=config_path, text=text, source=SourceMap(shown))
        )
    project = Project(config_path=config_path, loaded=loaded)
    project.diagnostics.extend(loaded.diagnostics)
    config = loaded.config
    if config is None:
        return project
    config_dir = config_folder(config_path)  # as given: a symlinked folder is not resolved
    try:
        project.output_dir = confined_output_dir(config_dir, config.output)
    except UsageError as exc:
        project.diagnostics.append(diagnostic("C005", str(exc), loaded.source.lookup(("output",))))
        return project
    dashboard_files: dict[str, str] = {}
    grafana = config.monitoring.grafana
    repeats: dict[Any, Any] = {}  # strings and flat mappings the dashboards share
    root: Path | None = None  # the config's folder resolved, once for every dashboard
    for index, dash in enumerate(grafana.dashboards if grafana else ()):
        if dash.file is None:
            continue
        if root is None:
            # A `resolve` stats every part of the path: once, not once per dashboard.
            root = config_dir.resolve()
        at = loaded.source.lookup(("monitoring", "grafana", "dashboards", index, "file"))
        read = read_dashboard(config_dir, dash.file, at, repeats, root=root)
        if read.problem is not None:
            project.diagnostics.append(read.problem)
        elif read.text is not None:
            dashboard_files[dash.name] = read.text
            project.dashboard_data[dash.name] = read.data
    project.inputs = RenderInputs(
        config=config,
        config_name=Path(
            os.path.relpath(config_path.absolute(), config_dir / config.output)
        ).as_posix(),
        config_dir_from_output=Path(
            os.path.relpath(config_dir, os.path.normpath(config_dir / config.output))
        ).as_posix(),
        dashboard_files=dashboard_files,
    )
    try:
        project.files = render_tree(project.inputs)
    except RenderError as exc:
        project.diagnostics.append(
            diagnostic(
                "X002",
                f"meshgen produced an invalid {exc.path}; please report this: {exc}",
                loaded.source.lookup(exc.origin),
            )
        )
        project.inputs = None
    return project


@record
class DashboardRead:
    """A local dashboard file as read: its text and essentials, or the problem."""

    text: str | None = None
    #: `analysis.dashboards.shared_essentials` of the JSON; None when it is no JSON object.
    data: dict[str, Any] | None = None
    problem: Diagnostic | None = None


def read_dashboard(
    config_dir: Path,
    name: str,
    at: Span,
    repeats: dict[Any, Any] | None = None,
    *,
    root: Path | None = None,
) -> DashboardRead:
    """A local dashboard's JSON text; it must sit inside the config's folder and parse.

    Its content is embedded in the rendered values, so a config cannot pull in a file from
    elsewhere on the machine (`../../etc/...`, an absolute path, a symlink out). Its data
    is reduced to what the checks read, strings and flat mappings shared through
    `repeats` with the other dashboards read (`analysis.dashboards.shared_essentials`).
    `root` is `config_dir.resolve()` when the caller has it already.
    """
    from meshgen.analysis.dashboards import shared_essentials
    from meshgen.load import json_reader

    if root is None:
        root = config_dir.resolve()
    try:
        target = (config_dir / name).resolve()
    except (RuntimeError, OSError):  # a symbolic-link loop (RuntimeError before 3.13)
        return DashboardRead(
            problem=diagnostic("C009", f"dashboard file {name!r} is a symbolic-link loop", at)
        )
    if root not in target.parents:
        return DashboardRead(
            problem=diagnostic(
                "C009", f"dashboard file {name!r} is outside the config's folder {root}", at
            )
        )
    text, problem = read_text(target, name, what="dashboard file")
    if problem is not None or text is None:
        message = problem.message if problem else "unreadable"
        return DashboardRead(problem=diagnostic("C009", message, at))
    try:
        parsed = json_reader.loads(text)
        if not isinstance(parsed, dict):
            return DashboardRead(
                problem=diagnostic(
                    "C009",
                    f"dashboard file {name} holds a JSON {type(parsed).__name__}, not the "
                    "object a Grafana dashboard is",
                    Span(display_path(target), 1, 1),
                )
            )
        data = shared_essentials(parsed, {} if repeats is None else repeats)
    except RecursionError:
        return DashboardRead(
            problem=diagnostic(
                "C009",
                f"dashboard file {name} nests too deeply to be read",
                Span(display_path(target), 1, 1),
            )
        )
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        message = getattr(exc, "msg", str(exc))
        return DashboardRead(
            problem=diagnostic(
                "C009",
                f"dashboard file {name} is not valid JSON: {message}",
                Span(display_path(target), line, col),
            )
        )
    return DashboardRead(text, data)


def output_plan(project: Project) -> Plan:
    """How the tree on disk differs from the rendered tree."""
    from meshgen.output import plan

    assert project.output_dir is not None
    return plan(project.files, project.output_dir)


def _release_unchanged(project: Project) -> None:
    """Drop the text of files the tree already holds (tens of MB of dashboard JSON at scale).

    The released copies replace the originals in `project.files` and in the plan, by path;
    a released file's `text` is never read back from disk behind a caller's back.
    """
    assert project.plan is not None and project.output_dir is not None
    size = sum(sum(map(len, f.parts)) for f in project.plan.unchanged)
    released = {f.path: f.release() for f in project.plan.unchanged}  # one copy for both
    project.files = [released.get(f.path, f) for f in project.files]
    project.plan.unchanged = list(released.values())
    if size > _TRIM_AFTER:
        _return_freed_memory()


#: Bytes of released text past which freed heap memory is handed back to the system.
_TRIM_AFTER = 8 * 1024 * 1024


def _return_freed_memory() -> None:
    """Give freed heap pages back to the OS (glibc's `malloc_trim`; elsewhere a no-op).

    Without it the checks' peak stacks on the released text: Python allocates its small
    objects in arenas of its own and cannot reuse those pages.
    """
    import ctypes

    try:
        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # the process's own libc
        if trim is not None:
            trim(0)
    except OSError:
        pass


def validate_project(
    project: Project,
    *,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    disk: bool = False,
    charts: bool | None = False,
    debug: bool = False,
) -> list[Diagnostic]:
    """Loader diagnostics plus every selected check; `disk` adds the drift checks.

    `charts` renders each service's chart with the helm on PATH (local charts and charts
    of local-folder repositories; about 0.05 s each) for the checks of what the charts
    really render (H120-H122, H125, H126). `None` means "when helm can tell": local
    charts are rendered if helm is on PATH, and H122 says so if it is not; a remote chart,
    which is never fetched, is reported only when `charts` is True. Off by default, so
    `meshgen check` (the hook) never starts helm.
    """
    from meshgen.checks import all_checks
    from meshgen.checks.build import from_project
    from meshgen.checks.engine import apply_settings, run_checks, select_checks
    from meshgen.diagnostics import sort_diagnostics

    diagnostics = list(project.diagnostics)
    config = project.loaded.config
    if config is None:
        return sort_diagnostics(diagnostics)
    on_disk = disk and project.rendered and project.output_dir is not None
    if on_disk:
        # Before the context exists: it then holds only the released files, and the texts
        # of the others are free (and handed back) by the time the checks allocate.
        project.plan = output_plan(project)
        _release_unchanged(project)
    ctx = from_project(project)
    if on_disk and project.output_dir is not None:
        from meshgen.output import read_tree_text

        output_dir = project.output_dir
        ctx.plan = project.plan
        ctx.released_text = lambda rel: read_tree_text(output_dir, rel)
        ctx.kinds.add("disk")
    if charts is not False:
        from meshgen.checks.helm.pods import CHART_RENDERS, REMOTE_CHARTS_ASKED
        from meshgen.handoff.charts import render_services
        from meshgen.load.config import config_folder

        ctx.memo[CHART_RENDERS] = render_services(
            project, config, config_folder(project.config_path)
        )
        ctx.memo[REMOTE_CHARTS_ASKED] = charts is True
        ctx.kinds.add("charts")
    chosen = select_checks(all_checks(), select=select, ignore=ignore)
    diagnostics.extend(run_checks(chosen, ctx, debug=debug))
    settings = {s.code.upper(): s.severity for s in config.checks}
    return sort_diagnostics(apply_settings(diagnostics, settings))


# --- check, write, diff: the tree on disk ---------------------------------------------


@record(frozen=False)
class Checked:
    """What `meshgen check` found: the project, its diagnostics, the diff to a fresh tree."""

    project: Project
    diagnostics: list[Diagnostic]
    diff: str = ""


def check(config_path: Path, *, debug: bool = False, with_diff: bool = True) -> Checked:
    """Validate the config and compare the committed tree with a fresh render (the hook)."""
    project = load_project(config_path)
    diagnostics = validate_project(project, disk=True, debug=debug)
    text = ""
    if with_diff and project.rendered and project.output_dir is not None:
        text = tree_diff(project)
    return Checked(project, diagnostics, text)


def tree_diff(project: Project) -> str:
    """Unified diff from the tree on disk to the rendered tree ('' when fresh)."""
    from meshgen import output

    assert project.output_dir is not None
    return output.diff(
        project.files, project.output_dir, shown_dir=project.shown_output_dir, planned=project.plan
    )


@record(frozen=False)
class Written:
    """The outcome of `write_tree`: the plan carried out, or the conflicts that stopped it."""

    plan: Plan | None
    conflicts: list[tuple[Path, str]] = field(default_factory=list)


def write_tree(config_path: Path, project: Project, *, force: bool = False) -> Written:
    """Write the rendered tree under the tree lock; hand edits block it unless `force`.

    An interrupted render (a killed run's staging folder) is completed or dropped first,
    so the plan compares with the tree as it really is.
    """
    from meshgen import output

    assert project.output_dir is not None
    with output.tree_lock(project.output_dir):
        output.recover(project.output_dir)
        planned = output.plan(project.files, project.output_dir)
        if planned.conflicts and not force:
            return Written(None, list(planned.conflicts))
        if planned.changed:
            output.write(planned, project.output_dir)
    return Written(planned)


# --- init and the JSON Schema ---------------------------------------------------------


def config_schema_text() -> str:
    """The JSON Schema of meshgen.yaml, as `meshgen schema` prints it."""
    import json

    from meshgen.models.json_schema import config_schema

    return json.dumps(config_schema(), indent=2) + "\n"


#: `meshgen init --stack` / `--dataplane`: the starter config of each choice.
STARTERS = {
    ("prometheus", "sidecar"): "meshgen.yaml",
    ("kube-prometheus-stack", "sidecar"): "kube-prometheus-stack.yaml",
    ("prometheus", "ambient"): "meshgen-ambient.yaml",
    ("kube-prometheus-stack", "ambient"): "kube-prometheus-stack-ambient.yaml",
}


def init(
    path: Path, *, force: bool = False, stack: str = "prometheus", dataplane: str = "sidecar"
) -> list[Path]:
    """Write the starter config and its JSON Schema beside it; the paths written.

    `stack` picks the monitoring stack and `dataplane` sidecars or ambient (`STARTERS`).
    """
    from meshgen import output
    from meshgen.resources import templates_dir

    schema_path = path.parent / "meshgen.schema.json"
    targets = [path, schema_path]
    for target in targets:
        if target.exists() and not force:
            raise UsageError(f"{target} exists; pass --force to overwrite it")
    name = STARTERS.get((stack, dataplane))
    if name is None:
        raise UsageError(
            f"no starter combines --stack {stack} with --dataplane {dataplane}: start from "
            "one of them and set the other key (monitoring.stack / istio.dataplane) by hand"
        )
    starter = (templates_dir() / "init" / name).read_text(encoding="utf-8")
    output.write_file(path, starter)
    output.write_file(schema_path, config_schema_text())
    return targets


def write_schema(path: Path) -> None:
    """Write the JSON Schema of meshgen.yaml to `path`."""
    from meshgen import output

    output.write_file(path, config_schema_text())


# --- lint -----------------------------------------------------------------------------


def lint(
    paths: Sequence[Path],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    debug: bool = False,
    istio_version: str | None = None,
) -> LintResult:
    """Check plain files (Telemetry, workloads, values, helmfiles, dashboards) by project.

    `istio_version` is the Istio they target (default: an istiod/base release's `version:`
    in a linted helmfile, else the newest meshgen knows).
    """
    from meshgen.checks.lint import lint as lint_files
    from meshgen.knowledge.istio import parse_minor

    if istio_version is not None and parse_minor(istio_version) is None:
        raise UsageError(f"--istio-version {istio_version!r} is not a version (e.g. 1.22.3)")
    return lint_files(paths, select=select, ignore=ignore, debug=debug, istio_version=istio_version)


# --- the telemetry editor -------------------------------------------------------------

#: An edit of the round-trip config document.
Change = Callable[[Any], None]


def metric_names() -> list[str]:
    """Istio's standard metrics, as `meshgen telemetry` takes them."""
    from meshgen.knowledge.istio import IstioMetric

    return [str(m) for m in IstioMetric]


def workload_modes() -> list[str]:
    """CLIENT_AND_SERVER, CLIENT, SERVER."""
    from meshgen.knowledge.istio import WorkloadMode

    return [str(m) for m in WorkloadMode]


def scope(config_path: Path, namespace: str | None, workload: str | None) -> Scope:
    """The Telemetry scope of `--namespace`/`--workload LABEL=VALUE` (mesh-wide by default)."""
    from meshgen.edit.telemetry import Scope
    from meshgen.render.gateways import pod_labels as gateway_pod_labels

    if workload is None:
        return Scope(namespace=namespace)
    label, sep, value = workload.partition("=")
    if not sep or not label or not value:
        raise UsageError(f"--workload takes LABEL=VALUE, got {workload!r}")
    if namespace is None:
        project = load_project(config_path)
        loaded = project.loaded.config
        if loaded is None:  # unreadable or invalid: say why, not "cannot tell"
            raise InputError(project.diagnostics)
        homes = {
            svc.namespace for svc in loaded.services if svc.selector_labels.get(label) == value
        }
        homes.update(
            gateway.namespace
            for gateway in loaded.gateways
            if gateway_pod_labels(loaded, gateway).get(label) == value
        )
        if len(homes) != 1:
            raise UsageError(f"cannot tell the namespace of workload {workload}; pass --namespace")
        namespace = homes.pop()
    return Scope(namespace=namespace, workload=(label, value))


def set_disabled(scope: Scope, metric: str, mode: str | None, disabled: bool) -> Change:
    """The edit that disables (or enables) `metric` in `scope`."""
    from meshgen.edit import telemetry

    return lambda doc: telemetry.set_disabled(doc, scope, metric, mode, disabled)


def set_tag(scope: Scope, metric: str, mode: str | None, tag: str, value: str) -> Change:
    """The edit that adds (or changes) the label `tag` with the CEL expression `value`."""
    from meshgen.edit import telemetry

    return lambda doc: telemetry.set_tag(doc, scope, metric, mode, tag, value)


def remove_tag(scope: Scope, metric: str, mode: str | None, tag: str) -> Change:
    """The edit that removes the label `tag` from `metric` in `scope`."""
    from meshgen.edit import telemetry

    return lambda doc: telemetry.remove_tag(doc, scope, metric, mode, tag)


def parse_buckets(text: str) -> list[Any]:
    """Comma-separated bucket bounds, exact and spelt as written; a UsageError when not."""
    from meshgen.edit import telemetry

    return telemetry.parse_bounds(text)


def set_buckets(bounds: list[Any], service: str | None) -> Change:
    """The edit that sets the request-duration histogram buckets (of one service).

    `bounds` as `parse_buckets` gives them (ints, or floats that keep their spelling).
    """
    from meshgen.edit import telemetry

    return lambda doc: telemetry.set_buckets(doc, bounds, service)


def set_access_log(enabled: bool, scope: Scope | None = None) -> Change:
    """The edit that turns access logs on or off: mesh-wide, or in a Telemetry scope."""
    from meshgen.edit import telemetry

    if scope is not None:
        return lambda doc: telemetry.set_scoped_access_log(doc, scope, enabled)
    return lambda doc: telemetry.set_access_log(doc, enabled)


def set_sampling(percent: float, scope: Scope | None = None) -> Change:
    """The edit that sets the tracing sampling percentage: mesh-wide, or in a scope."""
    from meshgen.edit import telemetry

    if scope is not None:
        return lambda doc: telemetry.set_scoped_sampling(doc, scope, percent)
    return lambda doc: telemetry.set_sampling(doc, percent)


def set_buckets_in(bounds: list[Any], namespace: str | None, workload: str | None) -> Change:
    """The edit that sets the buckets of the services a `--namespace`/`--workload` covers.

    `workload` is `app=VALUE` (the services' `app` label); another label is a UsageError.
    """
    from meshgen.edit import telemetry

    app = None
    if workload is not None:
        label, sep, value = workload.partition("=")
        if label != "app" or not sep or not value:
            raise UsageError(
                f"buckets set --workload takes app=VALUE (a service's app label), got {workload!r}"
            )
        app = value

    def change(doc: Any) -> None:
        telemetry.set_buckets_in(doc, bounds, namespace, app)

    return change


@record(frozen=False)
class Edited:
    """A config edit, checked but not written: texts, diff and what it would introduce."""

    path: Path
    shown: str
    original: str
    updated: str
    diff: str
    introduced: list[Diagnostic]
    #: The file starts with a UTF-8 byte order mark (kept when it is written back).
    bom: bool = False

    @property
    def changed(self) -> bool:
        return self.updated != self.original


def edit_config(config_path: Path, change: Change, *, debug: bool = False) -> Edited:
    """Apply `change` to the config text and validate before and after; write nothing.

    `introduced` are the errors and warnings the edit adds: the findings after the edit
    minus those before, counted (a second finding worded as an existing one is new).
    A config that does not load (unreadable, bad YAML, or a model error such as a misspelt
    key, under which no check can run) raises `InputError` with its diagnostics: an edit
    of it could not be checked. The file is read once, through `read_text`.
    """
    from collections import Counter

    from meshgen.edit.roundtrip import edit_text, unified_diff

    shown = display_path(config_path)
    original, problem, bom = _read_config(config_path, shown)
    if problem is not None or original is None:
        raise InputError([problem] if problem is not None else [])
    project = load_project(config_path, text=original)
    if project.loaded.config is None:
        raise InputError(project.diagnostics)
    before = validate_project(project, debug=debug)
    updated = edit_text(original, change, shown=shown)
    diff = unified_diff(original, updated, shown)
    introduced: list[Diagnostic] = []
    if updated != original:
        after = validate_project(load_project(config_path, text=updated), debug=debug)
        known = Counter((d.code, d.message) for d in before)
        for d in after:
            key = (d.code, d.message)
            if known[key] > 0:
                known[key] -= 1
            elif d.severity >= Severity.WARNING:
                introduced.append(d)
    return Edited(config_path, shown, original, updated, diff, introduced, bom)


def _read_config(path: Path, shown: str) -> tuple[str | None, Diagnostic | None, bool]:
    """The config's text (as `read_text` gives it), its problem, and whether it has a BOM."""
    text, problem = read_text(path, shown)
    if text is None or problem is not None:
        return text, problem, False
    return text, None, _starts_with_bom(path)


def _starts_with_bom(path: Path) -> bool:
    """Whether `path` starts with a UTF-8 BOM (which `read_text` drops).

    Opened as `read_text` opens: non-blocking, a regular file only, three bytes read, so a
    file swapped for a FIFO or /dev/zero meanwhile cannot block or flood it.
    """
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, 3) == b"\xef\xbb\xbf"
    except OSError:
        return False
    finally:
        os.close(fd)


def write_config(edited: Edited) -> None:
    """Write an edited config in place, atomically, keeping its file mode.

    Refused (a UsageError, nothing written) when the file no longer holds the text that was
    edited: another edit or an editor changed it meanwhile, and writing would undo that.
    """
    from meshgen import output

    text = "\ufeff" + edited.updated if edited.bom else edited.updated
    with output.config_lock(edited.path):
        current, _, bom = _read_config(edited.path, edited.shown)
        if current != edited.original or bom != edited.bom:
            raise UsageError(
                f"{edited.shown} changed while it was being edited (another meshgen edit or "
                "an editor); nothing written: run the command again"
            )
        output.write_file(edited.path, text, keep_mode=True, through_symlink=True)


def telemetry_view(project: Project, scope: Scope, *, fmt: str = "text") -> str:
    """`meshgen telemetry show`: what `scope` emits, per metric, as text or JSON."""
    import json

    from meshgen.analysis import ambient
    from meshgen.analysis.telemetry_view import as_json, as_text, build_view
    from meshgen.checks.build import from_project

    ctx = from_project(project)
    views: list[MetricView] = build_view(
        ctx.telemetries,
        ctx.dashboards,
        root_namespace=ctx.root_namespace,
        namespace=scope.namespace,
        workload=dict([scope.workload]) if scope.workload else None,
    )
    config = project.loaded.config
    # Ambient (or mixed) meshes: who reports each workload differs (sidecar, waypoint,
    # ztunnel), so say it; sidecar-only meshes keep their output as it was.
    rows = []
    if config is not None and config.ambient:
        rows = ambient.reporting_table(config, scope.namespace, scope.workload)
    if fmt == "json":
        data = as_json(views, scope.describe())
        if rows:
            data["reporting"] = ambient.reporting_json(rows)
        return json.dumps(data, indent=2) + "\n"
    text = as_text(views, scope.describe())
    return text + ambient.reporting_text(rows) if rows else text


# --- hand-off: helmfile, verify, traffic ----------------------------------------------


def helmfile_argv(
    tree: str,
    command: str,
    tier: str | None,
    passthrough: Sequence[str],
    *,
    context: str | None = None,
) -> list[str]:
    """The helmfile command line meshgen runs (program name first)."""
    kube = ["--kube-context", context] if context else []
    selector = ["--selector", f"tier={tier}"] if tier else []
    helmfile = str(Path(tree) / "helmfile.yaml")
    return ["helmfile", "--file", helmfile, *kube, command, *selector, *passthrough]


def format_command(argv: Sequence[str]) -> str:
    """A command line as a shell would show it, secrets redacted."""
    from meshgen.handoff import runner

    return runner.format_command(argv)


def helmfile_prerequisites(command: str, *, context: str | None = None) -> None:
    """Check helm and helmfile are on PATH and work together, before helmfile starts.

    Also the helm-diff plugin and the cluster when `command` needs them; a ToolError (one
    line, exit 2) says what is missing.
    """
    from meshgen.handoff import runner

    runner.helmfile_prerequisites(command, context=context)


def run_helmfile(argv: Sequence[str]) -> int:
    """Run helmfile (argv from `helmfile_argv`), streaming its output; its exit code."""
    from meshgen.handoff import runner

    return runner.helmfile(list(argv[1:]))


def verify(project: Project, *, context: str | None = None) -> list[CheckResult]:
    """`meshgen verify`: read-only checks of the live cluster against the rendered tree."""
    from meshgen.handoff import verify as cluster_checks

    config = project.loaded.config
    assert config is not None
    return cluster_checks.verify(project, config, context=context)


def verify_queries(project: Project) -> list[VerifyQuery]:
    """The list calls (resource, namespace, selector) `meshgen verify` makes, with no cluster.

    What tests hold against the pods and objects the real charts render.
    """
    from meshgen.handoff import verify as cluster_checks

    config = project.loaded.config
    assert config is not None
    return cluster_checks.queries(project, config)


def format_verify(results: list[CheckResult], fmt: str) -> str:
    """The verify table (text) or its JSON."""
    from meshgen.handoff import verify as cluster_checks

    if fmt == "json":
        return cluster_checks.format_json(results)
    return cluster_checks.format_text(results)


def traffic_service(project: Project, name: str | None) -> Service:
    """The service `meshgen traffic` loads: `name`, or the only one with a trafficTest."""
    from meshgen.handoff import traffic

    config = project.loaded.config
    assert config is not None
    return traffic.pick_service(config, name)


def check_duration(text: str) -> float:
    """Seconds of a Go duration (`60s`, `2m`); a UsageError when it is not one."""
    from meshgen.handoff import traffic

    return traffic.go_duration_seconds(text)


def run_traffic(
    project: Project,
    service: Service,
    *,
    qps: int | None = None,
    duration: str | None = None,
    context: str | None = None,
    timeout: float | None = None,
    progress: Callable[[str], None] = lambda _line: None,
    ticker: Callable[[str], None] | None = None,
) -> TrafficRun:
    """Apply the rendered fortio Job (with overrides), wait for it, read its result.

    `progress` gets a line per step and pod state change; `ticker` (a terminal only) the
    elapsed time, for a line that is rewritten.
    """
    from meshgen.handoff import traffic

    return traffic.run(
        project,
        service,
        qps=qps,
        duration=duration,
        context=context,
        timeout=timeout,
        progress=progress,
        ticker=ticker,
    )


def traffic_job(project: Project, service: Service) -> dict[str, Any]:
    """The rendered fortio Job of `service` (a copy)."""
    from meshgen.handoff import traffic

    return traffic.job_manifest(project, service)


def traffic_report(
    project: Project,
    service: Service,
    outcome: TrafficRun,
    *,
    qps: int | None,
    duration: str | None,
) -> str:
    """Fortio's latency summary and the Grafana dashboard that shows the traffic."""
    from meshgen.handoff import traffic

    config: MeshConfig | None = project.loaded.config
    assert config is not None and service.traffic_test is not None
    summary = traffic.format_summary(
        outcome.result,
        target_qps=qps or service.traffic_test.qps,
        duration=duration or service.traffic_test.duration,
    )
    return summary + traffic.dashboard_hint(config, service)


# --- issue 15 (the newcomer's workflow): adopt, dashboards add --------------------------

if TYPE_CHECKING:
    from meshgen.edit.adopt import Adoption


@record(frozen=False)
class AdoptPlan:
    """What `meshgen adopt` would do: the adoption, and the config edit it makes (or None)."""

    adoption: Adoption
    edited: Edited | None


def adopt(config_path: Path, *, debug: bool = False) -> AdoptPlan:
    """Trace the hand edits of rendered values files to config keys; write nothing.

    The config edit is proven first: the edited config renders every adopted file with
    exactly the values on disk. A config that does not load or render raises `InputError`.
    """
    from meshgen.checks.drift import EDITED
    from meshgen.checks.hand_edits import adoptable
    from meshgen.edit import adopt as adoption
    from meshgen.output import read_tree_text

    shown = display_path(config_path)
    original, problem, _bom = _read_config(config_path, shown)
    if problem is not None or original is None:
        raise InputError([problem] if problem is not None else [])
    project = load_project(config_path, text=original)
    config = project.loaded.config
    if config is None or not project.rendered or project.output_dir is None:
        raise InputError(project.diagnostics)
    output_dir = project.output_dir
    planned = output_plan(project)
    edited_files = []
    for path, reason in planned.conflicts:
        rendered = next((r for r in planned.update if output_dir / r.path == path), None)
        if reason != EDITED or rendered is None or not adoptable(rendered.path):
            continue
        if len(rendered.documents) != 1:
            continue
        text = read_tree_text(output_dir, rendered.path)
        if text is not None:
            edited_files.append(adoption.EditedFile(rendered, text))

    def render(text: str) -> list[RenderedFile] | None:
        again = load_project(config_path, text=text)
        return again.files if again.rendered else None

    planned_adoption = adoption.plan(config, original, edited_files, render)
    edited = None
    if planned_adoption.sets:
        sets = list(planned_adoption.sets)
        edited = edit_config(config_path, lambda doc: adoption.set_keys(doc, sets), debug=debug)
    return AdoptPlan(planned_adoption, edited)


def write_adoption(config_path: Path, planned: AdoptPlan) -> Written | None:
    """Write the adopted config, then the tree it renders (the adopted files included).

    The tree is written only when the config is free of errors and every file that was
    edited by hand is one the config now reproduces; None when it is not written.
    """
    assert planned.edited is not None
    write_config(planned.edited)
    project = load_project(config_path)
    diagnostics = validate_project(project)
    if has_errors(diagnostics) or not project.rendered or project.output_dir is None:
        return None
    output_dir = project.output_dir
    adopted = {output_dir / rel for rel in planned.adoption.files}
    conflicts = {path for path, _ in output_plan(project).conflicts}
    if not conflicts <= adopted:
        return None
    return write_tree(config_path, project, force=True)


def dashboard_names() -> list[str]:
    """The Istio dashboards `meshgen dashboards add` knows (istio-mesh, istio-service, ...)."""
    from meshgen.knowledge.dashboard_revisions import BY_NAME

    return list(BY_NAME)


def add_dashboard(
    config_path: Path, name: str, *, revision: int | None = None, folder: str | None = None
) -> tuple[Change, str]:
    """The edit that adds (or re-pins) Istio dashboard `name`, and what it pins.

    Without `revision`, the revision published for the configured Istio version; a
    UsageError when meshgen does not know it (then pass `revision`).
    """
    from meshgen.edit import dashboards
    from meshgen.knowledge.dashboard_revisions import BY_NAME, minor, revision_for

    record = BY_NAME.get(name)
    if record is None:
        raise UsageError(f"unknown dashboard {name!r}; known: {', '.join(BY_NAME)}")
    project = load_project(config_path)
    config = project.loaded.config
    if config is None:
        raise InputError(project.diagnostics)
    if revision is None:
        revision = revision_for(record.gnet_id, config.istio.version)
        if revision is None:
            release = minor(config.istio.version) or config.istio.version
            raise UsageError(
                f"meshgen does not know the revision of {name} (gnetId {record.gnet_id}) for "
                f"Istio {config.istio.version}; pass --revision N (grafana.com lists the "
                f"revision whose description names Istio {release})"
            )
    chosen = revision
    what = f"{name}: gnetId {record.gnet_id}, revision {chosen}"
    return (
        lambda doc: dashboards.add(doc, name, record.gnet_id, chosen, folder),
        what,
    )


def makefile_text(config_path: Path, makefile: Path) -> str:
    """The setup guide's Makefile for the config's own services and namespaces.

    Paths in it are relative to the Makefile's folder. A config that does not load raises
    `InputError` with its diagnostics.
    """
    from meshgen.handoff import makefile as builder
    from meshgen.load.config import config_folder

    project = load_project(config_path)
    config = project.loaded.config
    if config is None:
        raise InputError(project.diagnostics)
    folder = str(makefile.parent.absolute())
    tree = os.path.normpath(config_folder(config_path).absolute() / config.output)
    try:
        return builder.build(
            config,
            builder.relative(str(config_path.absolute()), folder),
            builder.relative(tree, folder),
        )
    except ValueError as exc:
        raise UsageError(f"cannot write the Makefile: {exc}") from None


def write_makefile(config_path: Path, makefile: Path, *, force: bool = False) -> None:
    """Write `makefile_text` to `makefile`; an existing file only with `force`."""
    from meshgen import output

    if makefile.exists() and not force:
        raise UsageError(f"{makefile} exists; pass --force to overwrite it")
    output.write_file(makefile, makefile_text(config_path, makefile))


# --- The catalogue of diagnostic codes (`meshgen checks`, `meshgen explain`, SARIF, docs) ---

if TYPE_CHECKING:
    from meshgen.diagnostics import Catalogue, CodeInfo


def catalogue() -> Catalogue:
    """Every code meshgen can print, sorted by code: input (C0xx), checks, internal (X0xx).

    The input and internal codes are registered in `meshgen.diagnostics`; the checks come
    from the registry, which sits on a higher floor and so is merged in here.
    """
    from meshgen import diagnostics
    from meshgen.checks import all_checks

    return diagnostics.catalogue(
        diagnostics.CodeInfo(c.code, c.name, c.severity, c.doc, c.aliases) for c in all_checks()
    )


def explain(code_or_name: str) -> CodeInfo:
    """The entry of a code (`C004`, `c004`), an alias (`IST0160`) or a name (`unknown-key`).

    An unknown one is a UsageError that names the closest codes.
    """
    entries = catalogue()
    found = entries.lookup(code_or_name)
    if found is not None:
        return found
    close = entries.suggest(code_or_name)
    names = [repr(c) for c in close]
    either = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
    guess = f" (did you mean {either}?)" if close else ""
    raise UsageError(f"unknown code {code_or_name!r}{guess}; `meshgen checks` lists them all")


def resolve_codes(patterns: Sequence[str], *, option: str = "--select") -> tuple[str, ...]:
    """`--select`/`--ignore` patterns as codes or code prefixes.

    Names and aliases are accepted where codes are. An unknown one is a UsageError with
    the closest codes.
    """
    from meshgen.checks.engine import UnknownCodeError
    from meshgen.checks.engine import resolve_codes as resolve

    try:
        return resolve(patterns, catalogue())
    except UnknownCodeError as exc:
        raise UsageError(
            f"{str(exc).replace(repr(exc.pattern), f'{exc.pattern!r} in {option}', 1)}; "
            "`meshgen checks` lists them all"
        ) from None
