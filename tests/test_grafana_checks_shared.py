"""G109, G110, G111 share one analysis of each dashboard, and say exactly what they said.

The checks analyse each dashboard's queries once per run (`checks.grafana.common.queries_of`) and
judge each distinct read once (`grafana_telemetry._Analysis.hits`); the messages (panel
and scope lists, in order) are pinned below for a project with local copies of a
dashboard, a grafana.com one, services and namespace, workload and mesh-wide overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from meshgen import api
from meshgen.checks.grafana import common as grafana_common
from meshgen.checks.grafana import telemetry as grafana_telemetry

CONFIG = """\
istio: {version: 1.30.3}
namespaces: [{name: apps}, {name: shop}]
telemetry:
  resources:
    - name: mesh-default
      metrics:
        - overrides:
            - match: {metric: REQUEST_COUNT, mode: CLIENT}
              tagOverrides: {response_code: {operation: REMOVE}}
    - name: apps-off
      namespace: apps
      metrics:
        - overrides:
            - match: {metric: REQUEST_DURATION}
              disabled: true
    - name: api-server
      namespace: shop
      selector: {matchLabels: {app: api}}
      metrics:
        - overrides:
            - match: {metric: REQUEST_COUNT, mode: SERVER}
              disabled: true
            - match: {metric: REQUEST_SIZE, mode: SERVER}
              tagOverrides: {destination_workload: {operation: REMOVE}}
services:
  - {name: api, namespace: shop, chart: bitnami/nginx, version: 1.0.0}
  - {name: web, namespace: shop, chart: bitnami/nginx, version: 1.0.0}
  - {name: worker, namespace: apps, chart: bitnami/nginx, version: 1.0.0}
monitoring:
  grafana:
    chartVersion: 12.11.1
    dashboards:
      - {name: istio-mesh, gnetId: 7639, revision: 330}
      - {name: team, file: team.json}
      - {name: team-copy, file: team-copy.json}
"""

TEAM_DASHBOARD = r"""{
  "title": "Team",
  "uid": "team",
  "templating": {"list": [
    {"name": "qrep", "type": "custom", "query": "source,destination", "includeAll": false},
    {"name": "workload", "type": "query", "query": "label_values(istio_requests_total{reporter=\"destination\"}, destination_workload)"}
  ]},
  "panels": [
    {"title": "Requests", "targets": [
      {"expr": "sum by (response_code) (rate(istio_requests_total{reporter=~\"$qrep\"}[$__rate_interval]))"}]},
    {"title": "Latency", "targets": [
      {"expr": "histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{destination_workload=~\"$workload\"}[5m])))"}]},
    {"title": "API", "panels": [
      {"title": "API requests", "targets": [
        {"expr": "sum(rate(istio_requests_total{reporter=\"destination\",destination_workload=\"api\",destination_workload_namespace=\"shop\"}[5m]))"},
        {"expr": "sum by (destination_workload) (rate(istio_request_bytes_sum{destination_workload=\"api\"}[5m]))"}]},
      {"title": "Broken", "targets": [{"expr": "sum(rate(istio_requests_total[5m])"}]}
    ]}
  ]
}
"""

#: (code, line, column, message, related (file, line, column)) of every G diagnostic, in order.
_Expected = list[tuple[str, int, int, str, list[tuple[str, int, int]]]]

EXPECTED: _Expected = [
    (
        "G111",
        9,
        45,
        "Telemetry istio-system/mesh-default removes response_code, which 4 panels of dashboard 'istio-mesh' (grafana.com 7639) need (client side)",
        [("meshgen.yaml", 33, 9)],
    ),
    (
        "G111",
        9,
        45,
        "Telemetry istio-system/mesh-default removes response_code, which panel 'Requests' of dashboard 'team' needs (client side)",
        [("team.json", 10, 17)],
    ),
    (
        "G111",
        9,
        45,
        "Telemetry istio-system/mesh-default removes response_code, which panel 'Requests' of dashboard 'team-copy' needs (client side)",
        [("team-copy.json", 10, 17)],
    ),
    (
        "G110",
        15,
        25,
        "Telemetry apps/apps-off disables istio_request_duration_milliseconds_bucket, which 1 panel of dashboard 'istio-mesh' (grafana.com 7639) reads (client side)",
        [("meshgen.yaml", 33, 9)],
    ),
    (
        "G110",
        15,
        25,
        "Telemetry apps/apps-off disables istio_request_duration_milliseconds_bucket, which panel 'Latency' of dashboard 'team' reads (client and server side)",
        [("team.json", 12, 17)],
    ),
    (
        "G110",
        15,
        25,
        "Telemetry apps/apps-off disables istio_request_duration_milliseconds_bucket, which panel 'Latency' of dashboard 'team-copy' reads (client and server side)",
        [("team-copy.json", 12, 17)],
    ),
    (
        "G110",
        22,
        25,
        "Telemetry shop/api-server disables istio_requests_total, which 3 panels of dashboard 'team' read (server side)",
        [("team.json", 10, 17), ("team.json", 15, 19), ("team.json", 6, 53)],
    ),
    (
        "G110",
        22,
        25,
        "Telemetry shop/api-server disables istio_requests_total, which 3 panels of dashboard 'team-copy' read (server side)",
        [("team-copy.json", 10, 17), ("team-copy.json", 15, 19), ("team-copy.json", 6, 53)],
    ),
    (
        "G111",
        24,
        52,
        "Telemetry shop/api-server removes destination_workload, which panel 'API requests' of dashboard 'team' needs (server side)",
        [("team.json", 16, 19)],
    ),
    (
        "G111",
        24,
        52,
        "Telemetry shop/api-server removes destination_workload, which panel 'API requests' of dashboard 'team-copy' needs (server side)",
        [("team-copy.json", 16, 19)],
    ),
    (
        "G109",
        17,
        49,
        "dashboard 'team-copy' panel 'Broken': invalid PromQL (unclosed left parenthesis) in sum(rate(istio_requests_total[5m])",
        [],
    ),
    (
        "G109",
        17,
        49,
        "dashboard 'team' panel 'Broken': invalid PromQL (unclosed left parenthesis) in sum(rate(istio_requests_total[5m])",
        [],
    ),
]


@pytest.fixture
def project(tmp_path: Path) -> api.Project:
    (tmp_path / "meshgen.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "team.json").write_text(TEAM_DASHBOARD, encoding="utf-8")
    copy = TEAM_DASHBOARD.replace('"uid": "team"', '"uid": "team-copy"')
    (tmp_path / "team-copy.json").write_text(copy.replace('"Team"', '"Team copy"'), "utf-8")
    return api.load_project(tmp_path / "meshgen.yaml")


def test_findings_sit_at_the_cause_and_relate_the_dashboard(project: api.Project) -> None:
    got = [
        (
            d.code,
            d.span.line,
            d.span.col,
            d.message,
            [(Path(r.file).name, r.line, r.col) for r in d.related],
        )
        for d in api.validate_project(project)
        if d.code in ("G109", "G110", "G111")  # the three that share the analysis
    ]
    assert got == EXPECTED
    assert all(len(message) < 160 for _, _, _, message, _ in got)


def test_detail_lists_every_panel_once_with_its_sides(project: api.Project) -> None:
    found = [
        d
        for d in api.validate_project(project)
        if d.code == "G110" and "dashboard 'team'" in d.message and d.span.line == 22
    ]
    assert [d.detail for d in found] == [
        (
            "panel 'Requests': istio_requests_total (server side)",
            "panel 'API requests': istio_requests_total (server side)",
            "variable $workload: istio_requests_total (server side)",
            "for service api (shop)",
        )
    ]
    mesh = [d for d in api.validate_project(project) if d.code == "G111" and "7639" in d.message]
    assert [d.detail[:-1] for d in mesh] == [
        (
            "panel 'Success Rate' (client side)",
            "panel '4xxs' (client side)",
            "panel '5xxs' (client side)",
            "panel 'HTTP/gRPC Workloads' (client side)",
        )
    ]


def test_each_dashboard_is_analysed_once_per_run(
    project: api.Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    usages: list[str] = []
    real_queries = grafana_common.dashboard_queries
    real_usages = grafana_telemetry._find_usages

    def counting_queries(data: Any) -> Any:
        calls.append(id(data))
        return real_queries(data)

    def counting_usages(ctx: Any, doc: Any) -> Any:
        usages.append(doc.name)
        return real_usages(ctx, doc)

    monkeypatch.setattr(grafana_common, "dashboard_queries", counting_queries)
    monkeypatch.setattr(grafana_telemetry, "_find_usages", counting_usages)
    api.validate_project(project, select=("G109", "G110", "G111"))
    assert calls, "no dashboard was analysed"
    assert len(calls) == len(set(calls)), "a dashboard's queries were extracted twice"
    assert len(usages) == len(set(usages)), "a dashboard's reads were collected twice"
