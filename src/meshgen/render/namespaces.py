"""`manifests/namespaces/<name>.yaml`: Namespaces carrying exactly one injection label."""

from __future__ import annotations

from typing import Any

from meshgen.models import Namespace
from meshgen.render import naming
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile


def namespace_manifest(namespace: Namespace, *, release_namespace: str) -> dict[str, Any]:
    """A Namespace that helm owns and never deletes.

    The helm ownership label/annotations let `kubectl apply` of this file (make
    enable-istio-injection) and the helmfile release manage the same object.
    """
    labels = {**namespace.labels, **namespace.injection_labels()}
    labels["app.kubernetes.io/managed-by"] = "Helm"
    annotations = {
        **namespace.annotations,
        "helm.sh/resource-policy": "keep",
        "meta.helm.sh/release-name": naming.NAMESPACES_RELEASE,
        "meta.helm.sh/release-namespace": release_namespace,
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace.name,
            "labels": dict(sorted(labels.items())),
            "annotations": dict(sorted(annotations.items())),
        },
    }


def render(inputs: RenderInputs) -> list[RenderedFile]:
    release_namespace = inputs.config.istio.namespace
    return [
        build_file(
            inputs,
            naming.namespace_file(ns.name),
            "manifests/namespace.yaml.j2",
            [namespace_manifest(ns, release_namespace=release_namespace)],
            origin=("namespaces", index),
            namespace=ns,
        )
        for index, ns in enumerate(inputs.config.namespaces)
    ]
