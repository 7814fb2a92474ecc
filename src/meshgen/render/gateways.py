"""`gateways:`: an `istio/gateway` release and a values file per gateway.

Each release `needs` istiod: the gateway's pods have `image: auto` and start only once
istiod's injector webhook fills in the proxy (the `gateway` injection template). A gateway
in a namespace meshgen manages waits for that namespace's labels too. Gateways are scraped
like sidecars: the chart's pod annotations point the prometheus chart's `kubernetes-pods`
job at the merged metrics endpoint (`:15020/stats/prometheus`); with the `envoy-stats` job
(`istioScraping.envoyStats`) it keeps their `http-envoy-prom` port instead, and meshgen
turns the annotation scrape off so that no series is scraped twice.
"""

from __future__ import annotations

from typing import Any

from meshgen.knowledge import istio_gateway
from meshgen.load.values import merge_values
from meshgen.models import Gateway, MeshConfig
from meshgen.render import naming
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile
from meshgen.render.istio import histogram_annotation

#: The helmfile repository name of the Istio charts (as `render.helmfile.ISTIO_REPO`).
ISTIO_REPO = "istio"
GATEWAY_CHART = "gateway"


def values_path(gateway: Gateway) -> str:
    """`values/gateway-<namespace>-<name>-values.yaml`."""
    return f"values/gateway-{gateway.namespace}-{gateway.name}-values.yaml"


def gateway_values(config: MeshConfig, gateway: Gateway) -> dict[str, Any]:
    """The chart values: service type, the revision to be injected from, the mesh's buckets."""
    values: dict[str, Any] = {"service": {"type": gateway.service_type}}
    if config.istio.revision:
        # The chart labels the pods istio.io/rev=<revision>, which a revision's injector
        # webhook (rev.object) matches; without it no webhook of a named revision does.
        values["revision"] = config.istio.revision
    annotations: dict[str, str] = {}
    buckets = dict(config.telemetry.histogram_buckets)
    if buckets:
        annotations[naming.HISTOGRAM_ANNOTATION] = histogram_annotation(buckets)
    prometheus = config.monitoring.prometheus
    if prometheus is not None and prometheus.istio_scraping.envoy_stats:
        # The envoy-stats job scrapes every proxy's :15090 (http-envoy-prom); the chart's
        # scrape annotations would have the kubernetes-pods job take the same istio_*
        # series again from :15020, and every sum over the gateway would double.
        annotations["prometheus.io/scrape"] = "false"
    if annotations:
        # Merged over the chart's default pod annotations (scrape, inject template).
        values["podAnnotations"] = annotations
    return merge_values(values, gateway.values)


def pod_labels(config: MeshConfig, gateway: Gateway) -> dict[str, str]:
    """The labels of the gateway's pods, as the chart renders them from these values."""
    return istio_gateway.pod_labels(gateway.name, gateway_values(config, gateway))


def workload_name(config: MeshConfig, gateway: Gateway) -> str:
    """The gateway's Deployment and Service name."""
    return istio_gateway.workload_name(gateway.name, gateway_values(config, gateway))


def releases(
    inputs: RenderInputs, placed: Any, istiod_id: str, chart_source: Any
) -> list[dict[str, Any]]:
    """The helmfile releases of the gateways, after istiod.

    `placed` and `chart_source` are `render.helmfile`'s: namespace needs, chart reference.
    """
    config = inputs.config
    out: list[dict[str, Any]] = []
    for gateway in config.gateways:
        release: dict[str, Any] = {"name": gateway.name, "namespace": gateway.namespace}
        release.update(
            chart_source(
                inputs, ISTIO_REPO, config.istio.repository, GATEWAY_CHART, config.istio.version
            )
        )
        release.update(placed(gateway.namespace, [istiod_id]))
        release["wait"] = True
        release["labels"] = {"tier": "mesh", "component": f"gateway-{gateway.name}"}
        release["values"] = [values_path(gateway)]
        out.append(release)
    return out


def telemetry_needs(config: MeshConfig) -> list[str]:
    """Gateway releases the Telemetry release waits for: those whose namespace it writes to.

    A gateway's namespace that the config does not manage is created by the gateway's
    release (helm's --create-namespace); a Telemetry selecting the gateway's pods cannot be
    applied before it exists.
    """
    managed = {ns.name for ns in config.namespaces}
    written = {res.namespace for res in config.telemetry.resources}
    return [
        f"{gateway.namespace}/{gateway.name}"
        for gateway in config.gateways
        if gateway.namespace in written and gateway.namespace not in managed
    ]


def render(inputs: RenderInputs) -> list[RenderedFile]:
    return [
        build_file(
            inputs,
            values_path(gateway),
            "values/gateway-values.yaml.j2",
            [gateway_values(inputs.config, gateway)],
            origin=("gateways", index),
            gateway=gateway,
        )
        for index, gateway in enumerate(inputs.config.gateways)
    ]
