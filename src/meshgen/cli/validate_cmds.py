"""`meshgen validate`, `check`, `checks` and `explain`."""

from __future__ import annotations

from pathlib import Path

import click

from meshgen.cli import common


@click.command("validate")
@common.config_option
@common.findings_options
@click.option(
    "--charts/--no-charts",
    default=None,
    help="Render each service's local chart with helm and check its pods' labels, "
    "workload name and Service port, and Telemetry selectors against them (H120-H126). "
    "Default: when helm is on PATH (H122 warns when it is not); --charts also reports "
    "remote charts, which are never fetched; --no-charts never starts helm.",
)
@click.pass_obj
def validate_cmd(
    opts: common.Options,
    config: Path | None,
    fmt: str,
    strict: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    charts: bool | None,
) -> int:
    """Validate the config and the tree it renders (in memory; writes nothing).

    With helm on PATH, each service's chart that is on disk (a local chart, or one of a
    local-folder repository; no network) is rendered: its pods must carry the labels
    meshgen selects them by. Without helm, H122 says their labels are not known.
    `meshgen check`, the commit hook, never runs helm.

    \b
    Examples:
      meshgen validate
      meshgen validate --charts      # also warn about remote charts (not fetched)
      meshgen validate --no-charts   # never start helm
      meshgen validate --format sarif > meshgen.sarif
      meshgen validate --format github --strict --ignore G104
    """
    from meshgen import api

    project = api.load_project(api.discover_config(config))
    diagnostics = api.validate_project(
        project,
        select=common.selected_codes(select, "--select"),
        ignore=common.selected_codes(ignore, "--ignore"),
        charts=charts,
        debug=opts.debug,
    )
    common.out(common.render_report(diagnostics, fmt))
    if fmt == "text" and not diagnostics:
        # On stderr: stdout stays the report (empty when clean) for scripts.
        common.echo_err(f"{api.display_path(project.config_path)}: no findings")
    return common.exit_code_for(diagnostics, strict=strict, unreadable=project.unreadable)


@click.command("check")
@common.config_option
@common.format_option
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_obj
def check_cmd(opts: common.Options, config: Path | None, fmt: str, strict: bool) -> int:
    """Validate and check the committed tree is fresh (the pre-commit hook).

    Same as `validate` plus `render --check`, in one process. Exit 1 on an error or a stale
    or hand-edited tree; the diff goes to stderr.

    \b
    Example:
      meshgen check -c infrastructure/meshgen.yaml
    """
    from meshgen import api

    checked = api.check(api.discover_config(config), debug=opts.debug, with_diff=fmt == "text")
    project, diagnostics = checked.project, checked.diagnostics
    common.out(common.render_report(diagnostics, fmt))
    if checked.diff:
        click.echo(checked.diff, err=True, nl=False)
    return common.exit_code_for(diagnostics, strict=strict, unreadable=project.unreadable)


@click.command("checks")
def checks_cmd() -> int:
    """List every diagnostic code: code, severity, name, what it finds, istioctl aliases.

    \b
    Example:
      meshgen checks | grep ^T
    """
    from meshgen import api

    for entry in api.catalogue():
        alias = f" ({', '.join(entry.aliases)})" if entry.aliases else ""
        click.echo(f"{entry.code}  {entry.severity!s:8} {entry.name:34} {entry.summary}{alias}")
    return common.EXIT_OK


@click.command("explain")
@click.argument("code")
def explain_cmd(code: str) -> int:
    """Explain a diagnostic code, alias or name: what it finds, why, an example, the fix.

    \b
    Examples:
      meshgen explain T104
      meshgen explain unknown-key
      meshgen explain IST0160
    """
    from meshgen import api

    entry = api.explain(code)  # an unknown code is a usage error (exit 2) with suggestions
    alias = f"\nAliases: {', '.join(entry.aliases)}" if entry.aliases else ""
    click.echo(f"{entry.code} {entry.name} ({entry.severity}){alias}\n\n{entry.doc}")
    return common.EXIT_OK
