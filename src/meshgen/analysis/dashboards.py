"""What a Grafana dashboard JSON reads: its queries, per panel, as `knowledge.dashboards` types.

Walks panels (rows' nested `panels` included) and template variables, analyses each
PromQL expression with `meshgen.analysis.promql`, and folds the results into `Panel`/`Read`
records: the same shape as the built-in record of Istio's grafana.com dashboards, so a
check treats a local JSON file and a grafana.com dashboard alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from meshgen.analysis.promql import Query, Selector, analyze, analyze_variable_query
from meshgen.knowledge.dashboard_datasources import DatasourceRefs
from meshgen.knowledge.dashboards import SCOPE_LABELS, Panel, Read
from meshgen.records import record

#: Datasource plugin types whose targets are not PromQL.
_PROMQL_TYPES = frozenset({"prometheus"})
_CUSTOM_SPLIT = re.compile(r"(?<!\\),")
T = TypeVar("T")
# `type(x) is dict or isinstance(x, Mapping)` in the walks below is `isinstance(x, Mapping)`
# for every x; the JSON dicts are answered without the ABC check, which costs ten times
# more and runs for every panel, target and datasource of every dashboard.


@record(slots=True)
class DashboardQuery:
    """One expression of a dashboard: where it sits and what it reads."""

    #: Panel title, or the variable name for a template variable.
    title: str
    expression: str
    variable: bool
    query: Query


def dashboard_queries(data: Mapping[str, Any]) -> Iterator[DashboardQuery]:
    """Every PromQL expression of panels (rows included) and query variables."""
    variables = _variables(data)
    # Dashboards repeat one datasource reference in every panel and target: a reference
    # equal to the one judged last has its verdict (`_is_promql` reads only the value).
    last: Any = _NOTHING
    verdict = True
    for panel in panels(data.get("panels")):
        title = str(panel.get("title") or "(untitled panel)")
        for target in panel.get("targets") or ():
            if not (type(target) is dict or isinstance(target, Mapping)):
                continue
            expression = target.get("expr")
            if not isinstance(expression, str) or not expression.strip():
                continue
            source = target.get("datasource") or panel.get("datasource")
            if source is not last and source != last:
                last, verdict = source, _is_promql(source, variables)
            if not verdict:
                continue
            yield DashboardQuery(title, expression, False, analyze(expression))
    for variable in variables.values():
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        if isinstance(query, Mapping):
            query = query.get("query")
        if not isinstance(query, str) or not query.strip():
            continue
        if not _is_promql(variable.get("datasource"), variables):
            continue
        name = str(variable.get("name"))
        yield DashboardQuery(name, query, True, analyze_variable_query(query))


#: Keys the dashboard checks read: of a dashboard, of a panel (rows nest `panels`), of a
#: panel target and of an annotation. Variables (`templating`) are kept whole.
_DASHBOARD_KEYS = frozenset({"uid", "title", "panels", "templating", "annotations"})
_PANEL_KEYS = frozenset({"title", "datasource", "targets", "panels"})
_TARGET_KEYS = frozenset({"expr", "datasource"})
_ANNOTATION_KEYS = frozenset({"name", "datasource"})


def essentials(data: dict[str, Any]) -> dict[str, Any]:
    """The part of a dashboard the checks read; the rest (layout, styling) is dropped.

    A large dashboard is mostly `gridPos`, `fieldConfig` and `options`: keeping only what
    is checked lets hundreds of dashboards sit in memory at once. Values of an unexpected
    type are kept as they are, so the checks see exactly what they would have.
    """
    out = {key: value for key, value in data.items() if key in _DASHBOARD_KEYS}
    if isinstance(out.get("panels"), list):
        out["panels"] = [_panel(panel) for panel in out["panels"]]
    annotations = out.get("annotations")
    if isinstance(annotations, Mapping) and isinstance(annotations.get("list"), list):
        out["annotations"] = {
            "list": [_only(item, _ANNOTATION_KEYS) for item in annotations["list"]]
        }
    return out


def shared(node: Any, table: dict[Any, Any]) -> Any:
    """`node` with equal strings, and equal flat mappings, replaced by one object each.

    Dashboards repeat themselves (the same datasource reference in every panel and target,
    the same expressions across copies of a board): through one `table` per run, each
    distinct value is held once. The result is read-only by convention, like all check
    inputs.
    """
    kind = type(node)
    if kind is str:
        return table.setdefault(node, node)
    if kind is list:
        return [shared(item, table) for item in node]
    if kind is not dict:
        return node
    flat = _flat(node)
    if flat:
        # A flat mapping met before (the datasource reference of every panel and target)
        # is found by its content, before any copy of it is made.
        seen = table.get(_signature(node))
        if seen is not None:
            return seen
    out = {}
    for key, value in node.items():
        value_kind = type(value)
        if value_kind is str:
            value = table.setdefault(value, value)
        elif value_kind is dict or value_kind is list:
            value = shared(value, table)
        out[table.setdefault(key, key) if type(key) is str else key] = value
    # A flat mapping: one object per content.
    return table.setdefault(_signature(out), out) if flat else out


_SCALARS = frozenset({int, float, bool})


def _signature(mapping: dict[Any, Any]) -> tuple[Any, ...]:
    """What a flat mapping is held once by: its items and their types.

    The types keep `1`, `1.0` and `True` apart.
    """
    return ("mapping", tuple(mapping.items()), tuple(map(type, mapping.values())))


def _flat(node: dict[Any, Any]) -> bool:
    """Whether a mapping holds only strings and scalars (what `shared` holds once)."""
    for value in node.values():
        kind = type(value)
        if kind is not str and value is not None and kind not in _SCALARS:
            return False
    return True


def shared_essentials(data: dict[str, Any], table: dict[Any, Any]) -> dict[str, Any]:
    """`shared(essentials(data), table)` in one walk, without the intermediate copy.

    Every dashboard the checks read goes through this (1,500 at the largest benchmark),
    so the two walks are fused; a test keeps it equal to the composition.
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _DASHBOARD_KEYS:
            continue
        if key == "panels" and isinstance(value, list):
            value = [_shared_panel(panel, table) for panel in value]
        elif (
            key == "annotations"
            and isinstance(value, Mapping)
            and isinstance(value.get("list"), list)
        ):
            items = [_shared_only(item, _ANNOTATION_KEYS, table) for item in value["list"]]
            value = {table.setdefault("list", "list"): items}
        else:
            value = shared(value, table)
        out[table.setdefault(key, key)] = value
    return _once_if_flat(out, table)


def _shared_panel(panel: Any, table: dict[Any, Any]) -> Any:
    if not (type(panel) is dict or isinstance(panel, Mapping)):
        return shared(panel, table)
    out: dict[Any, Any] = {}
    for key, value in panel.items():
        if key not in _PANEL_KEYS:
            continue
        if key == "targets" and isinstance(value, list):
            value = [_shared_only(target, _TARGET_KEYS, table) for target in value]
        elif key == "panels" and isinstance(value, list):
            value = [_shared_panel(inner, table) for inner in value]
        else:
            value = shared(value, table)
        out[table.setdefault(key, key)] = value
    return _once_if_flat(out, table)


def _shared_only(item: Any, keys: frozenset[str], table: dict[Any, Any]) -> Any:
    if not (type(item) is dict or isinstance(item, Mapping)):
        return shared(item, table)
    kept = {table.setdefault(k, k): shared(v, table) for k, v in item.items() if k in keys}
    return _once_if_flat(kept, table)


def _once_if_flat(out: dict[Any, Any], table: dict[Any, Any]) -> dict[Any, Any]:
    """A mapping whose values are shared already, as `shared` returns it.

    When it is flat (strings and scalars only): the one object of its content.
    """
    if not _flat(out):
        return out
    once: dict[Any, Any] = table.setdefault(_signature(out), out)
    return once


def _panel(panel: Any) -> Any:
    if not isinstance(panel, Mapping):
        return panel
    out = _only(panel, _PANEL_KEYS)
    if isinstance(out.get("targets"), list):
        out["targets"] = [_only(target, _TARGET_KEYS) for target in out["targets"]]
    if isinstance(out.get("panels"), list):
        out["panels"] = [_panel(inner) for inner in out["panels"]]
    return out


def _only(item: Any, keys: frozenset[str]) -> Any:
    if not isinstance(item, Mapping):
        return item
    return {key: value for key, value in item.items() if key in keys}


def variable_options(data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Values a user can pick for each custom variable (`.*` stands for "All")."""
    out: dict[str, tuple[str, ...]] = {}
    for name, variable in _variables(data).items():
        if variable.get("type") != "custom":
            continue
        values = [
            str(o.get("value"))
            for o in variable.get("options") or ()
            if isinstance(o, Mapping) and o.get("value") not in (None, "", "$__all")
        ]
        if not values and isinstance(variable.get("query"), str):
            for part in _CUSTOM_SPLIT.split(variable["query"]):
                value = part.split(" : ", 1)[-1].strip().replace("\\,", ",")
                if value:
                    values.append(value)
        if variable.get("includeAll"):
            values.append(".*")
        out[name] = tuple(dict.fromkeys(values))
    return out


def panels_of(data: Mapping[str, Any]) -> tuple[Panel, ...]:
    """The dashboard's reads, one `Panel` per title (panels sharing a title merge)."""
    options = variable_options(data)
    merged: dict[tuple[str, bool], dict[tuple[Any, ...], set[str]]] = {}
    for item in dashboard_queries(data):
        reads = merged.setdefault((item.title, item.variable), {})
        for selector in item.query.selectors:
            read = read_of(selector, options)
            if read is not None:
                key = (read.metric, read.views, read.where)
                reads.setdefault(key, set()).update(read.labels)
    return tuple(
        Panel(
            title,
            tuple(
                Read(metric, frozenset(labels), views, where)
                for (metric, views, where), labels in sorted(reads.items(), key=_read_order)
            ),
            variable=variable,
        )
        for (title, variable), reads in merged.items()
        if reads
    )


def read_of(selector: Selector, options: Mapping[str, Sequence[str]]) -> Read | None:
    """A selector as a `Read`: its metric, labels, reporter views and literal scope matchers."""
    if not selector.metric:
        return None
    views = _sorted_views(selector.reporter_views(options))
    where = tuple(m for m in selector.matchers if m.name in SCOPE_LABELS and not m.variables)
    return Read(selector.metric, selector.labels_read, views, where)


@lru_cache(maxsize=256)
def _sorted_views(views: tuple[frozenset[str], ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(sorted(v)) for v in views)


def _read_order(item: tuple[tuple[Any, ...], set[str]]) -> tuple[str, str, str]:
    (metric, views, where), _ = item
    return metric, repr(views), repr(tuple(str(m) for m in where))


def panels(items: Any) -> Iterator[Mapping[str, Any]]:
    """Each panel of a `panels` list in order, a row's nested `panels` right after it."""
    for panel in items or ():
        if not (type(panel) is dict or isinstance(panel, Mapping)):
            continue
        yield panel
        inner = panel.get("panels")
        if inner:  # rows only: no generator for each plain panel
            yield from panels(inner)


def _variables(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    templating = data.get("templating")
    entries = templating.get("list") if isinstance(templating, Mapping) else None
    return {
        str(v["name"]): v
        for v in entries or ()
        if isinstance(v, Mapping) and isinstance(v.get("name"), str)
    }


def _is_promql(source: Any, variables: Mapping[str, Mapping[str, Any]]) -> bool:
    """False only for a datasource known to be of another type than Prometheus."""
    kind: Any = None
    if type(source) is dict or isinstance(source, Mapping):
        kind = source.get("type")
        if kind == "datasource":
            return source.get("uid") not in ("grafana", "-- Grafana --", "-- Dashboard --")
        uid = source.get("uid")
        if kind is None and isinstance(uid, str):
            kind = _variable_plugin(uid, variables)
    elif isinstance(source, str):
        kind = _variable_plugin(source, variables)
        if source in ("-- Grafana --", "-- Dashboard --", "grafana"):
            return False
    return kind is None or kind in _PROMQL_TYPES


def _variable_plugin(reference: str, variables: Mapping[str, Mapping[str, Any]]) -> str | None:
    name = reference.strip("${}[]").split(":", 1)[0]
    variable = variables.get(name)
    if reference.startswith(("$", "[[")) and variable and variable.get("type") == "datasource":
        query = variable.get("query")
        return query if isinstance(query, str) else None
    return None


#: What release-builder does to a dashboard for grafana.com (reference 5): the literal
#: `"datasource": "Prometheus"` becomes the input `${DS_PROMETHEUS}`.
GRAFANA_COM_EXPORT = {"Prometheus": "${DS_PROMETHEUS}"}


def datasource_references(
    data: Mapping[str, Any], renamed: Mapping[str, str] | None = None
) -> DatasourceRefs:
    """The references that decide where a dashboard's queries go (`DatasourceRefs`).

    Panels (rows' included), their targets, query variables and annotations count; custom
    and other variables never query a datasource. `renamed` maps literal names as an
    export rewrites them (`GRAFANA_COM_EXPORT`).
    """
    variables = _variables(data)
    selectors = [n for n, v in variables.items() if v.get("type") == "datasource"]
    sources: list[Any] = []
    for panel in panels(data.get("panels")):
        sources.append(panel.get("datasource"))
        for target in panel.get("targets") or ():
            if isinstance(target, Mapping):
                sources.append(target.get("datasource"))
    for variable in variables.values():
        if variable.get("type") == "query":
            sources.append(variable.get("datasource"))
    annotations = data.get("annotations")
    for item in annotations.get("list") or () if isinstance(annotations, Mapping) else ():
        if isinstance(item, Mapping):
            sources.append(item.get("datasource"))
    strings: set[str] = set()
    input_uids: set[str] = set()
    for source in sources:
        if isinstance(source, str):
            text = (renamed or {}).get(source, source)
            if not _via_variable(text, variables) and text not in _BUILTIN_SOURCES:
                strings.add(text)
        elif isinstance(source, Mapping) and isinstance(source.get("uid"), str):
            uid = (renamed or {}).get(source["uid"], source["uid"])
            if uid.startswith("$") and not _via_variable(uid, variables):
                input_uids.add(uid)
    return DatasourceRefs(
        frozenset(strings), frozenset(input_uids), selectors[0] if selectors else None
    )


#: Equal to no datasource reference: what `dashboard_queries` compares the first one with.
_NOTHING = object()
_BUILTIN_SOURCES = frozenset({"-- Grafana --", "-- Dashboard --", "-- Mixed --", "grafana"})


def _via_variable(reference: str, variables: Mapping[str, Mapping[str, Any]]) -> bool:
    """`$datasource`, `${datasource}` or `[[datasource]]` naming a template variable."""
    if not reference.startswith(("$", "[[")):
        return False
    name = reference.strip("${}[]").split(":", 1)[0]
    return name in variables
