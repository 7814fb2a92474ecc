"""`values/<service>-values.yaml`: the app release's values with the mesh's pod settings."""

from __future__ import annotations

from typing import Any

from meshgen.load.values import merge_values
from meshgen.models import MeshConfig, Service
from meshgen.models.ambient import USE_WAYPOINT_LABEL
from meshgen.render import naming
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile
from meshgen.render.istio import histogram_annotation


def effective_buckets(config: MeshConfig, service: Service) -> dict[str, tuple[float, ...]]:
    """Mesh-wide buckets overridden, prefix by prefix, by the service's own."""
    return {**config.telemetry.histogram_buckets, **(service.histogram_buckets or {})}


def service_values(config: MeshConfig, service: Service) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if service.pod_labels is None:
        # meshgen's chart convention; a chart that labels its pods its own way (podLabels
        # set) would only ignore these (podinfo 6.7.1 has no app, version or service.port).
        values.update(
            {
                "app": service.app_label,
                "version": service.app_version,
                "service": {"port": service.port},
            }
        )
    if service.waypoint is not None and service.pod_labels is None:
        # meshgen's chart convention for Service labels (C144 when the chart has its own).
        values.setdefault("service", {})["labels"] = {USE_WAYPOINT_LABEL: service.waypoint.name}
    buckets = effective_buckets(config, service)
    if buckets:
        # On the pod template, where pilot-agent reads it at bootstrap (reference 6.1).
        values["podAnnotations"] = {naming.HISTOGRAM_ANNOTATION: histogram_annotation(buckets)}
    return merge_values(values, service.values)


def render(inputs: RenderInputs) -> list[RenderedFile]:
    return [
        build_file(
            inputs,
            naming.service_values(svc.name),
            "values/service-values.yaml.j2",
            [service_values(inputs.config, svc)],
            origin=("services", index),
            service=svc,
        )
        for index, svc in enumerate(inputs.config.services)
    ]
