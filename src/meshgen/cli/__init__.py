"""The `meshgen` command line: a Click group; each command lives in its own module.

Commands parse flags, call `meshgen.api`, print through a reporter and return an exit
code: 0 clean, 1 findings or stale output, 2 usage error or unreadable input, 3 internal
error (traceback only with --debug). Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import click

from meshgen import __version__
from meshgen.cli import common, pydantic_plugins

#: Each command and where it is defined (an attribute, or a tuple of commands holding it):
#: a command's module is imported only when that command runs (or `--help` lists them
#: all), so `meshgen check` loads no other.
COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "init": ("meshgen.cli.render_cmds", "init_cmd"),
    "render": ("meshgen.cli.render_cmds", "render_cmd"),
    "schema": ("meshgen.cli.render_cmds", "schema_cmd"),
    "validate": ("meshgen.cli.validate_cmds", "validate_cmd"),
    "check": ("meshgen.cli.validate_cmds", "check_cmd"),
    "checks": ("meshgen.cli.validate_cmds", "checks_cmd"),
    "explain": ("meshgen.cli.validate_cmds", "explain_cmd"),
    "lint": ("meshgen.cli.lint_cmd", "lint"),
    "telemetry": ("meshgen.cli.telemetry_cmds", "telemetry"),
    "apply": ("meshgen.cli.deploy_cmds", "HELMFILE_COMMANDS"),
    "diff": ("meshgen.cli.deploy_cmds", "HELMFILE_COMMANDS"),
    "sync": ("meshgen.cli.deploy_cmds", "HELMFILE_COMMANDS"),
    "template": ("meshgen.cli.deploy_cmds", "HELMFILE_COMMANDS"),
    "verify": ("meshgen.cli.deploy_cmds", "verify_cmd"),
    "traffic": ("meshgen.cli.deploy_cmds", "traffic_cmd"),
    "adopt": ("meshgen.cli.workflow_cmds", "adopt_cmd"),
    "dashboards": ("meshgen.cli.workflow_cmds", "dashboards"),
    "makefile": ("meshgen.cli.workflow_cmds", "makefile_cmd"),
}


class _LazyGroup(click.Group):
    """A group whose commands are imported from `COMMAND_MODULES` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            module, attribute = COMMAND_MODULES[cmd_name]
            found = getattr(importlib.import_module(module), attribute)
            if isinstance(found, tuple):
                found = next(c for c in found if c.name == cmd_name)
            self.add_command(found, cmd_name)
        return self.commands.get(cmd_name)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="meshgen")
@click.option(
    "--debug", is_flag=True, envvar="MESHGEN_DEBUG", help="Show tracebacks of internal errors."
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Render and validate the Helmfile tree of an Istio mesh watched by Prometheus and Grafana.

    \b
    Typical use:
      meshgen init                 # write a starter meshgen.yaml
      meshgen render               # write deployment/helmfile/ next to it
      meshgen check                # what the pre-commit hook runs
      meshgen validate --format sarif > meshgen.sarif
    """
    ctx.obj = common.Options(debug=debug)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code; no traceback escapes unless --debug."""
    return _run(argv, restore_gc=True)


def _run(argv: Sequence[str] | None, *, restore_gc: bool) -> int:
    import gc

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("MESHGEN_DEBUG") not in (None, "", "0")
    # A run builds millions of small objects and almost no reference cycles: the cyclic
    # collector found nothing to free yet took a quarter of a large check. It is off for
    # the run (a command is short-lived) and restored after for callers in-process only:
    # the first allocation after `gc.enable()` collects every object the run made (all
    # still young; 0.25 s after a large check), pure waste in a process about to exit.
    enabled = gc.isenabled()
    gc.disable()
    streams = common.Streams()  # never a crash on output: see `meshgen.cli.common`
    try:
        return streams.finish(common.run(cli, args, debug=debug))
    finally:
        if enabled and restore_gc:
            gc.enable()


def console() -> NoReturn:
    """The `meshgen` executable: `main` (the collector left off), then exit at once.

    A large check leaves millions of objects, and freeing them one by one at interpreter
    exit took 0.1-0.2 s. Exit handlers (the caches' writes) run and output is flushed
    first; then the process ends at once (as mypy does).

    Pydantic plugins are off unless PYDANTIC_DISABLE_PLUGINS says otherwise, and are then
    not looked for (`meshgen.cli.pydantic_plugins`).
    """
    pydantic_plugins.turn_off()
    code = _run(None, restore_gc=False)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # `meshgen ... | head`: the reader may have gone (or the stream been closed).
        with contextlib.suppress(OSError, ValueError, AttributeError, common.OutputError):
            stream.flush()
    os._exit(code)
