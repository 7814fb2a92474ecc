"""Start-up cost: `meshgen --help` and the CLI module import only what every command needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import INFRA_CONFIG

HEAVY = ("pydantic", "jinja2", "ruamel", "jsonschema", "celpy", "lark", "promql_parser", "yaml")


def _modules_after(code: str) -> set[str]:
    out = subprocess.check_output(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"], text=True
    )
    return set(out.split())


def _imported_after(code: str) -> set[str]:
    return {name.split(".")[0] for name in _modules_after(code)}


def test_cli_import_stays_light() -> None:
    loaded = _imported_after("import meshgen.cli")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_stays_light() -> None:
    loaded = _imported_after(
        "from meshgen.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])"
    )
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_check_of_a_config_without_expressions_never_builds_the_cel_parser(tmp_path: Path) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text("istio: {version: 1.30.3}\n")
    loaded = _imported_after(
        "from meshgen.cli import main\n"
        "import contextlib, io\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main(['validate', '-c', {str(config)!r}])"
    )
    assert "celpy" not in loaded and "lark" not in loaded


def test_check_with_warm_caches_needs_neither_ruamel_nor_jsonschema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A well-formed config loads through libyaml, renders through the direct writer, and
    finds its schema results cached: the two slowest imports are never made."""
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(tmp_path / "cache"))
    code = (
        "from meshgen.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    assert main(['check', '-c', {str(INFRA_CONFIG)!r}]) == 0\n"
    )
    first = _modules_after(code)
    assert "jsonschema" in first  # the cold run validated
    loaded = _modules_after(code)
    heavy = {"ruamel.yaml", "jsonschema"}
    assert not loaded & heavy, sorted(loaded & heavy)


def test_a_warm_check_by_the_executable_never_imports_importlib_metadata(tmp_path: Path) -> None:
    """Neither the caches' salts nor pydantic's plugin loader import it while plugins are off
    (email, socket, zipfile: about a twentieth of a warm check); with plugins on, it is
    imported and the check still passes."""
    import os

    modules = tmp_path / "modules.txt"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(modules)!r}, 'w').write('\\n'.join(sys.modules)))\n"
        "from meshgen.cli import console\n"
        f"sys.argv = ['meshgen', 'check', '-c', {str(INFRA_CONFIG)!r}]\n"
        "console()\n"
    )
    env = {**os.environ, "MESHGEN_CACHE_DIR": str(tmp_path / "cache")}
    for name in ("MESHGEN_NO_CACHE", "PYDANTIC_DISABLE_PLUGINS"):
        env.pop(name, None)
    for _ in range(2):  # the first run fills the caches
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    loaded = set(modules.read_text().split())
    assert "pydantic.main" in loaded  # the models were built
    assert "importlib.metadata" not in loaded and "email" not in loaded
    env["PYDANTIC_DISABLE_PLUGINS"] = ""  # plugins allowed: pydantic looks for them
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "importlib.metadata" in set(modules.read_text().split())


def test_the_executable_exits_fast_but_flushes_output_and_caches(tmp_path: Path) -> None:
    """`console` skips heap teardown; output, exit code and cache writes must survive."""
    import os
    import shutil

    project = tmp_path / "infra"
    shutil.copytree(INFRA_CONFIG.parent, project)
    env = {**os.environ, "MESHGEN_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("MESHGEN_NO_CACHE", None)
    command = [sys.executable, "-m", "meshgen", "check", "-c", str(project / "meshgen.yaml")]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert first.returncode == 0, first.stderr
    assert list((tmp_path / "cache" / "schema-results").rglob("*.json"))  # by an exit handler
    (project / "deployment" / "helmfile" / "helmfile.yaml").write_text("# stale\n")
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 1
    assert "D10" in second.stdout and "+++" in second.stderr


def test_every_command_resolves_and_check_loads_only_its_own_module(tmp_path: Path) -> None:
    import click

    from meshgen.cli import COMMAND_MODULES, cli

    with click.Context(cli) as ctx:
        for name in COMMAND_MODULES:
            command = cli.get_command(ctx, name)
            assert command is not None and command.name == name
    config = tmp_path / "meshgen.yaml"
    config.write_text("istio: {version: 1.30.3}\n")
    loaded = _modules_after(
        "from meshgen.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main(['check', '-c', {str(config)!r}])"
    )
    others = {"render_cmds", "lint_cmd", "telemetry_cmds", "deploy_cmds"}
    assert not {f"meshgen.cli.{m}" for m in others} & loaded
