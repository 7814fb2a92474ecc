"""Ambient mode with kube-prometheus-stack through the real helmfile and helm.

Renders tests/golden/ambient-kube-prometheus-stack, points every chart at its source under
../shared/charts/ (istio base, istiod, cni, ztunnel; kube-prometheus-stack 88.5.3 assembled
with its dependencies as tests/realtools/test_kube_prometheus_stack.py does), runs the real
`helmfile template`, and holds the monitors to the pods the real charts run:

- every PodMonitor carries the labels the rendered Prometheus custom resource selects;
- `ztunnel-monitor` selects the pods of the ztunnel chart's DaemonSet and keeps exactly one
  target per pod (port `ztunnel-stats`, 15020), with the `app`/`pod` labels the Ztunnel
  dashboard selects on; `envoy-stats-monitor` drops them (it would keep them otherwise);
- `waypoint-monitor` selects the pods istiod's waypoint template (read from the injector
  ConfigMap the istiod chart renders) makes, on its `metrics` port; `envoy-stats-monitor`
  does not select them, and still selects the sidecar namespace's pods;
- the PodMonitors pass the PodMonitor CRD schema of the stack's `crds` subchart, the other
  objects kubernetes-validate `--strict`.

The operator's own part of a PodMonitor's scrape config is modelled as prometheus-operator
generates it: pods picked by the monitor's selector and namespaces, a `port` keeps only that
container port, and `namespace`/`container`/`pod`/`job` (from `jobLabel`) labels are set
before the monitor's relabelings run.
"""

from __future__ import annotations

import bz2
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.realtools import harness
from tests.realtools import test_ambient as ambient
from tests.realtools import test_kube_prometheus_stack as kps_tools
from tests.realtools import test_promql_engine as engine
from tests.realtools.harness import REPO, Tree

pytestmark = harness.NEEDS_TOOLS

GOLDEN = REPO / "tests" / "golden" / "ambient-kube-prometheus-stack" / "meshgen.yaml"
MONITORS = ("envoy-stats-monitor", "ztunnel-monitor", "waypoint-monitor")


def _point_kps(helmfile: Path, charts: Path) -> None:
    harness.point_charts_at_sources(helmfile, ambient.AMBIENT_SOURCES)
    kps_tools.point_stack_at_source(helmfile, charts)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    folder = tmp_path_factory.mktemp("ambient-kps")
    config = folder / "meshgen.yaml"
    config.write_text(GOLDEN.read_text(encoding="utf-8"), encoding="utf-8")
    harness.render(config)
    helmfile = folder / "deployment" / "helmfile" / "helmfile.yaml"
    _point_kps(helmfile, folder / "charts")
    return Tree(config, helmfile, harness.template(helmfile))


def _monitors(tree: Tree) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in tree.of_kind("PodMonitor", "istio-system")}


def test_the_pod_monitors_carry_the_labels_the_prometheus_selects(tree: Tree) -> None:
    monitors = _monitors(tree)
    assert sorted(monitors) == sorted(MONITORS)
    (prometheus,) = tree.of_kind("Prometheus", "monitoring")
    selector = prometheus["spec"]["podMonitorSelector"]
    assert selector == {"matchLabels": {"release": "kps"}}
    assert prometheus["spec"]["podMonitorNamespaceSelector"] == {}
    for name, monitor in monitors.items():
        assert kps_tools._selects(selector, monitor["metadata"]["labels"]), name
    state = yaml.safe_load(tree.helmfile.read_text(encoding="utf-8"))
    releases = {r["name"]: r for r in state["releases"]}
    assert releases["istio-monitors"]["needs"] == ["monitoring/kps"]
    assert [r["name"] for r in state["releases"]][:4] == [
        "istio-base",
        "istiod",
        "istio-cni",
        "ztunnel",
    ]


def _meta(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def _targets(pod: dict[str, Any], namespace: str, name: str) -> list[dict[str, str]]:
    """Kubernetes pod discovery's meta labels: one target per declared container port."""
    base = {
        "__meta_kubernetes_namespace": namespace,
        "__meta_kubernetes_pod_name": name,
        "__meta_kubernetes_pod_node_name": "node-1",
        "__meta_kubernetes_pod_ip": "10.0.0.7",
    }
    for key, value in (pod["metadata"].get("labels") or {}).items():
        base[f"__meta_kubernetes_pod_label_{_meta(key)}"] = str(value)
        base[f"__meta_kubernetes_pod_labelpresent_{_meta(key)}"] = "true"
    for key, value in (pod["metadata"].get("annotations") or {}).items():
        base[f"__meta_kubernetes_pod_annotation_{_meta(key)}"] = str(value)
        base[f"__meta_kubernetes_pod_annotationpresent_{_meta(key)}"] = "true"
    return [
        {
            **base,
            "__meta_kubernetes_pod_container_name": c["name"],
            "__meta_kubernetes_pod_container_port_name": p.get("name", ""),
            "__meta_kubernetes_pod_container_port_number": str(p["containerPort"]),
            "__address__": f"10.0.0.7:{p['containerPort']}",
        }
        for c in pod["spec"]["containers"]
        for p in c.get("ports") or ()
    ]


def _relabel(rules: list[dict[str, Any]], meta: dict[str, str]) -> dict[str, str] | None:
    """A PodMonitor's relabelings (camelCase keys), as Prometheus applies them: the target's
    labels after them (meta labels included), None when a keep or drop removes it."""
    labels = dict(meta)
    for rule in rules:
        action = rule.get("action", "replace")
        regex = re.compile(str(rule.get("regex", "(.*)")))
        replacement = re.sub(r"\$\{?(\d+)\}?", r"\\\1", str(rule.get("replacement", "$1")))
        value = ";".join(labels.get(s, "") for s in rule.get("sourceLabels", ()))
        if action == "keep" and not regex.fullmatch(value):
            return None
        if action == "drop" and regex.fullmatch(value):
            return None
        if action == "labelmap":
            for name, v in list(labels.items()):
                match = regex.fullmatch(name)
                if match:
                    labels[match.expand(replacement)] = v
        elif action == "labeldrop":
            labels = {k: v for k, v in labels.items() if not regex.fullmatch(k)}
        elif action == "replace":
            match = regex.fullmatch(value)
            if match is not None:
                labels[rule["targetLabel"]] = match.expand(replacement)
    return labels


def _scraped(
    monitor: dict[str, Any], pod: dict[str, Any], namespace: str, name: str
) -> list[dict[str, str]]:
    """The targets (final labels) a PodMonitor makes of one pod; [] when it selects none."""
    spec = monitor["spec"]
    chosen = spec["namespaceSelector"]
    if not chosen.get("any") and namespace not in chosen.get(
        "matchNames", [monitor["metadata"]["namespace"]]
    ):
        return []
    if not kps_tools._selects(spec["selector"], pod["metadata"].get("labels") or {}):
        return []
    out = []
    for endpoint in spec["podMetricsEndpoints"]:
        for meta in _targets(pod, namespace, name):
            if (
                "port" in endpoint
                and meta["__meta_kubernetes_pod_container_port_name"] != endpoint["port"]
            ):
                continue
            job_label = _meta(spec.get("jobLabel", ""))
            job = meta.get(f"__meta_kubernetes_pod_label_{job_label}") or (
                f"{monitor['metadata']['namespace']}/{monitor['metadata']['name']}"
            )
            meta = {
                **meta,
                "namespace": namespace,
                "container": meta["__meta_kubernetes_pod_container_name"],
                "pod": name,
                "job": job,
            }
            kept = _relabel(endpoint.get("relabelings", []), meta)
            if kept is not None:
                final = {k: v for k, v in kept.items() if not k.startswith("__meta_")}
                out.append({**final, "__metrics_path__": endpoint.get("path", "/metrics")})
    return out


def _ztunnel_pod(tree: Tree) -> dict[str, Any]:
    template: dict[str, Any] = tree.named("DaemonSet", "istio-system", "ztunnel")["spec"][
        "template"
    ]
    return template


def test_the_ztunnel_monitor_keeps_one_target_per_ztunnel_pod(tree: Tree) -> None:
    monitors = _monitors(tree)
    pod = _ztunnel_pod(tree)
    (target,) = _scraped(monitors["ztunnel-monitor"], pod, "istio-system", "ztunnel-x7k2p")
    assert target["__metrics_path__"] == "/metrics"
    assert target["job"] == "ztunnel"
    # What the Ztunnel dashboard (grafana.com 21306) selects on.
    assert target["app"] == "ztunnel" and target["pod"] == "ztunnel-x7k2p"
    assert target["node"] == "node-1"
    # The sidecar monitor selects ztunnel's pods (container istio-proxy, scrape annotation)
    # but drops them; without that rule it would scrape ztunnel a second time.
    sidecar = monitors["envoy-stats-monitor"]
    assert _scraped(sidecar, pod, "istio-system", "ztunnel-x7k2p") == []
    (endpoint,) = sidecar["spec"]["podMetricsEndpoints"]
    without = [r for r in endpoint["relabelings"] if r.get("action") != "drop"]
    loose = {
        **sidecar,
        "spec": {**sidecar["spec"], "podMetricsEndpoints": [{**endpoint, "relabelings": without}]},
    }
    assert _scraped(loose, pod, "istio-system", "ztunnel-x7k2p")


def _waypoint_pod(tree: Tree) -> dict[str, Any]:
    """The pod istiod makes for Gateway inference/waypoint (class istio-waypoint), from its
    `waypoint` template as the istiod chart renders it into the injector ConfigMap."""
    injector = tree.named("ConfigMap", "istio-system", "istio-sidecar-injector")
    text = yaml.safe_load(injector["data"]["config"])["templates"]["waypoint"]
    labels = {
        "sidecar.istio.io/inject": "false",
        "istio.io/dataplane-mode": "none",
        "service.istio.io/canonical-name": "waypoint",
        "service.istio.io/canonical-revision": "latest",
        "gateway.networking.k8s.io/gateway-name": "waypoint",
        "gateway.networking.k8s.io/gateway-class-name": "istio-waypoint",
        "gateway.istio.io/managed": "istio.io-mesh-controller",
    }
    for key in labels:
        assert f'"{key}"' in text, key
    assert '"gateway.networking.k8s.io/gateway-class-name" .GatewayClass' in text
    annotations = {
        "prometheus.io/path": "/stats/prometheus",
        "prometheus.io/port": "15020",
        "prometheus.io/scrape": "true",
    }
    for key, value in annotations.items():
        assert f'"{key}" "{value}"' in text, key
    ports = re.findall(
        r"- containerPort: (\d+)\s+(?:name: (\S+)\s+protocol: TCP|protocol: TCP\s+name: (\S+))",
        text,
    )
    declared = [{"containerPort": int(n), "name": a or b} for n, a, b in ports]
    assert {"containerPort": 15020, "name": "metrics"} in declared
    return {
        "metadata": {"labels": labels, "annotations": annotations},
        "spec": {"containers": [{"name": "istio-proxy", "ports": declared}]},
    }


def test_the_waypoint_monitor_alone_scrapes_waypoint_pods(tree: Tree) -> None:
    monitors = _monitors(tree)
    pod = _waypoint_pod(tree)
    (target,) = _scraped(monitors["waypoint-monitor"], pod, "inference", "waypoint-5d9c8-x7k2p")
    assert target["__metrics_path__"] == "/stats/prometheus"
    assert target["__address__"] == "10.0.0.7:15020"
    assert target["job"] == "istio-waypoint"
    assert target["namespace"] == "inference"
    assert _scraped(monitors["envoy-stats-monitor"], pod, "inference", "waypoint-5d9c8-x7k2p") == []


def test_the_sidecar_monitor_still_scrapes_the_sidecar_namespace(tree: Tree) -> None:
    """legacy-api's pods (with the sidecar the injector adds at run time: container
    istio-proxy, the merged-metrics annotations) are still kept, at :15020/stats/prometheus."""
    (deployment,) = tree.of_kind("Deployment", "legacy")
    template = deployment["spec"]["template"]
    injected = {
        "metadata": {
            "labels": template["metadata"].get("labels") or {},
            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "15020",
                            "prometheus.io/path": "/stats/prometheus"},
        },
        "spec": {
            "containers": [
                *template["spec"]["containers"],
                {"name": "istio-proxy", "ports": [{"containerPort": 15090, "name": "http-envoy-prom"}]},
            ]
        },
    }  # fmt: skip
    kept = _scraped(_monitors(tree)["envoy-stats-monitor"], injected, "legacy", "legacy-api-1")
    assert kept and {t["__address__"] for t in kept} == {"10.0.0.7:15020"}


def _pod_monitor_schema() -> dict[str, Any]:
    crds = bz2.decompress((kps_tools.STACK / "charts" / "crds" / "files" / "crds.bz2").read_bytes())
    # One CRD per document; PyYAML cannot read some others (`- =` enum values), so only the
    # PodMonitor's is parsed.
    for text in crds.decode("utf-8").split("\n---"):
        if re.search(r"\n {4}kind: PodMonitor\n", text):
            doc = yaml.safe_load(text)
            (version,) = [v for v in doc["spec"]["versions"] if v["name"] == "v1"]
            schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
            return schema
    raise AssertionError("no PodMonitor CRD in the stack's crds subchart")


def test_pod_monitors_pass_the_crd_schema_and_the_rest_kubernetes_validate(tree: Tree) -> None:
    import jsonschema

    schema = _pod_monitor_schema()
    for monitor in _monitors(tree).values():
        jsonschema.validate(monitor, schema)
    # The schema can fail: an endpoint's relabeling action it does not know.
    broken = json.loads(json.dumps(_monitors(tree)["ztunnel-monitor"]))
    broken["spec"]["podMetricsEndpoints"][0]["relabelings"][0]["action"] = "labelmapp"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    problems, unknown, validated = harness.kubernetes_problems(tree.objects)
    assert problems == []
    assert "PodMonitor" in unknown  # no bundled schema: checked against the CRD above
    assert validated > 30


def _ztunnel_series(target: dict[str, str]) -> str:
    """ztunnel-shaped series for every non-cAdvisor query of the Ztunnel dashboard, each
    carrying the target labels the scrape gives them (`target`), in OpenMetrics."""
    own = {k: v for k, v in target.items() if not k.startswith("__")}
    families = {
        "istio_build": ("gauge", [{"component": "ztunnel", "tag": "1.30.3"}]),
        "istio_tcp_connections_opened": ("counter", [{}]),
        "istio_tcp_connections_closed": ("counter", [{}]),
        "istio_tcp_sent_bytes": ("counter", [{}]),
        "istio_tcp_received_bytes": ("counter", [{}]),
        "istio_dns_requests": ("counter", [{}]),
        "istio_xds_connection_terminations": ("counter", [{}]),
        "istio_xds_message": ("counter", [{"url": "type.googleapis.com/istio.workload.Address"}]),
        "workload_manager_active_proxy_count": ("gauge", [{}]),
        "workload_manager_pending_proxy_count": ("gauge", [{}]),
        "process_open_fds": ("gauge", [{}]),
        "istio_tcp_sockets_open": ("gauge", [{}]),
    }
    lines = []
    for family, (kind, variants) in families.items():
        lines.append(f"# TYPE {family} {kind}")
        name = f"{family}_total" if kind == "counter" else family
        for extra in variants:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted({**own, **extra}.items()))
            for step in range(engine.STEPS):
                value = 10 * (step + 1) if kind == "counter" else 5
                lines.append(
                    f"{name}{{{labels}}} {value} {engine.NOW - 15 * (engine.STEPS - step)}"
                )
    return "\n".join(lines) + "\n# EOF\n"


def _dashboard_queries() -> list[tuple[str, str]]:
    data = json.loads(ambient.ZTUNNEL_DASHBOARD.read_text(encoding="utf-8"))
    return [
        (panel.get("title", ""), engine._substitute(t["expr"], {"datasource": "prometheus"}))
        for panel in engine._panels(data)
        for t in panel.get("targets", [])
        if t.get("expr") and "container_" not in t["expr"]  # cAdvisor's (kubelet), not ztunnel's
    ]


@pytest.mark.skipif(not ambient.ZTUNNEL_DASHBOARD.is_file(), reason="Ztunnel dashboard not found")
@pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("promtool") is None,
    reason="a real PromQL engine is not installed (scripts/test-tools installs Debian's)",
)
def test_every_ztunnel_dashboard_query_returns_the_scraped_series(
    tree: Tree, tmp_path: Path
) -> None:
    """A real Prometheus holding ztunnel's series as `ztunnel-monitor` labels them answers
    every ztunnel query of the Ztunnel dashboard; labelled as `envoy-stats-monitor` would
    label them (pod labels dropped), the `app="ztunnel"` panels stay empty."""
    monitors = _monitors(tree)
    pod = _ztunnel_pod(tree)
    (target,) = _scraped(monitors["ztunnel-monitor"], pod, "istio-system", "ztunnel-x7k2p")
    queries = _dashboard_queries()
    assert len(queries) >= 12
    server = engine._Prometheus(tmp_path / "ztunnel", _ztunnel_series(target))
    try:
        empty = [(title, q) for title, q in queries if not server.query(q)]
    finally:
        server.close()
    assert empty == []
    # The same series labelled as the sidecar monitor would (its pod-label drop): no `app`.
    sidecar = monitors["envoy-stats-monitor"]
    (endpoint,) = sidecar["spec"]["podMetricsEndpoints"]
    without = [r for r in endpoint["relabelings"] if r.get("action") != "drop"]
    loose = {
        **sidecar,
        "spec": {**sidecar["spec"], "podMetricsEndpoints": [{**endpoint, "relabelings": without}]},
    }
    (as_sidecar,) = {
        json.dumps(t, sort_keys=True) for t in _scraped(loose, pod, "istio-system", "ztunnel-x7k2p")
    }
    server = engine._Prometheus(tmp_path / "sidecar", _ztunnel_series(json.loads(as_sidecar)))
    try:
        missing = {title for title, q in queries if not server.query(q)}
    finally:
        server.close()
    assert missing == {"Resource Usage"}, missing


def test_init_ambient_kube_prometheus_stack_starter_renders_under_the_real_helmfile(
    tmp_path: Path,
) -> None:
    """`meshgen init --dataplane ambient --stack kube-prometheus-stack`: a starter with no
    findings (the Ztunnel dashboard pinned), whose tree the real helmfile templates, with
    the three PodMonitors."""
    from meshgen import api

    config = tmp_path / "meshgen.yaml"
    harness.meshgen(
        "init", "--dataplane", "ambient", "--stack", "kube-prometheus-stack", str(config)
    )
    found = harness.findings(config)
    assert found == []
    written = api.write_tree(config, api.load_project(config))
    assert written.plan is not None and not written.conflicts
    helmfile = tmp_path / "deployment" / "helmfile" / "helmfile.yaml"
    _point_kps(helmfile, tmp_path / "charts")
    objects = Tree(config, helmfile, harness.template(helmfile))
    ambient.assert_downloads_the_ztunnel_dashboard(objects)
    names = sorted(m["metadata"]["name"] for m in objects.of_kind("PodMonitor", "istio-system"))
    assert names == sorted(MONITORS)
    (prometheus,) = objects.of_kind("Prometheus", "monitoring")
    selector = prometheus["spec"]["podMonitorSelector"]
    for monitor in objects.of_kind("PodMonitor", "istio-system"):
        assert kps_tools._selects(selector, monitor["metadata"]["labels"])
    assert objects.named("DaemonSet", "istio-system", "ztunnel")
    assert objects.named("Gateway", "apps", "waypoint")["spec"]["gatewayClassName"] == (
        "istio-waypoint"
    )
