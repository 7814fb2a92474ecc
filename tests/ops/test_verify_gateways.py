"""`meshgen verify` for gateways (`gateways:`) and Kiali (`monitoring.kiali`), on a fake cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meshgen.handoff.verify import Cluster, check_gateways, check_kiali
from meshgen.models import MeshConfig
from meshgen.render.files import Tree

CONFIG = {
    "istio": {"version": "1.30.3"},
    "gateways": [
        {"name": "istio-ingressgateway"},
        {"name": "egress", "namespace": "istio-egress", "serviceType": "ClusterIP",
         "values": {"name": "egress-gw"}},
        {"name": "internal", "namespace": "istio-egress", "serviceType": "None"},
    ],
    "monitoring": {"prometheus": {"chartVersion": "29.27.0"}, "kiali": {"chartVersion": "2.29.0"}},
}  # fmt: skip


def _deployment(name: str, ready: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"replicas": 1},
        "status": {
            "readyReplicas": ready,
            "conditions": [{"type": "Available", "status": "True" if ready else "False"}],
        },
    }


def _service(name: str, kind: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"type": kind}}


@dataclass
class FakeCluster(Cluster):
    """Objects by (resource, namespace); every list call is remembered."""

    objects: dict[tuple[str, str | None], list[dict[str, Any]]] = field(default_factory=dict)
    asked: list[tuple[str, ...]] = field(default_factory=list)

    def _fetch(self, args: list[str]) -> list[dict[str, Any]] | None:
        self.asked.append(tuple(args))
        namespace = args[args.index("-n") + 1] if "-n" in args else None
        return self.objects.get((args[1], namespace), [])


def _config() -> MeshConfig:
    return MeshConfig.model_validate(CONFIG)


@dataclass
class _Tree:
    files: tuple[Any, ...] = ()
    shown_output_dir: str = "deployment/helmfile"


def _tree() -> Tree:
    return _Tree()


def test_ready_gateways_with_their_services_pass() -> None:
    cluster = FakeCluster(
        objects={
            ("deployments", "istio-ingress"): [_deployment("istio-ingressgateway")],
            ("services", "istio-ingress"): [_service("istio-ingressgateway", "LoadBalancer")],
            ("deployments", "istio-egress"): [_deployment("egress-gw"), _deployment("internal")],
            ("services", "istio-egress"): [_service("egress-gw", "ClusterIP")],
        }
    )
    results = list(check_gateways(cluster, _tree(), _config()))
    assert [(r.check, r.ok, r.detail) for r in results] == [
        ("gateway istio-ingressgateway available", True,
         "Deployment istio-ingress/istio-ingressgateway: 1/1 ready"),
        ("gateway istio-ingressgateway service", True,
         "Service istio-ingress/istio-ingressgateway (LoadBalancer)"),
        ("gateway egress available", True, "Deployment istio-egress/egress-gw: 1/1 ready"),
        ("gateway egress service", True, "Service istio-egress/egress-gw (ClusterIP)"),
        ("gateway internal available", True, "Deployment istio-egress/internal: 1/1 ready"),
    ]  # fmt: skip


def test_a_missing_service_an_unready_gateway_and_a_wrong_type_fail() -> None:
    cluster = FakeCluster(
        objects={
            ("deployments", "istio-ingress"): [_deployment("istio-ingressgateway", ready=0)],
            ("services", "istio-ingress"): [_service("istio-ingressgateway", "NodePort")],
            ("deployments", "istio-egress"): [_deployment("internal")],
        }
    )
    results = {r.check: r for r in check_gateways(cluster, _tree(), _config())}
    assert results["gateway istio-ingressgateway available"].detail == (
        "Deployment istio-ingress/istio-ingressgateway: 0/1 ready, not Available"
    )
    assert results["gateway istio-ingressgateway service"].detail == (
        "Service istio-ingress/istio-ingressgateway is NodePort, not LoadBalancer"
    )
    assert results["gateway egress available"].detail == "no Deployment istio-egress/egress-gw"
    assert results["gateway egress service"].detail == "no Service istio-egress/egress-gw"
    assert [r.ok for r in results.values()] == [False, False, False, False, True]


def test_kiali_deployment_is_looked_for_in_the_monitoring_namespace() -> None:
    cluster = FakeCluster(objects={("deployments", "monitoring"): [_deployment("kiali")]})
    (result,) = check_kiali(cluster, _tree(), _config())
    assert (result.check, result.ok, result.detail) == (
        "kiali available",
        True,
        "Deployment monitoring/kiali: 1/1 ready",
    )
    assert cluster.asked == [("get", "deployments", "-n", "monitoring")]
