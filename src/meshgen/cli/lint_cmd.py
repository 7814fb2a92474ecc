"""`meshgen lint`: check Telemetry YAML, chart values, helmfile states and dashboards directly."""

from __future__ import annotations

from pathlib import Path

import click

from meshgen.cli import common


@click.command("lint")
# Click checks nothing about the files: a missing, unreadable or non-regular one is the
# loader's C001 in the chosen format (as for `-c`).
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option(
    "--istio-version",
    metavar="VERSION",
    default=None,
    help="Istio version the files target, e.g. 1.22.3 (default: the version: of an istiod or "
    "base release in a linted helmfile, else the newest meshgen knows). A version meshgen has "
    "no facts for is said (C011).",
)
@common.findings_options
@click.pass_obj
def lint(
    opts: common.Options,
    files: tuple[Path, ...],
    fmt: str,
    strict: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    istio_version: str | None,
) -> int:
    """Lint files without a meshgen config; files given together are checked together.

    Recognises Istio Telemetry resources (with the workloads they select: Pods,
    Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs), Namespaces,
    ConfigMaps, an IstioOperator's meshConfig, helmfile states (several documents, `.gotmpl`
    read without rendering, inline release values),
    istiod/base/grafana/prometheus/kube-prometheus-stack chart values, and Grafana dashboard
    JSON (plain, or in a ConfigMap's `*.json` data entries).

    Files of different projects (pre-commit passes all staged files) are grouped: a
    helmfile and the values files it names, else the files under one helmfile's directory,
    else one directory and its subdirectories; two files of one kind (e.g. two istiod
    values) are never combined.

    Exit status: 0 clean (warnings allowed unless --strict), 1 findings, 2 unreadable input.

    \b
    Examples:
      meshgen lint telemetry.yaml pods.yaml
      meshgen lint values/istio-values.yaml --select H
      meshgen lint dashboards/*.json --format github --strict
      meshgen lint --istio-version 1.22.3 helmfile.yaml values/*.yaml
    """
    from meshgen import api

    result = api.lint(
        files,
        select=common.selected_codes(select, "--select"),
        ignore=common.selected_codes(ignore, "--ignore"),
        debug=opts.debug,
        istio_version=istio_version,
    )
    common.out(common.render_report(result.diagnostics, fmt))
    return common.exit_code_for(result.diagnostics, strict=strict, unreadable=result.unreadable)


COMMANDS: tuple[click.Command, ...] = (lint,)
