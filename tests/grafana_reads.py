"""What Grafana's provisioning reads from a value, for tests: an independent model.

Grafana (pkg/services/provisioning/values) splits a provisioned value on `$$`, expands
`$VAR` and `${VAR}` from its environment in each part (unset variables: empty), and joins
the parts with `$`. Tests assume no variable is set, so an unescaped `$HOME` vanishes.
"""

from __future__ import annotations

import re

_VARIABLE = re.compile(r"\$(\{[^}]*\}|[A-Za-z0-9_]+)")


def grafana_reads(text: str) -> str:
    """The value Grafana's provisioning makes of `text`, with an empty environment."""
    return "$".join(_VARIABLE.sub("", part) for part in text.split("$$"))
