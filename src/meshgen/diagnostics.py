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


# Codes reported while reading input, before any check runs.
LOADER_CODES: dict[str, tuple[str, str]] = {
    "C001": (
        "config-unreadable",
        "The config file is missing, a directory, unreadable or too large.",
    ),
    "C002": (
        "yaml-syntax-error",
        "The config is not valid YAML (syntax, tabs, encoding, NUL bytes).",
    ),
    "C003": ("duplicate-key", "A mapping repeats a key; YAML would silently keep only one value."),
    "C004": (
        "unknown-key",
        "A key that meshgen does not know; usually a typo (a suggestion is given).",
    ),
    "C005": ("invalid-value", "A value of the wrong type or outside the allowed values."),
    "C006": ("missing-key", "A required key is missing."),
    "C007": ("document-too-large", "The document expands too far (alias bomb) or nests too deep."),
    "C008": ("config-not-a-mapping", "The config must be a YAML mapping at the top level."),
    "C009": (
        "referenced-file-unreadable",
        "A file the config names (a dashboard JSON) is missing, outside the config's folder, "
        "unreadable or not valid JSON.",
    ),
    "C010": (
        "unrecognised-input",
        "`meshgen lint` found nothing it knows in a file (Telemetry, Pod, Namespace, Job, "
        "ConfigMap, helmfile.yaml, istiod/base/grafana/prometheus values, Grafana dashboard JSON).",
    ),
}


def diagnostic(code: str, message: str, span: Span, *, hint: str | None = None) -> Diagnostic:
    name = LOADER_CODES[code][0]
    return Diagnostic(code, name, Severity.ERROR, message, span, hint=hint)
