"""Shared CLI pieces: options, the exit-code policy and error handling."""

from __future__ import annotations

import contextlib
import io
import os
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
        # Click checks nothing about the file (readable=False): whether it exists, is a file
        # and can be read is the loader's C001, in every output format.
        type=click.Path(path_type=Path, dir_okay=True, readable=False),
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


def selected_codes(values: Sequence[str], option: str) -> tuple[str, ...]:
    """`--select`/`--ignore` values as codes or prefixes; an unknown one is a usage error."""
    from meshgen import api

    return api.resolve_codes(split_codes(values), option=option)


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
        echo_err(
            f"meshgen: {refused}: `meshgen adopt` moves hand edits into the config "
            "(--force overwrites them instead)"
        )
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
    except OutputError as exc:
        echo_err(f"meshgen: error: {exc}")
        return EXIT_USAGE
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


# --- the output streams ----------------------------------------------------------------
#
# Output never crashes a command, whatever stdout is:
# - a character the locale's encoding lacks is written as a backslash escape (`\u2713`);
# - stdout closed (`meshgen check >&-`): the output goes to /dev/null;
# - the reader went away (`meshgen checks | head -1`, EPIPE): the rest of the output goes
#   to /dev/null and the command finishes with its own exit code. A broken pipe is not an
#   error of meshgen (the reader took what it wanted), so `head` closing early never turns
#   success into failure; unlike git, meshgen does not die of SIGPIPE (141);
# - any other write error (`> /dev/full`, EIO): `meshgen: error: cannot write the output:
#   ...` once on stderr, exit 2.


class OutputError(Exception):
    """Stdout cannot be written (a full disk, an I/O error): exit 2 with one line."""


class _StdoutFile(io.RawIOBase):
    """File descriptor 1 for `sys.stdout`, with the policy above for write errors."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self.gone = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        size = len(memoryview(data))
        if self.gone:
            return size
        try:
            while True:
                try:
                    return os.write(self._fd, data)
                except BlockingIOError:  # a non-blocking stdout (some CI runners): wait
                    import select

                    select.select([], [self._fd], [])
        except BrokenPipeError:
            self.gone = True
            _point_at_devnull(self._fd)  # a child started later must not get EPIPE either
            return size
        except OSError as exc:
            self.gone = True  # said once; what is still buffered is dropped
            raise OutputError(f"cannot write the output: {exc.strerror or exc}") from None


def _point_at_devnull(fd: int) -> None:
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)


class Streams:
    """`sys.stdout`/`sys.stderr` set up for one run (see above); `finish` undoes it."""

    def __init__(self) -> None:
        self._saved: tuple[Any, Any] | None = None
        for name in ("stdout", "stderr"):
            if getattr(sys, name) is None:  # the descriptor was closed before the start
                setattr(sys, name, Path(os.devnull).open("w", encoding="utf-8"))  # noqa: SIM115
        stdout: Any = sys.stdout
        if _fileno(stdout) == 1 and stdout is sys.__stdout__:  # the process's own stdout
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.__stdout__.flush()
            guarded = io.TextIOWrapper(
                io.BufferedWriter(_StdoutFile(1)),
                encoding=getattr(stdout, "encoding", None) or "utf-8",
                errors="backslashreplace",
                line_buffering=bool(getattr(stdout, "line_buffering", False)),
            )
            self._saved = (stdout, guarded)
            sys.stdout = guarded
        else:
            _escape_unencodable(stdout)
        _escape_unencodable(sys.stderr)

    def finish(self, code: int) -> int:
        """Flush stdout and restore it: `code`, or 2 when the output could not be written."""
        try:
            with contextlib.suppress(ValueError):
                sys.stdout.flush()
        except OutputError as exc:
            echo_err(f"meshgen: error: {exc}")
            code = EXIT_USAGE
        except OSError as exc:  # a stream that is not ours (in-process callers)
            echo_err(f"meshgen: error: cannot write the output: {exc.strerror or exc}")
            code = EXIT_USAGE
        if self._saved is not None and sys.stdout is self._saved[1]:
            sys.stdout = self._saved[0]
        return code


def _fileno(stream: Any) -> int:
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return -1


def _escape_unencodable(stream: Any) -> None:
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, TypeError, io.UnsupportedOperation):
            reconfigure(errors="backslashreplace")
