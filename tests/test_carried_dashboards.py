"""Generated dashboards reach the checks as the renderer's data, not parsed again.

`RenderedFile.dashboards` carries, for each generated dashboard a file holds, the
`essentials` of the data its JSON text was written from, and (when it was filled from a
template) the analysis of its queries. These tests hold that data to what parsing the
text would give (type for type), the queries to what analysing that parse gives, and show
that a text the user replaced through chart values is still parsed and checked as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meshgen import api
from meshgen.analysis.dashboards import DashboardQuery, dashboard_queries, essentials
from tests.conftest import INFRA_CONFIG

MESH = """\
istio: {version: 1.30.3}
namespaces: [{name: shop}, {name: ai}]
telemetry:
  resources:
    - name: mesh
      metrics:
        - providers: [{name: prometheus}]
          overrides:
            - match: {metric: REQUEST_COUNT}
              tagOverrides: {model: {value: "request.headers['x-model']"}}
    - name: ai-sizes
      namespace: ai
      metrics:
        - providers: [{name: prometheus}]
          overrides:
            - match: {metric: REQUEST_SIZE}
              disabled: true
monitoring:
  prometheus: {chartVersion: 29.27.0}
  grafana:
    chartVersion: 12.11.1
    adminSecret: {name: grafana-admin}
    datasource: {name: Metrics, uid: metrics}
%s
services:
  - {name: cart, namespace: shop, chart: repo/cart, version: 1.0.0}
  - {name: "llm-\\u00e9", namespace: ai, chart: repo/llm, version: 1.0.0}
"""

STACK = """\
istio: {version: 1.30.3}
namespaces: [{name: shop}]
monitoring:
  stack: kube-prometheus-stack
  kubePrometheusStack: {release: kps, chartVersion: 88.5.3}
  grafana: {adminSecret: {name: admin}}
services:
  - {name: cart, namespace: shop, chart: repo/cart, version: 1.0.0}
"""


def _same(a: Any, b: Any) -> bool:
    """Equal in value and in type at every level (`1`, `1.0` and `True` differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def _texts_in(node: Any) -> set[str]:
    """Every string in a rendered document."""
    if isinstance(node, dict):
        return set().union(*map(_texts_in, node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*map(_texts_in, node)) if node else set()
    return {node} if isinstance(node, str) else set()


def _carried(project: api.Project) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (file.path, name, board.text, board.checked)
        for file in project.files
        for name, board in file.dashboards
    ]


def _carried_queries(project: api.Project) -> dict[str, tuple[str, tuple[DashboardQuery, ...]]]:
    """By dashboard name: the text and the carried analysis of its queries, where carried."""
    return {
        name: (board.text, board.queries)
        for file in project.files
        for name, board in file.dashboards
        if board.queries is not None
    }


@pytest.mark.parametrize(
    "text",
    [
        MESH % "    dashboardDelivery: configMaps",
        MESH % "    dashboardDelivery: values",
        STACK,
        STACK.replace("{adminSecret: {name: admin}}", "{dashboardDelivery: configMaps}"),
    ],
    ids=["configmaps", "values", "kube-prometheus-stack", "stack-configmaps"],
)
def test_carried_data_is_what_the_written_text_parses_to(
    write_config: Callable[..., Path], text: str
) -> None:
    project = api.load_project(write_config(text))
    assert not [d for d in project.diagnostics if d.severity.name == "ERROR"]
    carried = _carried(project)
    assert sorted({name for _, name, _, _ in carried}) == sorted(
        svc.name for svc in project.loaded.config.services
    )
    for path, name, written, checked in carried:
        file = next(f for f in project.files if f.path == path)
        assert written in _texts_in(file.data), (path, name)
        assert _same(checked, essentials(json.loads(written))), (path, name)
    queries = _carried_queries(project)
    # A DNS-label name fills the template, queries included; `llm-\u00e9` is built alone.
    assert sorted(queries) == sorted({name for _, name, _, _ in carried} - {"llm-\u00e9"})
    for written, analysed in queries.values():
        assert analysed == tuple(dashboard_queries(essentials(json.loads(written))))


def test_the_reference_config_carries_every_generated_dashboard() -> None:
    project = api.load_project(INFRA_CONFIG)
    carried = _carried(project)
    assert carried
    for _, name, written, checked in carried:
        assert _same(checked, essentials(json.loads(written))), name
    queries = _carried_queries(project)
    assert sorted(queries) == sorted(name for _, name, _, _ in carried)
    for written, analysed in queries.values():
        assert analysed == tuple(dashboard_queries(essentials(json.loads(written))))


def test_a_dashboard_replaced_through_values_is_checked_as_written(
    write_config: Callable[..., Path],
) -> None:
    broken = json.dumps(
        {"title": "x", "panels": [{"title": "p", "targets": [{"expr": "sum(rate(up[5m])"}]}]}
    )
    values = (
        "    dashboardDelivery: values\n"
        "    values:\n"
        f"      dashboards: {{services: {{cart: {{json: {json.dumps(broken)}}}}}}}"
    )
    project = api.load_project(write_config(MESH % values))
    found = [d for d in api.validate_project(project) if d.code == "G109"]
    assert [d.message for d in found] == [
        "dashboard 'cart' panel 'p': invalid PromQL (unclosed left parenthesis) in "
        "sum(rate(up[5m])"
    ]


def test_the_checks_read_the_carried_analysis_not_their_own() -> None:
    from meshgen.checks.build import from_project
    from meshgen.checks.grafana.common import queries_of

    project = api.load_project(INFRA_CONFIG)
    ctx = from_project(project)
    generated = [doc for doc in ctx.dashboards if doc.queries is not None]
    assert generated
    for doc in generated:
        assert queries_of(ctx, doc) is doc.queries
