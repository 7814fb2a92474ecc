"""T113-T117: tag names and the CEL expressions that set tag values and filter access logs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from meshgen.analysis.cel import CelAnalysis, analyze, attribute_under
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.telemetry.common import TagSite, facts, tag_sites
from meshgen.diagnostics import Severity
from meshgen.knowledge.istio import (
    HTTP_ATTRIBUTE_ROOTS,
    UNBOUNDED_ATTRIBUTES,
    IstioMetric,
    TagOperation,
    bounded_attribute,
)

TELEMETRY = ("telemetry",)
PROMETHEUS_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def _upserts(ctx: CheckContext) -> Iterator[tuple[TagSite, CelAnalysis]]:
    """UPSERTed tags with a value, and the analysis of that value."""
    for site in tag_sites(ctx):
        if site.tag.effective_operation == TagOperation.UPSERT and site.tag.value:
            yield site, analyze(site.tag.value)


@check("T113", "remove-non-standard-tag", Severity.WARNING, needs=TELEMETRY)
def remove_non_standard_tag(ctx: CheckContext) -> Iterator[Finding]:
    """`operation: REMOVE` on a tag that is not one of Istio's standard labels.

    Why: Istio only removes standard labels; it ignores the REMOVE of any other tag ("Tag is
    not standard"), so the label you meant to drop stays, usually a misspelt standard label.

    Example: `tagOverrides: {request_protocols: {operation: REMOVE}}`

    Fix: use the standard label's exact name (e.g. `request_protocol`); to drop a tag a
    parent Telemetry added, remove it from that Telemetry instead.
    """
    known = facts(ctx)
    for site in tag_sites(ctx):
        if site.tag.operation == TagOperation.REMOVE and not known.is_standard_label(site.name):
            yield Finding(
                f"REMOVE of {site.name!r} is ignored: it is not a standard Istio label",
                span=site.span("operation"),
                hint=_close_label(site.name, known.standard_labels),
            )


def _close_label(name: str, labels: tuple[str, ...]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, labels, n=1)
    return f"did you mean {close[0]!r}?" if close else None


@check("T114", "invalid-tag-name", Severity.ERROR, needs=TELEMETRY)
def invalid_tag_name(ctx: CheckContext) -> Iterator[Finding]:
    """A tag override's name is not a valid Prometheus label name.

    Why: Prometheus label names match `[a-zA-Z_][a-zA-Z0-9_]*` and names starting with `__`
    are reserved; any other name does not survive as written, so queries and dashboards
    using it find nothing. istiod also warns about an empty tag name.

    Example: `tagOverrides: {x-model: {value: "request.headers['x-model']"}}`

    Fix: use letters, digits and underscores, e.g. `x_model` or `model`.
    """
    for site in tag_sites(ctx):
        if not PROMETHEUS_LABEL.fullmatch(site.name):
            problem = "is empty" if not site.name else "is not a valid Prometheus label name"
        elif site.name.startswith("__"):
            problem = "starts with '__', which Prometheus reserves"
        else:
            continue
        suggestion = re.sub(r"[^a-zA-Z0-9_]", "_", site.name).lstrip("_") or "model"
        yield Finding(
            f"tag name {site.name!r} {problem}",
            span=site.span(),
            hint=f"e.g. {suggestion!r}",
        )


@check("T115", "cel-syntax-error", Severity.ERROR, needs=TELEMETRY)
def cel_syntax_error(ctx: CheckContext) -> Iterator[Finding]:
    """A tag value or access-log filter is not a valid CEL expression.

    Why: istiod rejects a Telemetry whose access-log `filter.expression` does not parse.
    Tag values are not validated by istiod; the proxy fails to parse them, then skips a new
    tag or drops an overridden standard label from the metric, logging only at info level.

    Example: `value: "request.headers['x-model'"` (the `]` is missing).

    Fix: correct the expression; string literals need quotes inside the YAML string.
    """
    known = facts(ctx)
    for site, analysis in _upserts(ctx):
        if analysis.error is not None:
            effect = (
                "Istio drops this standard label from the metric"
                if known.is_standard_label(site.name)
                else "Istio skips this tag"
            )
            yield Finding(
                f"tag {site.name!r}: CEL syntax error at {analysis.error}; {effect}",
                span=site.span("value"),
            )
    for doc in ctx.telemetries:
        for i, entry in enumerate(doc.spec.access_logging):
            if entry.filter is None:
                continue
            error = analyze(entry.filter.expression).error
            if error is not None:
                yield Finding(
                    f"access-log filter: CEL syntax error at {error}; istiod rejects the Telemetry",
                    span=doc.locate(("accessLogging", i, "filter", "expression")),
                )


def _unbounded_reads(analysis: CelAnalysis) -> list[tuple[str, str]]:
    """(attribute, what it is) for each unbounded attribute the expression reads."""
    hits = []
    for attribute in analysis.attributes:
        if bounded_attribute(attribute) is not None:
            continue  # e.g. x-envoy-attempt-count: Envoy sets it to a small fixed set
        for prefix, what in UNBOUNDED_ATTRIBUTES:
            if attribute_under(attribute, prefix):
                hits.append((attribute, what))
                break
    return hits


def _bounded_alternative(attribute: str) -> str:
    if attribute_under(attribute, "request.path") or attribute_under(attribute, "request.url_path"):
        return "request.url_path.startsWith('/v1/') ? 'v1' : 'other'"
    return f"{attribute} in ['a', 'b'] ? {attribute} : 'other'"


@check("T116", "unbounded-tag-value", Severity.WARNING, needs=TELEMETRY)
def unbounded_tag_value(ctx: CheckContext) -> Iterator[Finding]:
    """A tag value copies an unbounded attribute (path, header, host, address, id...).

    Why: every distinct value becomes a new series for every metric, reporter and peer; a
    raw header or path can create thousands of series per proxy and overload Prometheus.
    A value is bounded when every result is a string literal, or a ternary whose non-literal
    branch is guarded by `x in ['a', ...]` / `x == 'a'` on that same `x`. Headers Envoy
    sets to a small fixed set (`x-envoy-attempt-count`, `x-envoy-is-timeout-retry`, ...)
    are bounded too.

    Example: `value: "has(request.headers['x-model']) ? request.headers['x-model'] : 'unknown'"`

    Fix: map the attribute onto a fixed set: `"request.headers['x-model'] in ['llama-3-8b',
    'mistral-7b'] ? request.headers['x-model'] : 'other'"`.
    """
    for site, analysis in _upserts(ctx):
        if not analysis.ok or analysis.bounded:
            continue
        hits = _unbounded_reads(analysis)
        if not hits:
            continue
        attribute, what = hits[0]
        yield Finding(
            f"tag {site.name!r} takes unbounded values from {attribute} ({what}): every "
            "distinct value adds series to every metric it is set on",
            span=site.span("value"),
            hint=f'bound it, e.g. "{_bounded_alternative(attribute)}"',
        )


@check("T117", "request-attribute-on-tcp-metric", Severity.WARNING, needs=TELEMETRY)
def request_attribute_on_tcp_metric(ctx: CheckContext) -> Iterator[Finding]:
    """A tag on a TCP metric reads `request.*` or `response.*` attributes.

    Why: TCP metric tags are evaluated once, when the connection opens; HTTP request and
    response attributes do not exist there, so the tag is always `unknown` (reference 4.3).

    Example: `match: {metric: TCP_SENT_BYTES}` with `tagOverrides: {model: {value:
    "request.headers['x-model']"}}`.

    Fix: set the tag on the HTTP metrics (REQUEST_COUNT, REQUEST_DURATION, ...), or use
    connection attributes (`connection.*`, `upstream_peer`, `downstream_peer`) on TCP metrics.
    """
    known = facts(ctx)
    for site, analysis in _upserts(ctx):
        metric = site.metric
        if metric is None or metric == IstioMetric.ALL_METRICS:
            continue
        selected = known.selected(metric)
        if not selected or not all(m.is_tcp for m in selected):
            continue
        reads = [a for root in HTTP_ATTRIBUTE_ROOTS for a in analysis.reads(root)]
        if reads:
            yield Finding(
                f"tag {site.name!r} on {metric} reads {reads[0]}, which TCP metrics do not "
                "have: the tag is always 'unknown'",
                span=site.span("value"),
            )
