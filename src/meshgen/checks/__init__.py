"""The check registry, built from the check modules themselves.

Every module under `meshgen.checks` is imported once and every `Check` it defines at module
level (what `@check` returns) is registered, sorted by code. Adding a check is one edit:
write the decorated function in the module of its theme. A test fails when two checks share
a code, or a check lacks a case file with a failing and a passing case.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from meshgen.checks.framework import Check


@cache
def _registry() -> tuple[Check, ...]:
    found: dict[int, Check] = {}
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Check):
                found[id(value)] = value
    return tuple(sorted(found.values(), key=lambda c: c.code))


def all_checks() -> tuple[Check, ...]:
    """Every registered check, sorted by code."""
    return _registry()
