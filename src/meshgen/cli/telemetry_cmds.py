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


class MetricList(click.ParamType):  # type: ignore[type-arg]
    """One or more of Istio's metrics, comma-separated (`REQUEST_COUNT,REQUEST_DURATION`).

    Its metavar is short, so the usage line never wraps inside a metric name; the names
    are listed in the command's help.
    """

    name = "metrics"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "METRIC[,METRIC...]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, list):
            return value
        known = api.metric_names()
        chosen: list[str] = []
        for part in str(value).split(","):
            name = part.strip().upper()
            if not name:
                continue
            if name not in known:
                self.fail(f"{part.strip()!r} is not one of {', '.join(known)}", param, ctx)
            if name not in chosen:
                chosen.append(name)
        if not chosen:
            self.fail("give at least one metric", param, ctx)
        return chosen


METRICS = MetricList()
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

    Every command takes a scope: --namespace N and/or --workload LABEL=VALUE (a Telemetry
    resource of that scope); without one, the whole mesh. `buckets set` is a pod
    annotation, not a Telemetry field: its scope picks the config's services.

    METRIC: one or more of ALL_METRICS, REQUEST_COUNT, REQUEST_DURATION, REQUEST_SIZE,
    RESPONSE_SIZE, TCP_OPENED_CONNECTIONS, TCP_CLOSED_CONNECTIONS, TCP_SENT_BYTES,
    TCP_RECEIVED_BYTES, GRPC_REQUEST_MESSAGES, GRPC_RESPONSE_MESSAGES, comma-separated.

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
    return click.argument("metric", type=METRICS)(function)


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
def disable_cmd(opts: common.Options, /, metric: list[str], mode: str | None, **scope: Any) -> int:
    """Stop emitting METRIC in a scope (an override with `disabled: true`).

    METRIC: one or more of Istio's metrics, comma-separated (see `meshgen telemetry --help`).

    \b
    Examples:
      meshgen telemetry disable REQUEST_SIZE --mode CLIENT --namespace inference
      meshgen telemetry disable REQUEST_SIZE,RESPONSE_SIZE --workload app=inference-balancer
    """
    return _metric_edit(
        opts,
        scope,
        _each(metric, lambda s, m: api.set_disabled(s, m, mode and mode.upper(), True)),
    )


@telemetry.command("enable")
@metric_edit_options
@click.pass_obj
def enable_cmd(opts: common.Options, /, metric: list[str], mode: str | None, **scope: Any) -> int:
    """Emit METRIC again in a scope (`disabled: false` overrides a parent scope).

    METRIC: one or more of Istio's metrics, comma-separated (see `meshgen telemetry --help`).

    \b
    Example:
      meshgen telemetry enable REQUEST_SIZE --workload app=inference-balancer
    """
    return _metric_edit(
        opts,
        scope,
        _each(metric, lambda s, m: api.set_disabled(s, m, mode and mode.upper(), False)),
    )


def _each(
    metrics: list[str], change: Callable[[Any, str], api.Change]
) -> Callable[[Any], api.Change]:
    """The edit of each metric in turn, as one change of the scope."""

    def of_scope(scope: Any) -> api.Change:
        changes = [change(scope, metric) for metric in metrics]

        def apply(doc: Any) -> None:
            for one in changes:
                one(doc)

        return apply

    return of_scope


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
    """Add, change or remove a label (tag) on Istio's metrics.

    \b
    Examples:
      meshgen telemetry tag set REQUEST_COUNT tier "'inference'" --namespace inference
      meshgen telemetry tag remove ALL_METRICS grpc_response_status
    """


@tag.command("set")
@metric_edit_options
@click.argument("name")
@click.argument("expression")
@click.pass_obj
def tag_set_cmd(
    opts: common.Options,
    /,
    metric: list[str],
    name: str,
    expression: str,
    mode: str | None,
    **scope: Any,
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
        _each(metric, lambda s, m: api.set_tag(s, m, mode and mode.upper(), name, expression)),
    )


@tag.command("remove")
@metric_edit_options
@click.argument("name")
@click.pass_obj
def tag_remove_cmd(
    opts: common.Options, /, metric: list[str], name: str, mode: str | None, **scope: Any
) -> int:
    """Remove the standard label NAME from METRIC (REMOVE).

    \b
    Examples:
      meshgen telemetry tag remove ALL_METRICS grpc_response_status
      meshgen telemetry tag remove REQUEST_COUNT,REQUEST_DURATION source_principal
    """
    return _metric_edit(
        opts,
        scope,
        _each(metric, lambda s, m: api.remove_tag(s, m, mode and mode.upper(), name)),
    )


@telemetry.group("buckets")
def buckets() -> None:
    """Histogram bucket bounds of Istio's duration and size histograms.

    \b
    Example:
      meshgen telemetry buckets set 5,10,25,50,100,250,500,1000 --service inference-balancer
    """


@buckets.command("set")
@click.argument("bounds")
@click.option("--service", default=None, help="Only this service's pods (default: every service).")
@scope_options
@edit_options
@click.pass_obj
def buckets_set_cmd(
    opts: common.Options,
    bounds: str,
    service: str | None,
    namespace: str | None,
    workload: str | None,
    config: Path | None,
    dry_run: bool,
    force: bool,
) -> int:
    """Set the bucket bounds (comma-separated) of every Istio histogram.

    Applied through the sidecar.istio.io/statsHistogramBuckets pod annotation, which the
    proxy reads when it starts: pods must restart to pick it up. It is not a Telemetry
    field, so a scope stands for the config's services: --namespace N sets the buckets of
    every service in N, --workload app=V of the services whose app label is V (only the
    `app` label: it is the one the config knows); without a scope, mesh-wide
    (telemetry.histogramBuckets).

    \b
    Examples:
      meshgen telemetry buckets set 5,10,25,50,100,250,500,1000,2500 --service inference-balancer
      meshgen telemetry buckets set 5,10,25,50,100 --namespace inference
    """
    parsed = api.parse_buckets(bounds)
    if service is not None and (namespace is not None or workload is not None):
        raise api.UsageError("give --service, or --namespace/--workload, not both")
    if namespace is not None or workload is not None:
        change = api.set_buckets_in(parsed, namespace, workload)
    else:
        change = api.set_buckets(parsed, service)
    return run_edit(config, change, dry_run=dry_run, force=force, debug=opts.debug)


@telemetry.command("access-log")
@click.argument("state", type=click.Choice(["on", "off"]))
@scope_options
@edit_options
@click.pass_obj
def access_log_cmd(
    opts: common.Options,
    state: str,
    namespace: str | None,
    workload: str | None,
    config: Path | None,
    dry_run: bool,
    force: bool,
) -> int:
    """Turn Envoy access logs on or off, mesh-wide or in a Telemetry scope.

    Without a scope: every sidecar (istio.accessLogging.enabled, meshConfig). With
    --namespace/--workload: the scope's Telemetry resource gets an `accessLogging` entry
    naming the provider (istio.accessLogging.provider, else Istio's built-in `envoy`),
    `disabled: true` for off.

    \b
    Examples:
      meshgen telemetry access-log on
      meshgen telemetry access-log on --namespace inference
      meshgen telemetry access-log off --workload app=inference-balancer
    """
    on = state == "on"
    if namespace is None and workload is None:
        return run_edit(
            config, api.set_access_log(on), dry_run=dry_run, force=force, debug=opts.debug
        )
    return run_scoped_edit(
        opts,
        config,
        namespace,
        workload,
        lambda s: api.set_access_log(on, s),
        dry_run=dry_run,
        force=force,
    )


@telemetry.group("tracing")
def tracing() -> None:
    """Distributed tracing settings.

    \b
    Example:
      meshgen telemetry tracing sample 10 --namespace inference
    """


@tracing.command("sample")
@click.argument("percent", type=float)
@scope_options
@edit_options
@click.pass_obj
def tracing_sample_cmd(
    opts: common.Options,
    percent: float,
    namespace: str | None,
    workload: str | None,
    config: Path | None,
    dry_run: bool,
    force: bool,
) -> int:
    """Sample PERCENT (0-100) of requests for tracing, mesh-wide or in a Telemetry scope.

    Without a scope: istio.tracing (0 turns tracing off). With --namespace/--workload: the
    scope's Telemetry resource gets a `tracing` entry with randomSamplingPercentage (and the
    provider istio.tracing.provider names, if any).

    \b
    Examples:
      meshgen telemetry tracing sample 5
      meshgen telemetry tracing sample 50 --workload app=inference-balancer
    """
    if namespace is None and workload is None:
        return run_edit(
            config, api.set_sampling(percent), dry_run=dry_run, force=force, debug=opts.debug
        )
    return run_scoped_edit(
        opts,
        config,
        namespace,
        workload,
        lambda s: api.set_sampling(percent, s),
        dry_run=dry_run,
        force=force,
    )


COMMANDS: tuple[click.Command, ...] = (telemetry,)
