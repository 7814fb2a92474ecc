"""K1xx: every rendered Kubernetes/Istio resource validates against meshgen's own schema.

The schemas (`schemas/*.schema.json`, see `meshgen.checks.schemas`) are written from the documented
APIs. A finding points into the rendered file and, as related, at the config line that
produced it. `meshgen lint` validates the resources of plain files with the same schemas
(`resource_errors`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from meshgen.checks import schemas
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Check, Finding, check
from meshgen.diagnostics import Severity
from meshgen.render import naming
from meshgen.source import KeyPath

#: (apiVersion, kind) -> schema file.
RESOURCE_SCHEMAS: dict[tuple[str, str], str] = {
    ("telemetry.istio.io/v1", "Telemetry"): schemas.TELEMETRY,
    ("telemetry.istio.io/v1alpha1", "Telemetry"): schemas.TELEMETRY,
    ("v1", "Namespace"): schemas.NAMESPACE,
    ("batch/v1", "Job"): schemas.JOB,
    ("v1", "ConfigMap"): schemas.CONFIGMAP,
}

#: Folders of the output tree that hold Kubernetes manifests.
MANIFEST_DIRS = (naming.TELEMETRY_DIR, naming.NAMESPACES_DIR, naming.TRAFFIC_DIR, "manifests")


def schema_for(document: Any) -> str | None:
    """The schema file of a manifest, by its apiVersion and kind (None if meshgen has none)."""
    if not isinstance(document, dict):
        return None
    return RESOURCE_SCHEMAS.get((str(document.get("apiVersion")), str(document.get("kind"))))


def _config_path(kind: str, origin: KeyPath, path: KeyPath) -> KeyPath:
    """The config key that produced `path` of a rendered resource (best effort)."""
    if kind == "Telemetry":
        if path[:1] == ("spec",):
            return (*origin, *path[1:])
        if path[:2] in (("metadata", "name"), ("metadata", "namespace")):
            return (*origin, path[1])
    elif kind == "Namespace":
        if path[:2] == ("metadata", "name"):
            return (*origin, "name")
        if path[:2] == ("metadata", "labels"):
            return (*origin, "labels", *path[2:3])
    elif (
        kind == "Job"
        and origin[:1] == ("services",)
        and path[:2] in (("metadata", "name"), ("metadata", "namespace"))
    ):
        return (*origin[:2], path[1])
    return origin


def resource_errors(
    document: Any, *, skip: tuple[str, ...] = (), data_sha256: str = ""
) -> Iterator[tuple[KeyPath, str]]:
    """(key path, message) of each violation of a manifest's schema, one per path.

    `skip` leaves out top-level keys that are checked elsewhere (lint validates a Telemetry
    `spec` with the model first). `data_sha256`: a digest of `document` (see
    `schemas.errors`), only without `skip`.
    """
    name = schema_for(document)
    if name is None:
        return
    instance = {k: v for k, v in document.items() if k not in skip}
    kind = document.get("kind")
    seen: set[KeyPath] = set()
    digest = "" if skip else data_sha256
    for error in schemas.errors(name, instance, data_sha256=digest):
        if error.path in seen:
            continue
        seen.add(error.path)
        yield error.path, f"{kind} {error.dotted or 'resource'}: {error.message}"


def _rendered_findings(ctx: CheckContext, schema: str) -> Iterator[Finding]:
    for rendered in ctx.files:
        if not rendered.path.startswith(MANIFEST_DIRS) or len(rendered.documents) != 1:
            continue
        document = rendered.documents[0]
        if schema_for(document) != schema:
            continue
        kind = str(document.get("kind"))
        # One document: the file's data digest is the document's.
        for path, message in resource_errors(document, data_sha256=rendered.data_sha256):
            related = (_config_path(kind, rendered.origin, path),) if ctx.source.file else ()
            yield Finding(message, span=ctx.rendered_span(rendered.path, path), related=related)


@check("K101", "invalid-telemetry-resource", Severity.ERROR, needs=("rendered",))
def invalid_telemetry_resource(ctx: CheckContext) -> Iterator[Finding]:
    """A Telemetry resource breaks a rule of the telemetry.istio.io/v1 API.

    Why: the Telemetry CRD refuses values its schema and CEL rules forbid (a sampling
    percentage above 100, an empty provider name, a REMOVE tag override with a value,
    both `selector` and `targetRefs`); `helm template` does not validate, so the release
    fails only at apply time, or a pruned field silently does nothing.

    Example: `tracing: [{randomSamplingPercentage: 150}]`

    Fix: follow the message: e.g. a percentage in 0..100, set either `selector` or
    `targetRefs`, drop `value` from a REMOVE override.
    """
    yield from _rendered_findings(ctx, schemas.TELEMETRY)


@check("K102", "invalid-namespace-resource", Severity.ERROR, needs=("rendered",))
def invalid_namespace_resource(ctx: CheckContext) -> Iterator[Finding]:
    """A rendered Namespace is not a valid core/v1 Namespace.

    Why: a namespace name must be a DNS-1123 label and its labels valid label keys and
    values; the API server refuses anything else and the whole mesh-namespaces release
    fails.

    Example: `namespaces: [{name: inference, labels: {team: "wave speed"}}]`

    Fix: use a valid name and label values, e.g. `team: wave-speed`.
    """
    yield from _rendered_findings(ctx, schemas.NAMESPACE)


@check("K103", "invalid-job-resource", Severity.ERROR, needs=("rendered",))
def invalid_job_resource(ctx: CheckContext) -> Iterator[Finding]:
    """A rendered traffic-test Job is not a valid batch/v1 Job.

    Why: the Job name (from the service name) must be a DNS-1123 name of at most 63
    characters, since it becomes the pod label `job-name`; `meshgen traffic` would fail.

    Example: `services: [{name: Inference_Balancer, trafficTest: {}}]`

    Fix: give the service a lower-case DNS-1123 name.
    """
    yield from _rendered_findings(ctx, schemas.JOB)


@check("K104", "invalid-configmap-resource", Severity.ERROR, needs=("rendered",))
def invalid_configmap_resource(ctx: CheckContext) -> Iterator[Finding]:
    """A ConfigMap (e.g. of Grafana dashboards) is not a valid core/v1 ConfigMap.

    Why: ConfigMap keys may only hold alphanumerics, `-`, `_` and `.`, and every `data`
    value must be a string; a dashboard written as a YAML map instead of JSON text is
    refused by the API server.

    Example: `data: {"istio mesh.json": {...}}`

    Fix: name keys like `istio-mesh.json` and write the dashboard as a JSON string
    (`|` block scalar).
    """
    yield from _rendered_findings(ctx, schemas.CONFIGMAP)


#: The check that reports a resource of each schema (used by `meshgen lint`).
CHECK_BY_SCHEMA: dict[str, Check] = {
    schemas.TELEMETRY: invalid_telemetry_resource,
    schemas.NAMESPACE: invalid_namespace_resource,
    schemas.JOB: invalid_job_resource,
    schemas.CONFIGMAP: invalid_configmap_resource,
}
