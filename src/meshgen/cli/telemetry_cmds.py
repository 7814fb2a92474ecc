"""`meshgen telemetry ...`: see and change telemetry settings safely.

Every editing command changes meshgen.yaml in place (comments, key order and untouched lines
kept), validates the result first, and refuses — leaving the file byte-identical — when the
change introduces an error or warning (an invalid CEL expression, a dashboard it breaks),
unless --force. --dry-run prints the diff and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from meshgen import api
from meshgen.cli import common

METRIC_CHOICE = click.Choice(api.metric_names(), case_sensitive=False)
MODE_CHOICE = click.Choice(api.workload_modes(), case_sensitive=False)


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


def run_edit(
    config: Path | None, change: api.Change, *, dry_run: bool, force: bool, debug: bool
) -> int:
    """Apply `change` to the config, validate, show the diff, write unless refused."""
    from meshgen import report

    path = api.discover_config(config)
    try:
        edited = api.edit_config(path, change, debug=debug)
    except api.InputError as exc:
        raise _not_editable(path, exc) from exc
    if not edited.changed:
        click.echo(f"{edited.shown}: already so; nothing to change")
        return common.EXIT_OK
    common.out(edited.diff)
    if edited.introduced:
        click.echo("the change would introduce:", err=True)
        click.echo(report.format_text(edited.introduced), err=True, nl=False)
        if not force:
            click.echo(f"{edited.shown} left unchanged (pass --force to write anyway)", err=True)
            return common.EXIT_FINDINGS
    # Forced past a new error, the edit is written, but the verdict stays: the config now
    # fails `meshgen validate`, so the command does too.
    verdict = common.EXIT_FINDINGS if api.has_errors(edited.introduced) else common.EXIT_OK
    if dry_run:
        click.echo(f"dry run: {edited.shown} left unchanged", err=True)
        return verdict
    api.write_config(edited)
    click.echo(f"wrote {edited.shown}; run `meshgen render` to update the tree", err=True)
    if verdict != common.EXIT_OK:
        click.echo(f"{edited.shown} now fails `meshgen validate` (written: --force)", err=True)
    return verdict


def _not_editable(path: Path, exc: api.InputError) -> api.UsageError:
    """Print why the config does not load; the error that stops the edit (exit 2)."""
    from meshgen import report

    common.out(report.format_text(exc.diagnostics))
    return api.UsageError(f"{api.display_path(path)} must load before it can be edited")


@click.group("telemetry")
def telemetry() -> None:
    """Show and change telemetry settings (metrics, labels, buckets, access logs, tracing).

    \b
    Examples:
      meshgen telemetry show --workload app=inference-balancer
      meshgen telemetry tag remove ALL_METRICS grpc_response_status
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
    from meshgen import report

    path = api.discover_config(config)
    project = api.load_project(path)
    if project.loaded.config is None:
        common.out(report.format_text(project.diagnostics))
        raise api.UsageError(f"{path} is not a valid config; fix it first")
    common.out(api.telemetry_view(project, api.scope(path, namespace, workload), fmt=fmt))
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
    change: Callable[[Any], api.Change],
    *,
    dry_run: bool,
    force: bool,
) -> int:
    """Resolve the scope, then `run_edit` the change `change(scope)` makes."""
    path = api.discover_config(config)
    try:
        scope = api.scope(path, namespace, workload)
    except api.InputError as exc:
        raise _not_editable(path, exc) from exc
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
    return _metric_edit(
        opts,
        scope,
        lambda s: api.set_disabled(s, metric.upper(), mode and mode.upper(), True),
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
    return _metric_edit(
        opts,
        scope,
        lambda s: api.set_disabled(s, metric.upper(), mode and mode.upper(), False),
    )


def _metric_edit(
    opts: common.Options, options: dict[str, Any], change: Callable[[Any], api.Change]
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
    return _metric_edit(
        opts,
        scope,
        lambda s: api.set_tag(s, metric.upper(), mode and mode.upper(), name, expression),
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
      meshgen telemetry tag remove ALL_METRICS grpc_response_status
    """
    return _metric_edit(
        opts,
        scope,
        lambda s: api.remove_tag(s, metric.upper(), mode and mode.upper(), name),
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
    return run_edit(
        config,
        api.set_buckets(api.parse_buckets(bounds), service),
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
    return run_edit(
        config,
        api.set_access_log(state == "on"),
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
    return run_edit(
        config,
        api.set_sampling(percent),
        dry_run=dry_run,
        force=force,
        debug=opts.debug,
    )


COMMANDS: tuple[click.Command, ...] = (telemetry,)
