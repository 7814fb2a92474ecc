"""Shared CLI pieces: options, the exit-code policy and error handling."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

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
        type=click.Choice(["text", "json", "sarif", "github"]),
        default="text",
        show_default=True,
        help="Output format of the diagnostics.",
    )(function)


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def run(group: click.Group, args: Sequence[str], *, debug: bool) -> int:
    from meshgen.errors import MeshgenError

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
    from meshgen.diagnostics import has_errors

    if unreadable:
        return EXIT_USAGE
    return EXIT_FINDINGS if has_errors(diagnostics, strict=strict) else EXIT_OK


def out(text: str) -> None:
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
