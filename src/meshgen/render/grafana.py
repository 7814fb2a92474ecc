"""`values/grafana-values.yaml`: datasource, dashboard providers and dashboards (reference 2.3).

Provider name == `dashboards` key, provider path == /var/lib/grafana/dashboards/<name>,
providers under the `dashboardproviders.yaml` key, grafana.com dashboards pinned and bound to
the datasource through the list form of `datasource` (DS_PROMETHEUS).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshgen.load.values import merge_values
from meshgen.models import Grafana, MeshConfig
from meshgen.render import naming
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.datasource import env_value_from, external_fields, provisioning_literal
from meshgen.render.files import Carried, RenderedFile
from meshgen.render.prometheus import escape_tpl, service_url

SERVICE_DASHBOARD_FOLDER = "services"


def provider(name: str, folder: str) -> dict[str, Any]:
    return {
        "name": name,
        "orgId": 1,
        "folder": folder,
        "type": "file",
        "disableDeletion": False,
        "editable": True,
        "options": {"path": naming.dashboard_provider_path(name)},
    }


def datasource(config: MeshConfig, grafana: Grafana) -> dict[str, Any]:
    prometheus = config.monitoring.prometheus
    source = grafana.datasource
    url = (
        source.url
        or service_url(config)
        or "http://prometheus-server.monitoring.svc.cluster.local:80"
    )
    json_data: dict[str, Any] = {
        "timeInterval": escape_tpl(prometheus.scrape_interval if prometheus else "15s")
    }
    secure: dict[str, str] = {}
    if source.external:
        more, secure = external_fields(source)
        json_data.update({key: escape_tpl(str(value)) for key, value in more.items()})
    # The chart passes datasources through `tpl`: every string from the config stays literal.
    # Grafana expands `$VAR` in provisioned values: what the config says is meant literally.
    entry: dict[str, Any] = {
        "name": escape_tpl(provisioning_literal(source.name)),
        "type": "prometheus",
        "uid": escape_tpl(provisioning_literal(source.uid)),
        "url": escape_tpl(provisioning_literal(url)),
        "access": "proxy",
        "isDefault": True,
        "jsonData": json_data,
    }
    if secure:
        entry["secureJsonData"] = {key: escape_tpl(value) for key, value in secure.items()}
    return entry


def dashboards(
    grafana: Grafana,
    files: Mapping[str, str],
    generated: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """`dashboards.<provider>.<name>` entries; a provider per folder."""
    by_provider: dict[str, dict[str, Any]] = {}
    for dash in grafana.dashboards:
        entries = by_provider.setdefault(dash.folder, {})
        if dash.gnet_id is not None:
            entry: dict[str, Any] = {"gnetId": dash.gnet_id}
            if dash.revision is not None:
                entry["revision"] = dash.revision
            entry["datasource"] = [{"name": "DS_PROMETHEUS", "value": grafana.datasource.name}]
            entries[dash.name] = entry
        elif dash.url is not None:
            # Istio's source files pick the datasource with their own `$datasource` variable.
            entries[dash.name] = {"url": dash.url}
        else:
            entries[dash.name] = {"json": files.get(dash.name, "{}")}
    if generated:
        entries = by_provider.setdefault(SERVICE_DASHBOARD_FOLDER, {})
        for name, text in sorted(generated.items()):
            entries[name] = {"json": text}
    return by_provider


def grafana_values(
    config: MeshConfig,
    grafana: Grafana,
    files: Mapping[str, str],
    generated: Mapping[str, str],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if grafana.admin_secret is not None:
        values["admin"] = {
            "existingSecret": escape_tpl(grafana.admin_secret.name),  # tpl-ed by the chart
            "userKey": grafana.admin_secret.user_key,
            "passwordKey": grafana.admin_secret.password_key,
        }
    values["podLabels"] = {"sidecar.istio.io/inject": "false"}
    env = env_value_from(grafana.datasource)
    if env:
        values["envValueFrom"] = env  # Secret-held datasource header values
    values["datasources"] = {
        "datasources.yaml": {"apiVersion": 1, "datasources": [datasource(config, grafana)]}
    }
    boards = {} if grafana.config_maps else dashboards(grafana, files, generated)
    if grafana.config_maps:
        # The dashboards go as ConfigMaps the sidecar loads (render/dashboard_configmaps.py).
        from meshgen.render.dashboard_sidecar import sidecar_values

        values.update(sidecar_values())
    elif boards:
        values["dashboardProviders"] = {
            "dashboardproviders.yaml": {
                "apiVersion": 1,
                "providers": [provider(name, name) for name in boards],
            }
        }
        values["dashboards"] = boards
    return merge_values(values, grafana.values)


def render(
    inputs: RenderInputs, generated: Mapping[str, str], carried: Carried = ()
) -> list[RenderedFile]:
    """The grafana chart's values; `carried`: the generated dashboards, for the checks."""
    grafana = inputs.config.monitoring.grafana
    if grafana is None or inputs.config.monitoring.operator:
        return []  # kube-prometheus-stack: its `grafana:` section (kube_prometheus_stack.py)
    return [
        build_file(
            inputs,
            naming.GRAFANA_VALUES,
            "values/grafana-values.yaml.j2",
            [grafana_values(inputs.config, grafana, inputs.dashboard_files, generated)],
            origin=("monitoring", "grafana"),
            # Under configMaps delivery the dashboards are in their ConfigMaps, not here.
            carried=() if grafana.config_maps else carried,
        )
    ]
