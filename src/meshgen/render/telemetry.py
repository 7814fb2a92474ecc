"""`manifests/telemetry/<namespace>-<name>.yaml`: `telemetry.istio.io/v1` Telemetry resources."""

from __future__ import annotations

from typing import Any

from meshgen.models import MeshConfig, TelemetryResource
from meshgen.render import naming
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile

API_VERSION = "telemetry.istio.io/v1"


def resource_namespace(config: MeshConfig, resource: TelemetryResource) -> str:
    """A Telemetry without a namespace lives in the mesh root namespace (mesh-wide scope)."""
    return resource.namespace or config.istio.namespace


def scope(config: MeshConfig, resource: TelemetryResource) -> str:
    """`mesh`, `namespace` or `workload`, by Istio's hierarchy (reference 2.3)."""
    if resource.selector is not None or resource.has_target_refs:
        return "workload"
    return "mesh" if resource_namespace(config, resource) == config.istio.namespace else "namespace"


def telemetry_manifest(config: MeshConfig, resource: TelemetryResource) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Telemetry",
        # No `app.kubernetes.io/managed-by`: helm sets it to `Helm` on install.
        "metadata": {"name": resource.name, "namespace": resource_namespace(config, resource)},
        "spec": resource.spec_dict(),
    }


def render(inputs: RenderInputs) -> list[RenderedFile]:
    config = inputs.config
    return [
        build_file(
            inputs,
            naming.telemetry_file(resource_namespace(config, res), res.name),
            "manifests/telemetry.yaml.j2",
            [telemetry_manifest(config, res)],
            origin=("telemetry", "resources", index),
            scope=scope(config, res),
        )
        for index, res in enumerate(config.telemetry.resources)
    ]
