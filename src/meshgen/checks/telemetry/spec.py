"""T101-T107: Telemetry spec rules that the CRD schema or istiod's webhook enforce.

`helm template` validates nothing, so these would otherwise first fail at `helmfile apply`
(or, for fields a version lacks, be pruned silently by the API server).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.telemetry.common import facts, provider_refs, tag_sites
from meshgen.diagnostics import Severity
from meshgen.knowledge.istio import TagOperation
from meshgen.source import KeyPath

TELEMETRY = ("telemetry",)


@check("T101", "upsert-without-value", Severity.ERROR, needs=TELEMETRY)
def upsert_without_value(ctx: CheckContext) -> Iterator[Finding]:
    """A tag override UPSERTs a tag but gives no `value`.

    Why: the CRD rejects `operation: UPSERT` with an empty value ("value must be set when
    operation is UPSERT"), and istiod's webhook also rejects it when `operation` is omitted
    (UPSERT is the default), so the Telemetry never reaches the cluster.

    Example: `tagOverrides: {model: {}}` or `{operation: UPSERT}`.

    Fix: give a CEL expression, e.g. `value: "request.method"`, or `operation: REMOVE`.
    """
    for site in tag_sites(ctx):
        if site.tag.effective_operation == TagOperation.UPSERT and not site.tag.value:
            how = "with operation UPSERT" if site.tag.operation else "(the default operation)"
            yield Finding(
                f"tag {site.name!r} is UPSERTed {how} but has no value",
                span=site.span(),
                hint="set `value:` to a CEL expression, or use `operation: REMOVE`",
            )


@check("T102", "remove-with-value", Severity.ERROR, needs=TELEMETRY)
def remove_with_value(ctx: CheckContext) -> Iterator[Finding]:
    """A tag override with `operation: REMOVE` also sets a `value`.

    Why: the CRD rule "value must not be set when operation is REMOVE" rejects the whole
    Telemetry; the value suggests an UPSERT was meant.

    Example: `request_protocol: {operation: REMOVE, value: "'x'"}`

    Fix: drop `value:` to remove the tag, or drop `operation: REMOVE` to set it.
    """
    for site in tag_sites(ctx):
        if site.tag.operation == TagOperation.REMOVE and site.tag.value is not None:
            yield Finding(
                f"tag {site.name!r} is REMOVEd but also sets a value",
                span=site.span("value"),
            )


@check("T103", "empty-provider-name", Severity.ERROR, needs=TELEMETRY)
def empty_provider_name(ctx: CheckContext) -> Iterator[Finding]:
    """A `providers[]` entry has an empty name.

    Why: the CRD requires `name` with at least one character and istiod's webhook rejects
    an empty provider name.

    Example: `providers: [{name: ""}]`

    Fix: name a provider (`prometheus`, or an `istio.extensionProviders` name), or remove
    the entry to inherit the default providers.
    """
    for doc, path, ref in provider_refs(ctx):
        if not ref.name.strip():
            yield Finding(
                f"telemetry {doc.name!r} lists a provider with an empty name",
                span=doc.locate((*path, "name")),
            )


def _metric_matches(ctx: CheckContext) -> Iterator[tuple[Any, KeyPath, Any]]:
    for doc in ctx.telemetries:
        for i, metrics in enumerate(doc.spec.metrics):
            for j, override in enumerate(metrics.overrides):
                if override.match is not None:
                    yield doc, ("metrics", i, "overrides", j, "match"), override.match


@check("T104", "empty-custom-metric", Severity.ERROR, needs=TELEMETRY)
def empty_custom_metric(ctx: CheckContext) -> Iterator[Finding]:
    """An override matches `customMetric: ""`.

    Why: the CRD requires at least one character and istiod's webhook rejects an empty
    custom metric name.

    Example: `match: {customMetric: ""}`

    Fix: name the metric, or use `metric:` with a standard IstioMetric such as REQUEST_COUNT.
    """
    for doc, path, match in _metric_matches(ctx):
        if match.custom_metric is not None and not match.custom_metric.strip():
            yield Finding(
                f"telemetry {doc.name!r} matches an empty customMetric",
                span=doc.locate((*path, "customMetric")),
            )


@check("T105", "metric-and-custom-metric", Severity.ERROR, needs=TELEMETRY)
def metric_and_custom_metric(ctx: CheckContext) -> Iterator[Finding]:
    """An override match sets both `metric` and `customMetric`.

    Why: the CRD makes them a oneOf; a match with both is rejected.

    Example: `match: {metric: REQUEST_COUNT, customMetric: my_requests}`

    Fix: keep one of them (`metric` for the standard Istio metrics).
    """
    for doc, path, match in _metric_matches(ctx):
        if match.metric is not None and match.custom_metric is not None:
            yield Finding(
                f"telemetry {doc.name!r} sets both metric {match.metric} and "
                f"customMetric {match.custom_metric!r}; only one is allowed",
                span=doc.locate((*path, "customMetric")),
                related=(doc.locate((*path, "metric")),),
            )


_DURATION_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)"
_DURATION_UNITS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
}  # fmt: skip


def parse_duration(text: str) -> float | None:
    """Seconds of a Go duration (`5s`, `1m30s`, `0.5s`; what CEL `duration()` accepts)."""
    sign, rest = 1.0, text.strip()
    if rest[:1] in "+-" and rest:
        sign, rest = (-1.0 if rest[0] == "-" else 1.0), rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        return None
    total, pos = 0.0, 0
    while pos < len(rest):
        part = re.compile(_DURATION_PART).match(rest, pos)
        if part is None:
            return None
        total += float(part[1]) * _DURATION_UNITS[part[2]]
        pos = part.end()
    return sign * total


@check("T106", "invalid-reporting-interval", Severity.ERROR, needs=TELEMETRY)
def invalid_reporting_interval(ctx: CheckContext) -> Iterator[Finding]:
    """`metrics[].reportingInterval` is not a duration of at least 1ms.

    Why: the CRD validates it with `duration(self) >= duration('1ms')`; anything else is
    rejected at apply time.

    Example: `reportingInterval: 5` or `reportingInterval: 500us`

    Fix: a duration with a unit, e.g. `reportingInterval: 15s` (it applies to TCP metrics).
    """
    for doc in ctx.telemetries:
        for i, metrics in enumerate(doc.spec.metrics):
            interval = metrics.reporting_interval
            if interval is None:
                continue
            seconds = parse_duration(interval)
            if seconds is None:
                problem = "is not a duration (use a unit, e.g. 15s)"
            elif seconds < 1e-3:
                problem = "is shorter than 1ms"
            else:
                continue
            yield Finding(
                f"reportingInterval {interval!r} {problem}",
                span=doc.locate(("metrics", i, "reportingInterval")),
            )


def _concrete(data: Any, pattern: tuple[str, ...], path: KeyPath = ()) -> Iterator[KeyPath]:
    """Concrete key paths in `data` matching `pattern` (`*`: any list index or map key)."""
    if not pattern:
        yield path
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, dict):
            for key, item in data.items():
                yield from _concrete(item, rest, (*path, key))
        elif isinstance(data, (list, tuple)):
            for index, item in enumerate(data):
                yield from _concrete(item, rest, (*path, index))
    elif isinstance(data, dict) and head in data:
        yield from _concrete(data[head], rest, (*path, head))


@check("T107", "field-unavailable-in-version", Severity.ERROR, needs=TELEMETRY)
def field_unavailable_in_version(ctx: CheckContext) -> Iterator[Finding]:
    """A Telemetry field that the configured Istio version does not have.

    Why: the Telemetry CRD of that version has no such field; the API server rejects it
    under strict field validation or prunes it silently, so the setting does nothing.
    `tracing[].customTags.<tag>.formatter` arrived in 1.29, `disableContextPropagation` in 1.30.

    Example: `istio.version: 1.28.10` with `tracing: [{disableContextPropagation: true}]`.

    Fix: upgrade `istio.version`, or remove the field.
    """
    known = facts(ctx)
    if not known.unavailable_fields:
        return
    for doc in ctx.telemetries:
        data = doc.spec.spec_dict()
        for field in known.unavailable_fields:
            for path in _concrete(data, field.path):
                since = ".".join(map(str, field.since))
                yield Finding(
                    f"`{field.display}` ({field.what}) needs Istio {since}+, but "
                    f"istio.version is {ctx.istio_version}",
                    span=doc.locate(path),
                )
