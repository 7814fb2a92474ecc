"""CLI behaviour: exact output and exit codes of init, render, schema, validate, check."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult

Run = Callable[..., CliResult]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the infrastructure folder (config, chart) without the rendered tree."""
    target = tmp_path / "infrastructure"
    shutil.copytree(REPO / "infrastructure", target, ignore=shutil.ignore_patterns("deployment"))
    return target / "meshgen.yaml"


def test_render_then_check_then_rerender(project: Path, run_cli: Run, chdir: Path) -> None:
    result = run_cli("render", "-c", str(project))
    assert result.code == 0, result
    tree = "infrastructure/deployment/helmfile"
    lines = result.out.splitlines()
    assert lines[0] == f"{tree}: 10 created, 0 updated, 0 removed, 0 unchanged"
    assert f"  created {tree}/helmfile.yaml" in lines[1:] and len(lines) == 11
    assert run_cli("check", "-c", str(project)).code == 0
    again = run_cli("render", "-c", str(project))
    assert again.out == f"{tree}: 0 created, 0 updated, 0 removed, 10 unchanged\n"
    project.write_text(project.read_text().replace("retention: 15d", "retention: 30d"))
    changed = run_cli("render", "-c", str(project))
    assert changed.out.splitlines()[1:] == [f"  updated {tree}/values/prometheus-values.yaml"]


def test_render_with_errors_writes_nothing_even_with_force(
    project: Path, run_cli: Run, chdir: Path
) -> None:
    """`--force` overwrites hand edits; it never writes a tree with errors (it once did)."""
    project.write_text(project.read_text().replace("scrapeInterval: 15s", "scrapeInterval: -1s"))
    result = run_cli("render", "--force", "-c", str(project))
    assert result.code == 1 and "nothing written" in result.err, result
    assert not (project.parent / "deployment").exists()


def test_discovers_infrastructure_config(project: Path, run_cli: Run, chdir: Path) -> None:
    result = run_cli("render")
    assert result.code == 0 and "10 created" in result.out


def test_no_config_is_a_usage_error(run_cli: Run, chdir: Path) -> None:
    result = run_cli("validate")
    assert result.code == 2
    assert result.err.startswith("meshgen: error: no config found")


def test_render_check_reports_a_stale_tree_with_a_diff(
    project: Path, run_cli: Run, chdir: Path
) -> None:
    run_cli("render", "-c", str(project))
    text = project.read_text().replace("retention: 15d", "retention: 30d")
    project.write_text(text)
    result = run_cli("render", "--check", "-c", str(project))
    assert result.code == 1
    assert "-  retention: 15d\n+  retention: 30d\n" in result.out
    assert result.err.endswith(
        "infrastructure/deployment/helmfile is stale: run `meshgen render`\n"
    )
    check = run_cli("check", "-c", str(project))
    assert check.code == 1
    assert (
        "D101 values/prometheus-values.yaml is stale; run `meshgen render` [stale-rendered-file]"
        in check.out
    )


def test_render_refuses_a_hand_edited_file(project: Path, run_cli: Run, chdir: Path) -> None:
    run_cli("render", "-c", str(project))
    edited = project.parent / "deployment/helmfile/values/istio-values.yaml"
    edited.write_text(edited.read_text() + "pilot: {}\n")
    project.write_text(project.read_text().replace("encoding: JSON", "encoding: TEXT"))
    result = run_cli("render", "-c", str(project))
    assert result.code == 1
    assert "refusing to overwrite" in result.err and "edited by hand" in result.err
    assert edited.read_text().endswith("pilot: {}\n")
    forced = run_cli("render", "--force", "-c", str(project))
    assert forced.code == 0 and "1 updated" in forced.out
    assert not edited.read_text().endswith("pilot: {}\n")


def test_render_removes_files_it_no_longer_generates(
    project: Path, run_cli: Run, chdir: Path
) -> None:
    run_cli("render", "-c", str(project))
    job = project.parent / "deployment/helmfile/traffic/inference-balancer-fortio-job.yaml"
    assert job.exists()
    text = project.read_text()
    project.write_text(text[: text.index("    trafficTest:")])
    result = run_cli("render", "-c", str(project))
    assert result.code == 0 and "1 removed" in result.out
    assert not job.exists() and not job.parent.exists()


def test_render_writes_nothing_when_the_config_has_errors(
    project: Path, run_cli: Run, chdir: Path
) -> None:
    project.write_text(project.read_text().replace("name: inference\n", "name: Inference\n", 1))
    result = run_cli("render", "-c", str(project))
    assert result.code == 1
    assert "C101 namespace name 'Inference' is not a DNS-1123 label" in result.err
    assert not (project.parent / "deployment").exists()


def test_validate_text_line_format(project: Path, run_cli: Run, chdir: Path) -> None:
    project.write_text(
        project.read_text().replace("  prometheusMerge: true", "  prometheusMerg: true")
    )
    result = run_cli("validate", "-c", str(project))
    assert result.code == 1
    assert result.out == (
        "infrastructure/meshgen.yaml:12:3: C004 unknown key 'prometheusMerg' in istio "
        "(did you mean 'prometheusMerge'?) [unknown-key]\n1 error(s), 0 warning(s), 0 info(s)\n"
    )


def test_validate_json_format(project: Path, run_cli: Run, chdir: Path) -> None:
    project.write_text(
        project.read_text().replace("  prometheusMerge: true", "  prometheusMerg: true")
    )
    result = run_cli("validate", "--format", "json", "-c", str(project))
    data = json.loads(result.out)
    assert data["summary"] == {"errors": 1, "warnings": 0, "infos": 0}
    [diag] = data["diagnostics"]
    assert diag == {
        "code": "C004",
        "name": "unknown-key",
        "severity": "error",
        "message": "unknown key 'prometheusMerg' in istio (did you mean 'prometheusMerge'?)",
        "file": "infrastructure/meshgen.yaml",
        "line": 12,
        "column": 3,
        "aliases": [],
        "related": [],
    }


def test_unreadable_yaml_exits_2(
    write_config: Callable[..., Path], run_cli: Run, chdir: Path
) -> None:
    path = write_config("istio:\n  version: [\n")
    result = run_cli("validate", "-c", str(path))
    assert result.code == 2 and " C002 YAML syntax error" in result.out


def test_schema_matches_the_committed_file(run_cli: Run) -> None:
    result = run_cli("schema")
    assert result.code == 0
    assert result.out == (REPO / "schemas" / "meshgen.schema.json").read_text()


def test_init_writes_a_config_that_validates(run_cli: Run, chdir: Path) -> None:
    result = run_cli("init")
    assert result.code == 0
    assert (
        result.out
        == "wrote meshgen.yaml, meshgen.schema.json and Makefile; next: meshgen render -c "
        "meshgen.yaml\n"
    )
    text = (chdir / "meshgen.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=meshgen.schema.json\n")
    assert run_cli("validate", "--strict").code == 0
    assert run_cli("init").code == 2


def test_explain_and_checks(run_cli: Run) -> None:
    explained = run_cli("explain", "c101")
    assert explained.code == 0
    assert explained.out.startswith("C101 invalid-kubernetes-name (error)\n\n")
    assert "Fix:" in explained.out
    assert run_cli("explain", "IST0102").out.startswith("C105 namespace-not-injected (warning)")
    unknown = run_cli("explain", "Z999")
    assert unknown.code == 2 and "unknown code 'Z999'" in unknown.err
    listing = run_cli("checks").out.splitlines()
    assert any(line.startswith("C101  error    invalid-kubernetes-name") for line in listing)


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and group under `meshgen`, walked from the CLI itself (lazy ones too)."""
    import click

    from meshgen.cli import cli

    paths: list[tuple[str, ...]] = []

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None, name
            paths.append((*path, name))
            if isinstance(command, click.Group):
                walk(command, (*path, name))

    walk(cli, ())
    return paths


@pytest.mark.parametrize("command", _command_paths(), ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...], run_cli: Run) -> None:
    result = run_cli(*command, "--help")
    assert result.code == 0
    # An example is a line that runs meshgen, under an "Example(s):" heading.
    heading = result.out.find("Example")
    assert heading >= 0, result.out
    assert re.search(r"^ +meshgen " + re.escape(" ".join(command)), result.out[heading:], re.M), (
        result.out
    )


def test_the_command_walk_reaches_nested_commands() -> None:
    paths = _command_paths()
    assert ("telemetry", "tag", "set") in paths and ("dashboards", "add") in paths
    assert len(paths) > 25


def test_internal_errors_exit_3_without_traceback(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, project: Path, chdir: Path
) -> None:
    import meshgen.api

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(meshgen.api, "load_project", boom)
    result = run_cli("validate", "-c", str(project))
    assert result.code == 3
    assert "internal error: RuntimeError: kaboom" in result.err and "Traceback" not in result.err


def test_checks_section_regrades_and_ignores(
    write_config: Callable[..., Path], run_cli: Run, chdir: Path
) -> None:
    base = (
        "istio: {version: 1.30.3}\n"
        "namespaces: [{name: apps, injection: disabled}]\n"
        "services: [{name: api, namespace: apps, chart: repo/api, version: 1.0.0}]\n"
    )
    path = write_config(base)
    plain = run_cli("validate", "-c", str(path))
    assert plain.code == 0 and "C105" in plain.out and "1 warning(s)" in plain.out
    path.write_text(
        base + "checks:\n  - {code: C105, severity: error, reason: all apps need sidecars}\n"
    )
    regraded = run_cli("validate", "-c", str(path))
    assert regraded.code == 1 and "1 error(s), 0 warning(s)" in regraded.out
    path.write_text(base + "checks:\n  - {code: C105, severity: ignore, reason: batch jobs}\n")
    clean = run_cli("validate", "--strict", "-c", str(path))
    assert clean.out == "" and clean.err.endswith(": no findings\n"), clean
    path.write_text(base + "checks:\n  - {code: C105, severity: ignore}\n")
    missing = run_cli("validate", "-c", str(path))
    assert missing.code == 1 and "C006 missing required key 'reason'" in missing.out


def test_the_collector_is_restored_in_process_and_left_off_before_exit() -> None:
    """`main` gives in-process callers their collector back; the executable never turns it
    on again (the first allocation after would collect every object the run made)."""
    import gc

    from meshgen import cli

    assert gc.isenabled()
    assert cli.main(["--version"]) == 0
    assert gc.isenabled()
    try:
        assert cli._run(["--version"], restore_gc=False) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(("given", "seen"), [(None, "__all__"), ("", ""), ("logfire", "logfire")])
def test_the_executable_turns_pydantic_plugins_off_unless_told(
    monkeypatch: pytest.MonkeyPatch, given: str | None, seen: str
) -> None:
    """A plugin installed for another program would see every config value (secrets too)."""
    import meshgen.cli as cli_module

    if given is None:
        monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "")  # recorded, so undone after the test
        monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS")
    else:
        monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", given)
    during: list[str | None] = []

    def run(argv: object, *, restore_gc: bool) -> int:
        during.append(os.environ.get("PYDANTIC_DISABLE_PLUGINS"))
        return 0

    def exit_now(code: int) -> None:
        raise SystemExit(code)

    monkeypatch.setattr(cli_module, "_run", run)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # the stand-in's finder
    monkeypatch.setattr(cli_module.os, "_exit", exit_now)
    monkeypatch.setattr(cli_module.atexit, "_run_exitfuncs", lambda: None)
    with pytest.raises(SystemExit):
        cli_module.console()
    assert during == [seen]
