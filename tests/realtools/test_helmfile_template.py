"""The rendered tree through the real helmfile and helm, with the real chart sources.

`scripts/test-tools` installs helm 3.15.3 and 4.1.4, helmfile 0.166.0 and kubectl 1.35.2
into `.tools/`; `../shared/charts/` holds the charts at the pinned versions. Each release's
`chart:` is pointed at its local source, `helmfile template --skip-deps` renders the whole
tree with no network, and the final manifests are held to what meshgen meant: meshConfig in
the mesh ConfigMap, Telemetry objects unchanged, scrape jobs and the Grafana datasource
naming Services that exist, Telemetry selectors matching pods the charts render, and helm
3 and helm 4 rendering the same objects.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.realtools.harness import (
    CHARTS,
    MESHGEN,
    REPO,
    TOOLS,
    Tree,
    not_inside,
    point_charts_at_sources,
    template,
)

pytestmark = [
    pytest.mark.skipif(
        not (TOOLS / "bin" / "helmfile").is_file(),
        reason="the real helm/helmfile/kubectl are not installed: run `python scripts/test-tools`",
    ),
    pytest.mark.skipif(not CHARTS.is_dir(), reason=f"chart sources not found at {CHARTS}"),
]


def _variant(tmp: Path, edit: tuple[tuple[str, str], ...]) -> Path:
    project = tmp / "infrastructure"
    shutil.copytree(REPO / "infrastructure", project)
    config = project / "meshgen.yaml"
    text = config.read_text()
    for old, new in edit:
        assert old in text, old
        text = text.replace(old, new, 1)
    config.write_text(text)
    subprocess.run([str(MESHGEN), "render", "-c", str(config)], check=True, capture_output=True)
    return project / "deployment" / "helmfile" / "helmfile.yaml"


VARIANTS = {
    "infrastructure": (),
    "revision": (
        ("istio:\n", "istio:\n  revision: canary\n"),
        ("    injection: enabled ", "    injection: {revision: canary} "),
    ),
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tree:
    helmfile = _variant(tmp_path_factory.mktemp(request.param), VARIANTS[request.param])
    point_charts_at_sources(helmfile)
    # harness.template: each object with its release's namespace (helmfile --output-dir).
    return Tree(helmfile.parent.parent.parent / "meshgen.yaml", helmfile, template(helmfile))


def test_every_meshconfig_leaf_reaches_the_mesh_configmap(tree: Tree) -> None:
    mesh_config = tree.values("istio-values.yaml")["meshConfig"]
    revision = tree.values("istio-values.yaml").get("revision")
    name = f"istio-{revision}" if revision else "istio"
    (configmap,) = [c for c in tree.of_kind("ConfigMap", "istio-system") if c["metadata"]["name"] == name]
    deployed = yaml.safe_load(configmap["data"]["mesh"])
    assert list(not_inside(mesh_config, deployed)) == []


def test_telemetry_objects_arrive_as_rendered(tree: Tree) -> None:
    folder = tree.helmfile.parent / "manifests" / "telemetry"
    rendered = {}
    for path in folder.glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        rendered[(doc["metadata"]["namespace"], doc["metadata"]["name"])] = doc["spec"]
    deployed = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"] for o in tree.of_kind("Telemetry")
    }
    assert rendered and deployed == rendered


def _services(tree: Tree) -> dict[tuple[str, str], set[str]]:
    """(namespace, name) -> port names of every Service in the final manifests."""
    return {
        (s["metadata"].get("namespace", ""), s["metadata"]["name"]): {
            str(p.get("name", "")) for p in s["spec"].get("ports", [])
        }
        for s in tree.of_kind("Service")
    }


def test_every_endpoints_scrape_job_keeps_a_service_that_exists(tree: Tree) -> None:
    jobs = yaml.safe_load(tree.values("prometheus-values.yaml")["extraScrapeConfigs"])
    services = _services(tree)
    checked = 0
    for job in jobs:
        sd = job.get("kubernetes_sd_configs", [{}])[0]
        if sd.get("role") != "endpoints":
            continue
        namespaces = sd.get("namespaces", {}).get("names") or sorted({ns for ns, _ in services})
        for rule in job.get("relabel_configs", []):
            if rule.get("action") != "keep" or rule.get("source_labels") != [
                "__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"
            ]:  # fmt: skip
                continue
            pattern = re.compile(rule["regex"])
            found = [
                (ns, name, port)
                for (ns, name), ports in services.items()
                for port in ports
                if ns in namespaces and pattern.fullmatch(f"{name};{port}")
            ]
            assert found, f"job {job['job_name']}: no Service/port matches {rule['regex']!r}"
            checked += 1
    assert checked, "no endpoints job was checked"


def test_the_grafana_datasource_names_the_rendered_prometheus_service(tree: Tree) -> None:
    datasources = tree.values("grafana-values.yaml")["datasources"]["datasources.yaml"]["datasources"]
    services = _services(tree)
    for source in datasources:
        match = re.fullmatch(r"https?://([^.:/]+)\.([^.:/]+)\.svc(?:\.cluster\.local)?:(\d+)/?", source["url"])
        assert match, source["url"]
        name, namespace, port = match.groups()
        (service,) = [
            s for s in tree.of_kind("Service", namespace) if s["metadata"]["name"] == name
        ]
        assert (namespace, name) in services
        assert int(port) in {p["port"] for p in service["spec"]["ports"]}


def _pod_labels(tree: Tree, namespace: str) -> list[dict[str, str]]:
    labels = []
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        for workload in tree.of_kind(kind, namespace):
            labels.append(workload["spec"]["template"]["metadata"].get("labels", {}))
    return labels


def test_every_telemetry_selector_matches_pods_the_charts_render(tree: Tree) -> None:
    selected = 0
    for telemetry in tree.of_kind("Telemetry"):
        wanted = (telemetry["spec"].get("selector") or {}).get("matchLabels")
        if not wanted:
            continue
        pods = _pod_labels(tree, telemetry["metadata"]["namespace"])
        assert any(all(labels.get(k) == v for k, v in wanted.items()) for labels in pods), (
            telemetry["metadata"]["name"], wanted, pods
        )
        selected += 1
    assert selected, "no Telemetry with a selector in this tree"


def test_every_object_passes_kubernetes_validate_strict(tree: Tree) -> None:
    from tests.realtools.harness import kubernetes_problems

    problems, unknown, validated = kubernetes_problems(tree.objects)
    assert problems == []
    assert unknown == {"Telemetry"}
    assert validated >= 40


def test_helm_3_and_helm_4_render_the_same_objects(tree: Tree) -> None:
    state = yaml.safe_load(tree.helmfile.read_text())
    compared = 0
    for release in state["releases"]:
        chart = Path(release["chart"])
        if not chart.is_absolute():
            chart = (tree.helmfile.parent / chart).resolve()
        if not (chart / "Chart.yaml").is_file():
            continue  # a folder of plain manifests (helmfile's chartify)
        values = [a for v in release.get("values", []) for a in ("-f", str(tree.helmfile.parent / v))]
        outputs = []
        for helm in ("helm3", "helm4"):
            result = subprocess.run(
                [str(TOOLS / helm / "helm"), "template", release["name"], str(chart),
                 "-n", release["namespace"], *values],
                capture_output=True, text=True, check=False, timeout=300,
            )  # fmt: skip
            assert result.returncode == 0, (helm, release["name"], result.stderr[-2000:])
            docs = [d for d in yaml.safe_load_all(result.stdout) if isinstance(d, dict)]
            outputs.append(sorted(docs, key=lambda d: (d.get("kind", ""), d["metadata"]["name"])))
        assert outputs[0] == outputs[1], release["name"]
        compared += 1
    assert compared >= 4


def test_verify_selectors_and_the_traffic_job_match_what_the_charts_render(tree: Tree) -> None:
    from tests.realtools.harness import check_traffic_targets, check_verify_selectors

    assert check_verify_selectors(tree) >= 2
    assert check_traffic_targets(tree) == 1


def test_generated_dashboards_name_deployments_the_charts_render(tree: Tree) -> None:
    from tests.realtools.harness import check_dashboard_workloads

    assert check_dashboard_workloads(tree) == 1
