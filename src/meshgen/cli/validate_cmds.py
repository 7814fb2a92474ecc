"""`meshgen validate`, `check`, `checks` and `explain`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    or hand-edited tree; the diff goes to stderr. When nothing it reads has changed since
    its last run (code, config, dashboards, charts, tree: all re-hashed), the recorded
    result is printed without re-checking; MESHGEN_NO_CACHE=1 turns that off.

    \b
    Example:
      meshgen check -c infrastructure/meshgen.yaml
    """
    from meshgen.discover import discover_config
    from meshgen.runcache import RunCache, run_key

    config_path = discover_config(config)
    cache = RunCache()
    key = run_key(["check", fmt, str(strict), str(opts.debug)], config_path)
    replayed = cache.replay(key)
    if replayed is not None:
        code, out, err = replayed
        common.out(out)
        if err:
            click.echo(err, err=True, nl=False)
        return code
    code, out, err, project = _check(config_path, fmt=fmt, strict=strict, debug=opts.debug)
    common.out(out)
    if err:
        click.echo(err, err=True, nl=False)
    _record(cache, key, project, code, out, err)
    return code


def _check(config_path: Path, *, fmt: str, strict: bool, debug: bool) -> tuple[int, str, str, Any]:
    from meshgen import api, output

    project = api.load_project(config_path)
    diagnostics = api.validate_project(project, disk=True, debug=debug)
    err = ""
    if project.rendered and project.output_dir is not None and fmt == "text":
        err = output.diff(
            project.files,
            project.output_dir,
            shown_dir=project.shown_output_dir,
            planned=project.plan,
        )
    code = common.exit_code_for(diagnostics, strict=strict, unreadable=project.unreadable)
    return code, common.render_report(diagnostics, fmt), err, project


def _record(cache: Any, key: str, project: Any, code: int, out: str, err: str) -> None:
    """Record the run unless an input changed while it ran (then the output may be stale)."""
    from meshgen.runcache import dependencies

    if project.unreadable or not cache.enabled:
        return
    try:
        on_disk = project.config_path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError):
        return
    if on_disk != project.loaded.text:
        return
    cache.record(key, dependencies(project), code, out, err)


@click.command("checks")
def checks_cmd() -> int:
    """List every diagnostic code: code, severity, name and what it finds.

    \b
    Example:
      meshgen checks | grep ^T
    """
    from meshgen.checks import ALL_CHECKS
    from meshgen.loader import LOADER_CODES

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
    from meshgen.errors import UsageError
    from meshgen.loader import LOADER_CODES

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
