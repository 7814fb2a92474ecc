"""Gateways (`gateways:`) and Kiali (`monitoring.kiali`) through the real helmfile and charts.

The golden config `tests/golden/gateways-kiali` (an ingress and an egress gateway, a
Telemetry selecting the ingress gateway's pods, Kiali next to Prometheus and Grafana) is
rendered, each release pointed at its chart source under `../shared/charts/` (istio gateway
1.30.3, kiali-server 2.29.0 among them), and `helmfile template` renders the whole tree.
The final manifests are held to what meshgen assumes: the gateway pods' labels (which the
Telemetry checks match selectors against), their injection template and scrape
annotations, which the rendered Prometheus's `kubernetes-pods` job keeps; each gateway's
Service with its type; the URLs in Kiali's ConfigMap naming Services of the tree; and
kubernetes-validate on every object.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.realtools import harness
from tests.realtools.harness import NEEDS_TOOLS, Tree

pytestmark = NEEDS_TOOLS

GOLDEN = harness.REPO / "tests" / "golden" / "gateways-kiali"
#: Beyond the harness's charts: the gateway and Kiali charts this tree adds.
SOURCES = {
    **harness.LOCAL_SOURCES,
    "istio/gateway": "istio-1.30.3/gateway",
    "kiali/kiali-server": "kiali-server-2.29.0",
}


def _point_charts(helmfile: Path) -> None:
    state = yaml.safe_load(helmfile.read_text())
    for release in state["releases"]:
        source = SOURCES.get(release["chart"])
        if source is not None:
            release["chart"] = str(harness.CHARTS / source)
            release.pop("version", None)
    helmfile.write_text(yaml.safe_dump(state, sort_keys=False))


def _project(folder: Path, config_text: str | None = None) -> Path:
    """A copy of the golden config (or `config_text`) rendering into `<folder>/out`."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "meshgen.yaml"
    text = config_text or (GOLDEN / "meshgen.yaml").read_text()
    if not text.startswith("output:"):
        text = "output: out\n" + text
    config.write_text(text)
    return config


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    config = _project(tmp_path_factory.mktemp("gateways-kiali"))
    harness.render(config)
    helmfile = config.parent / "out" / "helmfile.yaml"
    _point_charts(helmfile)
    return Tree(config, helmfile, harness.template(helmfile))


def _config(tree: Tree) -> Any:
    from meshgen import api

    loaded = api.load_project(tree.config).loaded.config
    assert loaded is not None
    return loaded


def _pod_template(tree: Tree, namespace: str, name: str) -> dict[str, Any]:
    deployment = tree.named("Deployment", namespace, name)
    template: dict[str, Any] = deployment["spec"]["template"]
    return template


def test_the_tree_renders_every_release_with_the_real_charts(tree: Tree) -> None:
    state = yaml.safe_load(tree.helmfile.read_text())
    by_name = {r["name"]: r for r in state["releases"]}
    assert {"istio-ingressgateway", "istio-egressgateway", "kiali-server"} <= set(by_name)
    # Gateways after istiod (its injector fills in image: auto), Kiali after its sources.
    for gateway in ("istio-ingressgateway", "istio-egressgateway"):
        assert "istio-system/istiod" in by_name[gateway]["needs"]
    assert by_name["kiali-server"]["needs"] == ["monitoring/prometheus", "monitoring/grafana"]
    # The Telemetry in istio-ingress waits for the namespace the ingress release creates.
    assert "istio-ingress/istio-ingressgateway" in by_name["mesh-telemetry"]["needs"]
    kinds = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in tree.objects
             if o["kind"] in ("Deployment", "Service")}  # fmt: skip
    assert {
        ("Deployment", "istio-ingress", "istio-ingressgateway"),
        ("Deployment", "istio-egress", "istio-egressgateway"),
        ("Deployment", "monitoring", "kiali"),
        ("Service", "monitoring", "kiali"),
    } <= kinds


def test_gateway_pods_carry_the_labels_and_annotations_meshgen_assumes(tree: Tree) -> None:
    from meshgen.render.gateways import pod_labels, workload_name

    config = _config(tree)
    checked = 0
    for gateway in config.gateways:
        template = _pod_template(tree, gateway.namespace, workload_name(config, gateway))
        rendered = template["metadata"]["labels"]
        assumed = pod_labels(config, gateway)
        assert {k: rendered.get(k) for k in assumed} == assumed, gateway.name
        annotations = template["metadata"]["annotations"]
        assert annotations["inject.istio.io/templates"] == "gateway"
        assert rendered["sidecar.istio.io/inject"] == "true"
        (container,) = template["spec"]["containers"]
        assert (container["name"], container["image"]) == ("istio-proxy", "auto")
        checked += 1
    assert checked == 2
    # The labels the chart derives from the release name (istio- prefix dropped for `istio`).
    ingress = _pod_template(tree, "istio-ingress", "istio-ingressgateway")["metadata"]["labels"]
    assert (ingress["app"], ingress["istio"]) == ("istio-ingressgateway", "ingressgateway")


def test_a_telemetry_selecting_the_gateway_matches_its_pods_and_meshgen_agrees(
    tree: Tree, tmp_path: Path
) -> None:
    selected = 0
    for telemetry in tree.of_kind("Telemetry", "istio-ingress"):
        wanted = telemetry["spec"]["selector"]["matchLabels"]
        pods = tree.pod_labels("istio-ingress")
        assert any(harness.selects(wanted, labels) for labels in pods), (wanted, pods)
        selected += 1
    assert selected == 1
    assert harness.findings(tree.config) == []
    # A selector the rendered pods do not carry: meshgen's T112 says so, as the chart would.
    text = tree.config.read_text().replace("{istio: ingressgateway}", "{istio: ingress}")
    config = _project(tmp_path / "typo", text)
    assert [line.split(" ")[1] for line in harness.findings(config)] == ["T112"]
    assert not any(
        harness.selects({"istio": "ingress"}, p) for p in tree.pod_labels("istio-ingress")
    )


def test_each_gateway_service_exists_with_its_type_and_selects_its_pods(tree: Tree) -> None:
    from meshgen.render.gateways import workload_name

    config = _config(tree)
    services = harness.services(tree)
    types = {}
    for gateway in config.gateways:
        name = workload_name(config, gateway)
        service = services[(gateway.namespace, name)]
        types[gateway.name] = service["spec"]["type"]
        assert types[gateway.name] == gateway.service_type
        pods = tree.pod_labels(gateway.namespace)
        assert any(harness.selects(service["spec"]["selector"], p) for p in pods), name
    assert types == {"istio-ingressgateway": "LoadBalancer", "istio-egressgateway": "ClusterIP"}


def _relabel(rules: list[dict[str, Any]], labels: dict[str, str]) -> dict[str, str] | None:
    """Prometheus relabelling (keep, drop, replace, labelmap) of one target; None: dropped."""
    out = dict(labels)
    for rule in rules:
        action = rule.get("action", "replace")
        raw = rule.get("regex", "(.*)")
        # `regex: true` reads as a YAML boolean here; Prometheus takes it as the text.
        regex = re.compile(str(raw).lower() if isinstance(raw, bool) else str(raw))
        value = rule.get("separator", ";").join(
            out.get(s, "") for s in rule.get("source_labels", [])
        )
        if action == "keep" and not regex.fullmatch(value):
            return None
        if action == "drop" and regex.fullmatch(value):
            return None
        if action == "replace":
            match = regex.fullmatch(value)
            if match:
                replacement = re.sub(r"\$(\d+)", r"\\\1", str(rule.get("replacement", "$1")))
                out[rule["target_label"]] = match.expand(replacement)
        if action == "labelmap":
            for key in list(out):
                match = regex.fullmatch(key)
                if match:
                    out[match.expand(str(rule.get("replacement", "$1")).replace("$1", r"\1"))] = (
                        out[key]
                    )
    return out


def _meta_name(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", text)


GATEWAYS = (("istio-ingress", "istio-ingressgateway"), ("istio-egress", "istio-egressgateway"))


def _scrapes(tree: Tree, namespace: str, name: str) -> dict[str, set[tuple[str, str]]]:
    """Job -> (address, path) of the targets the rendered Prometheus keeps of a gateway pod.

    Pod discovery makes one target per container port; each job's relabelling is applied
    to the pod's annotations, labels and port, as Prometheus does.
    """
    (configmap,) = [
        c
        for c in tree.of_kind("ConfigMap", "monitoring")
        if "prometheus.yml" in (c.get("data") or {})
    ]
    jobs = yaml.safe_load(configmap["data"]["prometheus.yml"])["scrape_configs"]
    template = _pod_template(tree, namespace, name)
    base = {"__meta_kubernetes_pod_ip": "10.0.0.7", "__meta_kubernetes_namespace": namespace,
            "__meta_kubernetes_pod_phase": "Running", "__metrics_path__": "/metrics"}  # fmt: skip
    for key, value in template["metadata"]["annotations"].items():
        base[f"__meta_kubernetes_pod_annotation_{_meta_name(key)}"] = value
    for key, value in template["metadata"]["labels"].items():
        base[f"__meta_kubernetes_pod_label_{_meta_name(key)}"] = value
    kept: dict[str, set[tuple[str, str]]] = {}
    for job in jobs:
        if (job.get("kubernetes_sd_configs") or [{}])[0].get("role") != "pod":
            continue
        for container in template["spec"]["containers"]:
            for port in container.get("ports") or ():
                meta = {**base, "__address__": f"10.0.0.7:{port['containerPort']}",
                        "__meta_kubernetes_pod_container_name": container["name"],
                        "__meta_kubernetes_pod_container_port_name": port.get("name", "")}  # fmt: skip
                meta["__metrics_path__"] = job.get("metrics_path", "/metrics")
                target = _relabel(job.get("relabel_configs") or [], meta)
                if target is not None:
                    kept.setdefault(job["job_name"], set()).add(
                        (target["__address__"], target["__metrics_path__"])
                    )
    return kept


def test_the_rendered_prometheus_scrapes_each_gateway_once_on_the_merged_endpoint(
    tree: Tree,
) -> None:
    for namespace, name in GATEWAYS:
        assert _scrapes(tree, namespace, name) == {
            "kubernetes-pods": {("10.0.0.7:15020", "/stats/prometheus")}
        }, name


def test_with_the_envoy_stats_job_each_gateway_is_scraped_once_on_15090(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    text = (GOLDEN / "meshgen.yaml").read_text()
    old = "    chartVersion: 29.27.0\n"
    assert old in text
    text = text.replace(old, old + "    istioScraping: {envoyStats: true}\n", 1)
    config = _project(tmp_path_factory.mktemp("envoy-stats"), text)
    harness.render(config)
    helmfile = config.parent / "out" / "helmfile.yaml"
    _point_charts(helmfile)
    variant = Tree(config, helmfile, harness.template(helmfile))
    for namespace, name in GATEWAYS:
        assert _scrapes(variant, namespace, name) == {
            "envoy-stats": {("10.0.0.7:15090", "/stats/prometheus")}
        }, name


_URL = re.compile(r"https?://([^.:/]+)\.([^.:/]+)\.svc(?:\.cluster\.local)?:(\d+)/?")


def _kiali_config(tree: Tree) -> dict[str, Any]:
    configmap = tree.named("ConfigMap", "monitoring", "kiali")
    data: dict[str, Any] = yaml.safe_load(configmap["data"]["config.yaml"])
    return data


def test_kiali_reads_services_that_exist_in_the_rendered_tree(tree: Tree) -> None:
    external = _kiali_config(tree)["external_services"]
    services = harness.services(tree)
    urls = {
        "prometheus": external["prometheus"]["url"],
        "grafana internal": external["grafana"]["internal_url"],
    }
    named = {}
    for what, url in urls.items():
        match = _URL.fullmatch(url)
        assert match, (what, url)
        name, namespace, port = match.groups()
        service = services.get((namespace, name))
        assert service is not None, (what, url, sorted(services))
        assert int(port) in {p["port"] for p in service["spec"]["ports"]}, (what, url)
        named[what] = (namespace, name)
    assert named == {
        "prometheus": ("monitoring", "prometheus-server"),
        "grafana internal": ("monitoring", "grafana"),
    }
    assert external["istio"]["root_namespace"] == "istio-system"


def test_kiali_names_the_dashboards_grafana_is_provisioned_with(tree: Tree) -> None:
    from meshgen.knowledge.dashboards import by_gnet_id

    grafana = _kiali_config(tree)["external_services"]["grafana"]
    provisioned = tree.values("grafana-values.yaml")["dashboards"]["istio"]
    titles = [by_gnet_id(entry["gnetId"]).title for entry in provisioned.values()]  # type: ignore[union-attr]
    assert [d["name"] for d in grafana["dashboards"]] == titles == [
        "Istio Mesh Dashboard", "Istio Service Dashboard", "Istio Workload Dashboard"
    ]  # fmt: skip
    # The upstream dashboards have the variables Kiali's links fill in.
    upstream = harness.REPO.parent / "shared" / "upstream" / "istio-1.30.3" / "dashboards"
    if upstream.is_dir():
        import json

        names = {"Istio Service Dashboard": "istio-service-dashboard.json",
                 "Istio Workload Dashboard": "istio-workload-dashboard.json"}  # fmt: skip
        for board in grafana["dashboards"]:
            if board["name"] not in names:
                continue
            data = json.loads((upstream / names[board["name"]]).read_text())
            variables = {v["name"] for v in data["templating"]["list"]}
            wanted = {
                v.removeprefix("var-") for k, v in board["variables"].items() if k != "namespace"
            }
            assert wanted <= variables, board
    # Kiali reads Grafana with the admin Secret, which the chart mounts.
    assert grafana["auth"]["username"] == "secret:grafana-admin:admin-user"
    deployment = tree.named("Deployment", "monitoring", "kiali")
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert any((v.get("secret") or {}).get("secretName") == "grafana-admin" for v in volumes), (
        volumes
    )


def test_every_object_passes_kubernetes_validate_strict(tree: Tree) -> None:
    problems, unknown, validated = harness.kubernetes_problems(tree.objects)
    assert problems == []
    assert unknown == {"Telemetry"}
    assert validated >= 50


def test_verify_looks_for_the_gateways_the_charts_render(tree: Tree) -> None:
    from meshgen import api

    project = api.load_project(tree.config)
    asked = {(q.resource, q.namespace) for q in api.verify_queries(project)}
    assert {("deployments", "istio-ingress"), ("services", "istio-ingress"),
            ("deployments", "istio-egress"), ("services", "istio-egress"),
            ("deployments", "monitoring")} <= asked  # fmt: skip
    assert harness.check_verify_selectors(tree) >= 1
