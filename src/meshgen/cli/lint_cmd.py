"""`meshgen lint`: check Telemetry YAML, chart values, helmfile states and dashboards directly."""

from __future__ import annotations

from pathlib import Path

import click

from meshgen.cli import common


@click.command("lint")
# Click checks nothing about the files: a missing, unreadable or non-regular one is the
# loader's C001 in the chosen format (as for `-c`).
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@common.findings_options
@click.pass_obj
def lint(
    opts: common.Options,
    files: tuple[Path, ...],
    fmt: str,
    strict: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
) -> int:
    """Lint files without a meshgen config; files given together are checked together.

    Recognises Istio Telemetry resources (with the Pods they select), Namespaces, Jobs,
    ConfigMaps, a helmfile state, istiod/base/grafana/prometheus chart values, and Grafana
    dashboard JSON (plain, or in a ConfigMap's `*.json` data entries).

    Exit status: 0 clean (warnings allowed unless --strict), 1 findings, 2 unreadable input.

    \b
    Examples:
      meshgen lint telemetry.yaml pods.yaml
      meshgen lint values/istio-values.yaml --select H
      meshgen lint dashboards/*.json --format github --strict
    """
    from meshgen import api

    result = api.lint(
        files,
        select=common.selected_codes(select, "--select"),
        ignore=common.selected_codes(ignore, "--ignore"),
        debug=opts.debug,
    )
    common.out(common.render_report(result.diagnostics, fmt))
    return common.exit_code_for(result.diagnostics, strict=strict, unreadable=result.unreadable)


COMMANDS: tuple[click.Command, ...] = (lint,)
