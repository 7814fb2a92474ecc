"""`values/istio-base-values.yaml` and `values/istio-values.yaml` (istiod, with meshConfig)."""

from __future__ import annotations

import json
from typing import Any

from meshgen.load.values import merge_values
from meshgen.models import MeshConfig
from meshgen.render import naming
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile


def mesh_config(config: MeshConfig) -> dict[str, Any]:
    """The meshConfig meshgen renders: the derived one, `istio.meshConfig` merged over it."""
    return merge_values(derived_mesh_config(config), config.istio.mesh_config)


def derived_mesh_config(config: MeshConfig) -> dict[str, Any]:
    """The meshConfig meshgen derives from the typed `istio:` and `telemetry:` settings."""
    istio = config.istio
    mesh: dict[str, Any] = {"enablePrometheusMerge": istio.prometheus_merge}
    logging = istio.access_logging
    if logging.enabled:
        mesh["accessLogFile"] = logging.file
        mesh["accessLogEncoding"] = logging.encoding
        if logging.format:
            mesh["accessLogFormat"] = logging.format
    mesh["enableTracing"] = istio.tracing.enabled
    providers = default_providers(config)
    if providers:
        mesh["defaultProviders"] = providers
    if istio.extension_providers:
        mesh["extensionProviders"] = [p.to_mesh_config() for p in istio.extension_providers]
    default_config: dict[str, Any] = {}
    if istio.tracing.enabled:
        default_config["tracing"] = {"sampling": istio.tracing.sampling_percentage}
    matcher = config.telemetry.proxy_stats_matcher
    if matcher is not None:
        default_config["proxyStatsMatcher"] = matcher.model_dump(
            by_alias=True, exclude_defaults=True
        )
    if default_config:
        mesh["defaultConfig"] = default_config
    return mesh


def default_providers(config: MeshConfig) -> dict[str, list[str]]:
    """meshConfig.defaultProviders, keeping `metrics: [prometheus]` whenever it is set at all.

    Setting any defaultProviders replaces the chart's `metrics: [prometheus]`, which silently
    stops every istio_* metric (reference 1.4, istio/istio#51384).
    """
    istio = config.istio
    chosen = istio.default_providers
    providers: dict[str, list[str]] = {}
    if chosen is not None:
        for key, value in chosen.model_dump(by_alias=True, exclude_none=True).items():
            providers[key] = list(value)
    if istio.access_logging.enabled and istio.access_logging.provider:
        providers.setdefault("accessLogging", [istio.access_logging.provider])
    if istio.tracing.enabled and istio.tracing.provider:
        providers.setdefault("tracing", [istio.tracing.provider])
    if providers and "metrics" not in providers:
        providers = {"metrics": ["prometheus"], **providers}
    return providers


def istiod_values(config: MeshConfig) -> dict[str, Any]:
    istio = config.istio
    values: dict[str, Any] = {}
    if config.ambient:
        # istio.io's ambient Helm install: PILOT_ENABLE_AMBIENT, HBONE, distroless.
        values["profile"] = "ambient"
    if istio.revision:
        values["revision"] = istio.revision
    values["global"] = {"istioNamespace": istio.namespace}
    values["telemetry"] = {
        "enabled": True,
        "v2": {"enabled": True, "prometheus": {"enabled": True}},
    }
    if istio.tracing.enabled:
        values["traceSampling"] = istio.tracing.sampling_percentage
    values["meshConfig"] = mesh_config(config)
    return merge_values(values, istio.values)


def base_values(config: MeshConfig) -> dict[str, Any]:
    istio = config.istio
    values: dict[str, Any] = {"global": {"istioNamespace": istio.namespace}}
    if istio.revision:
        values["defaultRevision"] = istio.revision
    return merge_values(values, istio.base_values)


def histogram_annotation(buckets: dict[str, tuple[float, ...]]) -> str:
    """The `sidecar.istio.io/statsHistogramBuckets` annotation value (JSON, sorted prefixes)."""
    return json.dumps(
        {prefix: [_number(v) for v in bounds] for prefix, bounds in sorted(buckets.items())},
        separators=(",", ":"),
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def render(inputs: RenderInputs) -> list[RenderedFile]:
    config = inputs.config
    return [
        build_file(
            inputs,
            naming.ISTIO_BASE_VALUES,
            "values/istio-base-values.yaml.j2",
            [base_values(config)],
            origin=("istio",),
            istio=config.istio,
        ),
        build_file(
            inputs,
            naming.ISTIO_VALUES,
            "values/istio-values.yaml.j2",
            [istiod_values(config)],
            origin=("istio",),
            istio=config.istio,
        ),
    ]
