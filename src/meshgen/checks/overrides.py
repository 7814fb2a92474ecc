"""C120: raw `istio.meshConfig` keys that silently override a typed setting.

meshgen derives meshConfig fields from its typed settings (`istio.tracing`,
`istio.accessLogging`, providers, `telemetry.proxyStatsMatcher`, ...) and merges the raw
`istio.meshConfig` over them, Helm-style. Where both set one field, the raw value wins
without a word, and the typed setting the user reads no longer says what is deployed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.render.istio import derived_mesh_config
from meshgen.source import KeyPath

#: The typed setting behind each derived meshConfig field (the longest prefix applies).
TYPED_SOURCE: dict[KeyPath, KeyPath] = {
    ("enableTracing",): ("istio", "tracing", "enabled"),
    ("defaultConfig", "tracing", "sampling"): ("istio", "tracing", "samplingPercentage"),
    ("accessLogFile",): ("istio", "accessLogging", "file"),
    ("accessLogEncoding",): ("istio", "accessLogging", "encoding"),
    ("accessLogFormat",): ("istio", "accessLogging", "format"),
    ("enablePrometheusMerge",): ("istio", "prometheusMerge"),
    ("defaultProviders",): ("istio", "defaultProviders"),
    ("extensionProviders",): ("istio", "extensionProviders"),
    ("defaultConfig", "proxyStatsMatcher"): ("telemetry", "proxyStatsMatcher"),
}


def _leaves(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every leaf below a mapping (lists are leaves: Helm replaces them whole)."""
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)))
    else:
        yield path, node


def _at(node: Any, path: KeyPath) -> tuple[bool, Any]:
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _typed(path: KeyPath) -> KeyPath | None:
    for end in range(len(path), 0, -1):
        if path[:end] in TYPED_SOURCE:
            return TYPED_SOURCE[path[:end]]
    return None


@check("C120", "mesh-config-overrides-typed-setting", Severity.ERROR)
def mesh_config_overrides_typed_setting(ctx: CheckContext) -> Iterator[Finding]:
    """A raw `istio.meshConfig` key contradicts the typed setting that renders the same field.

    Why: the raw `meshConfig` is merged over what meshgen derives, so the raw value is what
    istiod gets, while the typed key (`istio.tracing.enabled: false`) says otherwise. The
    config then lies to whoever reads it, and `meshgen telemetry` edits of the typed key
    change nothing.

    Example: `istio: {tracing: {enabled: false}, meshConfig: {enableTracing: true}}`

    Fix: set the typed key (`istio.tracing.enabled: true`) and delete the raw one; keep
    `istio.meshConfig` for fields meshgen has no setting for.
    """
    config = ctx.config
    assert config is not None
    raw = config.istio.mesh_config
    if not raw:
        return
    derived = derived_mesh_config(config)
    for path, value in _leaves(raw):
        present, ours = _at(derived, path)
        typed = _typed(path)
        if not present or typed is None or ours == value:
            continue
        shown = ".".join(str(p) for p in path)
        yield Finding(
            f"istio.meshConfig.{shown}: {value!r} overrides {ours!r}, which "
            f"{'.'.join(str(p) for p in typed)} renders",
            at=("istio", "meshConfig", *path),
            key=True,
            related=(typed,),
            hint=f"set {'.'.join(str(p) for p in typed)} instead and remove this key",
        )
