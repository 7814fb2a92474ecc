"""The ambient tree through the real helmfile and helm, with the real Istio charts.

Renders tests/golden/ambient (the inference-balancer mesh in ambient mode with a waypoint,
plus one sidecar namespace), points every chart at its source under ../shared/charts/
(istio base, istiod, cni, ztunnel among them), runs the real `helmfile template`, and holds
the final manifests to what ambient needs: the data-plane releases and their profile, the
namespace labels, the waypoint Gateway against the Gateway API 1.5.1 CRD schema, the
ztunnel scrape job against the pods the ztunnel chart renders, and kubernetes-validate.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.realtools import harness
from tests.realtools.harness import NEEDS_TOOLS, REPO, Tree

GATEWAY_API = REPO.parent / "shared" / "upstream" / "gateway-api-1.5.1"
ZTUNNEL_DASHBOARD = (
    REPO.parent
    / "shared"
    / "upstream"
    / "istio-1.30.3"
    / "dashboards"
    / "ztunnel-dashboard.gen.json"
)
pytestmark = [
    *NEEDS_TOOLS,
    pytest.mark.skipif(not GATEWAY_API.is_dir(), reason=f"upstream files not found: {GATEWAY_API}"),
    pytest.mark.skipif(
        not ZTUNNEL_DASHBOARD.is_file(), reason=f"upstream file not found: {ZTUNNEL_DASHBOARD}"
    ),
]

AMBIENT_SOURCES = {
    **harness.LOCAL_SOURCES,
    "istio/cni": "istio-1.30.3/cni",
    "istio/ztunnel": "istio-1.30.3/ztunnel",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    folder = tmp_path_factory.mktemp("ambient")
    config = folder / "meshgen.yaml"
    text = (REPO / "tests" / "golden" / "ambient" / "meshgen.yaml").read_text()
    # The Ztunnel dashboard, pinned by content: Istio's own file, as a user would fetch it.
    (folder / "dashboards").mkdir()
    shutil.copy(ZTUNNEL_DASHBOARD, folder / "dashboards" / "ztunnel-dashboard.json")
    entry = "    #   - {name: istio-ztunnel, file: dashboards/ztunnel-dashboard.json}\n"
    assert entry in text
    text = text.replace(
        entry,
        entry
        + "    dashboards:\n      - {name: istio-ztunnel, file: dashboards/ztunnel-dashboard.json}\n",
    )
    text = text[: text.index("checks:\n")]  # no C142 to ignore now
    config.write_text(text)
    harness.render(config)
    helmfile = folder / "deployment" / "helmfile" / "helmfile.yaml"
    _point_at_sources(helmfile)
    return Tree(config, helmfile, harness.template(helmfile))


def _point_at_sources(helmfile: Path) -> None:
    """Each repository chart (istio/cni and istio/ztunnel too) -> its local source."""
    harness.point_charts_at_sources(helmfile, AMBIENT_SOURCES)


def _state(tree: Tree) -> dict[str, Any]:
    data = yaml.safe_load(tree.helmfile.read_text())
    assert isinstance(data, dict)
    return data


def test_releases_in_ambient_install_order(tree: Tree) -> None:
    releases = {r["name"]: r for r in _state(tree)["releases"]}
    names = list(releases)
    assert names[:4] == ["istio-base", "istiod", "istio-cni", "ztunnel"]
    assert releases["istio-cni"]["needs"] == ["istio-system/istiod"]
    assert releases["ztunnel"]["needs"] == ["istio-system/istio-cni"]
    assert "istio-system/ztunnel" in releases["inference-balancer"]["needs"]
    assert "istio-system/mesh-waypoints" in releases["inference-balancer"]["needs"]
    assert "istio-system/ztunnel" not in releases["legacy-api"]["needs"]
    # The Gateway API CRDs: a presync hook of istio-base (never run by `template`).
    (hook,) = releases["istio-base"]["hooks"]
    assert hook["events"] == ["presync"]
    assert hook["command"] == "kubectl"
    url = hook["args"][-1]
    bundle = yaml.safe_load((GATEWAY_API / "gateway.networking.k8s.io_gateways.yaml").read_text())[
        "metadata"
    ]["annotations"]["gateway.networking.k8s.io/bundle-version"]
    assert url == (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/"
        f"{bundle}/standard-install.yaml"
    )


def test_ambient_profile_reaches_the_charts(tree: Tree) -> None:
    istiod = tree.named("Deployment", "istio-system", "istiod")
    env = {
        e["name"]: e.get("value")
        for e in istiod["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["PILOT_ENABLE_AMBIENT"] == "true"
    cni = tree.named("ConfigMap", "istio-system", "istio-cni-config")
    assert cni["data"]["AMBIENT_ENABLED"] == "true"
    assert tree.named("DaemonSet", "istio-system", "istio-cni-node")
    assert tree.named("DaemonSet", "istio-system", "ztunnel")


def test_namespaces_carry_the_dataplane_label_and_no_injection_label(tree: Tree) -> None:
    namespaces = {n["metadata"]["name"]: n["metadata"]["labels"] for n in tree.of_kind("Namespace")}
    inference = namespaces["inference"]
    assert inference["istio.io/dataplane-mode"] == "ambient"
    assert inference["istio.io/use-waypoint"] == "waypoint"
    assert not {"istio-injection", "istio.io/rev"} & set(inference)
    legacy = namespaces["legacy"]
    assert legacy["istio-injection"] == "enabled"
    assert "istio.io/dataplane-mode" not in legacy


def _crd_schema(kind_file: str, version: str) -> dict[str, Any]:
    crd = yaml.safe_load((GATEWAY_API / kind_file).read_text())
    (found,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema: dict[str, Any] = found["schema"]["openAPIV3Schema"]
    return schema


def test_waypoint_gateway_passes_the_gateway_api_crd_schema(tree: Tree) -> None:
    import jsonschema

    (gateway,) = tree.of_kind("Gateway")
    assert gateway["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert gateway["metadata"] == {
        "name": "waypoint",
        "namespace": "inference",
        "labels": {"istio.io/waypoint-for": "service"},
    }
    assert gateway["spec"]["gatewayClassName"] == "istio-waypoint"
    schema = _crd_schema("gateway.networking.k8s.io_gateways.yaml", "v1")
    jsonschema.validate(gateway, schema)
    # The schema can fail: a listener without its required port is refused.
    broken = {**gateway, "spec": {**gateway["spec"], "listeners": [{"name": "mesh"}]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def _scrape_configs(tree: Tree) -> list[dict[str, Any]]:
    (cm,) = [
        c
        for c in tree.of_kind("ConfigMap", "monitoring")
        if "prometheus.yml" in (c.get("data") or {})
    ]
    config = yaml.safe_load(cm["data"]["prometheus.yml"])
    jobs: list[dict[str, Any]] = config["scrape_configs"]
    return jobs


def _kept(job: dict[str, Any], meta: dict[str, str]) -> dict[str, str] | None:
    """Prometheus relabelling (keep, labelmap, replace) of one target's meta labels."""
    labels = dict(meta)
    for rule in job.get("relabel_configs", ()):
        action = rule.get("action", "replace")
        raw = rule.get("regex", "(.*)")
        # YAML 1.1 reads the chart's `regex: true` as a boolean; Prometheus reads text.
        regex = re.compile(str(raw).lower() if isinstance(raw, bool) else str(raw))
        replacement = re.sub(r"\$\{?(\d+)\}?", r"\\\1", str(rule.get("replacement", "$1")))
        value = ";".join(labels.get(s, "") for s in rule.get("source_labels", ()))
        if action == "keep":
            if not regex.fullmatch(value):
                return None
        elif action == "drop":
            if regex.fullmatch(value):
                return None
        elif action == "labelmap":
            for name, v in list(labels.items()):
                m = regex.fullmatch(name)
                if m:
                    labels[m.expand(replacement)] = v
        elif action == "replace":
            match = regex.fullmatch(value)
            if match is not None:
                labels[rule["target_label"]] = match.expand(replacement)
    return {k: v for k, v in labels.items() if not k.startswith("__")}


def _pod_targets(workload: dict[str, Any], namespace: str) -> list[dict[str, str]]:
    """The meta labels of each container port of the pods a workload runs."""
    template = workload["spec"]["template"]
    pod = f"{workload['metadata']['name']}-x7k2p"
    base = {"__meta_kubernetes_namespace": namespace, "__meta_kubernetes_pod_name": pod}
    for k, v in (template["metadata"].get("labels") or {}).items():
        base[f"__meta_kubernetes_pod_label_{re.sub(r'[^a-zA-Z0-9_]', '_', k)}"] = v
    for k, v in (template["metadata"].get("annotations") or {}).items():
        base[f"__meta_kubernetes_pod_annotation_{re.sub(r'[^a-zA-Z0-9_]', '_', k)}"] = str(v)
    return [
        {
            **base,
            "__meta_kubernetes_pod_container_name": c["name"],
            "__meta_kubernetes_pod_container_port_name": p.get("name", ""),
            "__meta_kubernetes_pod_container_port_number": str(p["containerPort"]),
        }
        for c in template["spec"]["containers"]
        for p in c.get("ports") or ()
    ]


def test_ztunnel_job_keeps_the_pods_the_ztunnel_chart_renders(tree: Tree) -> None:
    jobs = {j["job_name"]: j for j in _scrape_configs(tree)}
    ztunnel = tree.named("DaemonSet", "istio-system", "ztunnel")
    targets = _pod_targets(ztunnel, "istio-system")
    kept = [(t, _kept(jobs["ztunnel"], t)) for t in targets]
    kept = [(t, labels) for t, labels in kept if labels is not None]
    assert len(kept) == 1
    target, labels = kept[0]
    assert target["__meta_kubernetes_pod_container_port_number"] == "15020"
    assert jobs["ztunnel"]["metrics_path"] == "/metrics"
    # What the Ztunnel dashboard (grafana.com 21306) selects on.
    assert labels["app"] == "ztunnel"
    assert re.fullmatch("ztunnel-.*", labels["pod"])
    # The chart's annotation-driven job no longer scrapes ztunnel a second time.
    pods_job = jobs["kubernetes-pods"]
    assert all(_kept(pods_job, t) is None for t in targets)


def test_ztunnel_dashboard_is_provisioned_and_its_selectors_match_the_scraped_labels(
    tree: Tree,
) -> None:
    """Every selector of the Ztunnel dashboard on a ztunnel series (`istio_tcp_*`,
    `istio_dns_*`, ...) is satisfied by the labels the `ztunnel` job gives ztunnel's series."""
    from meshgen.analysis import promql

    grafana = tree.values("grafana-values.yaml")
    provided = json.dumps(grafana["dashboards"])
    assert "12c58766acc81a1c835dd5059eaf2741" in provided  # the Ztunnel dashboard's uid
    jobs = {j["job_name"]: j for j in _scrape_configs(tree)}
    ztunnel = tree.named("DaemonSet", "istio-system", "ztunnel")
    (labels,) = [
        kept for t in _pod_targets(ztunnel, "istio-system") if (kept := _kept(jobs["ztunnel"], t))
    ]
    dashboard = json.loads(ZTUNNEL_DASHBOARD.read_text())
    checked = 0
    for panel in dashboard["panels"]:
        for target in panel.get("targets", ()):
            query = promql.analyze(target["expr"])
            for selector in query.selectors:
                scoped = [m for m in selector.matchers if m.name in ("app", "pod")]
                if not scoped or (selector.metric or "").startswith("container_"):
                    continue  # cAdvisor's series (kubelet job), not ztunnel's
                for matcher in scoped:
                    assert matcher.matches(labels[matcher.name]), (target["expr"], labels)
                checked += 1
    assert checked >= 10


def test_waypoint_pods_are_scraped_by_the_annotation_job(tree: Tree) -> None:
    """istiod renders waypoint pods from its `waypoint` template at run time: read it from
    the injector ConfigMap the istiod chart renders, and keep its pod through the chart's
    `kubernetes-pods` job (which honours the prometheus.io/* annotations it sets)."""
    (injector,) = [
        c for c in tree.of_kind("ConfigMap", "istio-system")
        if c["metadata"]["name"] == "istio-sidecar-injector"
    ]  # fmt: skip
    waypoint = yaml.safe_load(injector["data"]["config"])["templates"]["waypoint"]
    assert '"prometheus.io/scrape" "true"' in waypoint
    assert '"prometheus.io/port" "15020"' in waypoint
    assert re.search(r"containerPort: 15020\s+name: metrics", waypoint)
    jobs = {j["job_name"]: j for j in _scrape_configs(tree)}
    target = {
        "__meta_kubernetes_namespace": "inference",
        "__meta_kubernetes_pod_name": "waypoint-5d9c8-x7k2p",
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
        "__meta_kubernetes_pod_annotation_prometheus_io_port": "15020",
        "__meta_kubernetes_pod_annotation_prometheus_io_path": "/stats/prometheus",
        "__meta_kubernetes_pod_label_gateway_networking_k8s_io_gateway_name": "waypoint",
        "__meta_kubernetes_pod_container_port_name": "metrics",
        "__meta_kubernetes_pod_container_port_number": "15020",
        "__address__": "10.0.0.7:15020",
    }
    assert _kept(jobs["kubernetes-pods"], target) is not None
    assert "waypoints" not in jobs  # one job only: no series scraped twice


def test_kubernetes_validate_passes(tree: Tree) -> None:
    problems, _unknown, validated = harness.kubernetes_problems(tree.objects)
    assert problems == []
    assert validated > 20


def test_init_ambient_starter_renders_under_the_real_helmfile(tmp_path: Path) -> None:
    """`meshgen init --dataplane ambient`: a starter with no findings, the Ztunnel dashboard
    pinned to the Istio release in the download script, whose tree the real helmfile
    templates with the real charts."""
    from meshgen import api

    config = tmp_path / "meshgen.yaml"
    harness.meshgen("init", "--dataplane", "ambient", str(config))
    found = harness.findings(config)
    assert found == []
    written = api.write_tree(config, api.load_project(config))
    assert written.plan is not None and not written.conflicts
    helmfile = tmp_path / "deployment" / "helmfile" / "helmfile.yaml"
    _point_at_sources(helmfile)
    objects = Tree(config, helmfile, harness.template(helmfile))
    assert_downloads_the_ztunnel_dashboard(objects)
    (namespace,) = [n for n in objects.of_kind("Namespace") if n["metadata"]["name"] == "apps"]
    labels = namespace["metadata"]["labels"]
    assert labels["istio.io/dataplane-mode"] == "ambient"
    assert labels["istio.io/use-waypoint"] == "waypoint"
    assert "istio-injection" not in labels
    assert objects.named("DaemonSet", "istio-system", "ztunnel")
    assert objects.named("Gateway", "apps", "waypoint")["spec"]["gatewayClassName"] == (
        "istio-waypoint"
    )


def assert_downloads_the_ztunnel_dashboard(objects: Any) -> None:
    """The grafana chart's download script fetches the pinned Ztunnel dashboard into its folder."""
    from meshgen.knowledge.ambient import ztunnel_dashboard_url

    scripts = [
        text
        for cm in objects.of_kind("ConfigMap", "monitoring")
        for key, text in (cm.get("data") or {}).items()
        if key == "download_dashboards.sh"
    ]
    (script,) = scripts
    url = ztunnel_dashboard_url("1.30.3")
    assert f'"{url}"' in script, script
    assert "/var/lib/grafana/dashboards/istio/istio-ztunnel.json" in script, script
