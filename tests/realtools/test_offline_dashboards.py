"""`dashboardDelivery: configMaps` through the real helmfile and helm, with Istio's dashboards.

Istio's own dashboards (`../shared/upstream/istio-1.30.3/dashboards/`, copied into the test's
folder at test time, never into the repository) are rendered as ConfigMaps, once beside the
plain grafana chart and once beside kube-prometheus-stack's grafana subchart, and
`helmfile template` with the real charts is held to what meshgen meant: every dashboard
ConfigMap carries the label and value the rendered sidecar container watches (its `LABEL`
and `LABEL_VALUE` env) and the annotation it reads the folder from (`FOLDER_ANNOTATION`), in
a namespace it searches; the JSON arrives byte for byte; nothing is downloaded; and every
object kubernetes-validate knows passes `--strict`.

The size checks are proven with real dashboards: Istio's workload dashboard scaled past
1 MiB (G121), and copies of its service dashboard until a `grafana-dashboards-<folder>` release
passes Helm's 1 MiB Secret (H150), meshgen's figure compared with the release JSON the
real helm 4 prints for the chart helmfile makes of that folder.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import UPSTREAM
from tests.realtools import harness
from tests.realtools.harness import TOOLS, Tree

DASHBOARDS = UPSTREAM / "istio-1.30.3" / "dashboards"
pytestmark = [
    *harness.NEEDS_TOOLS,
    pytest.mark.skipif(
        not DASHBOARDS.is_dir(), reason=f"Istio's dashboards not found at {DASHBOARDS}"
    ),
]

#: Dashboard name -> (folder, Istio's file).
VENDORED = {
    "istio-service": ("istio", "istio-service-dashboard.json"),
    "istio-workload": ("istio", "istio-workload-dashboard.json"),
    "pilot": ("control-plane", "pilot-dashboard.gen.json"),
}

PLAIN = """\
  prometheus:
    chartVersion: 29.27.0
  grafana:
    chartVersion: 12.11.1
"""
STACK = """\
  stack: kube-prometheus-stack
  kubePrometheusStack:
    release: kps
    chartVersion: 88.5.3
    values:
      alertmanager: {enabled: false}
  grafana:
"""
CONFIG = """\
istio:
  version: 1.30.3
namespaces:
  - name: shop
    injection: enabled
monitoring:
%(monitoring)s\
    adminSecret: {name: grafana-admin}
    dashboardDelivery: configMaps
    dashboards:
%(dashboards)s
services:
  - name: podinfo
    namespace: shop
    chart: podinfo/podinfo
    version: 6.7.1
    repository: {name: podinfo, url: https://stefanprodan.github.io/podinfo}
    podLabels: {app.kubernetes.io/name: podinfo}
    port: 9898
"""


def _config(folder: Path, monitoring: str, dashboards: dict[str, tuple[str, str]]) -> Path:
    """A config delivering `dashboards` (name -> (folder, file under dashboards/))."""
    lines = [
        f"      - {{name: {name}, folder: {grafana_folder}, file: dashboards/{file}}}"
        for name, (grafana_folder, file) in dashboards.items()
    ]
    config = folder / "meshgen.yaml"
    config.write_text(
        CONFIG % {"monitoring": monitoring, "dashboards": "\n".join(lines)}, encoding="utf-8"
    )
    return config


def _vendor(folder: Path) -> None:
    """Istio's dashboards into the test's `dashboards/` (what a user vendors)."""
    (folder / "dashboards").mkdir(parents=True, exist_ok=True)
    for _, file in VENDORED.values():
        shutil.copyfile(DASHBOARDS / file, folder / "dashboards" / file)


@pytest.fixture(scope="module", params=["prometheus", "kube-prometheus-stack"])
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tree:
    tmp = tmp_path_factory.mktemp(f"offline-{request.param}")
    _vendor(tmp)
    stack = request.param == "kube-prometheus-stack"
    config = _config(tmp, STACK if stack else PLAIN, VENDORED)
    harness.render(config)
    helmfile = tmp / "deployment" / "helmfile" / "helmfile.yaml"
    harness.point_charts_at_sources(helmfile)
    if stack:
        from tests.realtools.test_kube_prometheus_stack import _assemble_stack

        chart = _assemble_stack(tmp / "charts")
        state = yaml.safe_load(helmfile.read_text(encoding="utf-8"))
        for release in state["releases"]:
            if release["chart"] == "prometheus-community/kube-prometheus-stack":
                release["chart"] = str(chart)
                release.pop("version", None)
        helmfile.write_text(yaml.safe_dump(state, sort_keys=False), encoding="utf-8")
    return Tree(config, helmfile, harness.template(helmfile))


def _grafana(tree: Tree) -> dict[str, Any]:
    (deployment,) = [
        d
        for d in tree.of_kind("Deployment", "monitoring")
        if d["metadata"]["name"] in ("grafana", "kps-grafana")
    ]
    return deployment


def _sidecar_env(tree: Tree) -> dict[str, str]:
    pod = _grafana(tree)["spec"]["template"]["spec"]
    (sidecar,) = [c for c in pod["containers"] if c["name"] == "grafana-sc-dashboard"]
    return {e["name"]: e.get("value", "") for e in sidecar["env"]}


def _ours(tree: Tree) -> dict[str, dict[str, Any]]:
    """Dashboard name -> its ConfigMap as helm rendered it."""
    from meshgen.render.dashboard_configmaps import configmap_name

    by_name = {c["metadata"]["name"]: c for c in tree.of_kind("ConfigMap", "monitoring")}
    wanted = {name: configmap_name(folder, name) for name, (folder, _) in VENDORED.items()}
    wanted["podinfo"] = configmap_name("services", "podinfo")
    assert set(wanted.values()) <= set(by_name), sorted(by_name)
    return {name: by_name[cm] for name, cm in wanted.items()}


def test_configmaps_carry_what_the_rendered_sidecar_watches(tree: Tree) -> None:
    env = _sidecar_env(tree)
    label, value, annotation = env["LABEL"], env.get("LABEL_VALUE"), env["FOLDER_ANNOTATION"]
    assert (label, value, annotation) == ("grafana_dashboard", "1", "grafana_folder"), env
    # No NAMESPACE: the sidecar searches its own namespace; ALL (the stack's) searches all.
    assert env.get("NAMESPACE", "monitoring") in ("monitoring", "ALL"), env
    for name, configmap in _ours(tree).items():
        metadata = configmap["metadata"]
        assert metadata["namespace"] == "monitoring"
        assert metadata["labels"][label] == value, (name, metadata)
        folder = VENDORED[name][0] if name in VENDORED else "services"
        assert metadata["annotations"][annotation] == folder, (name, metadata)


def test_grafana_loads_folders_from_the_files_the_sidecar_writes(tree: Tree) -> None:
    providers = [
        yaml.safe_load(c["data"]["provider.yaml"])
        for c in tree.of_kind("ConfigMap", "monitoring")
        if "provider.yaml" in (c.get("data") or {})
    ]
    (provider,) = [p for prov in providers for p in prov["providers"]]
    assert provider["options"]["foldersFromFilesStructure"] is True
    assert provider["options"]["path"] == "/tmp/dashboards"
    assert "folder" not in provider  # folders come from the files' folders (annotation)


def test_the_json_arrives_byte_identical(tree: Tree) -> None:
    ours = _ours(tree)
    for name, (_, file) in VENDORED.items():
        (key,) = ours[name]["data"]
        assert key == f"{name}.json"
        assert ours[name]["data"][key] == (DASHBOARDS / file).read_text(encoding="utf-8"), name
    (generated,) = ours["podinfo"]["data"].values()
    assert json.loads(generated)["uid"] == "meshgen-shop-podinfo"


def test_nothing_is_downloaded(tree: Tree) -> None:
    pod = _grafana(tree)["spec"]["template"]["spec"]
    init = [c["name"] for c in pod.get("initContainers") or []]
    assert "download-dashboards" not in init, init
    # No dashboards inlined in the chart's own per-provider ConfigMaps either.
    names = [c["metadata"]["name"] for c in tree.of_kind("ConfigMap", "monitoring")]
    assert not [n for n in names if "-dashboards-" in n and n.startswith(("grafana", "kps"))]


def test_the_dashboards_releases_need_nothing_but_their_namespace(tree: Tree) -> None:
    state = yaml.safe_load(tree.helmfile.read_text(encoding="utf-8"))
    releases = [r for r in state["releases"] if r["name"].startswith("grafana-dashboards-")]
    assert releases, "one release per Grafana folder"
    for release in releases:
        folder = release["name"].removeprefix("grafana-dashboards-")
        assert release["chart"] == f"./manifests/dashboards/{folder}"
        assert release["labels"] == {"tier": "monitoring", "component": "grafana-dashboards"}
        assert "needs" not in release


def test_kubernetes_validate_passes(tree: Tree) -> None:
    from tests.realtools.test_kube_prometheus_stack import OPERATOR_KINDS

    objects = [o for o in tree.objects if o.get("kind") not in OPERATOR_KINDS]
    problems, unknown, validated = harness.kubernetes_problems(objects)
    assert not problems, problems
    assert validated >= len(_ours(tree)), (validated, unknown)


# --- the size limits, with Istio's dashboards --------------------------------------------


def _scaled(folder: Path, name: str, factor: int) -> str:
    """Istio's workload dashboard with its panels repeated `factor` times (a real big one)."""
    data = json.loads((DASHBOARDS / "istio-workload-dashboard.json").read_text(encoding="utf-8"))
    data["panels"] = data["panels"] * factor
    file = f"{name}.json"
    (folder / "dashboards" / file).write_text(json.dumps(data, indent=2), encoding="utf-8")
    return file


def _codes(config: Path, code: str) -> list[str]:
    return [line for line in harness.findings(config) if f" {code} " in line]


def test_a_dashboard_over_1_mib_is_an_error_naming_it(tmp_path: Path) -> None:
    _vendor(tmp_path)
    big = _scaled(tmp_path, "big", 11)
    size = len((tmp_path / "dashboards" / big).read_bytes())
    assert size > 1024 * 1024
    config = _config(tmp_path, PLAIN, {"big": ("istio", big)})
    (finding,) = _codes(config, "G121")
    assert finding.startswith(f"{config}:14:9: G121 ConfigMap dashboard-istio-big would hold ")
    assert f"{size:,} B" in finding and "(dashboard big)" in finding
    # 10 copies of the panels (1,004,763 B with Istio 1.30.3's) fit.
    fits = _scaled(tmp_path, "fits", 10)
    assert len((tmp_path / "dashboards" / fits).read_bytes()) <= 1024 * 1024
    assert _codes(_config(tmp_path, PLAIN, {"fits": ("istio", fits)}), "G121") == []


def _chartify(folder: Path, out: Path) -> Path:
    """The chart helmfile's chartify makes of a folder of manifests (helmfile 0.166):
    `files/templates/<file>` printed by `{{ .Files.Get }}` templates, Chart.yaml named
    after the folder, version 1.0.0."""
    chart = out / folder.name
    (chart / "templates").mkdir(parents=True)
    (chart / "files" / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {folder.name}\nversion: 1.0.0\n", encoding="utf-8"
    )
    for manifest in sorted(folder.iterdir()):
        shutil.copyfile(manifest, chart / "files" / "templates" / manifest.name)
        (chart / "templates" / manifest.name).write_text(
            f'{{{{ .Files.Get "files/templates/{manifest.name}" }}}}\n', encoding="utf-8"
        )
    return chart


def _helm_release_secret(chart: Path) -> int:
    """The bytes of the `release` key Helm would store: its release JSON as the real helm 4
    prints it (`install --dry-run=client -o json`), gzip-compressed, base64-encoded."""
    result = subprocess.run(
        [str(TOOLS / "helm4" / "helm"), "install", "grafana-dashboards-istio", str(chart),
         "--namespace", "monitoring", "--dry-run=client", "--output", "json"],
        capture_output=True, check=False, timeout=300, env=harness.env("helm4"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    release = json.loads(result.stdout)
    assert release["manifest"].count("kind: ConfigMap") == len(list(chart.glob("templates/*")))
    return len(base64.b64encode(gzip.compress(result.stdout.strip(), compresslevel=9)))


@pytest.mark.parametrize(("copies", "over"), [(44, False), (46, True)])
def test_the_helm_release_limit_as_helm_encodes_it(tmp_path: Path, copies: int, over: bool) -> None:
    from meshgen import api
    from meshgen.checks import build, dashboard_delivery

    _vendor(tmp_path)
    boards = {f"svc-{n}": ("istio", "istio-service-dashboard.json") for n in range(copies)}
    config = _config(tmp_path, PLAIN, boards)
    found = _codes(config, "H150")
    project = api.load_project(config)
    sizes = dict(dashboard_delivery._dashboards_release_sizes(build.from_project(project)))
    ours = sizes["grafana-dashboards-istio"]  # the copies' folder (the services' is small)
    assert (ours > 1024 * 1024) is over and len(found) == int(over), (ours, found)
    if over:
        assert found[0].startswith(f"{config}:12:24: H150 release grafana-dashboards-istio ")
        assert f"{ours:,} B" in found[0]
    # The same files, made into the chart helmfile installs, as the real helm encodes them.
    folder = tmp_path / "rendered" / "istio"
    folder.mkdir(parents=True)
    for rendered in project.files:
        if rendered.path.startswith("manifests/dashboards/istio/"):
            (folder / rendered.path.rsplit("/", 1)[1]).write_text(rendered.text, encoding="utf-8")
    chart = _chartify(folder, tmp_path / "chart")
    real = _helm_release_secret(chart)
    # Within 0.5% (measured: 1,039,524 vs 1,040,556 B for 44 copies; the dry run writes
    # its own status and times).
    assert abs(real - ours) / real < 0.005, (ours, real)
