"""`grafana_model.essentials` keeps everything the dashboard checks read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.analysis.dashboards import dashboard_queries, essentials, variable_options
from meshgen.checks.grafana.dashboards import _datasource_refs
from meshgen.checks.grafana.dashboards import _variables as dashboard_variables

ROOT = Path(__file__).resolve().parents[1]


def _views(data: dict[str, Any]) -> tuple[object, ...]:
    return (
        data.get("uid"),
        [(q.title, q.expression, q.variable, q.query) for q in dashboard_queries(data)],
        list(_datasource_refs(data)),
        dashboard_variables(data),
        variable_options(data),
    )


ODD: dict[str, Any] = {
    "uid": 7,
    "panels": [
        "not a panel",
        {"title": "row", "type": "row", "panels": [{"targets": ["x", {"expr": 3}]}]},
        {"title": "t", "datasource": {"uid": "${ds}"}, "targets": {"expr": "up"}, "gridPos": {}},
        {"datasource": "prom", "targets": [{"expr": "up", "datasource": None, "refId": "A"}]},
    ],
    "annotations": {"list": ["x", {"name": "a", "datasource": "loki", "enable": True}]},
    "templating": {"list": [{"name": "ds", "type": "datasource", "query": "prometheus"}]},
}


def test_odd_shapes_read_alike() -> None:
    assert _views(essentials(ODD)) == _views(ODD)


def test_upstream_dashboards_read_alike(upstream: Path) -> None:
    boards = sorted(upstream.rglob("*dashboard*.json"))
    if not boards:
        pytest.skip(f"no dashboards under {upstream}")
    for path in boards:
        data = json.loads(path.read_text())
        assert _views(essentials(data)) == _views(data), path.name
        assert len(json.dumps(essentials(data))) < len(json.dumps(data))


def test_shared_keeps_values_and_holds_repeats_once() -> None:
    from meshgen.analysis.dashboards import shared

    ds = {"type": "prometheus", "uid": "${datasource}"}
    board = {
        "panels": [
            {"datasource": dict(ds), "targets": [{"expr": "up", "datasource": dict(ds)}]},
            {"datasource": dict(ds), "flags": [1, True, 1.0, None]},
        ]
    }
    other = {"datasource": {"type": "prometheus", "uid": 1}, "n": {"a": True}, "m": {"a": 1}}
    table: dict[Any, Any] = {}
    out, out_other = shared(board, table), shared(other, table)
    assert out == board and out_other == other
    assert out["panels"][0]["datasource"] is out["panels"][1]["datasource"]
    assert out["panels"][0]["targets"][0]["datasource"] is out["panels"][0]["datasource"]
    assert out_other["datasource"] is not out["panels"][0]["datasource"]
    assert out_other["n"] is not out_other["m"]  # True and 1 stay apart
    assert type(out_other["n"]["a"]) is bool and type(out_other["m"]["a"]) is int


def _objects(node: Any, seen: dict[int, Any]) -> int:
    """How many distinct container and string objects `node` is made of."""
    if id(node) in seen:
        return 0
    seen[id(node)] = node
    if isinstance(node, dict):
        return 1 + sum(_objects(k, seen) + _objects(v, seen) for k, v in node.items())
    if isinstance(node, list):
        return 1 + sum(_objects(v, seen) for v in node)
    return 1 if isinstance(node, str) else 0


def _fused_agrees(boards: list[Any]) -> None:
    from meshgen.analysis.dashboards import shared, shared_essentials

    fused_table: dict[Any, Any] = {}
    composed_table: dict[Any, Any] = {}
    fused = [shared_essentials(b, fused_table) for b in boards]
    composed = [shared(essentials(b), composed_table) for b in boards]
    assert repr(fused) == repr(composed)  # equal values of equal types, in order
    assert _objects(fused, {}) == _objects(composed, {})  # and shared alike


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([1.0, 0.5])
    | st.text("ab$", max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "panels",
                    "targets",
                    "expr",
                    "datasource",
                    "title",
                    "uid",
                    "list",
                    "annotations",
                    "templating",
                    "name",
                    "gridPos",
                    "type",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["panels", "annotations", "uid", "templating", "title", "style"]),
            _JSON,
            max_size=5,
        ),
        max_size=3,
    )
)
def test_the_fused_walk_is_the_composition(boards: list[dict[str, Any]]) -> None:
    _fused_agrees(boards)


def test_the_fused_walk_is_the_composition_on_real_dashboards(upstream: Path) -> None:
    boards = [json.loads(p.read_text()) for p in sorted(upstream.rglob("*dashboard*.json"))]
    if not boards:
        pytest.skip(f"no dashboards under {upstream}")
    _fused_agrees([ODD, *boards, *boards])
