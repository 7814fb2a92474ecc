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

#: (code, line, column, message, related (line, column)) of every G diagnostic.
_Expected = list[tuple[str, int, int, str, list[tuple[int, int]]]]

#: The grafana.com dashboard's findings.
_ISTIO_MESH: _Expected = [
    (
        "G110",
        33,
        9,
        (
            "dashboard 'istio-mesh' (grafana.com 7639): panel 'HTTP/gRPC Workloads' reads "
            'istio_request_duration_milliseconds_bucket (client side, reporter="source"), '
            "which Telemetry apps/apps-off disables for namespace apps, service worker (apps)"
        ),
        [(15, 25)],
    ),
    (
        "G111",
        33,
        9,
        (
            "dashboard 'istio-mesh' (grafana.com 7639): panel 'Success Rate', panel '4xxs', "
            "panel '5xxs', panel 'HTTP/gRPC Workloads' need label response_code on "
            'istio_requests_total (client side, reporter="source"), which Telemetry '
            "istio-system/mesh-default removes for the mesh root (istio-system), namespace "
            "shop, service web (shop), namespace apps and 2 more"
        ),
        [(9, 45)],
    ),
]
#: The local dashboard's findings; `team-copy.json` is the same file, so it has the same ones.
_TEAM: _Expected = [
    (
        "G110",
        6,
        53,
        (
            "dashboard 'team': variable $workload reads istio_requests_total (server side, "
            'reporter="destination"), which Telemetry shop/api-server disables for service '
            "api (shop)"
        ),
        [(22, 25)],
    ),
    (
        "G110",
        10,
        17,
        (
            "dashboard 'team': panel 'Requests' reads istio_requests_total (server side, "
            'reporter="destination"), which Telemetry shop/api-server disables for service '
            "api (shop)"
        ),
        [(22, 25)],
    ),
    (
        "G111",
        10,
        17,
        (
            "dashboard 'team': panel 'Requests' needs label response_code on "
            'istio_requests_total (client side, reporter="source"), which Telemetry '
            "istio-system/mesh-default removes for the mesh root (istio-system), namespace "
            "shop, service web (shop), namespace apps and 2 more"
        ),
        [(9, 45)],
    ),
    (
        "G110",
        12,
        17,
        (
            "dashboard 'team': panel 'Latency' reads "
            'istio_request_duration_milliseconds_bucket (server side, reporter="destination" '
            'and client side, reporter="source"), which Telemetry apps/apps-off disables for '
            "namespace apps, service worker (apps)"
        ),
        [(15, 25)],
    ),
    (
        "G110",
        15,
        19,
        (
            "dashboard 'team': panel 'API requests' reads istio_requests_total (server side, "
            'reporter="destination"), which Telemetry shop/api-server disables for service '
            "api (shop)"
        ),
        [(22, 25)],
    ),
    (
        "G111",
        16,
        19,
        (
            "dashboard 'team': panel 'API requests' needs label destination_workload on "
            'istio_request_bytes_sum (server side, reporter="destination"), which Telemetry '
            "shop/api-server removes for service api (shop)"
        ),
        [(24, 52)],
    ),
    (
        "G109",
        17,
        49,
        (
            "dashboard 'team' panel 'Broken': invalid PromQL (unclosed left parenthesis) in "
            "sum(rate(istio_requests_total[5m])"
        ),
        [],
    ),
]


def _renamed(findings: _Expected, name: str) -> _Expected:
    return [
        (code, line, col, message.replace("dashboard 'team'", f"dashboard '{name}'"), spans)
        for code, line, col, message, spans in findings
    ]


EXPECTED: _Expected = [*_ISTIO_MESH, *_renamed(_TEAM, "team-copy"), *_TEAM]


@pytest.fixture
def project(tmp_path: Path) -> api.Project:
    (tmp_path / "meshgen.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "team.json").write_text(TEAM_DASHBOARD, encoding="utf-8")
    copy = TEAM_DASHBOARD.replace('"uid": "team"', '"uid": "team-copy"')
    (tmp_path / "team-copy.json").write_text(copy.replace('"Team"', '"Team copy"'), "utf-8")
    return api.load_project(tmp_path / "meshgen.yaml")


def test_messages_list_panels_and_scopes_as_before(project: api.Project) -> None:
    got = [
        (d.code, d.span.line, d.span.col, d.message, [(r.line, r.col) for r in d.related])
        for d in api.validate_project(project)
        if d.code in ("G109", "G110", "G111")  # the three that share the analysis
    ]
    assert got == EXPECTED


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
