"""The library facade the CLI and tests use: discover, load, render, validate, write.

Everything up to `write_tree` is pure and in memory, so `check`, `validate`,
`render --check` and the tests all share one path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from meshgen.diagnostics import Diagnostic, Severity, diagnostic
from meshgen.errors import UsageError
from meshgen.load.config import LoadResult, load_config, load_text
from meshgen.load.files import CONFIG_CANDIDATES as CONFIG_CANDIDATES
from meshgen.load.files import discover_config as discover_config
from meshgen.load.files import display_path, read_text
from meshgen.output import Plan, confined_output_dir, plan
from meshgen.render import RenderedFile, RenderError, RenderInputs, render_tree
from meshgen.source import SourceMap, Span


@dataclass
class Project:
    """A loaded config and, when it is valid, its rendered tree and diagnostics."""

    config_path: Path
    loaded: LoadResult
    output_dir: Path | None = None
    inputs: RenderInputs | None = None
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
    config_dir = config_path.parent
    try:
        project.output_dir = confined_output_dir(config_dir, config.output)
    except UsageError as exc:
        project.diagnostics.append(diagnostic("C005", str(exc), loaded.source.lookup(("output",))))
        return project
    dashboard_files: dict[str, str] = {}
    grafana = config.monitoring.grafana
    for index, dash in enumerate(grafana.dashboards if grafana else ()):
        if dash.file is None:
            continue
        at = loaded.source.lookup(("monitoring", "grafana", "dashboards", index, "file"))
        text, problem = read_dashboard(config_dir, dash.file, at)
        if problem is not None:
            project.diagnostics.append(problem)
        elif text is not None:
            dashboard_files[dash.name] = text
    project.inputs = RenderInputs(
        config=config,
        config_name=Path(os.path.relpath(config_path.resolve(), project.output_dir)).as_posix(),
        config_dir_from_output=Path(
            os.path.relpath(config_dir.resolve(), project.output_dir)
        ).as_posix(),
        dashboard_files=dashboard_files,
    )
    try:
        project.files = render_tree(project.inputs)
    except RenderError as exc:
        project.diagnostics.append(
            Diagnostic(
                "X002",
                "render-failed",
                Severity.ERROR,
                f"meshgen produced an invalid {exc.path}; please report this: {exc}",
                loaded.source.lookup(exc.origin),
            )
        )
        project.inputs = None
    return project


def read_dashboard(config_dir: Path, name: str, at: Span) -> tuple[str | None, Diagnostic | None]:
    """A local dashboard's JSON text; it must sit inside the config's folder and parse.

    Its content is embedded in the rendered values, so a config cannot pull in a file from
    elsewhere on the machine (`../../etc/...`, an absolute path, a symlink out).
    """
    import json

    root = config_dir.resolve()
    target = (config_dir / name).resolve()
    if root not in target.parents:
        return None, diagnostic(
            "C009", f"dashboard file {name!r} is outside the config's folder {root}", at
        )
    text, problem = read_text(target, name, what="dashboard file")
    if problem is not None or text is None:
        return None, diagnostic("C009", problem.message if problem else "unreadable", at)
    try:
        json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        message = getattr(exc, "msg", str(exc))
        return None, diagnostic(
            "C009",
            f"dashboard file {name} is not valid JSON: {message}",
            Span(display_path(target), line, col),
        )
    return text, None


def output_plan(project: Project) -> Plan:
    assert project.output_dir is not None
    return plan(project.files, project.output_dir)


def _release_unchanged(project: Project) -> None:
    """Files the tree already holds keep their text on disk only (tens of MB at scale).

    Replaced in place, in `project.files` (which the check context shares) and in the plan.
    """
    assert project.plan is not None and project.output_dir is not None
    released = {
        id(rendered): rendered.on_disk(project.output_dir / rendered.path)
        for rendered in project.plan.unchanged
    }
    size = sum(len(part) for f in project.plan.unchanged for part in f.parts)
    project.files[:] = [released.get(id(f), f) for f in project.files]
    project.plan.unchanged[:] = [released[id(f)] for f in project.plan.unchanged]
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
    debug: bool = False,
) -> list[Diagnostic]:
    """Loader diagnostics plus every selected check; `disk` adds the drift checks."""
    from meshgen.checks import ALL_CHECKS
    from meshgen.checks.build import from_project
    from meshgen.checks.engine import apply_settings, run_checks, select_checks
    from meshgen.diagnostics import sort_diagnostics

    diagnostics = list(project.diagnostics)
    config = project.loaded.config
    if config is None:
        return sort_diagnostics(diagnostics)
    ctx = from_project(project)
    if disk and project.rendered and project.output_dir is not None:
        ctx.plan = project.plan = output_plan(project)
        _release_unchanged(project)
        ctx.kinds.add("disk")
    chosen = select_checks(ALL_CHECKS, select=select, ignore=ignore)
    diagnostics.extend(run_checks(chosen, ctx, debug=debug))
    settings = {s.code.upper(): s.severity for s in config.checks}
    return sort_diagnostics(apply_settings(diagnostics, settings))
