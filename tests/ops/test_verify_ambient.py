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


def _pod(
    name: str,
    *containers: str,
    labels: dict[str, str] | None = None,
    captured: bool = True,
) -> dict[str, Any]:
    """A running pod; `captured`: istio-cni's redirection annotation is on it."""
    annotations = {"ambient.istio.io/redirection": "enabled"} if captured else {}
    return {
        "metadata": {"name": name, "labels": labels or {}, "annotations": annotations},
        "spec": {"containers": [{"name": c} for c in containers]},
        "status": {"phase": "Running"},
    }


def _node(name: str, os: str = "linux") -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"kubernetes.io/os": os}}}


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
        ("nodes", None): [
            _node("node-1"),
            _node("node-2"),
            _node("node-3"),
            _node("win-1", "windows"),
        ],
        ("pods", "inference"): [
            _pod("inference-balancer-1", "podinfo"),
            # The waypoint's own pod runs istio-proxy; its template opts it out of ambient.
            _pod(
                "waypoint-5d9c8-x7k2p",
                "istio-proxy",
                labels={
                    "istio.io/dataplane-mode": "none",
                    "gateway.networking.k8s.io/gateway-class-name": "istio-waypoint",
                },
                captured=False,
            ),
        ],
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
        "PASS no sidecars in ambient inference: 1 running pods, none with a sidecar "
        "(1 opted out with istio.io/dataplane-mode=none)",
        "PASS ztunnel captures inference: 1/1 running pods redirected to ztunnel",
        "PASS no sidecars in ambient batch: 0 running pods, none with a sidecar",
        "PASS ztunnel captures batch: 0/0 running pods redirected to ztunnel",
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
        "FAIL no sidecars in ambient inference: 1 of 2 running pods carry istio-proxy: old-1 "
        "(1 opted out with istio.io/dataplane-mode=none)",
        "PASS ztunnel captures inference: 1/1 running pods redirected to ztunnel",
        "PASS no sidecars in ambient batch: 0 running pods, none with a sidecar",
        "PASS ztunnel captures batch: 0/0 running pods redirected to ztunnel",
    ]


def test_a_daemonset_left_off_some_linux_nodes_fails() -> None:
    """ready == desired is not enough: desired must cover every Linux node (a toleration or
    nodeSelector override leaves nodes without ztunnel, and their ambient pods uncaptured)."""
    objects = _healthy()
    objects[("nodes", None)].append(_node("node-4"))
    rows = _ambient_rows(objects)
    assert rows[1:3] == [
        "FAIL istio-cni-node on every node: DaemonSet istio-system/istio-cni-node: 3/3 nodes "
        "ready, scheduled on 3 of 4 Linux nodes",
        "FAIL ztunnel on every node: DaemonSet istio-system/ztunnel: 3/3 nodes ready, "
        "scheduled on 3 of 4 Linux nodes",
    ]


def test_uncaptured_pods_fail_and_the_ztunnel_resource_name_is_honoured() -> None:
    objects = _healthy()
    objects[("pods", "batch")] = [
        _pod("batch-worker-1", "podinfo"),
        _pod("batch-worker-2", "podinfo", captured=False),
        _pod("opted-out-1", "podinfo", labels={"istio.io/dataplane-mode": "none"}, captured=False),
        {
            **_pod("opted-out-2", "podinfo", captured=False),
            "metadata": {
                "name": "opted-out-2",
                "annotations": {"ambient.istio.io/redirection": "disabled"},
            },
        },
    ]
    project = api.load_project(CONFIG)
    config = project.loaded.config
    assert config is not None
    rows = [
        (r.ok, r.check, r.detail, r.fix)
        for r in verify.check_ambient(FakeCluster(objects=objects), project, config)
    ]
    assert rows[-1] == (
        False,
        "ztunnel captures batch",
        "1 of 2 running pods without ambient.istio.io/redirection=enabled: batch-worker-2",
        "pods started before istio-cni was ready: kubectl -n batch rollout restart deployment "
        "(else see the istio-cni-node logs)",
    )
    renamed = config.model_copy(
        update={
            "istio": config.istio.model_copy(
                update={
                    "ambient": config.istio.ambient.model_copy(
                        update={"ztunnel_values": {"global": {"resourceName": "ztunnel-v2"}}}
                    )
                }
            )
        }
    )
    assert verify.ztunnel_daemonset(renamed) == "ztunnel-v2"
    found = [r.detail for r in verify.check_ambient(FakeCluster(objects=objects), project, renamed)]
    assert found[2] == "no DaemonSet istio-system/ztunnel-v2"


def test_a_sidecar_mesh_asks_nothing_more() -> None:
    project = api.load_project(
        Path(__file__).resolve().parents[2] / "infrastructure" / "meshgen.yaml"
    )
    config = project.loaded.config
    assert config is not None
    assert list(verify.check_ambient(FakeCluster(), project, config)) == []


def test_the_ambient_checks_ask_the_stand_in_kubectl_what_they_read(standins: Any) -> None:
    """Through the real `Cluster` and a stand-in kubectl: the list calls the ambient checks
    make (nodes included), in order, each answered with recorded-shape JSON."""
    import json

    standins.install("kubectl")
    for (resource, namespace), items in {**_healthy(), ("pods", "batch"): []}.items():
        args = ["get", resource, *(["-n", namespace] if namespace else []), "-o", "json"]
        standins.on("kubectl", *args, stdout=json.dumps({"items": items}))
    project = api.load_project(CONFIG)
    config = project.loaded.config
    assert config is not None
    results = list(verify.check_ambient(verify.Cluster(), project, config))
    assert [r.ok for r in results] == [True] * 8
    assert standins.argv() == [
        ["kubectl", "get", "customresourcedefinitions", "-o", "json"],
        ["kubectl", "get", "daemonsets", "-n", "istio-system", "-o", "json"],
        ["kubectl", "get", "nodes", "-o", "json"],
        ["kubectl", "get", "gateways.gateway.networking.k8s.io", "-n", "inference", "-o", "json"],
        ["kubectl", "get", "pods", "-n", "inference", "-o", "json"],
        ["kubectl", "get", "pods", "-n", "batch", "-o", "json"],
    ]
