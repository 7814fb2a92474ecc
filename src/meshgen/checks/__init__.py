"""The check registry: every check meshgen runs, in one explicit list sorted by code.

Add a check by writing a module with `@check` functions and listing them here; a test
fails when a check is missing from this list, lacks a case file, or is out of order.
"""

from __future__ import annotations

from meshgen.checks import config_checks, drift
from meshgen.checks.framework import Check

ALL_CHECKS: tuple[Check, ...] = tuple(
    sorted(
        (
            *config_checks.CHECKS,
            *drift.CHECKS,
        ),
        key=lambda c: c.code,
    )
)


def by_code(code: str) -> Check | None:
    code = code.strip().upper()
    for chk in ALL_CHECKS:
        if chk.code == code or code in chk.aliases:
            return chk
    return None
