"""`monitoring.kiali`: the kiali-server release and `values/kiali-values.yaml`.

Kiali is wired to what the tree renders (chart keys of kiali-server 2.29.0, reference
stacks.md 3): `external_services.prometheus.url` is the Prometheus server Service,
`external_services.grafana.internal_url` the Grafana Service (named as the grafana chart's
`grafana.fullname` names it), `dashboards` the titles of the provisioned Istio dashboards
(Kiali finds them by name), and `external_services.istio.root_namespace` Istio's namespace
(the chart's default is Kiali's own). With the Grafana admin Secret in Kiali's namespace,
Kiali reads Grafana with it (`secret:<name>:<key>`, which the chart mounts).

An external Grafana datasource (`monitoring.grafana.datasource.url`: Thanos, Mimir,
VictoriaMetrics) does not move Kiali: it keeps the rendered Prometheus, which holds the
mesh's series first and needs no tenant header or auth, and which Kiali is tested against
(kiali.io, "Compatibility with Prometheus-like servers"). With no rendered Prometheus,
`monitoring.kiali.prometheusUrl` names what Kiali reads (H140).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from meshgen.knowledge.dashboards import by_gnet_id
from meshgen.knowledge.kiali import DASHBOARD_VARIABLES
from meshgen.load.values import merge_values
from meshgen.models import Grafana, Kiali, MeshConfig
from meshgen.render import naming
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile
from meshgen.render.prometheus import service_url as prometheus_url

KIALI_VALUES = "values/kiali-values.yaml"
KIALI_REPO = "kiali"
KIALI_CHART = "kiali-server"


def namespace(config: MeshConfig, kiali: Kiali) -> str:
    """Where Kiali runs: its own `namespace`, else the monitoring namespace."""
    return kiali.namespace or config.monitoring.namespace


def grafana_url(config: MeshConfig) -> str | None:
    """The in-cluster URL of the rendered Grafana's Service."""
    grafana = config.monitoring.grafana
    if grafana is None:
        return None
    release = grafana.release
    stack = config.monitoring.kube_prometheus_stack
    if config.monitoring.operator and stack is not None:
        release = stack.release  # the grafana subchart is named by the stack's release
    name, ns, port = naming.grafana_service(
        release, config.monitoring.namespace, grafana.values
    )
    return f"http://{name}.{ns}.svc.cluster.local:{port}"


def dashboard_titles(grafana: Grafana, files: Mapping[str, str]) -> list[str]:
    """Titles of the provisioned dashboards Kiali links to (Istio's own), in config order."""
    titles: list[str] = []
    for dash in grafana.dashboards:
        title: str | None = None
        if dash.gnet_id is not None:
            known = by_gnet_id(dash.gnet_id)
            title = known.title if known else None
        elif dash.name in files:
            title = _json_title(files[dash.name])
        if title is not None and title in DASHBOARD_VARIABLES and title not in titles:
            titles.append(title)
    return titles


def _json_title(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:  # an unreadable dashboard file is reported by the G checks
        return None
    title = data.get("title") if isinstance(data, dict) else None
    return title if isinstance(title, str) else None


def _dashboard(title: str) -> dict[str, Any]:
    variables = DASHBOARD_VARIABLES[title]
    return {"name": title, **({"variables": dict(variables)} if variables else {})}


def kiali_values(config: MeshConfig, kiali: Kiali, files: Mapping[str, str]) -> dict[str, Any]:
    """The chart values: Prometheus, Grafana and the mesh root namespace."""
    services: dict[str, Any] = {"istio": {"root_namespace": config.istio.namespace}}
    prometheus = kiali.prometheus_url or prometheus_url(config)
    if prometheus is not None:
        services["prometheus"] = {"url": prometheus}
    grafana = config.monitoring.grafana
    internal = grafana_url(config)
    if grafana is None or internal is None:
        services["grafana"] = {"enabled": False}
    else:
        entry: dict[str, Any] = {
            "enabled": True,
            "internal_url": internal,
            "external_url": kiali.grafana_external_url or internal,
        }
        secret = grafana.admin_secret
        if secret is not None and namespace(config, kiali) == config.monitoring.namespace:
            entry["auth"] = {
                "type": "basic",
                "username": f"secret:{secret.name}:{secret.user_key}",
                "password": f"secret:{secret.name}:{secret.password_key}",
            }
        titles = dashboard_titles(grafana, files)
        if titles:
            entry["dashboards"] = [_dashboard(title) for title in titles]
        services["grafana"] = entry
    return merge_values({"external_services": services}, kiali.values)


def releases(
    inputs: RenderInputs, placed: Any, needs: list[str], chart_source: Any
) -> list[dict[str, Any]]:
    """The kiali-server release, after Prometheus and Grafana when rendered.

    `placed` and `chart_source` are `render.helmfile`'s: namespace needs, chart reference.
    """
    config = inputs.config
    kiali = config.monitoring.kiali
    if kiali is None:
        return []
    ns = namespace(config, kiali)
    return [
        {
            "name": kiali.release,
            "namespace": ns,
            **chart_source(inputs, KIALI_REPO, kiali.repository, KIALI_CHART, kiali.chart_version),
            **placed(ns, needs),
            "labels": {"tier": "monitoring", "component": "kiali"},
            "values": [KIALI_VALUES],
        }
    ]


def render(inputs: RenderInputs) -> list[RenderedFile]:
    kiali = inputs.config.monitoring.kiali
    if kiali is None:
        return []
    return [
        build_file(
            inputs,
            KIALI_VALUES,
            "values/kiali-values.yaml.j2",
            [kiali_values(inputs.config, kiali, inputs.dashboard_files)],
            origin=("monitoring", "kiali"),
        )
    ]
