"""H101, H102, H108: the helmfile state's `needs` graph and the local service charts.

The helmfile state is the rendered `helmfile.yaml`, or a helmfile given to `meshgen lint`
(which adds it to the context's files); the needs checks declare no input kind and look for
a helmfile among the files themselves, so they run in both. Release IDs follow helmfile,
`[context/]namespace/name`; a bare `needs: [name]` resolves in the dependent's own
namespace (reference helmfile 1.2).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.records import record
from meshgen.render.files import RenderedFile
from meshgen.source import KeyPath, Span


@record
class Release:
    """A release of the rendered helmfile.yaml: its place, name, namespace and `needs`."""

    index: int
    name: str
    namespace: str
    needs: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def resolve(self, need: str) -> str:
        """The `namespace/name` a `needs` entry refers to (a kube-context prefix is ignored)."""
        parts = need.split("/")
        if len(parts) == 1:
            return f"{self.namespace}/{need}"
        return "/".join(parts[-2:])


def helmfiles(ctx: CheckContext) -> Iterator[RenderedFile]:
    """Helmfile states among the context's files (rendered, or given to `meshgen lint`)."""
    for rendered in ctx.files:
        if len(rendered.documents) == 1 and is_helmfile_state(rendered.documents[0]):
            yield rendered


def is_helmfile_state(document: Any) -> bool:
    """A helmfile state: a mapping with a `releases` list (and no Kubernetes `kind`)."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("releases"), list)
        and "kind" not in document
    )


def releases(state: Any) -> list[Release]:
    if not isinstance(state, dict) or not isinstance(state.get("releases"), list):
        return []
    default_ns = str(state.get("namespace") or "")
    out = []
    for index, rel in enumerate(state["releases"]):
        if not isinstance(rel, dict) or not isinstance(rel.get("name"), str):
            continue
        needs = rel.get("needs") if isinstance(rel.get("needs"), list) else []
        out.append(
            Release(
                index,
                rel["name"],
                str(rel.get("namespace") or default_ns),
                tuple(str(n) for n in needs or ()),
            )
        )
    return out


def _origin(ctx: CheckContext, release: Release) -> tuple[KeyPath, ...]:
    """The config key that declares a release (for `related`), when there is a config."""
    cfg = ctx.config
    if cfg is None:
        return ()
    for i, svc in enumerate(cfg.services):
        if svc.name == release.name and svc.namespace == release.namespace:
            return (("services", i, "name"),)
    stack = cfg.monitoring.kube_prometheus_stack
    if stack is not None and release.name == stack.release:
        return (("monitoring", "kubePrometheusStack", "release"),)
    if cfg.monitoring.prometheus and release.name == cfg.monitoring.prometheus.release:
        return (("monitoring", "prometheus", "release"),)
    if cfg.monitoring.grafana and release.name == cfg.monitoring.grafana.release:
        return (("monitoring", "grafana", "release"),)
    return (("istio",),)


def _need_span(ctx: CheckContext, state: RenderedFile, release: Release, j: int) -> Span:
    return ctx.rendered_span(state.path, ("releases", release.index, "needs", j))


@check("H101", "undefined-needs-target", Severity.ERROR, needs=())
def undefined_needs_target(ctx: CheckContext) -> Iterator[Finding]:
    """A `needs` entry in helmfile.yaml names a release that does not exist.

    Why: helmfile refuses the whole state ("depend(s) on an undefined release ... Perhaps
    you made a typo in needs"); a bare name resolves in the dependent's own namespace, so
    a cross-namespace need must be written `namespace/name`.

    Example: grafana in `monitoring` with `needs: [istiod]` (meaning monitoring/istiod).

    Fix: write `needs: [istio-system/istiod]`, or define the missing release.
    """
    for state in helmfiles(ctx):
        rels = releases(state.data)
        ids = {r.id for r in rels}
        for rel in rels:
            for j, need in enumerate(rel.needs):
                target = rel.resolve(need)
                if target not in ids:
                    yield Finding(
                        f"release {rel.id} needs {need!r} ({target}), which is not a release "
                        "of this helmfile",
                        span=_need_span(ctx, state, rel, j),
                        related=_origin(ctx, rel),
                        hint="cross-namespace needs are written namespace/name",
                    )


@check("H102", "needs-cycle", Severity.ERROR, needs=())
def needs_cycle(ctx: CheckContext) -> Iterator[Finding]:
    """The releases' `needs` form a cycle.

    Why: helmfile orders releases into a DAG; a cycle (a release needing itself, directly
    or through others) makes `helmfile apply` refuse the state.

    Example: a service named `istiod` in `istio-system` (it needs istio-system/istiod,
    i.e. itself).

    Fix: rename the release or remove one of the `needs` in the loop.
    """
    for state in helmfiles(ctx):
        rels = releases(state.data)
        by_id: dict[str, list[Release]] = {}
        for rel in rels:
            by_id.setdefault(rel.id, []).append(rel)
        reported: set[frozenset[str]] = set()
        component = _components(by_id)
        for rel in rels:
            for j, need in enumerate(rel.needs):
                target = rel.resolve(need)
                # Only an edge inside one strongly connected component can close a cycle:
                # an acyclic state needs no path search at all (it was one per edge).
                if target not in component or component[target] != component[rel.id]:
                    continue
                path = _path_back(by_id, target, rel.id)
                if path is None:
                    continue
                cycle = frozenset((rel.id, *path))
                if cycle in reported:
                    continue
                reported.add(cycle)
                loop = " -> ".join((rel.id, *path)) if path != [rel.id] else f"{rel.id} -> itself"
                yield Finding(
                    f"needs cycle: {loop}",
                    span=_need_span(ctx, state, rel, j),
                    related=_origin(ctx, rel),
                )


def _components(by_id: dict[str, list[Release]]) -> dict[str, int]:
    """Strongly connected component of every release id (Tarjan's algorithm, iterative)."""
    edges = {
        rid: [t for rel in rels for need in rel.needs if (t := rel.resolve(need)) in by_id]
        for rid, rels in by_id.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    component: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    for root in edges:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def _path_back(by_id: dict[str, list[Release]], start: str, goal: str) -> list[str] | None:
    """A needs path start -> ... -> goal (ids), or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        if current == goal:
            return path
        if current in seen:
            continue
        seen.add(current)
        for rel in by_id.get(current, ()):
            for need in rel.needs:
                nxt = rel.resolve(need)
                stack.append((nxt, [*path, nxt]))
    return None


@check("H108", "local-chart-missing", Severity.ERROR)
def local_chart_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A service's local chart path does not exist or is not a Helm chart.

    Why: `services[].chart` starting with `./`, `../` or `/` is a directory relative to
    the config file; helmfile fails when it is missing, and a directory without
    `Chart.yaml` is silently treated as raw manifests (chartify), not as the chart.

    Example: `chart: ./charts/inference-balancr`

    Fix: point at the folder holding `Chart.yaml` (or a packaged `.tgz`).
    """
    cfg = ctx.config
    assert cfg is not None
    # The config's folder as given, symlinks kept (the rendered helmfile.yaml points there);
    # `..` is taken lexically, as helmfile joins paths.
    base = ctx.memo.get("config_dir") or Path(ctx.source.file).absolute().parent
    problems: dict[str, str | None] = {}  # one look at each chart folder, however many use it
    for i, svc in enumerate(cfg.services):
        if not svc.local_chart:
            continue
        if svc.chart not in problems:
            problems[svc.chart] = _local_chart_problem(Path(os.path.normpath(base / svc.chart)))
        problem = problems[svc.chart]
        if problem is not None:
            yield Finding(
                f"local chart {svc.chart!r} of service {svc.name!r} {problem}",
                at=("services", i, "chart"),
            )


def _local_chart_problem(path: Path) -> str | None:
    """What is wrong with a local chart path (the end of H108's message), or None."""
    try:
        path.stat()
        (path / "Chart.yaml").is_file()
    except (FileNotFoundError, NotADirectoryError):
        pass  # does not exist: reported just below
    except OSError as exc:  # a name too long, a loop of links, a folder not searchable
        return f"cannot be read: {exc.strerror or exc}"
    if not path.exists():
        return f"does not exist (looked in {_shown(path)})"
    if path.is_dir() and not (path / "Chart.yaml").is_file():
        return "has no Chart.yaml; helmfile would deploy its YAML files as raw manifests"
    if path.is_file() and not path.name.endswith((".tgz", ".tar.gz")):
        return "is a file, not a chart folder or packaged .tgz"
    return None


def _shown(path: Path) -> str:
    """`path` relative to the working directory when inside it, as the user typed it."""
    try:
        cwd = Path.cwd()
    except OSError:
        return path.as_posix()
    return path.relative_to(cwd).as_posix() if path.is_relative_to(cwd) else path.as_posix()
