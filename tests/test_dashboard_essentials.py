"""`grafana_model.essentials` keeps everything the dashboard checks read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

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
