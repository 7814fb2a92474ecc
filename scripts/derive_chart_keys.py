#!/usr/bin/env python3
"""Derive the value keys each chart accepts from its upstream default values.

Writes `src/meshgen/knowledge/data/<chart>-<version>.json`: a key tree where a mapping is a
map of known keys, `"*"` is a free-form map (any key allowed: an empty `{}` default, or a
map listed in FREE_FORM such as istiod `meshConfig` or grafana `grafana.ini`), and `null` a
leaf (scalar, list or null default; nothing below it is checked).

    python scripts/derive_chart_keys.py [UPSTREAM_DIR]      # default: ../shared/upstream

`tests/test_upstream_conformance.py` re-derives the trees and compares them with the
committed files, so the data cannot go stale silently.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "src" / "meshgen" / "knowledge" / "data"

Path_ = tuple[str, ...]

#: (chart, version, file under the upstream dir, where the defaults sit in it)
CHARTS: tuple[tuple[str, str, str, Path_], ...] = (
    ("istiod", "1.30.3", "istio-1.30.3/istiod-values.yaml", ("_internal_defaults_do_not_set",)),
    ("base", "1.30.3", "istio-1.30.3/base-values.yaml", ("_internal_defaults_do_not_set",)),
    ("grafana", "12.11.1", "grafana-chart-12.11.1/values.yaml", ()),
)

#: Non-empty maps whose keys are free-form (Kubernetes objects, config files, env maps).
#: Empty-map defaults (`podAnnotations: {}`, `env: {}`, `nodeSelector: {}`...) are free-form
#: without being listed.
FREE_FORM: dict[str, tuple[Path_, ...]] = {
    "istiod": (
        ("meshConfig",),  # checked against the MeshConfig field list instead
        ("resources",),
        ("global", "defaultResources"),
        ("global", "proxy", "resources"),
        ("global", "waypoint", "resources"),
    ),
    "base": (),
    "grafana": (
        ("grafana.ini",),
        ("readinessProbe",),
        ("livenessProbe",),
        ("securityContext",),
        ("containerSecurityContext",),
        ("deploymentStrategy",),
        ("downloadDashboards", "securityContext"),
        ("initChownData", "securityContext"),
        ("sidecar", "securityContext"),
        ("imageRenderer", "env"),
        ("imageRenderer", "containerSecurityContext"),
        ("verticalPodAutoscaler", "controlledResources"),
        ("verticalPodAutoscaler", "minAllowed"),
        ("verticalPodAutoscaler", "maxAllowed"),
    ),
}

#: Keys the chart reads that its defaults only document in a comment (`# podLabels: {}`);
#: each must appear commented out in the upstream file (checked below), with its default.
DOCUMENTED: dict[str, tuple[tuple[Path_, Any], ...]] = {
    "istiod": (
        (("pdb", "maxUnavailable"), None),
        (("base", "validationFailurePolicy"), None),
        (("global", "podDNSSearchNamespaces"), None),
    ),
    "base": (),
    "grafana": (
        (("schedulerName",), None),
        (("priorityClassName",), None),
        (("podAnnotations",), {}),
        (("configMapAnnotations",), {}),
        (("podLabels",), {}),
        (("annotations",), {}),
        (("adminPassword",), None),
        (("command",), None),
        (("args",), None),
    ),
}

#: Keys istiod's templates read that are not in values.yaml (reference istio 1.2:
#: `templates/zzz_profile.yaml` merges `profile`, `compatibilityVersion` and `platform`).
TEMPLATE_READ: dict[str, tuple[Path_, ...]] = {
    "istiod": (("profile",), ("compatibilityVersion",), ("platform",)),
    "base": (("profile",), ("compatibilityVersion",)),
    "grafana": (),
}

FREE = "*"


def key_tree(defaults: Any, free: set[Path_], path: Path_ = ()) -> Any:
    """The key tree of a defaults mapping (see the module docstring)."""
    if path in free:
        return FREE
    if not isinstance(defaults, Mapping):
        return None
    if not defaults:
        return FREE
    return {str(k): key_tree(v, free, (*path, str(k))) for k, v in defaults.items()}


def _insert(tree: dict[str, Any], path: Path_, default: Any) -> None:
    node = tree
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            raise ValueError(f"cannot add {'.'.join(path)}: {part} is not a known map")
        node = child
    node.setdefault(path[-1], FREE if default == {} else None)


def derive(chart: str, upstream: Path, relative: str, root: Path_) -> dict[str, Any]:
    """The key tree of one chart, from its upstream values file."""
    text = (upstream / relative).read_text(encoding="utf-8")
    data = YAML(typ="safe", pure=True).load(text)
    for part in root:
        data = data[part]
    free = set(FREE_FORM[chart])
    for path in free:
        node = data
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                raise ValueError(f"{chart}: free-form key {'.'.join(path)} is not in the defaults")
            node = node[part]
    tree = key_tree(data, free)
    assert isinstance(tree, dict)
    for path, default in DOCUMENTED[chart]:
        if not re.search(rf"^\s*#\s*{re.escape(path[-1])}:", text, re.MULTILINE):
            raise ValueError(f"{chart}: {'.'.join(path)} is not documented in {relative}")
        _insert(tree, path, default)
    for path in TEMPLATE_READ[chart]:
        _insert(tree, path, None)
    return tree


def derive_all(upstream: Path) -> dict[str, dict[str, Any]]:
    """File name -> content of every data file."""
    out = {}
    for chart, version, relative, root in CHARTS:
        out[f"{chart}-{version}.json"] = {
            "chart": chart,
            "version": version,
            "source": relative,
            "keys": derive(chart, upstream, relative, root),
        }
    return out


def dumps(content: dict[str, Any]) -> str:
    """The committed form: sorted, one line per chart key tree (compact)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    upstream = Path(argv[0]) if argv else REPO.parent / "shared" / "upstream"
    if not upstream.is_dir():
        print(f"upstream folder {upstream} not found", file=sys.stderr)
        return 2
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in derive_all(upstream).items():
        (DATA_DIR / name).write_text(dumps(content), encoding="utf-8")
        print(f"wrote {DATA_DIR / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
