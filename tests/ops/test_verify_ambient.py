"""`meshgen verify` in an ambient mesh, against recorded-shape cluster objects (no kubectl)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meshgen import api
from meshgen.handoff import verify

CONFIG = Path(__file__).resolve().parent.parent / "golden" / "ambient" / "meshgen.yaml"


@dataclass
class FakeCluster(verify.Cluster):
    """Answers each list call from `objects` (resource, namespace) -> items."""

    objects: dict[tuple[str, str | None], list[dict[str, Any]]] = field(default_factory=dict)

    def _fetch(self, args: list[str]) -> list[dict[str, Any]] | None:
        namespace = args[args.index("-n") + 1] if "-n" in args else None
        return self.objects.get((args[1], namespace), [])


def _pod(name: str, *containers: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {}},
        "spec": {"containers": [{"name": c} for c in containers]},
        "status": {"phase": "Running"},
    }


def _healthy() -> dict[tuple[str, str | None], list[dict[str, Any]]]:
    return {
        ("customresourcedefinitions", None): [
            {
                "metadata": {
                    "name": "gateways.gateway.networking.k8s.io",
                    "annotations": {"gateway.networking.k8s.io/bundle-version": "v1.5.1"},
                }
            }
        ],
        ("daemonsets", "istio-system"): [
            {
                "metadata": {"name": n},
                "status": {"desiredNumberScheduled": 3, "numberReady": 3},
            }
            for n in ("istio-cni-node", "ztunnel")
        ],
        ("gateways.gateway.networking.k8s.io", "inference"): [
            {
                "metadata": {"name": "waypoint"},
                "status": {"conditions": [{"type": "Programmed", "status": "True"}]},
            }
        ],
        ("pods", "inference"): [_pod("inference-balancer-1", "podinfo")],
    }


def _ambient_rows(objects: dict[tuple[str, str | None], list[dict[str, Any]]]) -> list[str]:
    project = api.load_project(CONFIG)
    config = project.loaded.config
    assert config is not None
    results = list(verify.check_ambient(FakeCluster(objects=objects), project, config))
    return [f"{'PASS' if r.ok else 'FAIL'} {r.check}: {r.detail}" for r in results]


def test_healthy_ambient_data_plane_passes() -> None:
    assert _ambient_rows(_healthy()) == [
        "PASS gateway API CRDs: gateways.gateway.networking.k8s.io v1.5.1",
        "PASS istio-cni-node on every node: DaemonSet istio-system/istio-cni-node: 3/3 nodes ready",
        "PASS ztunnel on every node: DaemonSet istio-system/ztunnel: 3/3 nodes ready",
        "PASS waypoint inference/waypoint programmed: Programmed=True",
        "PASS no sidecars in ambient inference: 1 running pods, none with a sidecar",
        "PASS no sidecars in ambient batch: 0 running pods, none with a sidecar",
    ]


def test_broken_ambient_data_plane_fails_each_check() -> None:
    objects = _healthy()
    objects[("customresourcedefinitions", None)] = []
    objects[("daemonsets", "istio-system")][1]["status"]["numberReady"] = 2
    objects[("gateways.gateway.networking.k8s.io", "inference")][0]["status"] = {
        "conditions": [{"type": "Programmed", "status": "False", "message": "no deployment"}]
    }
    objects[("pods", "inference")].append(_pod("old-1", "podinfo", "istio-proxy"))
    assert _ambient_rows(objects) == [
        "FAIL gateway API CRDs: no CRD gateways.gateway.networking.k8s.io",
        "PASS istio-cni-node on every node: DaemonSet istio-system/istio-cni-node: 3/3 nodes ready",
        "FAIL ztunnel on every node: DaemonSet istio-system/ztunnel: 2/3 nodes ready",
        "FAIL waypoint inference/waypoint programmed: not programmed: no deployment",
        "FAIL no sidecars in ambient inference: 1 of 2 running pods carry istio-proxy: old-1",
        "PASS no sidecars in ambient batch: 0 running pods, none with a sidecar",
    ]


def test_a_sidecar_mesh_asks_nothing_more() -> None:
    project = api.load_project(
        Path(__file__).resolve().parents[2] / "infrastructure" / "meshgen.yaml"
    )
    config = project.loaded.config
    assert config is not None
    assert list(verify.check_ambient(FakeCluster(), project, config)) == []
