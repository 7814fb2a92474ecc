"""`meshgen telemetry ...`: see and change telemetry settings safely.

Every editing command changes meshgen.yaml in place (comments, key order and untouched lines
kept), validates the result first, and refuses — leaving the file byte-identical — when the
change introduces an error or warning (an invalid CEL expression, a dashboard it breaks),
unless --force. --dry-run prints the diff and writes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from meshgen.cli import common
from meshgen.knowledge.istio import IstioMetric, WorkloadMode

METRIC_CHOICE = click.Choice([str(m) for m in IstioMetric], case_sensitive=False)
MODE_CHOICE = click.Choice([str(m) for m in WorkloadMode], case_sensitive=False)


def scope_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--workload",
        metavar="LABEL=VALUE",
        default=None,
        help="Only pods with this label (in --namespace, or in the namespace of the service "
        "whose app label it is).",
    )(function)
    return click.option(
        "--namespace", "-n", default=None, help="Only this namespace (default: the whole mesh)."
    )(function)


def edit_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--force", is_flag=True, help="Write even if the change adds findings."
    )(function)
    function = click.option("--dry-run", is_flag=True, help="Print the diff; write nothing.")(
        function
    )
    return common.config_option(function)


def _scope(config_path: Path, namespace: str | None, workload: str | None) -> Any:
    from meshgen.edit.telemetry import Scope
    from meshgen.errors import UsageError

    if workload is None:
        return Scope(namespace=namespace)
    label, sep, value = workload.partition("=")
    if not sep or not label or not value:
        raise UsageError(f"--workload takes LABEL=VALUE, got {workload!r}")
    if namespace is None:
        from meshgen import api

        loaded = api.load_project(config_path).loaded.config
        homes = {
            svc.namespace
            for svc in (loaded.services if loaded else ())
            if label == "app" and svc.app_label == value
        }
        if len(homes) != 1:
            raise UsageError(f"cannot tell the namespace of workload {workload}; pass --namespace")
        namespace = homes.pop()
    return Scope(namespace=namespace, workload=(label, value))


def run_edit(
    config: Path | None, change: Callable[[Any], None], *, dry_run: bool, force: bool, debug: bool
) -> int:
    """Apply `change` to the config, validate, show the diff, write unless refused."""
    from meshgen import api, report
    from meshgen.diagnostics import Severity
    from meshgen.edit.roundtrip import edit_text
    from meshgen.errors import UsageError
    from meshgen.load.files import display_path

    path = api.discover_config(config)
    try:
        original = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    before = api.validate_project(api.load_project(path, text=original), debug=debug)
    if any(d.code in ("C001", "C002", "C003", "C007", "C008") for d in before):
        common.out(report.format_text(before))
        raise UsageError(f"{display_path(path)} must parse before it can be edited")
    updated = edit_text(original, change)
    shown = display_path(path)
    if updated == original:
        click.echo(f"{shown}: already so; nothing to change")
        return common.EXIT_OK
    diff = "".join(
        difflib.unified_diff(
            original.splitlines(keepends=True),
            updated.splitlines(keepends=True),
            fromfile=f"a/{shown}",
            tofile=f"b/{shown}",
        )
    )
    after = api.validate_project(api.load_project(path, text=updated), debug=debug)
    known = {(d.code, d.message) for d in before}
    introduced = [
        d for d in after if d.severity >= Severity.WARNING and (d.code, d.message) not in known
    ]
    common.out(diff)
    if introduced:
        click.echo("the change would introduce:", err=True)
        click.echo(report.format_text(introduced), err=True, nl=False)
        if not force:
            click.echo(f"{shown} left unchanged (pass --force to write anyway)", err=True)
            return common.EXIT_FINDINGS
    if dry_run:
        click.echo(f"dry run: {shown} left unchanged", err=True)
        return common.EXIT_OK
    _write_atomically(path, updated)
    click.echo(f"wrote {shown}; run `meshgen render` to update the tree", err=True)
    return common.EXIT_OK


def _write_atomically(path: Path, text: str) -> None:
    import os
    import tempfile

    mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.group("telemetry")
def telemetry() -> None:
    """Show and change telemetry settings (metrics, labels, buckets, access logs, tracing).

    \b
    Examples:
      meshgen telemetry show --workload app=inference-balancer
      meshgen telemetry tag remove ALL_METRICS request_protocol
      meshgen telemetry disable GRPC_REQUEST_MESSAGES --namespace inference --dry-run
    """


@telemetry.command("show")
@scope_options
@common.config_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def show_cmd(namespace: str | None, workload: str | None, config: Path | None, fmt: str) -> int:
    """Show the metrics a scope emits: per metric on/off per side, labels, and who reads it.

    Applies Istio's precedence (mesh root, then namespace, then workload; a lower level's
    providers replace the parent's; overrides in order) and shows, for each added label, how
    many values it can take (the series multiplier) or that it is unbounded.

    \b
    Examples:
      meshgen telemetry show
      meshgen telemetry show --workload app=inference-balancer
      meshgen telemetry show --namespace inference --format json
    """
    import json

    from meshgen import api, report
    from meshgen.analysis.telemetry_view import as_json, as_text, build_view
    from meshgen.checks.build import from_project
    from meshgen.errors import UsageError

    path = api.discover_config(config)
    project = api.load_project(path)
    if project.loaded.config is None:
        common.out(report.format_text(project.diagnostics))
        raise UsageError(f"{path} is not a valid config; fix it first")
    scope = _scope(path, namespace, workload)
    ctx = from_project(project)
    labels = dict([scope.workload]) if scope.workload else None
    views = build_view(ctx, namespace=scope.namespace, workload=labels)
    if fmt == "json":
        common.out(json.dumps(as_json(views, scope.describe()), indent=2) + "\n")
    else:
        common.out(as_text(views, scope.describe()))
    return common.EXIT_OK


def metric_edit_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """METRIC, --mode, the scope options and the edit options of the metric edits."""
    function = edit_options(scope_options(function))
    function = click.option(
        "--mode",
        type=MODE_CHOICE,
        default=None,
        help="CLIENT (reporter=source) or SERVER (reporter=destination) side only.",
    )(function)
    return click.argument("metric", type=METRIC_CHOICE)(function)


def run_scoped_edit(
    opts: common.Options,
    config: Path | None,
    namespace: str | None,
    workload: str | None,
    change: Callable[[Any], Callable[[Any], None]],
    *,
    dry_run: bool,
    force: bool,
) -> int:
    """Resolve the scope, then `run_edit` the change `change(scope)` makes."""
    from meshgen.load.files import discover_config

    scope = _scope(discover_config(config), namespace, workload)
    return run_edit(config, change(scope), dry_run=dry_run, force=force, debug=opts.debug)


@telemetry.command("disable")
@metric_edit_options
@click.pass_obj
def disable_cmd(opts: common.Options, /, metric: str, mode: str | None, **scope: Any) -> int:
    """Stop emitting METRIC in a scope (an override with `disabled: true`).

    \b
    Example:
      meshgen telemetry disable REQUEST_SIZE --mode CLIENT --namespace inference
    """
    from meshgen.edit.telemetry import set_disabled

    return _metric_edit(
        opts,
        scope,
        lambda s: lambda doc: set_disabled(doc, s, metric.upper(), mode and mode.upper(), True),
    )


@telemetry.command("enable")
@metric_edit_options
@click.pass_obj
def enable_cmd(opts: common.Options, /, metric: str, mode: str | None, **scope: Any) -> int:
    """Emit METRIC again in a scope (`disabled: false` overrides a parent scope).

    \b
    Example:
      meshgen telemetry enable REQUEST_SIZE --workload app=inference-balancer
    """
    from meshgen.edit.telemetry import set_disabled

    return _metric_edit(
        opts,
        scope,
        lambda s: lambda doc: set_disabled(doc, s, metric.upper(), mode and mode.upper(), False),
    )


def _metric_edit(
    opts: common.Options, options: dict[str, Any], change: Callable[[Any], Callable[[Any], None]]
) -> int:
    return run_scoped_edit(
        opts,
        options["config"],
        options["namespace"],
        options["workload"],
        change,
        dry_run=options["dry_run"],
        force=options["force"],
    )


@telemetry.group("tag")
def tag() -> None:
    """Add, change or remove a label (tag) on Istio's metrics."""


@tag.command("set")
@metric_edit_options
@click.argument("name")
@click.argument("expression")
@click.pass_obj
def tag_set_cmd(
    opts: common.Options, /, metric: str, name: str, expression: str, mode: str | None, **scope: Any
) -> int:
    """Set label NAME on METRIC to the CEL EXPRESSION (UPSERT).

    \b
    Example:
      meshgen telemetry tag set REQUEST_COUNT model \\
        "request.headers['x-model'] in ['a', 'b'] ? request.headers['x-model'] : 'other'" \\
        --workload app=inference-balancer
    """
    from meshgen.edit.telemetry import set_tag

    return _metric_edit(
        opts,
        scope,
        lambda s: (
            lambda doc: set_tag(doc, s, metric.upper(), mode and mode.upper(), name, expression)
        ),
    )


@tag.command("remove")
@metric_edit_options
@click.argument("name")
@click.pass_obj
def tag_remove_cmd(
    opts: common.Options, /, metric: str, name: str, mode: str | None, **scope: Any
) -> int:
    """Remove the standard label NAME from METRIC (REMOVE).

    \b
    Example:
      meshgen telemetry tag remove ALL_METRICS request_protocol
    """
    from meshgen.edit.telemetry import remove_tag

    return _metric_edit(
        opts,
        scope,
        lambda s: lambda doc: remove_tag(doc, s, metric.upper(), mode and mode.upper(), name),
    )


@telemetry.group("buckets")
def buckets() -> None:
    """Histogram bucket bounds of Istio's duration and size histograms."""


@buckets.command("set")
@click.argument("bounds")
@click.option("--service", default=None, help="Only this service's pods (default: every service).")
@edit_options
@click.pass_obj
def buckets_set_cmd(
    opts: common.Options,
    bounds: str,
    service: str | None,
    config: Path | None,
    dry_run: bool,
    force: bool,
) -> int:
    """Set the bucket bounds (comma-separated) of every Istio histogram.

    Applied through the sidecar.istio.io/statsHistogramBuckets pod annotation; pods must
    restart to pick it up (make restart-inference-balancer).

    \b
    Example:
      meshgen telemetry buckets set 5,10,25,50,100,250,500,1000,2500 --service inference-balancer
    """
    from meshgen.edit.telemetry import set_buckets
    from meshgen.errors import UsageError

    try:
        values = [float(v) for v in bounds.split(",") if v.strip()]
    except ValueError as exc:
        raise UsageError(f"bounds must be numbers separated by commas: {bounds!r}") from exc
    if not values:
        raise UsageError("give at least one bucket bound")
    return run_edit(
        config,
        lambda doc: set_buckets(doc, values, service),
        dry_run=dry_run,
        force=force,
        debug=opts.debug,
    )


@telemetry.command("access-log")
@click.argument("state", type=click.Choice(["on", "off"]))
@edit_options
@click.pass_obj
def access_log_cmd(
    opts: common.Options, state: str, config: Path | None, dry_run: bool, force: bool
) -> int:
    """Turn Envoy access logs on or off for every sidecar.

    \b
    Example:
      meshgen telemetry access-log on
    """
    from meshgen.edit.telemetry import set_access_log

    return run_edit(
        config,
        lambda doc: set_access_log(doc, state == "on"),
        dry_run=dry_run,
        force=force,
        debug=opts.debug,
    )


@telemetry.group("tracing")
def tracing() -> None:
    """Distributed tracing settings."""


@tracing.command("sample")
@click.argument("percent", type=float)
@edit_options
@click.pass_obj
def tracing_sample_cmd(
    opts: common.Options, percent: float, config: Path | None, dry_run: bool, force: bool
) -> int:
    """Sample PERCENT (0-100) of requests for tracing; 0 turns tracing off.

    \b
    Example:
      meshgen telemetry tracing sample 5
    """
    from meshgen.edit.telemetry import set_sampling

    return run_edit(
        config,
        lambda doc: set_sampling(doc, percent),
        dry_run=dry_run,
        force=force,
        debug=opts.debug,
    )


COMMANDS: tuple[click.Command, ...] = (telemetry,)
