"""K110, K112, H141: the gateways' pods get their proxy and are scraped; one release each.

The istio/gateway chart (1.30.3) runs a pod whose only container is `istio-proxy` with
`image: auto`: istiod's injector fills it in from the `gateway` template. Pods that no
injector webhook matches never start (ImagePullBackOff on `auto`; istioctl IST0146/IST0147).
"""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.knowledge import istio_gateway
from meshgen.render.gateways import gateway_values
from meshgen.source import KeyPath


@check("K110", "gateway-not-injected", Severity.ERROR, aliases=("IST0147",))
def gateway_not_injected(ctx: CheckContext) -> Iterator[Finding]:
    """No injector webhook would give a gateway's pods their proxy.

    Why: the gateway chart's pods run `image: auto`, which only istiod's injector replaces
    (pod label `sidecar.istio.io/inject: "true"`, annotation `inject.istio.io/templates:
    gateway`). In a namespace labelled `istio-injection=disabled` no webhook matches them;
    a `revision` value no installed control plane serves matches none either; and values
    that drop the `gateway` template or opt the pods out leave them without a gateway
    proxy. The Deployment then never becomes ready (istioctl: IST0147
    ImageAutoWithoutInjectionError).

    Example: `gateways: [{name: ingress, namespace: edge}]` with
    `namespaces: [{name: edge, injection: disabled}]`.

    Fix: put the gateway in a namespace with injection enabled (or not declared: the
    gateway's own pod label then asks for injection), and leave the chart's `revision`,
    `podAnnotations` and `labels` injection settings to meshgen.
    """
    cfg = ctx.config
    assert cfg is not None
    declared = {ns.name: (i, ns) for i, ns in enumerate(cfg.namespaces)}
    served = {cfg.istio.revision_label}
    tags = cfg.istio.values.get("revisionTags")
    if isinstance(tags, list):
        served.update(str(t) for t in tags)
    for i, gateway in enumerate(cfg.gateways):
        found = declared.get(gateway.namespace)
        if found is not None and found[1].injection == "disabled":
            yield Finding(
                f"gateway {gateway.name!r} is in namespace {gateway.namespace!r}, whose "
                "injection is disabled: its pods (image: auto) would never get their proxy",
                at=("gateways", i, "namespace"),
                related=(("namespaces", found[0], "injection"),),
            )
        values = gateway_values(cfg, gateway)
        revision = values.get("revision")
        if "revision" in gateway.values and revision and str(revision) not in served:
            yield Finding(
                f"gateway {gateway.name!r} asks for revision {revision!r}, but the installed "
                f"control plane serves {', '.join(sorted(served))}",
                at=("gateways", i, "values", "revision"),
            )
        annotations = istio_gateway.pod_annotations(values)
        template = annotations.get("inject.istio.io/templates")
        if template != istio_gateway.INJECT_TEMPLATE:
            yield Finding(
                f"gateway {gateway.name!r}: podAnnotations set inject.istio.io/templates to "
                f"{template!r}; the pods would be injected as sidecars, not as a gateway",
                at=("gateways", i, "values", "podAnnotations"),
            )
        if annotations.get("sidecar.istio.io/inject") == "false":
            yield Finding(
                f"gateway {gateway.name!r}: podAnnotations opt its pods out of injection; "
                "image: auto would never be replaced",
                at=("gateways", i, "values", "podAnnotations"),
            )


@check("K112", "gateway-not-scraped", Severity.WARNING)
def gateway_not_scraped(ctx: CheckContext) -> Iterator[Finding]:
    """A gateway's pods are left out of the rendered Prometheus's scraping.

    Why: the prometheus chart's `kubernetes-pods` job keeps pods annotated
    `prometheus.io/scrape: "true"` and reads their port and path from `prometheus.io/port`
    and `prometheus.io/path`: the gateway chart's defaults point it at the merged metrics
    endpoint `:15020/stats/prometheus`, as for sidecars. Values that change these lose the
    gateway's `istio_*` series (reporter `source` of every request entering the mesh),
    unless the `envoy-stats` job (`istioScraping.envoyStats`) scrapes `:15090`.

    Example: `values: {podAnnotations: {prometheus.io/scrape: "false"}}` on a gateway.

    Fix: leave the gateway chart's `prometheus.io/*` pod annotations as they are, or turn
    on `monitoring.prometheus.istioScraping.envoyStats`.
    """
    cfg = ctx.config
    assert cfg is not None
    prometheus = cfg.monitoring.prometheus
    if prometheus is None or prometheus.istio_scraping.envoy_stats:
        return
    for i, gateway in enumerate(cfg.gateways):
        annotations = istio_gateway.pod_annotations(gateway_values(cfg, gateway))
        wanted = {
            key: istio_gateway.POD_ANNOTATIONS[key]
            for key in ("prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path")
        }
        changed = [
            f"{key}={annotations.get(key, '<unset>')}"
            for key, value in wanted.items()
            if annotations.get(key) != value
        ]
        if changed:
            yield Finding(
                f"gateway {gateway.name!r}: podAnnotations change {', '.join(changed)}; the "
                "kubernetes-pods job would not scrape its merged metrics endpoint "
                "(:15020/stats/prometheus)",
                at=("gateways", i, "values", "podAnnotations"),
            )


def _other_releases(ctx: CheckContext) -> dict[str, tuple[str, KeyPath]]:
    """`namespace/name` of every release besides the gateways -> (what, config key)."""
    cfg = ctx.config
    assert cfg is not None
    istio, mon = cfg.istio.namespace, cfg.monitoring.namespace
    out: dict[str, tuple[str, KeyPath]] = {
        f"{istio}/{name}": (f"meshgen's {name} release", ("istio",))
        for name in ("istio-base", "istiod", "mesh-namespaces", "mesh-telemetry")
    }
    if cfg.monitoring.prometheus:
        out[f"{mon}/{cfg.monitoring.prometheus.release}"] = (
            "the Prometheus release",
            ("monitoring", "prometheus", "release"),
        )
    if cfg.monitoring.grafana:
        out[f"{mon}/{cfg.monitoring.grafana.release}"] = (
            "the Grafana release",
            ("monitoring", "grafana", "release"),
        )
    if cfg.monitoring.kiali:
        kiali = cfg.monitoring.kiali
        out[f"{kiali.namespace or mon}/{kiali.release}"] = (
            "the Kiali release",
            ("monitoring", "kiali"),
        )
    for i, svc in enumerate(cfg.services):
        out.setdefault(f"{svc.namespace}/{svc.name}", (f"service {svc.name}", ("services", i)))
    return out


@check("H141", "duplicate-gateway-release", Severity.ERROR)
def duplicate_gateway_release(ctx: CheckContext) -> Iterator[Finding]:
    """A gateway's release has the name of another release in its namespace.

    Why: helmfile identifies a release by `namespace/name`; two with one identity are one
    release to helm, so one chart's objects replace the other's (or helmfile refuses the
    state), and every `needs` naming it is ambiguous.

    Example: `gateways: [{name: web, namespace: apps}]` and a service `web` in `apps`.

    Fix: rename the gateway (its Deployment and Service are named after it), or move it to
    another namespace.
    """
    cfg = ctx.config
    assert cfg is not None
    others = _other_releases(ctx)
    seen: dict[str, int] = {}
    for i, gateway in enumerate(cfg.gateways):
        identity = f"{gateway.namespace}/{gateway.name}"
        if identity in seen:
            yield Finding(
                f"gateway {gateway.name!r} in namespace {gateway.namespace!r} is listed twice "
                "(one helm release)",
                at=("gateways", i, "name"),
                related=(("gateways", seen[identity], "name"),),
            )
            continue
        seen[identity] = i
        if identity in others:
            what, at = others[identity]
            yield Finding(
                f"gateway {gateway.name!r} has the release name of {what} in namespace "
                f"{gateway.namespace!r}; helmfile would see one release",
                at=("gateways", i, "name"),
                related=(at,),
            )
