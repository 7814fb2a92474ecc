"""The built-in record of Istio's dashboards, verified against the real 1.30.3 JSON.

`knowledge.dashboards` is what meshgen believes each grafana.com dashboard reads; here it is
rebuilt from `../shared/upstream/istio-1.30.3/dashboards/` with `meshgen.analysis.promql` and must be
identical, and its Istio-metric labels must agree with reference istio-telemetry.md 5.1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meshgen.analysis.dashboards import dashboard_queries, panels_of
from meshgen.knowledge.dashboards import (
    BY_GNET_ID,
    CLIENT_SIDE,
    DESTINATION,
    QREP,
    SOURCE,
    IstioDashboard,
)

RECORDS = sorted(BY_GNET_ID.values(), key=lambda d: d.gnet_id)

_DURATION_SW = {
    "le", "reporter", "connection_security_policy", "destination_service", "destination_workload",
    "destination_workload_namespace", "source_workload", "source_workload_namespace",
}  # fmt: skip
_TCP_M = {
    "destination_service",
    "destination_workload",
    "destination_workload_namespace",
    "reporter",
}
#: Reference 5.1, Istio metrics: metric -> labels, per dashboard (transcribed by hand).
REFERENCE_5_1: dict[str, dict[str, set[str]]] = {
    "mesh": {
        "istio_requests_total": {
            "destination_service", "destination_workload", "destination_workload_namespace",
            "reporter", "response_code",
        },
        "istio_request_duration_milliseconds_bucket": {
            "le", "reporter", "destination_workload", "destination_workload_namespace",
        },
        "istio_tcp_sent_bytes_total": _TCP_M,
        "istio_tcp_received_bytes_total": _TCP_M,
        "istio_build": {"component", "tag"},
    },
    "service": {
        "istio_requests_total": {
            "connection_security_policy", "destination_cluster", "destination_service",
            "destination_workload", "destination_workload_namespace", "reporter", "response_code",
            "source_cluster", "source_workload", "source_workload_namespace",
        },
        "istio_request_duration_milliseconds_bucket": _DURATION_SW,
        "istio_request_duration_seconds_bucket": _DURATION_SW,
        "istio_request_bytes_bucket": _DURATION_SW,
        "istio_response_bytes_bucket": _DURATION_SW,
        "istio_tcp_sent_bytes_total": _TCP_M | {
            "connection_security_policy", "destination_cluster", "source_cluster",
            "source_workload", "source_workload_namespace",
        },
        "istio_tcp_received_bytes_total": _TCP_M | {
            "connection_security_policy", "source_workload", "source_workload_namespace",
        },
    },
    "workload": {
        "istio_requests_total": {
            "connection_security_policy", "destination_principal", "destination_service",
            "destination_workload", "destination_workload_namespace", "reporter", "response_code",
            "source_workload", "source_workload_namespace",
        },
        "istio_request_duration_milliseconds_bucket": _DURATION_SW,
        "istio_request_duration_seconds_bucket": _DURATION_SW,
        "istio_request_bytes_bucket": _DURATION_SW,
        "istio_response_bytes_bucket": _DURATION_SW,
        "istio_tcp_sent_bytes_total": _TCP_M | {
            "connection_security_policy", "source_workload", "source_workload_namespace",
        },
        "istio_tcp_received_bytes_total": _TCP_M | {
            "connection_security_policy", "source_workload", "source_workload_namespace",
        },
    },
    "performance": {
        "istio_requests_total": {"reporter", "source_workload"},
        "istio_request_bytes_sum": {"reporter", "source_workload_namespace"},
        "istio_response_bytes_sum": {"reporter", "source_workload", "source_workload_namespace"},
        "istio_build": {"component", "tag"},
    },
    "control-plane": {"istio_build": {"component", "tag"}},
}  # fmt: skip


def _load(upstream: Path, record: IstioDashboard) -> dict[str, Any]:
    path = upstream / "istio-1.30.3" / "dashboards" / record.file
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.key)
def test_record_is_what_the_dashboard_reads(upstream: Path, record: IstioDashboard) -> None:
    data = _load(upstream, record)
    assert data["title"] == record.title
    assert data.get("uid") == record.uid
    assert panels_of(data) == record.panels


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.key)
def test_every_expression_parses(upstream: Path, record: IstioDashboard) -> None:
    queries = list(dashboard_queries(_load(upstream, record)))
    assert len(queries) >= 10
    bad = [(q.title, q.expression, q.query.error) for q in queries if not q.query.ok]
    assert bad == []


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.key)
def test_record_agrees_with_reference_5_1(record: IstioDashboard) -> None:
    expected = REFERENCE_5_1[record.key]
    istio = {m for m in record.metrics if m.startswith("istio_")}
    assert istio == set(expected)
    for metric, labels in expected.items():
        assert record.labels_of(metric) == labels, metric


def test_reporter_sides_per_dashboard() -> None:
    """Mesh: client side only; Service/Workload: `$qrep` plus fixed-side variables."""
    mesh, service, workload = BY_GNET_ID[7639], BY_GNET_ID[7636], BY_GNET_ID[7630]
    assert mesh.views_of("istio_requests_total") == set(CLIENT_SIDE)
    assert set(QREP) <= service.views_of("istio_requests_total")
    variables = {p.title: p for p in service.panels if p.variable}
    assert all(r.views == DESTINATION for r in variables["dstwl"].reads)
    workload_vars = {p.title: p for p in workload.panels if p.variable}
    assert all(r.views == SOURCE for r in workload_vars["dstsvc"].reads)
    never_read = {
        "istio_tcp_connections_opened_total",
        "istio_tcp_connections_closed_total",
        "istio_request_messages_total",
        "istio_response_messages_total",
    }
    assert not any(never_read & d.metrics for d in RECORDS)


def test_upstream_dashboards_lint_clean(upstream: Path) -> None:
    from meshgen.checks.lint import lint_files

    paths = [upstream / "istio-1.30.3" / "dashboards" / r.file for r in RECORDS]
    codes = {d.code for d in lint_files(paths) if d.code.startswith("G")}
    assert codes == set()


def test_a_broken_expression_is_reported(upstream: Path, tmp_path: Path) -> None:
    from meshgen.checks.lint import lint_files

    record = BY_GNET_ID[7636]
    text = (upstream / "istio-1.30.3" / "dashboards" / record.file).read_text(encoding="utf-8")
    # The "Server Request Volume" query as written in the JSON file (escaped quotes).
    good = (
        'round(sum(irate(istio_requests_total{reporter=\\"destination\\",'
        'destination_service=\\"$service\\"}[$__rate_interval])), 0.001)'
    )
    assert text.count(good) == 1
    broken = good.replace("[$__rate_interval]))", "[$__rate_interval])")
    path = tmp_path / record.file
    path.write_text(text.replace(good, broken), encoding="utf-8")
    found = [d for d in lint_files([path]) if d.code == "G109"]
    assert len(found) == 1
    (diagnostic,) = found
    assert "'Server Request Volume'" in diagnostic.message
    assert "unclosed left parenthesis" in diagnostic.message
    index = text.index(good)
    line = text.count("\n", 0, index) + 1
    col = index - text.rfind("\n", 0, index)
    assert (diagnostic.span.line, diagnostic.span.col) == (line, col)


def test_upstream_dashboards_provisioned_from_files_validate_clean(
    upstream: Path, tmp_path: Path
) -> None:
    """Istio's repo JSON, file-provisioned next to a differently named datasource."""
    from meshgen import api

    entries = []
    for record in RECORDS:
        (tmp_path / record.file).write_text(
            (upstream / "istio-1.30.3" / "dashboards" / record.file).read_text(encoding="utf-8"),
            encoding="utf-8",
        )
        entries.append(f"      - {{name: {record.key}, file: {record.file}}}")
    config = tmp_path / "meshgen.yaml"
    config.write_text(
        "istio: {version: 1.30.3}\n"
        "namespaces: [{name: apps}]\n"
        "monitoring:\n"
        "  prometheus: {chartVersion: 29.27.0}\n"
        "  grafana:\n"
        "    chartVersion: 12.11.1\n"
        "    datasource: {name: Metrics, uid: metrics}\n"
        "    dashboards:\n" + "\n".join(entries) + "\n",
        encoding="utf-8",
    )
    diagnostics = api.validate_project(api.load_project(config))
    assert [d.format_text() for d in diagnostics if d.code.startswith(("G", "X"))] == []
