"""Chart values as plain data: the one merge Helm applies to layers of values.

Rendering (meshgen's values, then the config's pass-through values), `meshgen lint` (a
release's values layers, defaults wrapped in `_internal_defaults_do_not_set`) and the
kube-prometheus-stack knowledge (its grafana subchart's defaults) all merge this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_values(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` merged into `base` the way Helm merges values (mappings deep, others replaced)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = value
    return out
