"""The JSON reader of user files (dashboards): strict JSON, as Grafana's decoder reads it.

Python's `json` accepts `NaN`, `Infinity` and `-Infinity`, which are not JSON: Grafana's Go
decoder refuses a dashboard holding one. Here they are a `json.JSONDecodeError` at their
place, like any other syntax error.
"""

from __future__ import annotations

import json
from typing import Any


class _Constant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _refuse(name: str) -> Any:
    raise _Constant(name)


def loads(text: str) -> Any:
    """`json.loads`, refusing the non-JSON constants; raises json.JSONDecodeError."""
    try:
        return json.loads(text, parse_constant=_refuse)
    except _Constant as exc:
        raise json.JSONDecodeError(
            f"{exc.name} is not a JSON value", text, _first_outside_strings(text, exc.name)
        ) from None


def _first_outside_strings(text: str, name: str) -> int:
    """Offset of the first `name` outside a JSON string (0 if none is found).

    JSON strings hold no raw line break, so the unescaped quotes before a place on its line
    tell whether it is inside one.
    """
    import re

    quote = re.compile(r'(?<!\\)(?:\\\\)*"')
    offset = 0
    for line in text.splitlines(keepends=True):
        start = line.find(name)
        while start >= 0:
            if len(quote.findall(line, 0, start)) % 2 == 0:
                return offset + start
            start = line.find(name, start + 1)
        offset += len(line)
    return 0
