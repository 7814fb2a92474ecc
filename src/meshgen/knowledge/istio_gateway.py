"""What the `istio/gateway` chart (1.30.3, `manifests/charts/gateway`) renders from its values.

Read from the chart's `templates/_helpers.tpl` and `templates/deployment.yaml`:

- `gateway.name`: `values.name`, else the release name;
- the pod template's labels: `sidecar.istio.io/inject: "true"` (and `istio.io/rev:
  <revision>` when `values.revision` is set), then the selector labels `app:
  <labels.app or name>` and `istio: <labels.istio or name without its istio- prefix>`,
  `app.kubernetes.io/name: <name>`, and every other `values.labels` entry (the chart
  default adds `istio.io/dataplane-mode: none`);
- the pod annotations (chart defaults): `prometheus.io/scrape: "true"`, `prometheus.io/port:
  "15020"`, `prometheus.io/path: /stats/prometheus` (the merged metrics endpoint, which the
  prometheus chart's `kubernetes-pods` job keeps, as for sidecars),
  `inject.istio.io/templates: gateway` and `sidecar.istio.io/inject: "true"`; the
  container `istio-proxy` has `image: auto` and port `http-envoy-prom` (15090);
- the Service (unless `service.type` is `None`) is named like the Deployment and selects
  the `app`/`istio` labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

#: The chart's default pod annotations (`podAnnotations`), which meshgen relies on.
POD_ANNOTATIONS: Mapping[str, str] = MappingProxyType(
    {
        "prometheus.io/port": "15020",
        "prometheus.io/scrape": "true",
        "prometheus.io/path": "/stats/prometheus",
        "inject.istio.io/templates": "gateway",
        "sidecar.istio.io/inject": "true",
    }
)
#: The chart's default `labels` (added to every object and to the pods).
DEFAULT_LABELS: Mapping[str, str] = MappingProxyType({"istio.io/dataplane-mode": "none"})
#: The injection template the gateway's pods must ask for.
INJECT_TEMPLATE = "gateway"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def workload_name(release: str, values: Mapping[str, Any]) -> str:
    """`gateway.name`: the Deployment, Service and ServiceAccount name."""
    name = values.get("name")
    return str(name) if isinstance(name, str) and name else release


def selector_labels(release: str, values: Mapping[str, Any]) -> dict[str, str]:
    """`gateway.selectorLabels`: `app` and `istio`, as the Deployment and Service select."""
    name = workload_name(release, values)
    labels = _mapping(values.get("labels"))
    app, istio = labels.get("app"), labels.get("istio")
    return {
        "app": str(app) if app else name,
        "istio": str(istio) if istio else name.removeprefix("istio-"),
    }


def pod_labels(release: str, values: Mapping[str, Any]) -> dict[str, str]:
    """Every label of the pod template, given the release's (merged) values."""
    out = {"sidecar.istio.io/inject": "true"}
    revision = values.get("revision")
    if revision:
        out["istio.io/rev"] = str(revision)
    out.update(selector_labels(release, values))
    out["app.kubernetes.io/name"] = workload_name(release, values)
    # Helm merges `labels` over the chart's default map key by key; a null deletes.
    labels = {**DEFAULT_LABELS, **_mapping(values.get("labels"))}
    for key, value in labels.items():
        if key not in ("app", "istio") and value is not None:
            out[str(key)] = str(value)
    return out


def pod_annotations(values: Mapping[str, Any]) -> dict[str, str]:
    """The pod template's annotations: the chart's defaults merged with `podAnnotations`.

    Helm merges a values map over the chart's default map key by key; a `null` deletes.
    """
    merged: dict[str, str] = dict(POD_ANNOTATIONS)
    for key, value in _mapping(values.get("podAnnotations")).items():
        if value is None:
            merged.pop(str(key), None)
        else:
            merged[str(key)] = str(value)
    return merged
