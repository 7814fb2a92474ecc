"""`meshgen init`, `meshgen render` and `meshgen schema`."""

from __future__ import annotations

from pathlib import Path

import click

from meshgen.cli import common


@click.command("init")
@click.argument("path", type=click.Path(path_type=Path), default=Path("meshgen.yaml"))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--stack",
    type=click.Choice(["prometheus", "kube-prometheus-stack"]),
    default="prometheus",
    show_default=True,
    help="Monitoring stack of the starter: the prometheus and grafana charts, or "
    "kube-prometheus-stack (Prometheus Operator).",
)
@click.option(
    "--dataplane",
    type=click.Choice(["sidecar", "ambient"]),
    default="sidecar",
    show_default=True,
    help="The starter's data plane: sidecars, or ambient (ztunnel and a waypoint).",
)
def init_cmd(path: Path, force: bool, stack: str, dataplane: str) -> int:
    """Write a commented starter config (and its JSON Schema and a Makefile beside it).

    The starter validates as is; edit it, then run `meshgen render`. The Makefile holds the
    setup guide's targets for the config's services (`meshgen makefile` rewrites it after
    they change); an existing Makefile is left alone.

    \b
    Example:
      meshgen init infrastructure/meshgen.yaml
      meshgen init --stack kube-prometheus-stack
      meshgen init --dataplane ambient infrastructure/meshgen.yaml
    """
    from meshgen import api

    path, schema_path = api.init(path, force=force, stack=stack, dataplane=dataplane)
    makefile = path.parent / "Makefile"
    if makefile.exists() and not force:
        click.echo(f"wrote {path} and {schema_path}; next: meshgen render -c {path}")
        common.echo_err(f"{makefile} exists: left alone (`meshgen makefile` prints one)")
        return common.EXIT_OK
    api.write_makefile(path, makefile, force=force)
    click.echo(f"wrote {path}, {schema_path} and {makefile}; next: meshgen render -c {path}")
    return common.EXIT_OK


@click.command("render")
@common.config_option
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 with a unified diff when the tree on disk is stale.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite files edited by hand or not written by meshgen (a tree with errors is "
    "never written).",
)
@click.pass_obj
def render_cmd(opts: common.Options, config: Path | None, check_only: bool, force: bool) -> int:
    """Render the Helmfile tree into the config's output folder.

    Validates first and writes nothing when an error is found (`--force` does not change
    that: it only lets meshgen overwrite files edited by hand). Writes atomically, only
    files that changed, removes files it generated earlier that are no longer produced,
    and lists what it created, updated and removed.

    \b
    Examples:
      meshgen render
      meshgen render -c infrastructure/meshgen.yaml --check
    """
    from meshgen import api, report

    config_path = api.discover_config(config)
    project = api.load_project(config_path)
    diagnostics = api.validate_project(project, debug=opts.debug)
    blocking = api.has_errors(diagnostics)
    if diagnostics:
        click.echo(report.format_text(diagnostics), nl=False, err=not check_only)
    if project.unreadable or not project.rendered or project.output_dir is None:
        return (
            common.exit_code_for(diagnostics, unreadable=project.unreadable) or common.EXIT_FINDINGS
        )
    shown = project.shown_output_dir
    if check_only:
        project.plan = api.output_plan(project)
        text = api.tree_diff(project)
        # What a diff cannot show: a folder where a file is meant, a file meshgen did not
        # render in a folder it owns (D102 and D103 in `meshgen check`).
        problems = [
            *(f"{api.display_path(path)} {reason}" for path, reason in project.plan.conflicts),
            *(
                f"{api.display_path(path)} was not rendered by meshgen"
                for path in project.plan.foreign
            ),
        ]
        if text:
            common.out(text)
        for problem in problems:
            common.echo_err(f"meshgen: {problem}")
        edited = {path for path, _ in project.plan.conflicts}
        stale = [
            *project.plan.create,
            *(f for f in project.plan.update if project.output_dir / f.path not in edited),
            *(p for p in project.plan.remove if p not in edited),
        ]
        if edited:
            # Rendering would revert a hand edit: the edit belongs in the config.
            common.echo_err("meshgen: `meshgen adopt` moves hand edits into the config")
        if stale:
            common.echo_err(f"{shown} is stale: run `meshgen render`")
        elif problems:
            common.echo_err(f"{shown} does not hold exactly the rendered tree (see above)")
        if text or problems:
            return common.EXIT_FINDINGS
        return common.EXIT_FINDINGS if blocking else common.EXIT_OK
    if blocking:
        common.echo_err("meshgen: nothing written: fix the errors above")
        return common.EXIT_FINDINGS
    plan = common.write_tree(config_path, project, force=force, refused="nothing written")
    if plan is None:
        return common.EXIT_FINDINGS
    click.echo(
        f"{shown}: {len(plan.create)} created, {len(plan.update)} updated, "
        f"{len(plan.remove)} removed, {len(plan.unchanged)} unchanged"
    )
    for verb, paths in (
        ("created", [f.path for f in plan.create]),
        ("updated", [f.path for f in plan.update]),
        ("removed", [p.relative_to(project.output_dir).as_posix() for p in plan.remove]),
    ):
        for path in paths:
            # A stale file's name is whatever is on disk: one line, whatever it holds.
            click.echo(f"  {verb} {report.escape_text(f'{shown}/{path}')}")
    return common.EXIT_OK


@click.command("schema")
@click.option(
    "-o",
    "--output",
    "output_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
def schema_cmd(output_path: Path | None) -> int:
    """Print the JSON Schema of meshgen.yaml (for editors and CI).

    \b
    Example:
      meshgen schema -o schemas/meshgen.schema.json
    """
    from meshgen import api

    if output_path is None:
        common.out(api.config_schema_text())
    else:
        api.write_schema(output_path)
    return common.EXIT_OK
