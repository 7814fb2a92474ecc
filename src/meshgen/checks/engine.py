"""Run the registered checks: select, isolate crashes, stamp code/severity, resolve spans."""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping, Sequence

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Check, Finding
from meshgen.diagnostics import (
    Catalogue,
    CodeInfo,
    Diagnostic,
    Severity,
    catalogue,
    diagnostic,
    sort_diagnostics,
)
from meshgen.source import Span


def _matches(code: str, patterns: Iterable[str]) -> bool:
    """`T` matches every T code, `T1` every T1xx, `T101` itself."""
    return any(code.startswith(p.strip().upper()) for p in patterns if p.strip())


class UnknownCodeError(ValueError):
    """A `--select`/`--ignore` pattern that names no code, alias, name or code prefix."""

    def __init__(self, pattern: str, suggestions: Sequence[str]) -> None:
        names = [repr(s) for s in suggestions]
        either = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)
        guess = f" (did you mean {either}?)" if names else ""
        super().__init__(f"unknown code {pattern!r}{guess}")
        self.pattern = pattern
        self.suggestions = tuple(suggestions)


def resolve_codes(patterns: Iterable[str], known: Catalogue) -> tuple[str, ...]:
    """Each pattern as a code or a code prefix.

    `unknown-key` -> `C004`, `IST0160` -> its code, `t1` -> `T1`. A pattern that matches
    nothing raises `UnknownCodeError` (a selection that silently selects nothing would pass
    every config).
    """
    resolved = []
    codes = [info.code for info in known]
    for raw in patterns:
        pattern = raw.strip()
        if not pattern:
            continue
        entry = known.lookup(pattern)
        if entry is not None:
            resolved.append(entry.code)
            continue
        prefix = pattern.upper()
        if len(prefix) < 4 and any(code.startswith(prefix) for code in codes):
            resolved.append(prefix)
            continue
        raise UnknownCodeError(pattern, known.suggest(pattern) or _nearest(prefix, codes))
    return tuple(resolved)


def _nearest(pattern: str, codes: Sequence[str], n: int = 3) -> list[str]:
    """The codes of the same area closest in number (`T999` -> the last T codes)."""
    if len(pattern) < 2 or not pattern[1:].isdigit():
        return []
    number = int(pattern[1:])
    area = [c for c in codes if c[0] == pattern[0] and c[1:].isdigit()]
    return sorted(area, key=lambda c: (abs(int(c[1:]) - number), c))[:n]


def select_checks(
    checks: Sequence[Check], *, select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[Check]:
    """The checks `select` chooses (all when empty) less those `ignore` names.

    Patterns are codes, aliases, names or code prefixes (`T`, `G1`); an unknown one raises
    `UnknownCodeError`.
    """
    if select or ignore:
        known = catalogue(CodeInfo(c.code, c.name, c.severity, c.doc, c.aliases) for c in checks)
        select, ignore = resolve_codes(select, known), resolve_codes(ignore, known)
    chosen = [c for c in checks if not select or _matches(c.code, select)]
    return [c for c in chosen if not _matches(c.code, ignore)]


def run_checks(
    checks: Sequence[Check],
    ctx: CheckContext,
    *,
    debug: bool = False,
) -> list[Diagnostic]:
    """Run each applicable check in isolation; a crash becomes an X001 diagnostic."""
    out: list[Diagnostic] = []
    for chk in checks:
        if not chk.needs <= ctx.kinds:
            continue
        try:
            findings = list(chk.function(ctx))
        except Exception as exc:  # a bug in one check must not hide the others' findings
            detail = "".join(traceback.format_exception_only(exc)).strip()
            if debug:
                detail += "\n" + traceback.format_exc()
            out.append(
                diagnostic(
                    "X001",
                    f"check {chk.code} ({chk.name}) crashed: {detail}; please report this",
                    ctx.at(()) if ctx.source.file else Span("meshgen"),
                )
            )
            continue
        out.extend(stamp(chk, finding, ctx) for finding in findings)
    return sort_diagnostics(out)


def stamp(chk: Check, finding: Finding, ctx: CheckContext) -> Diagnostic:
    if finding.span is not None:
        span = finding.span
    elif finding.at is not None:
        span = ctx.key_at(finding.at) if finding.key else ctx.at(finding.at)
    else:
        span = ctx.at(())
    related = tuple(r if isinstance(r, Span) else ctx.at(r) for r in finding.related)
    return Diagnostic(
        code=chk.code,
        name=chk.name,
        severity=chk.severity,
        message=finding.message,
        span=span,
        related=tuple(r for r in related if r != span),
        aliases=chk.aliases,
        hint=finding.hint,
        detail=finding.detail,
    )


def apply_settings(
    diagnostics: Sequence[Diagnostic], settings: Mapping[str, str]
) -> list[Diagnostic]:
    """Re-grade or drop diagnostics by code, as the config's `checks:` section says."""
    out = []
    for d in diagnostics:
        grade = settings.get(d.code)
        if grade == "ignore":
            continue
        out.append(d.with_severity(Severity.parse(grade)) if grade else d)
    return out
