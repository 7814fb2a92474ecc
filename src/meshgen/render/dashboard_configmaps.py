"""`monitoring.grafana.dashboardDelivery: configMaps`: dashboards as sidecar-loaded ConfigMaps.

For clusters that cannot reach grafana.com (reference stacks 5): every local `file:`
dashboard and every generated service dashboard becomes one ConfigMap under
`manifests/dashboards/<folder>/`, in one release per Grafana folder,
`grafana-dashboards-<folder>`. The Grafana chart's dashboards
sidecar (grafana 12.x `sidecar.dashboards.*`, on by default in kube-prometheus-stack) watches
ConfigMaps carrying its label and writes each `data` key to a file; the folder annotation
puts it in the Grafana folder the config names (`provider.foldersFromFilesStructure`).

One ConfigMap per dashboard, never packed: Kubernetes limits each object's data to 1 MiB
(G121), and Istio's sample splits its dashboards over two ConfigMaps to stay under it; one
per dashboard goes all the way: a dashboard stands alone against the limit, adding one never
pushes its neighbours over (nor moves them to another object), and a diff reads per
dashboard. Objects are cheap; a release has Helm's own limit of 1 MiB stored (H150), which a
few hundred dashboards in one release pass: hence one release per Grafana folder, so that a
large mesh (a thousand generated service dashboards, teams with folders of their own) fits,
and a folder still too large is the one H150 names.

The release does not `need` Grafana: the sidecar watches the API and loads a ConfigMap
whenever it appears, before or after Grafana starts, so ordering would only serialise two
releases that do not depend on each other (and let dashboards sync on their own).

The labels are read from the Grafana values as rendered (meshgen's plus the config's
`values`, or kube-prometheus-stack's defaults): the ConfigMaps carry what the sidecar
really watches, even when the config's values rename the label.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from meshgen.models import Grafana, MeshConfig
from meshgen.records import record
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.dashboard_sidecar import LABEL_VALUE, Watch, watch
from meshgen.render.files import Carried, RenderedFile

#: Release names are `<RELEASE>-<folder>`, one per Grafana folder.
RELEASE = "grafana-dashboards"
DIR = "manifests/dashboards"
TEMPLATE = "manifests/dashboard-configmap.yaml.j2"
_NOT_NAME = re.compile(r"[^a-z0-9-]+")
_NOT_KEY = re.compile(r"[^-._a-zA-Z0-9]+")


def _dns_name(text: str, limit: int) -> str:
    """`text` as a DNS-1123 name of at most `limit`; a changed name gets a hash suffix."""
    name = _NOT_NAME.sub("-", text.lower()).strip("-") or "dashboard"
    if name == text and len(name) <= limit:
        return name
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def configmap_name(folder: str, name: str) -> str:
    """The ConfigMap of dashboard `name` in `folder` (a DNS-1123 subdomain label)."""
    return _dns_name(f"dashboard-{folder}-{name}", 63)


def data_key(name: str) -> str:
    """The `data` key, which the sidecar writes as the dashboard's file name."""
    key = _NOT_KEY.sub("-", name).strip(".") or "dashboard"
    return f"{key[:240]}.json"


def folder_dir(folder: str) -> str:
    """The folder of the tree holding one Grafana folder's ConfigMaps (its release's chart)."""
    return f"{DIR}/{_dns_name(folder, 40)}"


def release_name(folder: str) -> str:
    """The release of one Grafana folder's ConfigMaps (Helm allows 53 characters)."""
    return _dns_name(f"{RELEASE}-{folder}", 53)


def configmap_file(folder: str, name: str) -> str:
    return f"{folder_dir(folder)}/{configmap_name(folder, name)}.yaml"


@record(slots=True)
class DashboardConfigMap:
    """One dashboard's ConfigMap and where it came from."""

    name: str
    folder: str
    path: str
    manifest: dict[str, Any]
    #: The config key that declares it (`monitoring.grafana.dashboards[i]` or `services[i]`).
    origin: tuple[str | int, ...]


def configmaps(
    config: MeshConfig,
    grafana: Grafana,
    files: Mapping[str, str],
    generated: Mapping[str, str],
    sidecar: Watch,
) -> list[DashboardConfigMap]:
    """Every dashboard's ConfigMap: file dashboards, then the generated ones.

    A grafana.com dashboard (`gnetId`) has no local JSON and gets none (G120 says so).
    """
    from meshgen.render.grafana import SERVICE_DASHBOARD_FOLDER

    wanted: list[tuple[str, str, str, tuple[str | int, ...]]] = []
    for index, dash in enumerate(grafana.dashboards):
        text = files.get(dash.name)
        if dash.file is not None and text is not None:
            declared = ("monitoring", "grafana", "dashboards", index)
            wanted.append((dash.name, dash.folder, text, declared))
    services = {svc.name: index for index, svc in enumerate(config.services)}
    for name, text in sorted(generated.items()):
        origin: tuple[str | int, ...] = ("services", services[name]) if name in services else ()
        wanted.append((name, SERVICE_DASHBOARD_FOLDER, text, origin))
    out = []
    taken: set[str] = set()
    for name, folder, text, origin in wanted:
        path = configmap_file(folder, name)
        if path in taken:  # the same name twice in one folder: Grafana loads one of them
            continue
        taken.add(path)
        labels = {sidecar.label: sidecar.label_value or LABEL_VALUE}
        metadata: dict[str, Any] = {
            "name": configmap_name(folder, name),
            "namespace": config.monitoring.namespace,
            "labels": labels,
        }
        if sidecar.folder_annotation:
            metadata["annotations"] = {sidecar.folder_annotation: folder}
        manifest = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": metadata,
            "data": {data_key(name): text},
        }
        out.append(DashboardConfigMap(name, folder, path, manifest, origin))
    return out


def rendered_grafana_values(
    config: MeshConfig, grafana: Grafana, files: Mapping[str, str], generated: Mapping[str, str]
) -> dict[str, Any]:
    """The grafana chart's values as rendered, as the chart sees them.

    Under kube-prometheus-stack: the stack's `grafana:` section (meshgen's values, then the
    stack's `values`) over the stack's defaults for its grafana subchart.
    """
    from meshgen.render.grafana import grafana_values

    values = grafana_values(config, grafana, files, generated)
    if not config.monitoring.operator:
        return values
    from meshgen.knowledge.kube_prometheus_stack import grafana_subchart_values
    from meshgen.render.kube_prometheus_stack import stack_values

    section = stack_values(config, values).get("grafana")
    return grafana_subchart_values(section if isinstance(section, Mapping) else {})


def dashboard_configmaps(
    config: MeshConfig, files: Mapping[str, str], generated: Mapping[str, str]
) -> list[DashboardConfigMap]:
    """The ConfigMaps this config renders (none unless `dashboardDelivery: configMaps`)."""
    grafana = config.monitoring.grafana
    if grafana is None or not grafana.config_maps:
        return []
    values = rendered_grafana_values(config, grafana, files, generated)
    return configmaps(config, grafana, files, generated, watch(values))


Placed = Callable[[str, list[str]], dict[str, Any]]


def folders(inputs: RenderInputs) -> list[str]:
    """The Grafana folders that get ConfigMaps, in config order (service dashboards last)."""
    from meshgen.render.grafana import SERVICE_DASHBOARD_FOLDER

    config = inputs.config
    grafana = config.monitoring.grafana
    if grafana is None or not grafana.config_maps:
        return []
    found = [
        d.folder
        for d in grafana.dashboards
        if d.file is not None and d.name in inputs.dashboard_files
    ]
    if grafana.service_dashboards and config.services:
        found.append(SERVICE_DASHBOARD_FOLDER)
    return list(dict.fromkeys(found))


def releases(inputs: RenderInputs, placed: Placed) -> list[dict[str, Any]]:
    """One release of plain manifests per Grafana folder that holds a ConfigMap."""
    namespace = inputs.config.monitoring.namespace
    return [
        {
            "name": release_name(folder),
            "namespace": namespace,
            "chart": f"./{folder_dir(folder)}",
            **placed(namespace, []),
            "labels": {"tier": "monitoring", "component": RELEASE},
        }
        for folder in folders(inputs)
    ]


def render(
    inputs: RenderInputs, generated: Mapping[str, str], carried: Carried = ()
) -> list[RenderedFile]:
    """One file per dashboard ConfigMap; a generated one carries its data for the checks."""
    by_name = dict(carried)
    return [
        build_file(
            inputs,
            cm.path,
            TEMPLATE,
            [cm.manifest],
            origin=cm.origin,
            carried=((cm.name, by_name[cm.name]),) if cm.origin[:1] == ("services",) else (),
            dashboard=cm.name,
            folder=cm.folder,
        )
        for cm in dashboard_configmaps(inputs.config, inputs.dashboard_files, generated)
    ]
