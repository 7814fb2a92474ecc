"""Exceptions that stop a command. Problems in a user's config are diagnostics, not these."""

from __future__ import annotations

from meshgen.diagnostics import Diagnostic


class MeshgenError(Exception):
    """Base class: a message shown to the user without a traceback."""

    exit_code = 2


class UsageError(MeshgenError):
    """Bad command line or an input meshgen cannot read at all (exit 2)."""

    exit_code = 2


class InputError(MeshgenError):
    """The config could not be loaded; carries the diagnostics that say why (exit 2)."""

    exit_code = 2

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


class ToolError(MeshgenError):
    """An external tool (helmfile, kubectl) is missing or failed to start (exit 2)."""

    exit_code = 2


class OutputLockedError(MeshgenError):
    """Another meshgen process is writing the same output folder."""

    exit_code = 2
