"""The check registry, built from the check modules themselves.

Every module under `meshgen.checks` (but the lint runner, `RUNNER_MODULES`) is imported once
and every `Check` it defines at module level (what `@check` returns) is registered, sorted by
code. Adding a check is one edit:
write the decorated function in the module of its theme. A test fails when two checks share
a code, or a check lacks a case file with a failing and a passing case.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from meshgen.checks.framework import Check

#: The module under `meshgen.checks` that runs checks instead of defining any: `meshgen
#: lint`'s reader of plain files. Importing it (and its input recognition) would cost every
#: `meshgen check` several milliseconds; tests/checks/test_catalogue.py fails on a `@check`
#: that the registry misses, so one added there cannot go unnoticed.
RUNNER_MODULES = frozenset({f"{__name__}.lint"})


@cache
def _registry() -> tuple[Check, ...]:
    found: dict[int, Check] = {}
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        if info.name in RUNNER_MODULES:
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Check):
                found[id(value)] = value
    return tuple(sorted(found.values(), key=lambda c: c.code))


def all_checks() -> tuple[Check, ...]:
    """Every registered check, sorted by code."""
    return _registry()
