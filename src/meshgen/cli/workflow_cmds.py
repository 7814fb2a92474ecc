"""`meshgen adopt` (hand edits of rendered files into the config) and `meshgen dashboards`."""

from __future__ import annotations

from pathlib import Path

import click

from meshgen import api
from meshgen.cli import common
from meshgen.cli.telemetry_cmds import edit_options, run_edit


@click.command("adopt")
@edit_options
@click.pass_obj
def adopt_cmd(opts: common.Options, config: Path | None, dry_run: bool, force: bool) -> int:
    """Move hand edits of rendered values files into the config, then re-render them.

    Each value edited by hand in a rendered values file (D102) is written to the config key
    that renders it: a typed setting (`meshConfig.accessLogEncoding` comes from
    `istio.accessLogging.encoding`), else the chart's pass-through values (`istio.values`,
    `istio.meshConfig`, `monitoring.grafana.values`, `services[].values`). The config edit
    keeps comments and untouched lines, and is proven first: the edited config must render
    each file exactly as edited. Then the tree is rendered (the adopted files lose only
    their comments).

    \b
    Examples:
      meshgen adopt --dry-run      # the patch to meshgen.yaml; writes nothing
      meshgen adopt
    """
    from meshgen import report

    path = api.discover_config(config)
    try:
        planned = api.adopt(path, debug=opts.debug)
    except api.InputError as exc:
        common.out(report.format_text(exc.diagnostics))
        raise api.UsageError(f"{api.display_path(path)} must load and render first") from exc
    adoption = planned.adoption
    shown = planned.edited.shown if planned.edited else api.display_path(path)
    for adopted in adoption.adopted:
        key = ".".join(str(k) if isinstance(k, str) else f"[{k}]" for k in adopted.source.key)
        common.echo_err(f"{adopted.file}: {adopted.edit.shown()} -> {key.replace('.[', '[')}")
    for rel, why in adoption.left:
        common.echo_err(f"{rel}: not adopted: {why}")
    left = common.EXIT_FINDINGS if adoption.left else common.EXIT_OK
    if planned.edited is None or not planned.edited.changed:
        if not adoption.left:
            common.echo_err(f"{shown}: no hand edits of rendered values files to adopt")
        elif planned.edited is not None:
            common.echo_err(f"{shown}: already renders the adopted values")
        return left
    common.out(planned.edited.diff)
    introduced = planned.edited.introduced
    if introduced:
        common.echo_err("the change would introduce:")
        click.echo(report.format_text(introduced), err=True, nl=False)
        if not force:
            common.echo_err(f"{shown} left unchanged (pass --force to write anyway)")
            return common.EXIT_FINDINGS
    if dry_run:
        common.echo_err(f"dry run: {shown} left unchanged")
        return max(left, common.EXIT_FINDINGS if api.has_errors(introduced) else common.EXIT_OK)
    written = api.write_adoption(path, planned)
    common.echo_err(f"wrote {shown}")
    if written is None or written.plan is None:
        common.echo_err("meshgen: the tree was not rendered: run `meshgen check` to see why")
        return common.EXIT_FINDINGS
    files = ", ".join(adoption.files)
    common.echo_err(f"rendered the tree: {files} now rendered from the config")
    return left


@click.group("dashboards")
def dashboards() -> None:
    """Istio's grafana.com dashboards in the config, pinned for the configured Istio.

    \b
    Example:
      meshgen dashboards add istio-performance --dry-run
    """


@dashboards.command("add")
# A plain argument: the names come from the dashboards' knowledge, which --help must not load
# (`api.add_dashboard` refuses an unknown one, naming the known).
@click.argument("name", metavar="NAME")
@click.option(
    "--revision",
    type=click.IntRange(1),
    default=None,
    help="Pin this grafana.com revision (default: the one for the configured Istio version).",
)
@click.option("--folder", default=None, help="Grafana folder (default: istio).")
@edit_options
@click.pass_obj
def dashboards_add_cmd(
    opts: common.Options,
    name: str,
    revision: int | None,
    folder: str | None,
    config: Path | None,
    dry_run: bool,
    force: bool,
) -> int:
    """Add Istio dashboard NAME (or re-pin it) in monitoring.grafana.dashboards.

    The revision is the one grafana.com publishes for the Istio version of the config
    (C130 warns about a revision of another release).

    \b
    NAME is one of:
      istio-mesh, istio-service, istio-workload,
      istio-performance, istio-control-plane

    \b
    Examples:
      meshgen dashboards add istio-service
      meshgen dashboards add istio-workload --dry-run
    """
    path = api.discover_config(config)
    change, what = api.add_dashboard(path, name, revision=revision, folder=folder)
    common.echo_err(what)
    return run_edit(path, change, dry_run=dry_run, force=force, debug=opts.debug)


@click.command("makefile")
@common.config_option
@click.option(
    "-o",
    "--output",
    "output_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write it to this file (default: print it).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def makefile_cmd(config: Path | None, output_path: Path | None, force: bool) -> int:
    """Print (or write) the setup guide's Makefile for the config's services and namespaces.

    Targets: grafana-admin-secret (its namespace first), deploy-services,
    enable-istio-injection, deploy-app, istio-verify, restart-<service> per service,
    run-istio-test, grafana-ui, prometheus-ui. `meshgen init` writes one.

    \b
    Examples:
      meshgen makefile -o Makefile --force    # after adding a service
      meshgen makefile -c infrastructure/meshgen.yaml | make -f - -n istio-verify
    """
    from meshgen import report

    path = api.discover_config(config)
    target = output_path if output_path is not None else Path("Makefile")
    try:
        if output_path is None:
            common.out(api.makefile_text(path, target))
        else:
            api.write_makefile(path, output_path, force=force)
            common.echo_err(f"wrote {output_path}")
    except api.InputError as exc:
        common.out(report.format_text(exc.diagnostics))
        raise api.UsageError(f"{api.display_path(path)} must load first") from exc
    return common.EXIT_OK


COMMANDS: tuple[click.Command, ...] = (adopt_cmd, dashboards, makefile_cmd)
