"""Shared CLI pieces: options, the exit-code policy and error handling."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from meshgen.report import FORMATS

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


@dataclass
class Options:
    debug: bool = False


def config_option(function: F) -> F:
    return click.option(
        "-c",
        "--config",
        "config",
        type=click.Path(path_type=Path, dir_okay=True),
        default=None,
        help="Config file (default: ./meshgen.yaml, else ./infrastructure/meshgen.yaml).",
    )(function)


def format_option(function: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="Output format of the diagnostics.",
    )(function)


def split_codes(values: Sequence[str]) -> tuple[str, ...]:
    """`--select T,G101 --select C1` -> ("T", "G101", "C1")."""
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


def render_report(diagnostics: Sequence[Any], fmt: str) -> str:
    """Diagnostics in `fmt`; SARIF also lists every rule meshgen has."""
    from meshgen import report

    if fmt != "sarif":
        return report.render(diagnostics, fmt)
    from meshgen import api

    return report.render(diagnostics, fmt, rules=tuple(api.catalogue()))


def write_tree(config_path: Path, project: Any, *, force: bool, refused: str) -> Any:
    """Write the rendered tree; None (after saying why) when hand edits block it.

    `refused` says what did not happen (printed after the conflicts).
    """
    from meshgen import api

    written = api.write_tree(config_path, project, force=force)
    if written.plan is None:
        for path, reason in written.conflicts:
            echo_err(f"meshgen: refusing to overwrite {path}: it {reason}")
        echo_err(f"meshgen: {refused} (pass --force to overwrite)")
        return None
    return written.plan


def findings_options(function: F) -> F:
    """--format, --strict, --select and --ignore: how findings are shown and judged."""
    function = click.option("--ignore", multiple=True, help="Skip these codes or prefixes.")(
        function
    )
    function = click.option(
        "--select", multiple=True, help="Only these codes or prefixes (e.g. T,G101)."
    )(function)
    function = click.option("--strict", is_flag=True, help="Fail on warnings too.")(function)
    return format_option(function)


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def run(group: click.Group, args: Sequence[str], *, debug: bool) -> int:
    from meshgen.api import MeshgenError

    try:
        result = group.main(args=list(args), prog_name="meshgen", standalone_mode=False)
    except click.exceptions.Abort:
        echo_err("meshgen: aborted")
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except MeshgenError as exc:
        echo_err(f"meshgen: error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        echo_err("meshgen: interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            echo_err(
                f"meshgen: internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in meshgen; rerun with --debug for the traceback and report it."
            )
        return EXIT_INTERNAL
    if isinstance(result, int):
        return result
    return EXIT_OK


def exit_code_for(
    diagnostics: Sequence[Any], *, strict: bool = False, unreadable: bool = False
) -> int:
    from meshgen.api import has_errors

    if unreadable:
        return EXIT_USAGE
    return EXIT_FINDINGS if has_errors(diagnostics, strict=strict) else EXIT_OK


def out(text: str) -> None:
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
