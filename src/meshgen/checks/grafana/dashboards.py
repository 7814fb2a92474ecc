"""G106, G107, G109: what is inside the provisioned dashboards (UIDs, datasources, PromQL).

These run over `ctx.dashboards`, so `meshgen lint` applies them to dashboard JSON files too.
grafana.com dashboards (no JSON at hand) are known from `knowledge.dashboards`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from meshgen.analysis.dashboards import panels
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.grafana.common import (
    BUILTIN_DATASOURCES,
    dashboard_label,
    datasource_names,
    grafana_values,
    mapping,
    provisioned_datasources,
    queries_of,
)
from meshgen.diagnostics import Severity
from meshgen.knowledge.dashboards import by_gnet_id
from meshgen.load.documents import DashboardDoc
from meshgen.source import Span

# Grafana's variable syntax, for a datasource reference that is one variable.
_VARIABLE_REF = re.compile(r"^(?:\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::\w+)?\]\])$")
# `type(x) is dict or isinstance(x, Mapping)` in the walks below is `isinstance(x, Mapping)`
# for every x; the JSON dicts are answered without the ABC check, which costs ten times
# more and runs for every panel, target and datasource of every dashboard.


@check("G106", "duplicate-dashboard-uid", Severity.ERROR, needs=("dashboards",))
def duplicate_dashboard_uid(ctx: CheckContext) -> Iterator[Finding]:
    """Two provisioned dashboards have the same `uid`.

    Why: Grafana keys dashboards by uid; when two provisioned files share one, only one is
    loaded and the other is dropped with a log line nobody reads.

    Example: Istio's mesh dashboard from grafana.com (`gnetId: 7639`) and a local copy of
    `istio-mesh-dashboard.json`, both with uid `1a9a8ea49444aae205c7737573e894f9`.

    Fix: keep one of them, or give the local copy its own `uid`.
    """
    first: dict[str, DashboardDoc] = {}
    for doc in ctx.dashboards:
        uid = _uid(doc)
        if uid is None:
            continue
        other = first.setdefault(uid, doc)
        if other is not doc:
            yield Finding(
                f"{dashboard_label(doc)} has uid {uid!r}, like {dashboard_label(other)}: "
                "Grafana loads only one of them",
                span=_uid_span(doc),
                related=(_uid_span(other),),
            )


def _uid(doc: DashboardDoc) -> str | None:
    if doc.data is None:
        record = by_gnet_id(doc.gnet_id)
        return None if record is None else record.uid
    uid = doc.data.get("uid")
    return uid if isinstance(uid, str) and uid else None


def _uid_span(doc: DashboardDoc) -> Span:
    """Where a dashboard's uid is written (found only for a finding: it scans the text)."""
    if doc.data is None:
        return doc.declared or Span(doc.file)
    return _top_level_key(doc, "uid")


@check("G107", "unresolved-datasource", Severity.ERROR, needs=("dashboards",))
def unresolved_datasource(ctx: CheckContext) -> Iterator[Finding]:
    """A dashboard references a datasource that is neither provisioned nor a variable.

    Why: panels whose datasource does not resolve show "Datasource ... was not found".
    File-provisioned dashboards are used as written: `${DS_PROMETHEUS}` and other
    `__inputs` of a grafana.com export are only substituted by the UI import.

    Example: a panel with `"datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}`
    and no `DS_PROMETHEUS` template variable.

    Fix: use a `datasource` template variable (`{"type": "datasource", "query":
    "prometheus"}`) and `"uid": "${datasource}"`, or the provisioned datasource's uid.
    """
    values = grafana_values(ctx)
    datasources = provisioned_datasources(values) if values is not None else None
    known = datasource_names(datasources) if datasources is not None else None
    for doc in ctx.dashboards:
        if doc.data is None:
            continue
        variables = _variables(doc.data)
        # Each reference is judged (and reported) once: dashboards repeat theirs per panel.
        judged: set[str] = set()
        for place, ref in _datasource_refs(doc.data, once=True):
            if ref in judged:
                continue
            judged.add(ref)
            problem = _unresolved(ref, variables, known)
            if problem is None:
                continue
            yield Finding(
                f"{dashboard_label(doc)} {_where(place)}: datasource {ref!r} {problem}",
                span=doc.locate_text(ref),
            )


def _unresolved(
    ref: str, variables: Mapping[str, Mapping[str, Any]], known: set[str] | None
) -> str | None:
    if ref in BUILTIN_DATASOURCES:
        return None
    match = _VARIABLE_REF.match(ref)
    if match:
        name = next(g for g in match.groups() if g)
        variable = variables.get(name)
        if variable is None:
            if name.startswith("DS_"):
                return (
                    "is an import input of a grafana.com export; provisioning does not "
                    "substitute it"
                )
            return f"names no template variable ${name}"
        kind = variable.get("type")
        if kind == "datasource":
            return None
        current = mapping(variable.get("current")).get("value")
        if known is None or current in known:
            return None
        return f"is the {kind} variable ${name}, whose value is no provisioned datasource"
    if "$" in ref or "[[" in ref or known is None or ref in known:
        return None
    return f"is not provisioned (provisioned: {', '.join(sorted(known)) or 'none'})"


#: Where a datasource reference sits: ("panel", title), ("variable", name) or
#: ("annotation", name); worded (`_where`) only for a reference that is reported.
Place = tuple[str, Any]


def _datasource_refs(data: Mapping[str, Any], *, once: bool = False) -> Iterator[tuple[Place, str]]:
    """(place, reference) of every datasource reference by name or uid.

    `once`: a panel's or target's reference equal to the one looked at just before is
    skipped. Dashboards repeat one reference in every panel and target; an equal value
    names the same datasource, yielded already, so a caller that judges each reference
    once (G107) loses nothing and the repeats cost a comparison each.
    """
    last: Any = _NOTHING
    for panel in panels(data.get("panels")):
        place = ("panel", panel.get("title"))
        sources = [panel.get("datasource")]
        for target in panel.get("targets") or ():
            if type(target) is dict or isinstance(target, Mapping):
                sources.append(target.get("datasource"))
        for source in sources:
            if once:
                if source is last or source == last:
                    continue
                last = source
            ref = _ref(source)
            if ref is not None:
                yield place, ref
    for variable in _variables(data).values():
        # Only these variable types query a datasource; others ignore the field.
        if variable.get("type") in ("query", "adhoc"):
            ref = _ref(variable.get("datasource"))
            if ref is not None:
                yield ("variable", variable.get("name")), ref
    annotations = mapping(data.get("annotations")).get("list")
    for annotation in annotations if isinstance(annotations, list) else ():
        if isinstance(annotation, Mapping):
            ref = _ref(annotation.get("datasource"))
            if ref is not None:
                yield ("annotation", annotation.get("name")), ref


#: Equal to no reference: what `_datasource_refs` compares the first one with.
_NOTHING = object()


def _where(place: Place) -> str:
    kind, name = place
    if kind == "panel":
        return f"panel {name or '(untitled)'!r}"
    if kind == "variable":
        return f"variable ${name}"
    return f"annotation {name or '(unnamed)'!r}"


def _ref(source: Any) -> str | None:
    """The datasource a `datasource` value names by name or uid; None: it names none."""
    if isinstance(source, str):
        return source or None
    if type(source) is dict or isinstance(source, Mapping):
        uid = source.get("uid")
        if isinstance(uid, str) and uid and source.get("type") != "datasource":
            return uid
    return None


@check("G109", "promql-syntax-error", Severity.ERROR, needs=("dashboards",))
def promql_syntax_error(ctx: CheckContext) -> Iterator[Finding]:
    """A dashboard query is not valid PromQL.

    Why: Prometheus refuses the query and the panel (or the variable, and every panel
    using it) shows an error instead of data. Grafana variables are allowed wherever
    Grafana substitutes them (`[$__rate_interval]`, `"$service"`, `by ($label)`).

    Example: `sum(rate(istio_requests_total{reporter="source"}[$__rate_interval])`
    (one parenthesis short).

    Fix: correct the expression; the message quotes the parser's complaint.
    """
    for doc in ctx.dashboards:
        for item in queries_of(ctx, doc):
            if item.query.ok:
                continue
            where = f"variable ${item.title}" if item.variable else f"panel {item.title!r}"
            yield Finding(
                f"{dashboard_label(doc)} {where}: invalid PromQL ({item.query.error}) in "
                f"{_short(item.expression)}",
                span=doc.locate_text(item.expression),
            )


def _short(expression: str, limit: int = 120) -> str:
    flat = " ".join(expression.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _variables(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    entries = mapping(data.get("templating")).get("list")
    return {
        str(v["name"]): v
        for v in (entries if isinstance(entries, list) else ())
        if isinstance(v, Mapping) and isinstance(v.get("name"), str)
    }


def _top_level_key(doc: DashboardDoc, key: str) -> Span:
    """Span of a top-level key's value in the dashboard JSON text."""
    depth = 0
    quote = False
    escaped = False
    needle = f'"{key}"'
    text = doc.text
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quote = False
            continue
        if char == '"' and depth == 1 and text.startswith(needle, index):
            after = index + len(needle)
            colon = after
            while colon < len(text) and text[colon].isspace():
                colon += 1
            if colon < len(text) and text[colon] == ":":
                value_at = colon + 1
                while value_at < len(text) and text[value_at].isspace():
                    value_at += 1
                line = text.count("\n", 0, value_at) + 1
                col = value_at - (text.rfind("\n", 0, value_at) + 1) + 1
                return Span(doc.file, line, col)
        if char == '"':
            quote = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return doc.declared or Span(doc.file)
