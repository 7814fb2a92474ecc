"""T113-T117, T128-T129: tag names, and the CEL expressions of tag values and access-log filters."""

from __future__ import annotations

import re
from collections.abc import Iterator

from meshgen.analysis.cel import CelAnalysis, analyze, attribute_root, attribute_under
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.telemetry.common import TagSite, facts, tag_sites
from meshgen.diagnostics import Severity, close_matches
from meshgen.knowledge.istio import (
    CEL_ATTRIBUTES,
    CEL_BUILTIN_IDENTIFIERS,
    HTTP_ATTRIBUTE_ROOTS,
    UNBOUNDED_ATTRIBUTES,
    IstioMetric,
    TagOperation,
    bounded_attribute,
)
from meshgen.records import record
from meshgen.source import Span

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
    close = close_matches(name, labels)
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


# --- attribute names ------------------------------------------------------------------------


@record(slots=True)
class _Expression:
    """A CEL expression the proxy evaluates: a tag value or an access-log filter."""

    what: str
    text: str
    analysis: CelAnalysis
    span: Span


def _expressions(ctx: CheckContext) -> Iterator[_Expression]:
    for site, analysis in _upserts(ctx):
        assert site.tag.value is not None
        yield _Expression(f"tag {site.name!r}", site.tag.value, analysis, site.span("value"))
    for doc in ctx.telemetries:
        for i, entry in enumerate(doc.spec.access_logging):
            if entry.filter is not None:
                text = entry.filter.expression
                span = doc.locate(("accessLogging", i, "filter", "expression"))
                yield _Expression("access-log filter", text, analyze(text), span)


def _unknown_field(attribute: str) -> tuple[str, str, frozenset[str]] | None:
    """(root, field, known fields) when `attribute` names a field its root does not have."""
    root, field = attribute_root(attribute)
    fields = CEL_ATTRIBUTES.get(root)
    if fields is None or field is None or field in fields:
        return None
    return root, field, fields


def _unknown_roots(analysis: CelAnalysis) -> list[str]:
    roots = (attribute_root(a)[0] for a in analysis.attributes)
    return list(dict.fromkeys(r for r in roots if not _known_root(r)))


def _known_root(root: str) -> bool:
    # `istio_*`: filter state that Istio's attribute-gen filter writes (classify-metrics task:
    # `istio_operationId`), by the convention Istio's docs use for its output names.
    return root in CEL_ATTRIBUTES or root in CEL_BUILTIN_IDENTIFIERS or root.startswith("istio_")


#: An unquoted word with dashes (`dx03-dev`): CEL reads it as a subtraction of identifiers.
_DASHED_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)+")


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@check("T128", "cel-unknown-attribute", Severity.ERROR, needs=TELEMETRY)
def cel_unknown_attribute(ctx: CheckContext) -> Iterator[Finding]:
    """A CEL expression parses but cannot evaluate: it reads an attribute that cannot exist.

    Why: the proxy evaluates tag values and access-log filters against Envoy's and Istio's
    attributes (reference 4.2); a field they do not define (`request.methd`), or a word
    written without quotes that CEL reads as arithmetic (`dx03-dev` is `dx03 - dev`: two
    unknown identifiers subtracted), fails at run time in every proxy: the tag is always
    `unknown`, or the filter never matches. istiod does not check this.

    Example: `value: dx03-dev` (meant the string) or `value: request.methd`.

    Fix: quote string literals inside the YAML string (`value: "'dx03-dev'"`), and use the
    attribute names Envoy defines (`request.method`).
    """
    for expression in _expressions(ctx):
        analysis = expression.analysis
        if not analysis.ok:
            continue  # T115
        text = expression.text.strip()
        if _DASHED_WORD.fullmatch(text) and all(
            attribute_root(a)[0] not in CEL_ATTRIBUTES for a in analysis.attributes
        ):
            yield Finding(
                f"{expression.what}: {text!r} is CEL for "
                f"{' - '.join(text.split('-'))!r}, a subtraction of unknown identifiers, "
                "which fails in the proxy at run time",
                span=expression.span,
                hint=f'quote the string: "{_quoted(text)}"',
            )
            continue
        for attribute in analysis.attributes:
            unknown = _unknown_field(attribute)
            if unknown is None:
                continue
            root, field, fields = unknown
            close = close_matches(field, sorted(fields))
            yield Finding(
                f"{expression.what} reads {attribute}: `{root}` has no field {field!r}, so "
                "evaluating it fails in the proxy at run time",
                span=expression.span,
                hint=f"did you mean {root}.{close[0]}?"
                if close
                else f"{root} has: {', '.join(sorted(fields))}",
            )
            break


@check("T129", "cel-unknown-identifier", Severity.WARNING, needs=TELEMETRY)
def cel_unknown_identifier(ctx: CheckContext) -> Iterator[Finding]:
    """A CEL expression reads an identifier that is not an Envoy or Istio attribute.

    Why: tag values and access-log filters see Envoy's attributes (`request`, `response`,
    `source`, `destination`, `connection`, `upstream`, `xds`, ...) and Istio's
    (`upstream_peer`, `downstream_peer`, `node`, reference 4.2). Any other bare identifier
    only exists when some filter stores filter state of that name (e.g. attribute-gen's
    `istio_operationId`; names starting `istio_` are taken as such); otherwise evaluation
    fails and the tag is always `unknown`. A bare word meant as a string (`value: dev`) is
    the usual cause.

    Example: `value: production` (meant `"'production'"`).

    Fix: quote string literals inside the YAML string, or use a defined attribute.
    """
    for expression in _expressions(ctx):
        analysis = expression.analysis
        text = expression.text.strip()
        if not analysis.ok or _DASHED_WORD.fullmatch(text):
            continue  # T115 / T128
        unknown = _unknown_roots(analysis)
        if not unknown:
            continue
        literal = len(analysis.attributes) == 1 and text == unknown[0]
        yield Finding(
            f"{expression.what} reads {', '.join(repr(u) for u in unknown)}, which is not an "
            "attribute Envoy or Istio defines: unless a filter sets state of that name, "
            "evaluation fails at run time",
            span=expression.span,
            hint=f'if it is a string, quote it: "{_quoted(text)}"'
            if literal
            else "attributes start with request, response, source, destination, connection, "
            "upstream, xds, node, upstream_peer or downstream_peer",
        )
