"""`helmfile.yaml`: repositories and releases, ordered by `needs`, labelled by tier.

Plain YAML, never `.gotmpl`: helmfile must not evaluate any string from the config.

A chart repository is an https:// Helm repository (`repositories:` entry, `chart:
repo/chart`), an `oci://` registry path (a `repositories:` entry with `oci: true`, which is
how helmfile takes OCI registries), or a local folder holding the charts unpacked under
their names: an air-gapped mirror. A local folder becomes the release's `chart:` path (seen
from the output folder) with no `repositories:` entry and no `version:` (helm ignores a
version for a chart folder; the folder is the pin), so helmfile templates with no network.
"""

from __future__ import annotations

from typing import Any

from meshgen.models import MeshConfig
from meshgen.models.base import is_local_repository, is_oci_repository
from meshgen.render import (
    ambient,
    dashboard_configmaps,
    gateways,
    kiali,
    kube_prometheus_stack,
    naming,
)
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile

ISTIO_REPO = "istio"
PROMETHEUS_REPO = "prometheus-community"
GRAFANA_REPO = "grafana-community"


def release_id(namespace: str, name: str) -> str:
    """Helmfile's `needs` form: always `namespace/name` (reference 1.2)."""
    return f"{namespace}/{name}"


def _labels(tier: str, component: str) -> dict[str, str]:
    return {"tier": tier, "component": component}


def _repository(name: str, url: str) -> dict[str, Any] | None:
    """The helmfile `repositories:` entry for `url`; None for a local folder (none needed)."""
    if is_local_repository(url):
        return None
    if is_oci_repository(url):
        return {"name": name, "url": url.removeprefix("oci://"), "oci": True}
    return {"name": name, "url": url}


def chart_source(
    inputs: RenderInputs, repo: str, url: str, chart: str, version: str | None
) -> dict[str, Any]:
    """A release's `chart:` (and `version:`) for `chart` of repository `repo` at `url`."""
    if is_local_repository(url):
        return {"chart": inputs.chart_path(f"{url.rstrip('/')}/{chart}")}
    return {"chart": f"{repo}/{chart}", **({"version": version} if version else {})}


def repositories(config: MeshConfig) -> list[dict[str, Any]]:
    wanted = [(ISTIO_REPO, config.istio.repository)]
    if config.monitoring.prometheus and not config.monitoring.operator:
        wanted.append((PROMETHEUS_REPO, config.monitoring.prometheus.repository))
    if config.monitoring.grafana and not config.monitoring.operator:
        wanted.append((GRAFANA_REPO, config.monitoring.grafana.repository))
    wanted.extend(kube_prometheus_stack.repositories(config))
    wanted.extend((s.repository.name, s.repository.url) for s in config.services if s.repository)
    if config.monitoring.kiali:
        wanted.append((kiali.KIALI_REPO, config.monitoring.kiali.repository))
    repos: list[dict[str, Any]] = []
    for name, url in wanted:
        entry = _repository(name, url)
        if entry is not None and all(r["name"] != name for r in repos):
            repos.append(entry)
    return repos


def releases(inputs: RenderInputs) -> list[dict[str, Any]]:
    config = inputs.config
    istio_ns = config.istio.namespace
    managed = {ns.name for ns in config.namespaces}
    base_id = release_id(istio_ns, naming.ISTIO_BASE_RELEASE)
    istiod_id = release_id(istio_ns, naming.ISTIOD_RELEASE)
    namespaces_id = release_id(istio_ns, naming.NAMESPACES_RELEASE)
    telemetry_id = release_id(istio_ns, naming.TELEMETRY_RELEASE)

    def placed(namespace: str, needs: list[str]) -> dict[str, Any]:
        # A namespace meshgen manages is created, labelled, by the namespaces release;
        # helm's --create-namespace would race it and leave the labels off.
        if namespace in managed:
            return {"createNamespace": False, "needs": [*needs, namespaces_id]}
        return {"needs": needs} if needs else {}

    out: list[dict[str, Any]] = [
        {
            "name": naming.ISTIO_BASE_RELEASE,
            "namespace": istio_ns,
            **chart_source(
                inputs, ISTIO_REPO, config.istio.repository, "base", config.istio.version
            ),
            "wait": True,
            **ambient.base_hooks(config),
            "labels": _labels("mesh", "istio-base"),
            "values": [naming.ISTIO_BASE_VALUES],
        },
        {
            "name": naming.ISTIOD_RELEASE,
            "namespace": istio_ns,
            **chart_source(
                inputs, ISTIO_REPO, config.istio.repository, "istiod", config.istio.version
            ),
            "wait": True,
            "needs": [base_id],
            "labels": _labels("mesh", "istiod"),
            "values": [naming.ISTIO_VALUES],
        },
        *ambient.data_plane_releases(
            inputs,
            istiod_id,
            lambda chart: chart_source(
                inputs, ISTIO_REPO, config.istio.repository, chart, config.istio.version
            ),
        ),
    ]
    mon_ns = config.monitoring.namespace
    # kube-prometheus-stack replaces both releases (kube_prometheus_stack.releases).
    operator = config.monitoring.operator
    prometheus = config.monitoring.prometheus if not operator else None
    if prometheus:
        out.append(
            {
                "name": prometheus.release,
                "namespace": mon_ns,
                **chart_source(
                    inputs,
                    PROMETHEUS_REPO,
                    prometheus.repository,
                    "prometheus",
                    prometheus.chart_version,
                ),
                **placed(mon_ns, []),
                "labels": _labels("monitoring", "prometheus"),
                "values": [naming.PROMETHEUS_VALUES],
            }
        )
    grafana = config.monitoring.grafana if not operator else None
    if grafana:
        needs = [release_id(mon_ns, prometheus.release)] if prometheus else []
        out.append(
            {
                "name": grafana.release,
                "namespace": mon_ns,
                **chart_source(
                    inputs, GRAFANA_REPO, grafana.repository, "grafana", grafana.chart_version
                ),
                **placed(mon_ns, needs),
                "labels": _labels("monitoring", "grafana"),
                "values": [naming.GRAFANA_VALUES],
            }
        )
    out.extend(kube_prometheus_stack.releases(inputs, placed, chart_source))
    out.extend(dashboard_configmaps.releases(inputs, placed))
    if config.telemetry.resources:
        out.append(
            {
                "name": naming.TELEMETRY_RELEASE,
                "namespace": istio_ns,
                "chart": f"./{naming.TELEMETRY_DIR}",
                "needs": [
                    istiod_id,
                    *([namespaces_id] if config.namespaces else []),
                    *gateways.telemetry_needs(config),
                ],
                # Telemetry's CRD comes from istio-base: helm-diff cannot validate it on a
                # fresh cluster (reference helmfile 1.2).
                "disableValidationOnInstall": True,
                "labels": _labels("mesh", "telemetry"),
            }
        )
    if config.namespaces:
        out.append(
            {
                "name": naming.NAMESPACES_RELEASE,
                "namespace": istio_ns,
                "chart": f"./{naming.NAMESPACES_DIR}",
                "needs": [base_id],
                "labels": _labels("mesh", "namespaces"),
            }
        )
    out.extend(
        ambient.waypoint_releases(
            inputs, [istiod_id, *([namespaces_id] if config.namespaces else [])]
        )
    )
    for svc in config.services:
        needs = [istiod_id, *([telemetry_id] if config.telemetry.resources else [])]
        needs += ambient.service_needs(config, svc)
        release: dict[str, Any] = {"name": svc.name, "namespace": svc.namespace}
        if svc.local_chart:
            release["chart"] = inputs.chart_path(svc.chart)
            if svc.version:
                release["version"] = svc.version
        elif svc.repository is not None:
            repo = svc.chart.split("/", 1)[0]
            release.update(
                chart_source(inputs, repo, svc.repository.url, svc.chart_name, svc.version)
            )
        else:
            release["chart"] = svc.chart
            if svc.version:
                release["version"] = svc.version
        release.update(placed(svc.namespace, needs))
        release["wait"] = True
        release["labels"] = _labels("app", svc.name)
        release["values"] = [naming.service_values(svc.name)]
        out.append(release)
    out.extend(gateways.releases(inputs, placed, istiod_id, chart_source))
    monitoring_ids = [release_id(mon_ns, r.release) for r in (prometheus, grafana) if r is not None]
    out.extend(kiali.releases(inputs, placed, monitoring_ids, chart_source))
    return out


def helmfile_state(inputs: RenderInputs) -> dict[str, Any]:
    return {
        "repositories": repositories(inputs.config),
        "helmDefaults": {"timeout": 600},
        "releases": releases(inputs),
    }


def render(inputs: RenderInputs) -> list[RenderedFile]:
    state = helmfile_state(inputs)
    return [
        build_file(
            inputs,
            naming.HELMFILE,
            "helmfile.yaml.j2",
            [state],
            origin=(),
            repositories=state["repositories"],
            helm_defaults=state["helmDefaults"],
            releases=state["releases"],
            ambient=inputs.config.ambient,
        )
    ]
