#!/usr/bin/env python3
"""Derive the value keys each chart accepts from its default values and its templates.

Writes `src/meshgen/knowledge/data/<chart>-<version>.json`: a key tree where a mapping is a
map of known keys, `"*"` is a free-form map (any key allowed: an empty `{}` default, a subtree
the templates copy whole with `toYaml`, or a map listed in FREE_FORM such as istiod
`meshConfig`) and `null` a leaf (nothing below it is checked). Keys come from the chart's
`values.yaml` and from every value its templates read (`meshgen.knowledge.chart_reads`), so
keys the defaults only mention in a comment, or omit, are known too. A chart's vendored
subcharts (prometheus: alertmanager, kube-state-metrics, ...) sit under their names.

    .venv/bin/python scripts/derive_chart_keys.py [CHARTS_DIR]   # default: ../shared/charts

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

from meshgen.knowledge import chart_reads

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "src" / "meshgen" / "knowledge" / "data"

Path_ = tuple[str, ...]

#: (chart, version, chart folder under the charts dir, where the defaults sit in values.yaml)
CHARTS: tuple[tuple[str, str, str, Path_], ...] = (
    ("istiod", "1.30.3", "istio-1.30.3/istiod", ("_internal_defaults_do_not_set",)),
    ("base", "1.30.3", "istio-1.30.3/base", ("_internal_defaults_do_not_set",)),
    ("cni", "1.30.3", "istio-1.30.3/cni", ("_internal_defaults_do_not_set",)),
    ("ztunnel", "1.30.3", "istio-1.30.3/ztunnel", ("_internal_defaults_do_not_set",)),
    ("grafana", "12.11.1", "grafana-12.11.1", ()),
    ("prometheus", "29.27.0", "prometheus-29.27.0", ()),
    ("kube-prometheus-stack", "88.5.3", "kube-prometheus-stack-88.5.3", ()),
    ("gateway", "1.30.3", "istio-1.30.3/gateway", ("_internal_defaults_do_not_set",)),
    ("kiali-server", "2.29.0", "kiali-server-2.29.0", ()),
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
    "cni": (("resources",), ("global", "defaultResources")),
    "ztunnel": (("resources",),),
    "prometheus": (),
    # Its dependencies' sections (not vendored in the chart source; `grafana:` is checked
    # against the grafana chart's own table by `meshgen lint`).
    "kube-prometheus-stack": (
        ("grafana",),
        ("kube-state-metrics",),
        ("prometheus-node-exporter",),
        ("prometheus-windows-exporter",),
    ),
    # Istio 1.30.3 gateway chart: Kubernetes objects and maps the templates copy whole.
    "gateway": (("resources",), ("global",)),
    # kiali-server 2.29.0 copies its values into Kiali's ConfigMap (templates/configmap.yaml);
    # these sections are Kiali's own config, parsed by Kiali, not read by the chart.
    "kiali-server": (
        ("auth",),
        ("external_services",),
        ("kiali_feature_flags",),
        ("server",),
        ("login_token",),
        ("clustering",),
        ("chat_ai",),
    ),
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
    "cni": (),
    "ztunnel": (),
    "prometheus": (),
    "kube-prometheus-stack": (),
    "gateway": (),
    "kiali-server": (),
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
    "cni": (("profile",), ("compatibilityVersion",), ("platform",)),
    "ztunnel": (("profile",), ("compatibilityVersion",), ("platform",)),
    "grafana": (),
    "prometheus": (),
    "kube-prometheus-stack": (),
    "gateway": (("profile",), ("compatibilityVersion",), ("platform",)),
    # Top-level sections of Kiali's config that the chart's values.yaml does not list.
    "kiali-server": (
        ("api",),
        ("custom_dashboards",),
        ("health_config",),
        ("istio_labels",),
        ("istio_namespace",),
        ("kubernetes_config",),
        ("installation_tag",),
    ),
}

#: Top-level keys the templates read that are not values a user sets: istiod's and base's
#: `zzz_profile.yaml` merges `_internal_defaults_do_not_set` and keeps `_original`; `defaults`
#: is read only to fail on it (H105) and `pilot` is the alias H103 resolves itself.
NOT_SETTINGS: dict[str, frozenset[str]] = {
    "istiod": frozenset({"_internal_defaults_do_not_set", "_original", "defaults", "pilot"}),
    "base": frozenset({"_internal_defaults_do_not_set", "_original", "defaults"}),
    "cni": frozenset({"_internal_defaults_do_not_set", "_original", "defaults"}),
    "ztunnel": frozenset({"_internal_defaults_do_not_set", "_original", "defaults"}),
    "grafana": frozenset(),
    "prometheus": frozenset(),
    "kube-prometheus-stack": frozenset(),
    "gateway": frozenset({"_internal_defaults_do_not_set", "_original", "defaults"}),
    "kiali-server": frozenset(),
}

#: Sections that take the chart's top-level keys again: the cni chart merges `cni:` over its
#: values (`templates/zzy_descope_legacy.yaml`, the old `cni.` prefix), and ztunnel's
#: `zzz_profile.yaml` flattens `global:` onto them ("Flatten globals": `if true`).
ALIASES: dict[str, tuple[str, ...]] = {"cni": ("cni",), "ztunnel": ("global",)}

FREE = chart_reads.FREE


def _merge_keys(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Add the keys of `extra` to `into` (a known map of `into` stays as it is)."""
    for key, value in extra.items():
        current = into.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            _merge_keys(current, value)
        elif key not in into or current is None:
            into[key] = json.loads(json.dumps(value))


def _insert(tree: dict[str, Any], path: Path_, default: Any) -> None:
    node = tree
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            raise ValueError(f"cannot add {'.'.join(path)}: {part} is not a known map")
        node = child
    node.setdefault(path[-1], FREE if default == {} else None)


def _templates(folder: Path) -> list[str]:
    """The texts of a chart's templates (and istiod's injection templates under files/)."""
    out = []
    for sub in ("templates", "files"):
        for path in sorted((folder / sub).rglob("*")) if (folder / sub).is_dir() else ():
            if path.is_file() and path.suffix in (".yaml", ".tpl", ".txt", ".json"):
                out.append(path.read_text(encoding="utf-8"))
    return out


def _folder_tree(
    folder: Path, root: Path_, free: set[Path_], ignored: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], str]:
    text = (folder / "values.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe", pure=True).load(text) or {}
    for part in root:
        data = data[part]
    for path in free:
        node = data
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                raise ValueError(f"{folder.name}: free-form key {'.'.join(path)} is not a default")
            node = node[part]
    reads = chart_reads.template_reads(_templates(folder))
    reads.paths = {p for p in reads.paths if p[0] not in ignored}
    # `()`: a template hands all values on (istiod's injector config): not a free-form root.
    reads.free = {p for p in reads.free if p and p[0] not in ignored} | free
    reads.entries = {p for p in reads.entries if p and p[0] not in ignored}
    tree = chart_reads.key_tree(data, reads.free, reads.entries)
    assert isinstance(tree, dict)
    return chart_reads.add_reads(tree, reads), text


def derive(chart: str, charts_dir: Path, relative: str, root: Path_) -> dict[str, Any]:
    """The key tree of one chart (with its vendored subcharts), from its source folder."""
    folder = charts_dir / relative
    tree, text = _folder_tree(folder, root, set(FREE_FORM[chart]), NOT_SETTINGS[chart])
    for sub in sorted((folder / "charts").iterdir()) if (folder / "charts").is_dir() else ():
        if not (sub / "values.yaml").is_file():
            continue
        subtree, _ = _folder_tree(sub, (), set())
        shared = subtree.pop("global", None)
        node = tree.setdefault(sub.name, {})
        if isinstance(node, dict):
            for key, value in subtree.items():
                node.setdefault(key, value)
        if isinstance(shared, dict) and isinstance(tree.get("global"), dict):
            for key, value in shared.items():
                tree["global"].setdefault(key, value)
        elif isinstance(shared, dict):
            tree.setdefault("global", shared)
    for path, default in DOCUMENTED[chart]:
        if not re.search(rf"^\s*#\s*{re.escape(path[-1])}:", text, re.MULTILINE):
            raise ValueError(f"{chart}: {'.'.join(path)} is not documented in {relative}")
        _insert(tree, path, default)
    for path in TEMPLATE_READ[chart]:
        _insert(tree, path, None)
    for alias in ALIASES.get(chart, ()):
        own = tree.get(alias)
        section: dict[str, Any] = own if isinstance(own, dict) else {}
        _merge_keys(section, {k: v for k, v in tree.items() if k != alias})
        tree[alias] = section
    return tree


#: Charts whose own `values.schema.json` is kept beside their keys (helm validates values
#: against it before rendering; meshgen's H170/H171 do the same).
SHIPPED_SCHEMA = frozenset({"gateway"})


def derive_all(charts_dir: Path) -> dict[str, dict[str, Any]]:
    """File name -> content of every data file."""
    out = {}
    for chart, version, relative, root in CHARTS:
        out[f"{chart}-{version}.json"] = {
            "chart": chart,
            "version": version,
            "source": relative,
            "keys": derive(chart, charts_dir, relative, root),
        }
        if chart in SHIPPED_SCHEMA:
            schema = charts_dir / relative / "values.schema.json"
            out[f"{chart}-{version}.json"]["schema"] = json.loads(schema.read_text("utf-8"))
    return out


def dumps(content: dict[str, Any]) -> str:
    """The committed form: sorted, one line per chart key tree (compact)."""
    return json.dumps(content, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    charts_dir = Path(argv[0]) if argv else REPO.parent / "shared" / "charts"
    if not charts_dir.is_dir():
        print(f"charts folder {charts_dir} not found", file=sys.stderr)
        return 2
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for name, content in derive_all(charts_dir).items():
        (DATA_DIR / name).write_text(dumps(content), encoding="utf-8")
        print(f"wrote {DATA_DIR / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
