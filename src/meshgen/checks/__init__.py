"""The check registry: every check meshgen runs, in one explicit list sorted by code.

Each family module exports `CHECKS`; add a check by writing it in its family's module (or
a new module that the family module includes). A test fails when a check lacks a case file
with a failing and a passing case, or when codes are not unique.
"""

from __future__ import annotations

from meshgen.checks import (
    config_checks,
    drift,
    grafana,
    helm,
    resources,
    secrets,
    telemetry_checks,
)
from meshgen.checks.framework import Check

FAMILIES = (config_checks, secrets, telemetry_checks, resources, helm, grafana, drift)

ALL_CHECKS: tuple[Check, ...] = tuple(
    sorted((chk for family in FAMILIES for chk in family.CHECKS), key=lambda c: c.code)
)


def by_code(code: str) -> Check | None:
    """The check with this code or alias (e.g. `T104`, `IST0160`)."""
    code = code.strip().upper()
    for chk in ALL_CHECKS:
        if chk.code == code or code in chk.aliases:
            return chk
    return None
