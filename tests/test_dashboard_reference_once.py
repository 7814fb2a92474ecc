"""Judging repeated datasource references once reads a dashboard as judging every use.

`analysis.dashboards.dashboard_queries` reuses the PromQL verdict of the reference judged
last for an equal one, and G107's `_datasource_refs(..., once=True)` skips a reference
equal to the one before it. A loaded dashboard repeats one object per distinct reference (`shared`);
these tests build dashboards whose panels and targets reuse a few reference objects, or
hold equal copies of them, and compare with judging every use of the same dashboard where
every reference is its own object (a deep copy through JSON).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.analysis.dashboards import _is_promql, _variables, dashboard_queries, panels, shared
from meshgen.checks.grafana.dashboards import _datasource_refs

_REFERENCES: list[Any] = [
    None,
    "",
    "Prometheus",
    "-- Grafana --",
    "$datasource",
    "${loki}",
    {"type": "prometheus", "uid": "${datasource}"},
    {"type": "loki", "uid": "logs"},
    {"uid": "$loki"},
    {"uid": "${datasource}"},
    {"type": "datasource", "uid": "grafana"},
    {"type": "datasource", "uid": "-- Mixed --"},
    {},
]
_VARIABLES = [
    {"name": "datasource", "type": "datasource", "query": "prometheus"},
    {"name": "loki", "type": "datasource", "query": "loki"},
    {"name": "q", "type": "query", "query": "label_values(up, job)", "datasource": None},
]


@st.composite
def _dashboards(draw: st.DrawFn) -> dict[str, Any]:
    pool = [json.loads(json.dumps(r)) for r in _REFERENCES]  # one object per reference
    pick = st.sampled_from(range(len(pool))).map(lambda i: pool[i])
    copied = st.sampled_from(_REFERENCES).map(lambda r: json.loads(json.dumps(r)))
    reference = pick | copied
    expressions = st.sampled_from(["up", 'rate(x{a="b"}[5m])', "sum(", "", "  "])
    target = st.fixed_dictionaries({"expr": expressions}, optional={"datasource": reference})
    panel = st.fixed_dictionaries(
        {"title": st.sampled_from(["a", "b", ""])},
        optional={"datasource": reference, "targets": st.lists(target, max_size=4)},
    )
    panels = draw(st.lists(panel, max_size=6))
    if panels and draw(st.booleans()):
        panels.append({"title": "row", "panels": panels[:2]})
    variables = [dict(v, datasource=draw(reference)) for v in _VARIABLES]
    return {
        "panels": panels,
        "templating": {"list": variables},
        "annotations": {"list": [{"name": "n", "datasource": draw(reference)}]},
    }


def _plain_targets(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, expression) of each PromQL target, every datasource judged where used."""
    out = []
    for panel in panels(data.get("panels")):
        for target in panel.get("targets") or ():
            expression = target.get("expr")
            if not isinstance(expression, str) or not expression.strip():
                continue
            source = target.get("datasource") or panel.get("datasource")
            if _is_promql(source, _variables(data)):
                out.append((str(panel.get("title") or "(untitled panel)"), expression))
    return out


def _first_per_reference(data: dict[str, Any]) -> list[tuple[object, str]]:
    first: dict[str, object] = {}
    for place, ref in _datasource_refs(data):
        first.setdefault(ref, place)
    return [(place, ref) for ref, place in first.items()]


@settings(max_examples=300)
@given(_dashboards())
def test_reference_objects_judged_once_read_as_every_use(data: dict[str, Any]) -> None:
    apart = json.loads(json.dumps(data))
    for view in (data, shared(data, {})):
        found = list(dashboard_queries(view))
        assert found == list(dashboard_queries(apart))
        assert [(q.title, q.expression) for q in found if not q.variable] == _plain_targets(apart)
        once = list(_datasource_refs(view, once=True))
        judged: dict[str, object] = {}
        for place, ref in once:
            judged.setdefault(ref, place)
        assert [(p, r) for r, p in judged.items()] == _first_per_reference(apart)
