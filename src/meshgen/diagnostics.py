"""Diagnostics: every problem meshgen reports, with a permanent code and a source position."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from meshgen.source import Span


class Severity(enum.IntEnum):
    """How bad a finding is. Ordered so that `max()` gives the worst."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: code (e.g. ``C003``), kebab-case name, severity, message and where."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    related: tuple[Span, ...] = ()
    aliases: tuple[str, ...] = ()
    hint: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def format_text(self) -> str:
        text = f"{self.span}: {self.code} {self.message} [{self.name}]"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable, deterministic order: by file, line, column, code, message."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def count(diagnostics: Iterable[Diagnostic], severity: Severity) -> int:
    return sum(1 for d in diagnostics if d.severity is severity)


def has_errors(diagnostics: Iterable[Diagnostic], *, strict: bool = False) -> bool:
    """True when any finding should fail the run (warnings too when `strict`)."""
    floor = Severity.WARNING if strict else Severity.ERROR
    return any(d.severity >= floor for d in diagnostics)
