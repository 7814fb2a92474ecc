"""`meshgen telemetry show` follows Istio's precedence rules and reports readers and cardinality."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import INFRA_CONFIG, CliResult

Run = Callable[..., CliResult]

CONFIG = textwrap.dedent(
    """\
    istio: {version: 1.30.3}
    namespaces:
      - {name: shop}
    telemetry:
      resources:
        - name: mesh
          metrics:
            - providers: [{name: prometheus}]
              overrides:
                - match: {metric: REQUEST_SIZE}
                  disabled: true
                - match: {metric: ALL_METRICS}
                  tagOverrides:
                    request_protocol: {operation: REMOVE}
        - name: shop-ns
          namespace: shop
          metrics:
            - overrides:
                - match: {metric: TCP_OPENED_CONNECTIONS, mode: CLIENT}
                  disabled: true
                - match: {metric: REQUEST_SIZE}
                  disabled: false
        - name: cart
          namespace: shop
          selector: {matchLabels: {app: cart}}
          metrics:
            - providers: [{name: stackdriver}]
        - name: api
          namespace: shop
          selector: {matchLabels: {app: api}}
          metrics:
            - overrides:
                - match: {metric: REQUEST_COUNT}
                  tagOverrides:
                    tier: {value: "request.headers['x-tier'] == 'gold' ? 'gold' : 'standard'"}
                    path: {value: "request.path"}
                - match: {metric: REQUEST_DURATION, mode: SERVER}
                  disabled: true
    monitoring:
      grafana:
        chartVersion: 12.11.1
        adminSecret: {name: grafana-admin}
        dashboards:
          - {name: istio-service, gnetId: 7636, revision: 329}
    """
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "meshgen.yaml"
    path.write_text(CONFIG)
    return path


def _show(run_cli: Run, config: Path, *scope: str) -> dict[str, Any]:
    result = run_cli("telemetry", "show", "--format", "json", "-c", str(config), *scope)
    assert result.code == 0, result
    data = json.loads(result.out)
    return {m["metric"]: m for m in data["metrics"]}


def test_mesh_scope(config: Path, run_cli: Run) -> None:
    metrics = _show(run_cli, config)
    assert metrics["REQUEST_SIZE"]["enabled"] == {"CLIENT": False, "SERVER": False}
    assert metrics["REQUEST_COUNT"]["labels"]["removed"] == ["request_protocol"]
    assert "request_protocol" not in metrics["REQUEST_COUNT"]["labels"]["kept"]
    assert metrics["REQUEST_COUNT"]["name"] == "istio_requests_total"


def test_namespace_overrides_mesh_and_disabled_false_reenables(config: Path, run_cli: Run) -> None:
    metrics = _show(run_cli, config, "--namespace", "shop")
    assert metrics["REQUEST_SIZE"]["enabled"] == {"CLIENT": True, "SERVER": True}
    assert metrics["TCP_OPENED_CONNECTIONS"]["enabled"] == {"CLIENT": False, "SERVER": True}
    # the mesh-wide REMOVE still applies below
    assert metrics["REQUEST_COUNT"]["labels"]["removed"] == ["request_protocol"]


def test_workload_providers_replace_the_parents(config: Path, run_cli: Run) -> None:
    metrics = _show(run_cli, config, "--namespace", "shop", "--workload", "app=cart")
    assert metrics["REQUEST_COUNT"]["providers"] == ["stackdriver"]
    # the namespace scope still inherits the mesh's prometheus
    assert _show(run_cli, config, "--namespace", "shop")["REQUEST_COUNT"]["providers"] == [
        "prometheus"
    ]
    text = run_cli(
        "telemetry", "show", "-c", str(config), "--workload", "app=cart", "--namespace", "shop"
    )
    assert "    providers: stackdriver (Prometheus receives nothing)" in text.out.splitlines()


def test_workload_overrides_and_cardinality(config: Path, run_cli: Run) -> None:
    metrics = _show(run_cli, config, "--namespace", "shop", "--workload", "app=api")
    count = metrics["REQUEST_COUNT"]
    added = {a["name"]: a for a in count["labels"]["added"]}
    assert added["tier"]["values"] == 2
    assert added["path"]["values"] is None
    assert count["seriesMultiplier"] is None
    assert metrics["REQUEST_DURATION"]["enabled"] == {"CLIENT": True, "SERVER": False}
    assert metrics["REQUEST_SIZE"]["enabled"] == {"CLIENT": True, "SERVER": True}


def test_readers_come_from_the_dashboard_record(config: Path, run_cli: Run) -> None:
    metrics = _show(run_cli, config)
    readers = {r["dashboard"] for r in metrics["REQUEST_COUNT"]["readBy"]}
    assert readers == {"istio-service"}
    # REQUEST_SIZE is off mesh-wide: the service dashboard's size panels are broken
    assert any(b["why"] == "metric disabled" for b in metrics["REQUEST_SIZE"]["broken"])


def test_text_output_for_the_infrastructure_config(run_cli: Run) -> None:
    result = run_cli(
        "telemetry", "show", "--workload", "app=inference-balancer", "-c", str(INFRA_CONFIG)
    )
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == (
        "Effective metrics for workload app=inference-balancer in inference "
        "(Istio's Telemetry precedence applied)"
    )
    assert "REQUEST_COUNT            client:on server:on    istio_requests_total" in lines
    assert "    series multiplier: x4 per existing series" in lines
    assert "GRPC_REQUEST_MESSAGES    client:OFF server:OFF  istio_request_messages_total" in lines


def test_show_says_who_reports_in_an_ambient_mesh() -> None:
    """Ambient: waypoint + ztunnel for the waypoint's namespace, sidecar for the other."""
    import json

    from meshgen import api

    config = Path(__file__).parent / "golden" / "ambient" / "meshgen.yaml"
    project = api.load_project(config)
    data = json.loads(api.telemetry_view(project, api.scope(config, None, None), fmt="json"))
    assert [(r["service"], r["reporters"], r["waypoint"]) for r in data["reporting"]] == [
        ("inference-balancer", ["waypoint", "ztunnel"], "waypoint"),
        ("legacy-api", ["sidecar"], None),
        ("batch-worker", ["ztunnel"], None),
    ]
    text = api.telemetry_view(project, api.scope(config, "legacy", None))
    assert text.endswith(
        "legacy/legacy-api                        sidecar  sidecar\n"
        '    metrics: all Istio metrics, reporter="source" (client) and "destination" (server)\n'
    )
