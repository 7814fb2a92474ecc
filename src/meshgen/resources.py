"""Where the shipped `templates/` and `schemas/` folders live.

In a wheel they sit inside the package (`meshgen/templates`); in a source checkout or an
editable install they are the repository's top-level folders. Nothing else knows this.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"meshgen's {name}/ folder is missing from this installation")


def templates_dir() -> Path:
    return data_dir("templates")


def schemas_dir() -> Path:
    return data_dir("schemas")
