"""`gateways:` and `monitoring.kiali`: the labels meshgen assumes, releases, Kiali's values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meshgen import api
from meshgen.knowledge import istio_gateway
from meshgen.models import MeshConfig
from meshgen.render import RenderInputs, helmfile, kiali


def _config(**sections: Any) -> MeshConfig:
    return MeshConfig.model_validate({"istio": {"version": "1.30.3"}, **sections})


def test_gateway_pod_labels_follow_the_chart_helpers() -> None:
    assert istio_gateway.pod_labels("istio-ingressgateway", {}) == {
        "sidecar.istio.io/inject": "true",
        "app": "istio-ingressgateway",
        "istio": "ingressgateway",
        "app.kubernetes.io/name": "istio-ingressgateway",
        "istio.io/dataplane-mode": "none",
    }
    values = {
        "name": "edge",
        "revision": "canary",
        "labels": {"istio": "custom", "team": "net", "istio.io/dataplane-mode": None},
    }
    assert istio_gateway.pod_labels("release", values) == {
        "sidecar.istio.io/inject": "true",
        "istio.io/rev": "canary",
        "app": "edge",
        "istio": "custom",
        "app.kubernetes.io/name": "edge",
        "team": "net",
    }


def test_gateways_follow_istiod_and_take_its_revision() -> None:
    config = _config(
        istio={"version": "1.30.3", "revision": "canary"},
        gateways=[{"name": "ingress", "namespace": "edge"}],
        telemetry={"resources": [{"name": "t", "namespace": "edge"}]},
    )
    state = helmfile.helmfile_state(RenderInputs(config))
    by_name = {r["name"]: r for r in state["releases"]}
    assert by_name["ingress"]["needs"] == ["istio-system/istiod"]
    assert by_name["ingress"]["chart"] == "istio/gateway"
    assert by_name["mesh-telemetry"]["needs"] == ["istio-system/istiod", "edge/ingress"]
    from meshgen.render.gateways import gateway_values

    assert gateway_values(config, config.gateways[0]) == {
        "service": {"type": "LoadBalancer"},
        "revision": "canary",
    }


def test_a_gateway_in_a_managed_namespace_waits_for_its_labels() -> None:
    config = _config(
        namespaces=[{"name": "edge"}],
        gateways=[{"name": "ingress", "namespace": "edge"}],
        telemetry={"resources": [{"name": "t", "namespace": "edge"}]},
    )
    by_name = {r["name"]: r for r in helmfile.releases(RenderInputs(config))}
    assert by_name["ingress"]["needs"] == ["istio-system/istiod", "istio-system/mesh-namespaces"]
    assert by_name["ingress"]["createNamespace"] is False
    assert "edge/ingress" not in by_name["mesh-telemetry"]["needs"]


def test_kiali_without_grafana_disables_it_and_takes_an_external_prometheus() -> None:
    config = _config(
        monitoring={
            "kiali": {"chartVersion": "2.29.0", "prometheusUrl": "http://thanos.obs.svc:9090"}
        }
    )
    assert kiali.kiali_values(config, config.monitoring.kiali, {}) == {  # type: ignore[arg-type]
        "external_services": {
            "istio": {"root_namespace": "istio-system"},
            "prometheus": {"url": "http://thanos.obs.svc:9090"},
            "grafana": {"enabled": False},
        }
    }
    (release,) = kiali.releases(
        RenderInputs(config), lambda ns, needs: {}, [], helmfile.chart_source
    )
    assert (release["namespace"], release["chart"], release["version"]) == (
        "monitoring",
        "kiali/kiali-server",
        "2.29.0",
    )


def test_kiali_in_another_namespace_gets_no_secret_and_follows_grafana_overrides() -> None:
    config = _config(
        istio={"version": "1.30.3", "namespace": "mesh"},
        monitoring={
            "namespace": "obs",
            "prometheus": {"chartVersion": "29.27.0", "release": "metrics"},
            "grafana": {
                "chartVersion": "12.11.1",
                "release": "dash",
                "adminSecret": {"name": "admin"},
                "values": {"service": {"port": 3000}},
                "dashboards": [
                    {"name": "perf", "gnetId": 11829, "revision": 329},
                    {"name": "shop", "file": "shop.json"},
                ],
            },
            "kiali": {"chartVersion": "2.29.0", "namespace": "mesh"},
        },
    )
    files = {"shop": '{"title": "Istio Workload Dashboard"}'}
    values = kiali.kiali_values(config, config.monitoring.kiali, files)  # type: ignore[arg-type]
    services = values["external_services"]
    assert services["istio"] == {"root_namespace": "mesh"}
    assert services["prometheus"] == {
        "url": "http://metrics-prometheus-server.obs.svc.cluster.local:80"
    }
    assert services["grafana"] == {
        "enabled": True,
        "internal_url": "http://dash-grafana.obs.svc.cluster.local:3000",
        "external_url": "http://dash-grafana.obs.svc.cluster.local:3000",
        "dashboards": [
            {"name": "Istio Performance Dashboard"},
            {
                "name": "Istio Workload Dashboard",
                "variables": {"namespace": "var-namespace", "workload": "var-workload"},
            },
        ],
    }


def test_telemetry_workload_scope_finds_a_gateways_namespace(tmp_path: Path) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text("istio: {version: 1.30.3}\ngateways:\n  - name: istio-ingressgateway\n")
    scope = api.scope(config, None, "istio=ingressgateway")
    assert (scope.namespace, scope.workload) == ("istio-ingress", ("istio", "ingressgateway"))


def test_with_the_envoy_stats_job_the_gateway_annotation_scrape_is_off() -> None:
    from meshgen.render.gateways import gateway_values

    config = _config(
        gateways=[{"name": "ingress"}],
        telemetry={"histogramBuckets": {"istiocustom": [1, 10]}},
        monitoring={
            "prometheus": {"chartVersion": "29.27.0", "istioScraping": {"envoyStats": True}}
        },
    )
    assert gateway_values(config, config.gateways[0])["podAnnotations"] == {
        "sidecar.istio.io/statsHistogramBuckets": '{"istiocustom":[1,10]}',
        "prometheus.io/scrape": "false",
    }


def test_kiali_with_kube_prometheus_stack_names_the_stacks_services() -> None:
    """The stack's release names both Services (its grafana subchart: `<release>-grafana`)."""
    config = _config(
        monitoring={
            "stack": "kube-prometheus-stack",
            "kubePrometheusStack": {"release": "kps", "chartVersion": "88.5.3"},
            "prometheus": {},
            "grafana": {"adminSecret": {"name": "grafana-admin"}},
            "kiali": {"chartVersion": "2.29.0"},
        }
    )
    services = kiali.kiali_values(config, config.monitoring.kiali, {})["external_services"]  # type: ignore[arg-type]
    assert services["prometheus"]["url"] == (
        "http://kps-kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
    )
    assert services["grafana"]["internal_url"] == "http://kps-grafana.monitoring.svc.cluster.local:80"
