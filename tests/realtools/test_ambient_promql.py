"""C143 and the ambient per-service dashboards against a real PromQL engine.

Ambient-shaped series for tests/golden/ambient are loaded into a real Prometheus: L7
metrics from the waypoint (`reporter="waypoint"`, server side only) for the service a
waypoint serves, and ztunnel's TCP metrics for every ambient service (reported on both
sides, `reporter="source"` by the client's ztunnel and `"destination"` by the server's;
reference stacks 2 marks ztunnel's reporter value as partly unverified). Every query of
Istio's Workload and Service dashboards (the real JSON in ../shared/upstream/) then runs
for each ambient service: the panels that return nothing must be exactly the ones C143
counts (`checks.ambient.silent_panels`), and every panel of meshgen's generated dashboard
of the service must return data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meshgen import api
from meshgen.analysis.ambient import reporting
from meshgen.checks.ambient import silent_panels
from meshgen.knowledge import dashboards as istio_dashboards
from meshgen.knowledge.istio import STANDARD_METRICS
from meshgen.render.dashboards import build_dashboard
from tests.realtools import test_promql_engine as engine

REPO = Path(__file__).resolve().parent.parent.parent
CONFIG = REPO / "tests" / "golden" / "ambient" / "meshgen.yaml"
pytestmark = engine.pytestmark
RECORDS = {"istio-workload": istio_dashboards.WORKLOAD, "istio-service": istio_dashboards.SERVICE}


class _AllLabels:
    """An effective metric state that keeps every standard label (ambient: no Telemetry)."""

    added_labels: tuple[str, ...] = ()

    @staticmethod
    def has_label(label: str) -> bool:
        return True


def _series() -> str:
    config = api.load_project(CONFIG).loaded.config
    assert config is not None
    series: dict[tuple[str, str], list[float]] = {}
    kinds: dict[str, str] = {}
    for svc in config.services:
        how = reporting(config, svc)
        if how.dataplane != "ambient":
            continue
        service = engine._Workload(svc.name, svc.namespace, svc.name)
        calls = (
            (engine._Workload("loadgen", svc.namespace, "loadgen"), service),
            (service, engine._Workload("backend", svc.namespace, "backend")),
        )
        for src, dst in calls:
            for facts in STANDARD_METRICS:
                tcp = facts.name.startswith("istio_tcp_")
                if tcp:
                    reporters = ("source", "destination")  # ztunnel, both ends
                elif how.waypoint is not None and dst is service:
                    reporters = ("waypoint",)  # server side only
                else:
                    continue
                for reporter in reporters:
                    for code, share in (("200", 3), ("503", 1)):
                        side = "SERVER" if reporter != "source" else "CLIENT"
                        labels = engine._labels(side, src, dst, _AllLabels(), code)
                        labels["reporter"] = reporter
                        labels = {k: v for k, v in labels.items() if k in facts.labels}
                        engine._add(series, kinds, facts, labels, share)
    lines = []
    for family, kind in kinds.items():
        lines.append(f"# TYPE {family} {kind}")
        for (name, labels), values in series.items():
            if engine._family(name) != family:
                continue
            for step, value in enumerate(values):
                lines.append(
                    f"{name}{{{labels}}} {value} {engine.NOW - 15 * (engine.STEPS - step)}"
                )
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Any:
    server = engine._Prometheus(tmp_path_factory.mktemp("ambient-prom"), _series())
    yield server
    server.close()


@pytest.mark.parametrize("dashboard", sorted(RECORDS))
@pytest.mark.parametrize("service", ["inference-balancer", "batch-worker"])
def test_c143_names_exactly_the_panels_a_real_prometheus_leaves_empty(
    prometheus: Any, dashboard: str, service: str
) -> None:
    config = api.load_project(CONFIG).loaded.config
    assert config is not None
    (svc,) = [s for s in config.services if s.name == service]
    record = RECORDS[dashboard]
    istio_panels = {
        p.title
        for p in record.panels
        if not p.variable
        and all(
            r.metric.startswith(("istio_request", "istio_response", "istio_tcp")) for r in p.reads
        )
    }
    outcomes = engine._outcomes(prometheus, dashboard, svc)
    empty = {title for title, queries in outcomes.items() if not any(queries)} & istio_panels
    with_data = {title for title, queries in outcomes.items() if any(queries)} & istio_panels
    claimed = {p.title for p in silent_panels(record, reporting(config, svc).reporters)}
    assert with_data, f"{dashboard}: no Istio panel shows {service} at all (the series are wrong)"
    assert claimed == empty, (sorted(claimed - empty), sorted(empty - claimed))


@pytest.mark.parametrize("service", ["inference-balancer", "batch-worker"])
def test_generated_dashboard_panels_all_return_data(prometheus: Any, service: str) -> None:
    config = api.load_project(CONFIG).loaded.config
    assert config is not None
    (svc,) = [s for s in config.services if s.name == service]
    dashboard = build_dashboard(config, svc)
    values = {"datasource": "prometheus", "model": ".*"}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = engine._substitute(target["expr"], values)
            assert prometheus.query(expr), (panel["title"], expr)
    assert json.dumps(dashboard)
