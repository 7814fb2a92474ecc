"""knowledge.ambient and the ambient renderer against the real upstream files and charts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from meshgen.analysis import promql
from meshgen.knowledge import ambient as facts
from meshgen.render import ambient

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
ZTUNNEL_DASHBOARD = (
    SHARED / "upstream" / "istio-1.30.3" / "dashboards" / "ztunnel-dashboard.gen.json"
)
CHARTS = SHARED / "charts" / "istio-1.30.3"


@pytest.mark.skipif(not ZTUNNEL_DASHBOARD.is_file(), reason=f"not found: {ZTUNNEL_DASHBOARD}")
def test_ztunnel_dashboard_facts() -> None:
    data = json.loads(ZTUNNEL_DASHBOARD.read_text())
    assert data["uid"] == facts.ZTUNNEL_DASHBOARD_UID
    assert data["title"] == facts.ZTUNNEL_DASHBOARD_TITLE
    scoped: set[str] = set()
    for panel in data["panels"]:
        for target in panel.get("targets", ()):
            for selector in promql.analyze(target["expr"]).selectors:
                scoped |= {m.name for m in selector.matchers if m.name != "__name__"}
    # `container` is cAdvisor's (kubelet), `component` istio_build's own label.
    assert scoped - {"container", "component"} == facts.ZTUNNEL_DASHBOARD_LABELS


@pytest.mark.skipif(not CHARTS.is_dir(), reason=f"chart sources not found at {CHARTS}")
def test_ztunnel_and_waypoint_ports_are_the_charts() -> None:
    daemonset = (CHARTS / "ztunnel" / "templates" / "daemonset.yaml").read_text()
    assert f"app: {ambient.ZTUNNEL_APP}\n" in daemonset
    assert f"- containerPort: 15020\n          name: {ambient.ZTUNNEL_METRICS_PORT}\n" in daemonset
    values = yaml.safe_load((CHARTS / "ztunnel" / "values.yaml").read_text())
    annotations = values["_internal_defaults_do_not_set"]["podAnnotations"]
    assert annotations == {"prometheus.io/port": "15020", "prometheus.io/scrape": "true"}
    waypoint = (CHARTS / "istiod" / "files" / "waypoint.yaml").read_text()
    assert f"name: {ambient.WAYPOINT_METRICS_PORT}\n" in waypoint
    assert f'"prometheus.io/path" "{ambient.WAYPOINT_METRICS_PATH}"' in waypoint
    assert f'"{ambient.WAYPOINT_CLASS_LABEL}" .GatewayClass' in waypoint


def test_service_waypoint_reaches_convention_charts_only() -> None:
    """`services[].waypoint`: `service.labels` for meshgen's chart convention, nothing for
    a chart with its own pod labels (C144 says so); the Gateway is rendered either way."""
    from meshgen.models import MeshConfig
    from meshgen.render.services import service_values

    config = MeshConfig.model_validate(
        {
            "istio": {"version": "1.30.3", "dataplane": "ambient"},
            "namespaces": [{"name": "apps"}],
            "services": [
                {"name": "api", "namespace": "apps", "chart": "./charts/api",
                 "waypoint": {"name": "api-wp", "for": "service"}},
                {"name": "web", "namespace": "apps", "chart": "./charts/web",
                 "podLabels": {"app.kubernetes.io/name": "web"}, "waypoint": {}},
            ],
        }
    )  # fmt: skip
    api_svc, web = config.services
    assert service_values(config, api_svc)["service"] == {
        "port": 8080,
        "labels": {"istio.io/use-waypoint": "api-wp"},
    }
    assert "service" not in service_values(config, web)
    placed = [(p.namespace, p.waypoint.name, p.origin) for p in ambient.waypoints(config)]
    assert placed == [
        ("apps", "api-wp", ("services", 0, "waypoint")),
        ("apps", "waypoint", ("services", 1, "waypoint")),
    ]
