"""Start-up cost: `meshgen --help` and the CLI module import only what every command needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("pydantic", "jinja2", "ruamel", "jsonschema", "celpy", "lark", "promql_parser", "yaml")


def _imported_after(code: str) -> set[str]:
    out = subprocess.check_output(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"], text=True
    )
    return {name.split(".")[0] for name in out.split()}


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
