"""`meshgen apply|diff|sync|template` (helmfile hand-off), `meshgen verify`, `meshgen traffic`.

The helmfile commands validate the config in memory first and never start helmfile when an
error is found; then they write the tree (as `meshgen render` does) and run
`helmfile --file <tree>/helmfile.yaml <command> [--selector tier=<tier>] [args after --]`,
returning helmfile's own exit code (`diff --detailed-exitcode`: 2 when something changes).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from meshgen.cli import common

if TYPE_CHECKING:
    from meshgen.api import Project

#: Tiers of the rendered helmfile.yaml (`naming.TIERS`; kept here so --help imports nothing).
TIERS = ("mesh", "monitoring", "app")

_HELMFILE_COMMANDS = {
    "apply": (
        "Validate, write the tree, then `helmfile apply`: diff, and sync what changed.",
        "meshgen apply --tier mesh\n  meshgen apply -- --skip-deps --concurrency 2",
    ),
    "diff": (
        "Validate, write the tree, then `helmfile diff` against the cluster (needs helm-diff).",
        "meshgen diff --tier app -- --detailed-exitcode   # exit 2 when something would change",
    ),
    "sync": (
        "Validate, write the tree, then `helmfile sync`: upgrade --install every release.",
        "meshgen sync --tier monitoring",
    ),
    "template": (
        "Validate, write the tree, then `helmfile template`: print the manifests helm would apply.",
        "meshgen template --tier mesh -- --include-crds > mesh.yaml",
    ),
}


def _load_valid(config: Path | None, *, debug: bool) -> tuple[Path, Project] | int:
    """The project when it is free of errors; else print the diagnostics, return the exit code."""
    from meshgen import api, report

    config_path = api.discover_config(config)
    project = api.load_project(config_path)
    diagnostics = api.validate_project(project, disk=False, debug=debug)
    if diagnostics:
        click.echo(report.format_text(diagnostics), nl=False, err=True)
    if (
        project.unreadable
        or api.has_errors(diagnostics)
        or not project.rendered
        or project.output_dir is None
    ):
        return common.exit_code_for(diagnostics, unreadable=project.unreadable) or (
            common.EXIT_FINDINGS
        )
    return config_path, project


def _helmfile_command(name: str, summary: str, example: str) -> click.Command:
    @click.command(
        name,
        help=f"{summary}\n\nArguments after `--` go to helmfile unchanged.\n\n"
        f"\b\nExamples:\n  {example}\n  meshgen {name} --context prod --dry-run",
    )
    @common.config_option
    @click.option(
        "--tier",
        type=click.Choice(TIERS),
        default=None,
        help="Only the releases of this tier (helmfile --selector tier=TIER).",
    )
    @click.option(
        "--context",
        default=None,
        help="kube context for helm (helmfile --kube-context; default: the current one).",
    )
    @click.option(
        "--dry-run",
        is_flag=True,
        help="Print the helmfile command line; write nothing and run nothing.",
    )
    @click.option(
        "--force", is_flag=True, help="Overwrite rendered files that were edited by hand."
    )
    @click.argument(
        "helmfile_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- HELMFILE_ARGS...]"
    )
    @click.pass_obj
    def command(
        opts: common.Options,
        config: Path | None,
        tier: str | None,
        context: str | None,
        dry_run: bool,
        force: bool,
        helmfile_args: tuple[str, ...],
    ) -> int:
        from meshgen import api

        loaded = _load_valid(config, debug=opts.debug)
        if isinstance(loaded, int):
            common.echo_err("meshgen: helmfile not started: fix the errors above")
            return loaded
        config_path, project = loaded
        argv = api.helmfile_argv(
            project.shown_output_dir, name, tier, helmfile_args, context=context
        )
        if dry_run:
            # What `apply` checks before it starts helmfile, short of running anything:
            # hand edits it would refuse to overwrite refuse the dry run too.
            conflicts = [] if force else api.output_plan(project).conflicts
            for path, reason in conflicts:
                common.echo_err(f"meshgen: refusing to overwrite {path}: it {reason}")
            if conflicts:
                common.echo_err(
                    "meshgen: helmfile would not be started: `meshgen adopt` moves hand edits "
                    "into the config (--force overwrites them instead)"
                )
                return common.EXIT_FINDINGS
            click.echo(api.format_command(argv))
            return common.EXIT_OK
        api.helmfile_prerequisites(name, context=context)
        plan = common.write_tree(config_path, project, force=force, refused="helmfile not started")
        if plan is None:
            return common.EXIT_FINDINGS
        if plan.changed:
            common.echo_err(
                f"meshgen: {project.shown_output_dir}: {len(plan.create)} created, "
                f"{len(plan.update)} updated, {len(plan.remove)} removed"
            )
        common.echo_err(f"+ {api.format_command(argv)}")
        return api.run_helmfile(argv)

    return command


HELMFILE_COMMANDS = tuple(_helmfile_command(n, s, e) for n, (s, e) in _HELMFILE_COMMANDS.items())


@click.command("verify")
@common.config_option
@click.option("--context", default=None, help="kubectl context (default: the current one).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
def verify_cmd(config: Path | None, context: str | None, fmt: str) -> int:
    """Check the live cluster: istiod, injection labels, sidecars, Telemetry, monitoring.

    Read-only (`kubectl get ... -o json`). Prints a PASS/FAIL table and what to do about
    each failure; exit 1 when a check fails, 2 when kubectl is missing or the cluster
    cannot be reached.

    \b
    Examples:
      meshgen verify
      meshgen verify --context prod --format json
    """
    from meshgen import api, report

    project = api.load_project(api.discover_config(config))
    if project.unreadable or not project.rendered:
        click.echo(report.format_text(project.diagnostics), nl=False, err=True)
        return common.exit_code_for(project.diagnostics, unreadable=project.unreadable) or (
            common.EXIT_FINDINGS
        )
    results = api.verify(project, context=context)
    common.out(api.format_verify(results, fmt))
    return common.EXIT_FINDINGS if any(not r.ok for r in results) else common.EXIT_OK


@click.command("traffic")
@common.config_option
@click.option(
    "--service", default=None, help="Service to load (default: the only one with a trafficTest)."
)
@click.option(
    "--qps", type=click.IntRange(1, 100_000), default=None, help="Override trafficTest.qps."
)
@click.option(
    "--duration", default=None, help="Override trafficTest.duration (Go duration: 60s, 2m)."
)
@click.option("--context", default=None, help="kubectl context (default: the current one).")
@click.option(
    "--timeout",
    "timeout",
    type=click.FloatRange(1),
    default=None,
    help="Seconds to wait for the Job (default: duration + 180).",
)
def traffic_cmd(
    config: Path | None,
    service: str | None,
    qps: int | None,
    duration: str | None,
    context: str | None,
    timeout: float | None,
) -> int:
    """Run the rendered fortio Job against a service and print its latency summary.

    Deletes an earlier run of the Job, applies it (with --qps/--duration applied to a copy),
    waits for it to complete, prints fortio's percentiles and response codes, and names the
    Grafana dashboard that shows the traffic. This is `make run-istio-test`.

    \b
    Examples:
      meshgen traffic
      meshgen traffic --service inference-balancer --qps 50 --duration 2m
    """
    from meshgen import api, report

    project = api.load_project(api.discover_config(config))
    config_model = project.loaded.config
    if project.unreadable or not project.rendered or config_model is None:
        click.echo(report.format_text(project.diagnostics), nl=False, err=True)
        return common.exit_code_for(project.diagnostics, unreadable=project.unreadable) or (
            common.EXIT_FINDINGS
        )
    if duration is not None:
        api.check_duration(duration)
    svc = api.traffic_service(project, service)
    assert svc.traffic_test is not None
    outcome = api.run_traffic(
        project,
        svc,
        qps=qps,
        duration=duration,
        context=context,
        timeout=timeout,
        progress=common.echo_err,
        ticker=_ticker(),
    )
    if not outcome.completed:
        job = api.traffic_job(project, svc)["metadata"]
        common.echo_err(
            f"meshgen: job/{job['name']} did not complete; see "
            f"kubectl -n {job['namespace']} describe job/{job['name']}"
        )
        return common.EXIT_FINDINGS
    if not outcome.result.complete:
        common.out(outcome.logs)
        common.echo_err("meshgen: fortio's output has no latency summary (shown above)")
        return common.EXIT_FINDINGS
    common.out(api.traffic_report(project, svc, outcome, qps=qps, duration=duration))
    return common.EXIT_OK


def _ticker() -> Callable[[str], None] | None:
    """On a terminal, a status line rewritten in place (`""` clears it); else None."""
    import sys

    stream = sys.stderr
    if not stream.isatty():
        return None

    def tick(text: str) -> None:
        stream.write("\r\x1b[K" + text)
        stream.flush()

    return tick


COMMANDS: tuple[click.Command, ...] = (*HELMFILE_COMMANDS, verify_cmd, traffic_cmd)
