"""`meshgen validate`, `check`, `checks` and `explain`."""

from __future__ import annotations

from pathlib import Path

import click

from meshgen.cli import common


@click.command("validate")
@common.config_option
@common.findings_options
@click.pass_obj
def validate_cmd(
    opts: common.Options,
    config: Path | None,
    fmt: str,
    strict: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
) -> int:
    """Validate the config and the tree it renders (in memory; writes nothing).

    \b
    Examples:
      meshgen validate
      meshgen validate --format sarif > meshgen.sarif
      meshgen validate --format github --strict --ignore G104
    """
    from meshgen import api

    project = api.load_project(api.discover_config(config))
    diagnostics = api.validate_project(
        project,
        select=common.split_codes(select),
        ignore=common.split_codes(ignore),
        debug=opts.debug,
    )
    common.out(common.render_report(diagnostics, fmt))
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
    from meshgen import api, output

    project = api.load_project(api.discover_config(config))
    diagnostics = api.validate_project(project, disk=True, debug=opts.debug)
    common.out(common.render_report(diagnostics, fmt))
    if project.rendered and project.output_dir is not None and fmt == "text":
        err = output.diff(
            project.files,
            project.output_dir,
            shown_dir=project.shown_output_dir,
            planned=project.plan,
        )
        if err:
            click.echo(err, err=True, nl=False)
    return common.exit_code_for(diagnostics, strict=strict, unreadable=project.unreadable)


@click.command("checks")
def checks_cmd() -> int:
    """List every diagnostic code: code, severity, name and what it finds.

    \b
    Example:
      meshgen checks | grep ^T
    """
    from meshgen.checks import ALL_CHECKS
    from meshgen.diagnostics import LOADER_CODES

    for code, (name, text) in LOADER_CODES.items():
        click.echo(f"{code}  error    {name:34} {text}")
    for chk in ALL_CHECKS:
        alias = f" ({', '.join(chk.aliases)})" if chk.aliases else ""
        click.echo(f"{chk.code}  {chk.severity!s:8} {chk.name:34} {chk.summary}{alias}")
    return common.EXIT_OK


@click.command("explain")
@click.argument("code")
def explain_cmd(code: str) -> int:
    """Explain a diagnostic code: what it finds, why it matters, an example and the fix.

    \b
    Example:
      meshgen explain T104
    """
    from meshgen.checks import by_code
    from meshgen.diagnostics import LOADER_CODES
    from meshgen.errors import UsageError

    key = code.strip().upper()
    if key in LOADER_CODES:
        name, text = LOADER_CODES[key]
        click.echo(f"{key} {name} (error)\n\n{text}")
        return common.EXIT_OK
    chk = by_code(key)
    if chk is None:
        raise UsageError(f"unknown code {code!r}; `meshgen checks` lists them all")
    alias = f"\nAliases: {', '.join(chk.aliases)}" if chk.aliases else ""
    click.echo(f"{chk.code} {chk.name} ({chk.severity}){alias}\n\n{chk.doc}")
    return common.EXIT_OK
