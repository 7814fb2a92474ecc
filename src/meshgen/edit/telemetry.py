"""The edits behind `meshgen telemetry ...`, applied to a round-trip config document.

Each edit finds (or creates) the Telemetry resource of the requested scope — mesh-wide (no
namespace, no selector), a namespace, or a workload selector in a namespace — and changes its
first `metrics` entry, so the config keeps one Telemetry per scope as Istio requires.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, TypeVar

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from meshgen.errors import UsageError
from meshgen.records import record

MODES = ("CLIENT_AND_SERVER", "CLIENT", "SERVER")
HISTOGRAM_PREFIX = "istiocustom"


@record
class Scope:
    """Where an edit applies: mesh-wide, a namespace, or a workload in a namespace."""

    namespace: str | None = None
    workload: tuple[str, str] | None = None

    def describe(self) -> str:
        if self.workload:
            return f"workload {self.workload[0]}={self.workload[1]} in {self.namespace}"
        return f"namespace {self.namespace}" if self.namespace else "the whole mesh"

    def resource_name(self) -> str:
        if self.workload:
            return f"{self.workload[1]}-metrics"
        return f"{self.namespace}-metrics" if self.namespace else "mesh-default"


C = TypeVar("C", CommentedMap, CommentedSeq)


def _map(node: Any, key: str) -> CommentedMap:
    return _child(node, key, CommentedMap, "a mapping")


def _seq(node: Any, key: str) -> CommentedSeq:
    return _child(node, key, CommentedSeq, "a list")


def _child(node: Any, key: str, kind: type[C], what: str) -> C:
    """`node[key]` of `kind`, created empty when missing or null; refused when another type."""
    if key not in node or node[key] is None:
        node[key] = kind()
    value = node[key]
    if not isinstance(value, kind):
        raise UsageError(f"`{key}` in the config is not {what}; fix it before editing")
    return value


def _root_namespace(doc: Any) -> str:
    istio = doc.get("istio") or {}
    return str(istio.get("namespace") or "istio-system")


def _matches_scope(resource: Any, scope: Scope, root: str) -> bool:
    namespace = resource.get("namespace") or root
    selector = (resource.get("selector") or {}).get("matchLabels") or {}
    if (scope.namespace or root) != namespace:
        return False
    if scope.workload is None:
        return not selector and not resource.get("targetRefs")
    return dict(selector) == {scope.workload[0]: scope.workload[1]}


def scope_resource(doc: Any, scope: Scope) -> CommentedMap:
    """The Telemetry resource of `scope`, created when the config has none."""
    resources = _seq(_map(doc, "telemetry"), "resources")
    root = _root_namespace(doc)
    for resource in resources:
        if isinstance(resource, CommentedMap) and _matches_scope(resource, scope, root):
            return resource
    resource = CommentedMap()
    resource["name"] = scope.resource_name()
    if scope.namespace and scope.namespace != root:
        resource["namespace"] = scope.namespace
    if scope.workload:
        resource["selector"] = CommentedMap(matchLabels=CommentedMap([scope.workload]))
    resources.append(resource)
    return resource


def _metrics_entry(resource: CommentedMap) -> CommentedMap:
    metrics = _seq(resource, "metrics")
    if not metrics:
        metrics.append(CommentedMap())
    entry = metrics[0]
    if not isinstance(entry, CommentedMap):
        raise UsageError("a `metrics` entry in the config is not a mapping")
    return entry


def _same_match(override: Any, metric: str, mode: str | None) -> bool:
    match = override.get("match") or {}
    return (
        (match.get("metric") or "ALL_METRICS") == metric
        and not match.get("customMetric")
        and (match.get("mode") or "CLIENT_AND_SERVER") == (mode or "CLIENT_AND_SERVER")
    )


def _override(resource: CommentedMap, metric: str, mode: str | None) -> CommentedMap:
    overrides = _seq(_metrics_entry(resource), "overrides")
    for override in overrides:
        if isinstance(override, CommentedMap) and _same_match(override, metric, mode):
            return override
    match = CommentedMap(metric=metric)
    if mode and mode != "CLIENT_AND_SERVER":
        match["mode"] = mode
    override = CommentedMap(match=match)
    overrides.append(override)
    return override


def set_disabled(doc: Any, scope: Scope, metric: str, mode: str | None, disabled: bool) -> None:
    """`telemetry disable|enable METRIC`: an override with `disabled: true|false`."""
    _override(scope_resource(doc, scope), metric, mode)["disabled"] = disabled


def set_tag(doc: Any, scope: Scope, metric: str, mode: str | None, tag: str, value: str) -> None:
    """`telemetry tag set`: UPSERT `tag` with the CEL expression `value`."""
    override = _override(scope_resource(doc, scope), metric, mode)
    _map(override, "tagOverrides")[tag] = CommentedMap(value=value)


def remove_tag(doc: Any, scope: Scope, metric: str, mode: str | None, tag: str) -> None:
    """`telemetry tag remove`: REMOVE `tag` from the metric."""
    override = _override(scope_resource(doc, scope), metric, mode)
    _map(override, "tagOverrides")[tag] = CommentedMap(operation="REMOVE")


#: A bucket bound as the command line takes it: a decimal integer or float literal.
_BOUND = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def parse_bounds(text: str) -> list[Any]:
    """`buckets set` bounds: exact numbers, written back as the user spelt them.

    An integer literal stays an exact int (no trip through a float: 9007199254740993 stays
    itself), within the integers a config may hold; a float literal keeps its spelling
    (`1e20`, `2.50`) as a round-trip scalar, and must be a finite 64-bit float.
    """
    tokens = [token.strip() for token in text.split(",")]
    tokens = [token for token in tokens if token]
    if not tokens:
        raise UsageError("give at least one bucket bound")
    return [_bound(token, text) for token in tokens]


def _bound(token: str, text: str) -> Any:
    from meshgen.load.yaml_reader import new_roundtrip
    from meshgen.load.yaml_rules import INT_RANGE

    if not _BOUND.fullmatch(token):
        if token.lstrip("+-").lower() in ("nan", "inf", "infinity", ".nan", ".inf"):
            raise UsageError(f"bucket bound {token!r} is not a finite number")
        raise UsageError(f"bounds must be numbers separated by commas: {text!r}")
    exact = Decimal(token)
    if not any(c in token for c in ".eE"):
        value = int(exact)
        if not INT_RANGE[0] <= value <= INT_RANGE[1]:
            raise UsageError(
                f"bucket bound {token} is outside the integers a config can hold "
                f"({INT_RANGE[0]} to {INT_RANGE[1]}); write it as a float, e.g. {float(value):g}"
            )
        return value
    number = float(exact)
    if math.isinf(number):
        raise UsageError(f"bucket bound {token} is too large for a 64-bit float")
    # The reader's own scalar keeps the spelling; used only when it reads the same number.
    scalar = new_roundtrip().load(token)
    if isinstance(scalar, float) and not isinstance(scalar, bool) and float(scalar) == number:
        return scalar
    return number


def set_buckets(doc: Any, bounds: list[Any], service: str | None) -> None:
    """`telemetry buckets set`: Istio histogram bounds, mesh-wide or for one service.

    `bounds` from `parse_bounds`: ints and floats, written as they are (a whole float such
    as 5.0 stays a float; an int is never rounded through a float).
    """
    values = CommentedSeq(bounds)
    values.fa.set_flow_style()
    if service is None:
        _map(_map(doc, "telemetry"), "histogramBuckets")[HISTOGRAM_PREFIX] = values
        return
    for entry in _seq(doc, "services"):
        if isinstance(entry, CommentedMap) and entry.get("name") == service:
            _map(entry, "histogramBuckets")[HISTOGRAM_PREFIX] = values
            return
    raise UsageError(f"no service named {service!r} in the config")


def set_access_log(doc: Any, enabled: bool) -> None:
    """`telemetry access-log on|off`."""
    _map(_map(doc, "istio"), "accessLogging")["enabled"] = enabled


def set_sampling(doc: Any, percent: float) -> None:
    """`telemetry tracing sample PERCENT`: enables tracing unless the percentage is 0."""
    tracing = _map(_map(doc, "istio"), "tracing")
    tracing["enabled"] = percent > 0
    tracing["samplingPercentage"] = percent


def _provider(doc: Any, section: str) -> str | None:
    """`istio.<section>.provider` of the config, if set."""
    settings = (doc.get("istio") or {}).get(section) or {}
    provider = settings.get("provider") if isinstance(settings, dict) else None
    return str(provider) if provider else None


#: Istio's built-in access log provider (envoyFileAccessLog to /dev/stdout, reference 1.4).
ENVOY_ACCESS_LOG = "envoy"


def set_scoped_access_log(doc: Any, scope: Scope, enabled: bool) -> None:
    """`telemetry access-log on|off --namespace/--workload`: the scope's `accessLogging`.

    One entry naming the provider (the config's `istio.accessLogging.provider`, else
    Istio's built-in `envoy`), `disabled: true` for off; it replaces the scope's entries.
    """
    resource = scope_resource(doc, scope)
    entry = CommentedMap(
        providers=[CommentedMap(name=_provider(doc, "accessLogging") or ENVOY_ACCESS_LOG)]
    )
    if not enabled:
        entry["disabled"] = True
    resource["accessLogging"] = CommentedSeq([entry])


def set_scoped_sampling(doc: Any, scope: Scope, percent: float) -> None:
    """`telemetry tracing sample PERCENT --namespace/--workload`: the scope's `tracing`.

    `randomSamplingPercentage` of the scope, with the config's tracing provider when it
    names one (without, the mesh's default tracing providers apply).
    """
    resource = scope_resource(doc, scope)
    entry = CommentedMap()
    provider = _provider(doc, "tracing")
    if provider:
        entry["providers"] = [CommentedMap(name=provider)]
    entry["randomSamplingPercentage"] = percent
    resource["tracing"] = CommentedSeq([entry])


def set_buckets_in(
    doc: Any, bounds: list[Any], namespace: str | None, app: str | None
) -> list[str]:
    """`telemetry buckets set --namespace/--workload app=V`: each matching service's buckets.

    Histogram bounds are a pod annotation read at proxy start, not a Telemetry field: a
    scope stands for the config's services whose pods it covers. The services changed.
    """
    names = []
    for entry in _seq(doc, "services"):
        if not isinstance(entry, CommentedMap):
            continue
        if namespace is not None and entry.get("namespace") != namespace:
            continue
        if app is not None and (entry.get("app") or entry.get("name")) != app:
            continue
        names.append(str(entry.get("name")))
    if not names:
        where = " ".join(
            part
            for part in (
                f"in namespace {namespace}" if namespace else "",
                f"with app={app}" if app else "",
            )
            if part
        )
        raise UsageError(f"no service {where} in the config (buckets are set per service)")
    for name in names:
        set_buckets(doc, bounds, name)
    return names
