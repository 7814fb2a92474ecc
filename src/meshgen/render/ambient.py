"""The ambient data plane's part of the tree: Gateway API CRDs, istio-cni, ztunnel, waypoints.

Install order (istio.io/docs/ambient/install/helm; reference stacks 2): Gateway API CRDs,
`istio/base`, `istio/istiod` (profile ambient), `istio/cni` (profile ambient),
`istio/ztunnel`. The CRDs are not a chart: meshgen never ships upstream files, so by
default a `presync` hook of the istio-base release applies the Gateway API release
manifest with `kubectl apply --server-side` (what istio.io tells users to run by hand);
`istio.gatewayApi.install: prerequisite` leaves them to the platform and `meshgen verify`
checks they are there. Presync hooks never run for `helmfile template`/`diff`, so reading
the tree stays offline and side-effect free.

Waypoints are Gateway API `Gateway`s of class `istio-waypoint`, rendered under
`manifests/waypoints/` and installed by their own release once istiod and the namespaces
exist; istiod then deploys each waypoint's proxy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meshgen.analysis.ambient import service_is_ambient, waypoint_serving
from meshgen.load.values import merge_values
from meshgen.models import MeshConfig, Service
from meshgen.models.ambient import WAYPOINT_CLASS, WAYPOINT_FOR_LABEL, Waypoint
from meshgen.records import record
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile

CNI_RELEASE = "istio-cni"
ZTUNNEL_RELEASE = "ztunnel"
WAYPOINTS_RELEASE = "mesh-waypoints"
CNI_VALUES = "values/istio-cni-values.yaml"
ZTUNNEL_VALUES = "values/ztunnel-values.yaml"
WAYPOINTS_DIR = "manifests/waypoints"
GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
#: The HBONE listener every waypoint has (`istioctl waypoint generate`).
WAYPOINT_LISTENER = {"name": "mesh", "port": 15008, "protocol": "HBONE"}

#: The ztunnel chart's pod label and metrics port name (templates/daemonset.yaml @1.30.3).
ZTUNNEL_APP = "ztunnel"
ZTUNNEL_METRICS_PORT = "ztunnel-stats"
ZTUNNEL_METRICS_PATH = "/metrics"
#: Labels and metrics port istiod's waypoint template (istiod files/waypoint.yaml) gives
#: waypoint pods; their Envoy serves merged metrics at :15020/stats/prometheus.
WAYPOINT_CLASS_LABEL = "gateway.networking.k8s.io/gateway-class-name"
WAYPOINT_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
WAYPOINT_METRICS_PORT = "metrics"
WAYPOINT_METRICS_PATH = "/stats/prometheus"


def waypoint_file(namespace: str, name: str) -> str:
    return f"{WAYPOINTS_DIR}/{namespace}-{name}.yaml"


@record
class PlacedWaypoint:
    """A waypoint to render: its namespace, its settings and the config key naming it."""

    namespace: str
    waypoint: Waypoint
    origin: tuple[str | int, ...]


def waypoints(config: MeshConfig) -> list[PlacedWaypoint]:
    """Every waypoint the config names (namespaces first, then services), once per name."""
    found: dict[tuple[str, str], PlacedWaypoint] = {}
    for i, ns in enumerate(config.namespaces):
        if ns.waypoint is not None:
            key = (ns.name, ns.waypoint.name)
            found.setdefault(
                key, PlacedWaypoint(ns.name, ns.waypoint, ("namespaces", i, "waypoint"))
            )
    for i, svc in enumerate(config.services):
        if svc.waypoint is not None:
            key = (svc.namespace, svc.waypoint.name)
            found.setdefault(
                key, PlacedWaypoint(svc.namespace, svc.waypoint, ("services", i, "waypoint"))
            )
    return list(found.values())


def waypoint_manifest(placed: PlacedWaypoint) -> dict[str, Any]:
    return {
        "apiVersion": GATEWAY_API_VERSION,
        "kind": "Gateway",
        "metadata": {
            "name": placed.waypoint.name,
            "namespace": placed.namespace,
            "labels": {WAYPOINT_FOR_LABEL: placed.waypoint.for_},
        },
        "spec": {"gatewayClassName": WAYPOINT_CLASS, "listeners": [dict(WAYPOINT_LISTENER)]},
    }


# --- helmfile -----------------------------------------------------------------------------


def base_hooks(config: MeshConfig) -> dict[str, Any]:
    """The istio-base release's Gateway API CRD hook (ambient, `install: hook`), else {}."""
    gateway_api = config.istio.gateway_api
    if not config.ambient or gateway_api.install != "hook":
        return {}
    return {
        "hooks": [
            {
                "events": ["presync"],
                "showlogs": True,
                "command": "kubectl",
                "args": ["apply", "--server-side", "-f", gateway_api.manifest_source],
            }
        ]
    }


def release_id(namespace: str, name: str) -> str:
    """Helmfile's `needs` form, `namespace/name` (as `render.helmfile.release_id`)."""
    return f"{namespace}/{name}"


def data_plane_releases(
    inputs: RenderInputs, istiod_id: str, istio_chart: Callable[[str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """istio-cni then ztunnel (ambient), each waiting until its DaemonSet is ready.

    `istio_chart` gives a chart of the Istio repository its `chart:`/`version:` keys.
    """
    config = inputs.config
    if not config.ambient:
        return []
    istio = config.istio
    cni: dict[str, Any] = {
        "name": CNI_RELEASE,
        "namespace": istio.namespace,
        **istio_chart("cni"),
        "wait": True,
        "needs": [istiod_id],
        "labels": {"tier": "mesh", "component": "istio-cni"},
        "values": [CNI_VALUES],
    }
    ztunnel: dict[str, Any] = {
        "name": ZTUNNEL_RELEASE,
        "namespace": istio.namespace,
        **istio_chart("ztunnel"),
        "wait": True,
        "needs": [release_id(istio.namespace, CNI_RELEASE)],
        "labels": {"tier": "mesh", "component": "ztunnel"},
        "values": [ZTUNNEL_VALUES],
    }
    return [cni, ztunnel]


def waypoint_releases(inputs: RenderInputs, needs: list[str]) -> list[dict[str, Any]]:
    """The release of the waypoint Gateways, when there are any."""
    config = inputs.config
    if not waypoints(config):
        return []
    return [
        {
            "name": WAYPOINTS_RELEASE,
            "namespace": config.istio.namespace,
            "chart": f"./{WAYPOINTS_DIR}",
            "needs": needs,
            # The Gateway CRD comes from the Gateway API hook: helm-diff cannot validate
            # it on a fresh cluster.
            "disableValidationOnInstall": True,
            "labels": {"tier": "mesh", "component": "waypoints"},
        }
    ]


def service_needs(config: MeshConfig, service: Service) -> list[str]:
    """An ambient service waits for ztunnel (its pods are captured by it) and its waypoint."""
    if not service_is_ambient(config, service):
        return []
    needs = [release_id(config.istio.namespace, ZTUNNEL_RELEASE)]
    if waypoint_serving(config, service) is not None:
        needs.append(release_id(config.istio.namespace, WAYPOINTS_RELEASE))
    return needs


# --- values -------------------------------------------------------------------------------


def cni_values(config: MeshConfig) -> dict[str, Any]:
    values: dict[str, Any] = {"profile": "ambient"}
    if config.istio.revision:
        values["revision"] = config.istio.revision
    return merge_values(values, config.istio.ambient.cni_values)


def ztunnel_values(config: MeshConfig) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if config.istio.revision:
        values["revision"] = config.istio.revision
    if ztunnel_job(config):
        # meshgen's `ztunnel` scrape job reads :15020; the chart's scrape annotations would
        # have the chart's `kubernetes-pods` job scrape every series a second time.
        values["podAnnotations"] = {"prometheus.io/scrape": "false"}
    return merge_values(values, config.istio.ambient.ztunnel_values)


def ztunnel_job(config: MeshConfig) -> bool:
    """Whether the Prometheus values get meshgen's `ztunnel` scrape job.

    The prometheus chart only: with kube-prometheus-stack a PodMonitor scrapes ztunnel
    (render/ambient_monitors.py) and no job honours the chart's scrape annotations.
    """
    prometheus = config.monitoring.prometheus
    plain = not config.monitoring.operator
    return bool(config.ambient and plain and prometheus and prometheus.istio_scraping.ztunnel)


def scrape_jobs(config: MeshConfig) -> list[dict[str, Any]]:
    """The `ztunnel` job: the ztunnel pods' `ztunnel-stats` port (:15020/metrics).

    Waypoint pods need no job of their own: istiod's waypoint template annotates them
    `prometheus.io/scrape: "true"`, port 15020, path /stats/prometheus (always, after any
    Gateway infrastructure annotation), so the chart's `kubernetes-pods` job already keeps
    them; a second job would scrape every waypoint series twice.
    """
    if not ztunnel_job(config):
        return []
    return [
        {
            "job_name": "ztunnel",
            "metrics_path": ZTUNNEL_METRICS_PATH,
            "kubernetes_sd_configs": [
                {"role": "pod", "namespaces": {"names": [config.istio.namespace]}}
            ],
            "relabel_configs": [
                {
                    "source_labels": [
                        "__meta_kubernetes_pod_label_app",
                        "__meta_kubernetes_pod_container_port_name",
                    ],
                    "action": "keep",
                    "regex": f"{ZTUNNEL_APP};{ZTUNNEL_METRICS_PORT}",
                },
                # The Ztunnel dashboard (grafana.com 21306) selects `app="ztunnel"` and
                # `pod=~"ztunnel-.*"`: the labels the chart's kubernetes-pods job gives.
                {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
                {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
                {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            ],
        }
    ]


# --- files --------------------------------------------------------------------------------


def render(inputs: RenderInputs) -> list[RenderedFile]:
    config = inputs.config
    files: list[RenderedFile] = []
    if config.ambient:
        files += [
            build_file(
                inputs,
                CNI_VALUES,
                "values/istio-cni-values.yaml.j2",
                [cni_values(config)],
                origin=("istio", "dataplane"),
                istio=config.istio,
            ),
            build_file(
                inputs,
                ZTUNNEL_VALUES,
                "values/ztunnel-values.yaml.j2",
                [ztunnel_values(config)],
                origin=("istio", "dataplane"),
                istio=config.istio,
            ),
        ]
    files += [
        build_file(
            inputs,
            waypoint_file(placed.namespace, placed.waypoint.name),
            "manifests/waypoint.yaml.j2",
            [waypoint_manifest(placed)],
            origin=placed.origin,
            waypoint=placed.waypoint.name,
            namespace=placed.namespace,
        )
        for placed in waypoints(config)
    ]
    return files
