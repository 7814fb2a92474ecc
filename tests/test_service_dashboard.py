"""The generated per-service dashboard: valid Grafana JSON, valid PromQL, follows the telemetry."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen import api
from meshgen.analysis.promql import analyze, analyze_variable_query
from meshgen.render import naming
from meshgen.render.dashboards import dashboard_json
from tests.conftest import INFRA_CONFIG

BASE = textwrap.dedent(
    """\
    istio: {version: 1.30.3}
    namespaces: [{name: shop}]
    telemetry:
      resources:
        - name: mesh
          metrics:
            - providers: [{name: prometheus}]
    monitoring:
      prometheus: {chartVersion: 29.27.0}
      grafana:
        chartVersion: 12.11.1
        adminSecret: {name: grafana-admin}
        datasource: {name: Metrics, uid: metrics}
    services:
      - {name: cart, namespace: shop, chart: repo/cart, version: 1.0.0}
    """
)


def _dashboard(config: Path, name: str) -> dict[str, Any]:
    project = api.load_project(config)
    assert project.rendered, [d.format_text() for d in project.diagnostics]
    values = next(f for f in project.files if f.path == naming.GRAFANA_VALUES).data
    return json.loads(values["dashboards"]["services"][name]["json"])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "meshgen.yaml"
    path.write_text(text)
    return path


def _titles(dashboard: dict[str, Any]) -> list[str]:
    return [p["title"] for p in dashboard["panels"]]


def _exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def test_infrastructure_dashboard_is_valid_grafana_json_with_valid_promql() -> None:
    dashboard = _dashboard(INFRA_CONFIG, "inference-balancer")
    assert dashboard["uid"] == "meshgen-inference-inference-balancer"
    assert dashboard["schemaVersion"] == 39
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
    for expr in _exprs(dashboard):
        assert analyze(expr).ok, expr
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["current"] == {"text": "Prometheus", "value": "prometheus"}
    assert analyze_variable_query(variables["model"]["query"]["query"]).ok
    assert _titles(dashboard) == [
        "Request rate",
        "Requests by response code",
        "Error ratio (5xx)",
        "Latency",
        "Request size",
        "Response size",
        "Requests by model",
        "p99 latency by model",
    ]


def test_dashboard_uses_the_provisioned_datasource(tmp_path: Path) -> None:
    dashboard = _dashboard(_write(tmp_path, BASE), "cart")
    assert dashboard["templating"]["list"][0]["current"] == {"text": "Metrics", "value": "metrics"}
    assert "model" not in [v["name"] for v in dashboard["templating"]["list"]]


def test_an_added_label_brings_a_variable_and_breakdown_panels(tmp_path: Path) -> None:
    text = BASE.replace(
        "        - providers: [{name: prometheus}]\n",
        "        - providers: [{name: prometheus}]\n"
        "          overrides:\n"
        "            - match: {metric: REQUEST_COUNT}\n"
        "              tagOverrides:\n"
        "                tier: {value: \"request.headers['x-tier'] == 'gold' ? 'gold' : 'std'\"}\n",
    )
    dashboard = _dashboard(_write(tmp_path, text), "cart")
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource", "tier"]
    assert "Requests by tier" in _titles(dashboard)
    assert "p99 latency by tier" not in _titles(dashboard)  # only REQUEST_COUNT carries it
    assert any('tier=~"$tier"' in e for e in _exprs(dashboard))


def test_a_disabled_metric_and_a_removed_label_leave_the_dashboard(tmp_path: Path) -> None:
    text = BASE.replace(
        "        - providers: [{name: prometheus}]\n",
        "        - providers: [{name: prometheus}]\n"
        "          overrides:\n"
        "            - match: {metric: REQUEST_SIZE}\n"
        "              disabled: true\n"
        "            - match: {metric: REQUEST_COUNT}\n"
        "              tagOverrides:\n"
        "                response_code: {operation: REMOVE}\n",
    )
    dashboard = _dashboard(_write(tmp_path, text), "cart")
    titles = _titles(dashboard)
    assert "Request size" not in titles and "Response size" in titles
    assert "Requests by response code" not in titles and "Error ratio (5xx)" not in titles
    assert all("istio_request_bytes" not in e for e in _exprs(dashboard))
    assert all("response_code" not in e for e in _exprs(dashboard) if "istio_requests_total" in e)


def test_generated_dashboards_pass_every_dashboard_check(tmp_path: Path) -> None:
    project = api.load_project(_write(tmp_path, BASE))
    diagnostics = api.validate_project(project, select=("G",))
    assert diagnostics == []


_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
_VALUE = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["uid", "title", "panels", "templating"]),
        st.one_of(_VALUE, st.lists(_VALUE, max_size=3)),
    )
)
def test_dashboard_json_is_the_same_json(dashboard: dict[str, Any]) -> None:
    text = dashboard_json(dashboard)
    assert json.loads(text) == dashboard
    assert text.endswith("}\n")


def test_ambient_dashboards_read_the_reporter_that_reports() -> None:
    """Waypoint: reporter="waypoint" under the waypoint's Telemetry (the `model` label of
    its targetRefs resource); ztunnel only: TCP panels; a sidecar service: as before."""
    from meshgen import api
    from meshgen.render.dashboards import build_dashboard

    config = Path(__file__).parent / "golden" / "ambient" / "meshgen.yaml"
    loaded = api.load_project(config).loaded.config
    assert loaded is not None
    by_name = {s.name: build_dashboard(loaded, s) for s in loaded.services}

    def exprs(name: str) -> list[str]:
        return [t["expr"] for p in by_name[name]["panels"] for t in p["targets"]]

    waypoint = exprs("inference-balancer")
    assert all('reporter="waypoint"' in e for e in waypoint)
    assert any(e.startswith("sum by (model) ") for e in waypoint)
    assert all('reporter="destination"' in e for e in exprs("legacy-api"))
    assert [p["title"] for p in by_name["batch-worker"]["panels"]] == [
        "Bytes received",
        "Bytes sent",
        "Connections opened",
        "Connections closed",
    ]
    assert exprs("batch-worker")[0] == (
        'sum(rate(istio_tcp_received_bytes_total{reporter="destination",'
        'destination_workload="batch-worker",destination_workload_namespace="batch"}'
        "[$__rate_interval]))"
    )
