"""`meshgen apply|diff|sync|template`: validation first, the tree written, helmfile's argv and exit code."""

from __future__ import annotations

import pytest

from tests.ops.conftest import RECORDED

HELMFILE = "deployment/helmfile/helmfile.yaml"


def read(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


def test_diff_of_a_tier_passes_detailed_exitcode_2_through(standins, render, run_cli):
    render()
    standins.install("helmfile")
    args = ("--file", HELMFILE, "diff", "--selector", "tier=app", "--detailed-exitcode")
    standins.on(
        "helmfile",
        *args,
        code=2,
        stdout_file="helmfile/diff-changes.out",
        stderr_file="helmfile/diff-changes.err",
    )

    result = run_cli("diff", "-c", "meshgen.yaml", "--tier", "app", "--", "--detailed-exitcode")

    assert result.code == 2
    assert standins.argv() == [["helmfile", *args]]
    assert result.out == read("helmfile/diff-changes.out")
    assert result.err == f"+ helmfile {' '.join(args)}\n" + read("helmfile/diff-changes.err")


@pytest.mark.parametrize("command", ["apply", "sync", "template"])
def test_each_command_runs_helmfile_with_the_tree(standins, render, run_cli, command):
    render()
    standins.install("helmfile")
    standins.on("helmfile", "--file", HELMFILE, command, stdout=f"{command} done\n")

    result = run_cli(command, "-c", "meshgen.yaml")

    assert (result.code, result.out) == (0, f"{command} done\n")
    assert standins.argv() == [["helmfile", "--file", HELMFILE, command]]


def test_helmfile_failure_exit_code_and_stderr_are_passed_through(standins, render, run_cli):
    render()
    standins.install("helmfile")
    standins.on(
        "helmfile",
        "--file",
        HELMFILE,
        "apply",
        "--selector",
        "tier=monitoring",
        code=1,
        stderr_file="helmfile/apply-failed.err",
    )

    result = run_cli("apply", "-c", "meshgen.yaml", "--tier", "monitoring")

    assert result.code == 1
    assert result.err.endswith(read("helmfile/apply-failed.err"))


def test_the_tree_is_written_before_helmfile_starts(standins, project_dir, run_cli):
    standins.install("helmfile")
    standins.on("helmfile", "--file", HELMFILE, "template", "--selector", "tier=mesh")

    result = run_cli("template", "-c", "meshgen.yaml", "--tier", "mesh")

    assert result.code == 0, result
    assert (project_dir / HELMFILE).is_file()
    first, second = result.err.splitlines()[:2]
    assert first.startswith("meshgen: deployment/helmfile: ") and " created, 0 updated" in first
    assert second == f"+ helmfile --file {HELMFILE} template --selector tier=mesh"


def test_invalid_config_never_starts_helmfile(standins, project_dir, run_cli):
    standins.install("helmfile")
    config = project_dir / "meshgen.yaml"
    config.write_text(config.read_text().replace("namespace: istio-system", "namespce: x", 1))

    result = run_cli("apply", "-c", "meshgen.yaml")

    assert result.code == 1
    assert "meshgen.yaml:" in result.err and "namespce" in result.err
    assert result.err.endswith("meshgen: helmfile not started: fix the errors above\n")
    assert standins.calls() == []
    assert not (project_dir / "deployment").exists()


def test_unreadable_config_is_exit_2_without_helmfile(standins, project_dir, run_cli):
    standins.install("helmfile")
    result = run_cli("diff", "-c", "missing.yaml")
    assert result.code == 2
    assert standins.calls() == []


def test_missing_helmfile_is_one_line_exit_2_and_writes_nothing(standins, project_dir, run_cli):
    result = run_cli("apply", "-c", "meshgen.yaml")

    assert result.code == 2
    assert result.err == (
        "meshgen: error: helmfile not found on PATH: install helmfile v1 "
        "(https://helmfile.readthedocs.io/en/latest/#installation) together with helm and the "
        "helm-diff plugin\n"
    )
    assert not (project_dir / "deployment").exists()


def test_dry_run_prints_the_command_and_starts_and_writes_nothing(standins, project_dir, run_cli):
    standins.install("helmfile")

    result = run_cli(
        "diff",
        "-c",
        "meshgen.yaml",
        "--dry-run",
        "--tier",
        "mesh",
        "--",
        "--detailed-exitcode",
        "--set",
        "grafana.adminPassword=hunter2,replicas=2",
        "--context",
        "3",
    )

    assert result.code == 0
    assert result.out == (
        f"helmfile --file {HELMFILE} diff --selector tier=mesh --detailed-exitcode "
        "--set 'grafana.adminPassword=<redacted>,replicas=2' --context 3\n"
    )
    assert "hunter2" not in result.out + result.err
    assert standins.calls() == []
    assert not (project_dir / "deployment").exists()


def test_context_is_helmfiles_kube_context(standins, project_dir, run_cli):
    """`--context` as `verify` and `traffic` take it, given to helmfile (and so to helm)."""
    result = run_cli("apply", "-c", "meshgen.yaml", "--dry-run", "--tier", "app", "--context", "prod")
    assert result.code == 0, result
    assert result.out == f"helmfile --file {HELMFILE} --kube-context prod apply --selector tier=app\n"


def test_dry_run_quotes_arguments_for_the_shell(standins, project_dir, run_cli):
    result = run_cli("template", "-c", "meshgen.yaml", "--dry-run", "--", "--args", "--set a=b c")
    assert result.out == f"helmfile --file {HELMFILE} template --args '--set a=b c'\n"


def test_hand_edited_file_blocks_helmfile_unless_forced(standins, render, run_cli):
    tree = render()
    standins.install("helmfile")
    standins.on("helmfile", "--file", HELMFILE, "apply")
    values = tree / "values" / "prometheus-values.yaml"
    values.write_text(values.read_text().replace("retention: 15d", "retention: 30d"))

    refused = run_cli("apply", "-c", "meshgen.yaml")
    assert refused.code == 1
    assert "refusing to overwrite" in refused.err and "edited by hand" in refused.err
    assert standins.calls() == []
    assert "retention: 30d" in values.read_text()

    forced = run_cli("apply", "-c", "meshgen.yaml", "--force")
    assert forced.code == 0, forced
    assert standins.argv() == [["helmfile", "--file", HELMFILE, "apply"]]
    assert "retention: 15d" in values.read_text()


def test_options_before_dashdash_are_meshgen_options(standins, project_dir, run_cli):
    result = run_cli("diff", "-c", "meshgen.yaml", "--detailed-exitcode")
    assert result.code == 2
    assert "No such option '--detailed-exitcode'" in result.err


def test_unknown_tier_is_a_usage_error(run_cli, project_dir):
    result = run_cli("apply", "--tier", "database")
    assert result.code == 2
    assert "'database' is not one of 'mesh', 'monitoring', 'app'" in result.err


@pytest.mark.parametrize("command", ["apply", "diff", "sync", "template"])
def test_help_has_an_example(run_cli, command):
    result = run_cli(command, "--help")
    assert result.code == 0
    assert "Examples:" in result.out and f"meshgen {command} " in result.out
    assert "--tier [mesh|monitoring|app]" in result.out and "--dry-run" in result.out


def test_cli_tiers_match_the_rendered_labels():
    from meshgen.cli.deploy_cmds import TIERS
    from meshgen.render import naming

    assert naming.TIERS == TIERS
