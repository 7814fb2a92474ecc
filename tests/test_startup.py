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
    monkeypatch.setenv("MESHGEN_NO_RUN_CACHE", "1")
    code = (
        "from meshgen.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    assert main(['check', '-c', {str(INFRA_CONFIG)!r}]) == 0\n"
    )
    # (`ruamel` alone is an empty namespace package: the run cache's fingerprint looks
    # up where ruamel.yaml is installed, which imports only that.)
    first = _modules_after(code)
    assert "jsonschema" in first  # the cold run validated
    loaded = _modules_after(code)
    heavy = {"ruamel.yaml", "jsonschema"}
    assert not loaded & heavy, sorted(loaded & heavy)
