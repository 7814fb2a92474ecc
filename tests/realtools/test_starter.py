"""The `meshgen init` starter and its variants, through the real helm and helmfile.

Each variant is the starter as `meshgen init` writes it, edited the way a user would:
tracing and access-log providers, several services (a second podinfo release and a local
chart of one's own), hostile free text (quotes, `{{ }}`, unicode, newlines) in the fields
that take it, and an air-gapped copy whose chart repositories are a local folder (no chart
rewriting: the tree meshgen renders is what helmfile templates, with no network). Each is
rendered once (module fixture) and its final manifests held to what the config asks:
every object passes kubernetes-validate `--strict`; meshConfig, Telemetry and the user's
strings arrive verbatim; the Grafana ConfigMaps hold the dashboards and the download
script; and the selectors of Telemetry, `meshgen verify` (`api.verify_queries`, no cluster)
and the traffic Job's target match pods and Services the real charts render.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.grafana_reads import grafana_reads
from tests.realtools.harness import (
    NEEDS_TOOLS,
    TOOLS,
    Tree,
    check_dashboard_workloads,
    check_traffic_targets,
    check_verify_selectors,
    env,
    findings,
    init,
    kubernetes_problems,
    make_mirror,
    meshgen,
    not_inside,
    point_charts_at_sources,
    render,
    run_helmfile,
    selects,
    services,
    template,
)

pytestmark = NEEDS_TOOLS

#: Free text with everything that could be evaluated or mangled on the way: quotes of both
#: kinds, Go/Jinja template syntax, `$`, backticks, a backslash, non-ASCII, and a newline.
HOSTILE = "say \"hi\" & 'bye' {{ .Values.x }} {% raw %} $HOME `id` \\d+ Grüße ✓ 世界\nline 2"
#: The same without the characters the Grafana download script cannot carry (C204).
HOSTILE_DATASOURCE = 'Prom "{{ .x }}" $HOME `id` Grüße ✓'
#: A CEL string literal (a Telemetry tag value): quotes and braces inside a CEL string.
HOSTILE_CEL = "'{{ .Values.x }} \"q\" Grüße ✓'"

#: A chart of one's own that follows meshgen's convention: pods labelled from the values
#: `app` and `version`, a Service named like the release on `service.port`.
OWN_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
    "values.yaml": "app: api\nversion: v1\nservice: {port: 8080}\npodAnnotations: {}\n",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 1
  selector:
    matchLabels: {app: {{ .Values.app | quote }}}
  template:
    metadata:
      labels:
        app: {{ .Values.app | quote }}
        version: {{ .Values.version | quote }}
      annotations: {{ toJson .Values.podAnnotations }}
    spec:
      containers:
        - name: api
          image: ghcr.io/example/api:1.0.0
          ports: [{name: http, containerPort: 8080}]
""",
    "templates/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  selector: {app: {{ .Values.app | quote }}}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
""",
}


def _edit(text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _q(text: str) -> str:
    """A YAML double-quoted scalar for `text` (JSON is YAML)."""
    return json.dumps(text, ensure_ascii=False)


PROVIDERS = (
    (
        "  accessLogging:\n    enabled: false              # true: Envoy access logs on every sidecar's stdout\n"
        "    encoding: TEXT              # or JSON\n",
        f"  accessLogging:\n    enabled: true\n    encoding: TEXT\n    format: {_q(HOSTILE + chr(10))}\n"
        "    provider: envoy\n",
    ),
    (
        "  tracing:\n    enabled: false\n    samplingPercentage: 1.0     # 0 - 100\n",
        "  tracing:\n    enabled: true\n    samplingPercentage: 2.5\n    provider: otel\n"
        "  extensionProviders:\n"
        "    - name: otel\n"
        "      opentelemetry: {service: otel-collector.observability.svc.cluster.local, port: 4317}\n"
        "    - name: zipkin\n"
        "      zipkin: {service: zipkin.observability.svc.cluster.local, port: 9411}\n"
        "    - name: access-text\n"
        f"      envoyFileAccessLog: {{path: /dev/stdout, logFormat: {{text: {_q(HOSTILE)}}}}}\n",
    ),
    (
        "namespaces:\n  - name: apps\n    injection: enabled\n",
        "namespaces:\n  - name: apps\n    injection: enabled\n"
        "  - name: backend\n    injection: enabled\n    labels: {team: backend}\n",
    ),
    (
        "            - name: prometheus\n",
        "            - name: prometheus\n"
        "      accessLogging:\n        - providers: [{name: access-text}]\n"
        "      tracing:\n        - providers: [{name: otel}]\n"
        "    - name: podinfo-metrics\n"
        "      namespace: apps\n"
        "      selector:\n        matchLabels: {app.kubernetes.io/name: podinfo}\n"
        "      metrics:\n"
        "        - providers: [{name: prometheus}]\n"
        "          overrides:\n"
        "            - match: {metric: REQUEST_COUNT, mode: SERVER}\n"
        "              tagOverrides:\n"
        f"                greeting: {{value: {_q(HOSTILE_CEL)}}}\n"
        "    - name: api-tracing\n"
        "      namespace: backend\n"
        "      selector:\n        matchLabels: {app: api}\n"
        "      tracing:\n        - providers: [{name: zipkin}]\n          randomSamplingPercentage: 50\n",
    ),
    ("      name: Prometheus\n", f"      name: {_q(HOSTILE_DATASOURCE)}\n"),
    (
        "    trafficTest:\n",
        f"    values:\n      ui: {{message: {_q(HOSTILE)}}}\n    trafficTest:\n",
    ),
)
SEVERAL_SERVICES = """\
  - name: podinfo-backend
    namespace: backend
    chart: podinfo/podinfo
    version: 6.7.1
    repository: {name: podinfo, url: https://stefanprodan.github.io/podinfo}
    podLabels: {app.kubernetes.io/name: podinfo-backend}
    values:
      nameOverride: podinfo-backend
    port: 9898
  - name: api
    namespace: backend
    chart: ./charts/api
    port: 8080
    app: api
    trafficTest: {path: /healthz, qps: 5, duration: 10s}
"""


def _airgapped(text: str) -> str:
    """Every chart repository a local folder (the mirror beside the config)."""
    text = _edit(
        text,
        ("  namespace: istio-system       # control plane and mesh root namespace\n",
         "  namespace: istio-system       # control plane and mesh root namespace\n"
         "  repository: ./mirror\n"),
        ("    chartVersion: 29.27.0\n", "    chartVersion: 29.27.0\n    repository: ./mirror\n"),
        ("    chartVersion: 12.11.1\n", "    chartVersion: 12.11.1\n    repository: ./mirror\n"),
        ("      url: https://stefanprodan.github.io/podinfo\n", "      url: ./mirror\n"),
    )  # fmt: skip
    return text


VARIANTS = ("starter", "providers", "airgapped")


def _project(tmp: Path, variant: str) -> Path:
    init(tmp / "meshgen.yaml")
    config = tmp / "meshgen.yaml"
    text = config.read_text(encoding="utf-8")
    if variant == "providers":
        text = _edit(text, *PROVIDERS) + SEVERAL_SERVICES
        for rel, body in OWN_CHART.items():
            (tmp / "charts" / "api" / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / "charts" / "api" / rel).write_text(body, encoding="utf-8")
    elif variant == "airgapped":
        text = _airgapped(text)
        make_mirror(tmp / "mirror")
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module", params=VARIANTS)
def tree(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Tree:
    tmp = tmp_path_factory.mktemp(request.param)
    config = _project(tmp, request.param)
    render(config)
    helmfile = tmp / "deployment" / "helmfile" / "helmfile.yaml"
    if request.param == "airgapped":
        # No network and no helm repositories configured: an empty HOME for helm.
        home = tmp / "home"
        home.mkdir()
        objects = template(
            helmfile, HOME=str(home), XDG_CONFIG_HOME=str(home), XDG_CACHE_HOME=str(home)
        )
    else:
        point_charts_at_sources(helmfile)
        objects = template(helmfile)
    return Tree(config, helmfile, objects)


# --- every object is a valid Kubernetes object -----------------------------------------


def test_every_object_passes_kubernetes_validate_strict(tree: Tree) -> None:
    problems, unknown, validated = kubernetes_problems(tree.objects)
    assert problems == []
    assert unknown == {"Telemetry"}  # checked against its CRD below
    assert validated >= 40


# --- what the config asks arrives ----------------------------------------------------


def _mesh(tree: Tree) -> dict[str, Any]:
    configmap = tree.named("ConfigMap", "istio-system", "istio")
    return dict(yaml.safe_load(configmap["data"]["mesh"]))


def test_every_meshconfig_leaf_reaches_the_mesh_configmap(tree: Tree) -> None:
    wanted = tree.values("istio-values.yaml")["meshConfig"]
    assert list(not_inside(wanted, _mesh(tree))) == []


def test_telemetry_objects_arrive_as_rendered(tree: Tree) -> None:
    rendered = {}
    for path in (tree.helmfile.parent / "manifests" / "telemetry").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        rendered[(doc["metadata"]["namespace"], doc["metadata"]["name"])] = doc["spec"]
    deployed = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"]
        for o in tree.of_kind("Telemetry")
    }
    assert rendered and deployed == rendered


def test_every_telemetry_passes_the_crd_schema_and_its_cel_rules(
    tree: Tree, upstream: Path
) -> None:
    from tests.test_upstream_conformance import crd_problems

    telemetries = tree.of_kind("Telemetry")
    assert telemetries
    for telemetry in telemetries:
        assert crd_problems(upstream, telemetry["spec"]) == [], telemetry["metadata"]["name"]


def test_helm_3_and_helm_4_render_the_service_charts_alike(tree: Tree) -> None:
    state = yaml.safe_load(tree.helmfile.read_text(encoding="utf-8"))
    config = yaml.safe_load(tree.config.read_text(encoding="utf-8"))
    names = {svc["name"] for svc in config["services"]}
    for release in state["releases"]:
        if release["name"] not in names:
            continue
        chart = (tree.helmfile.parent / release["chart"]).resolve()
        values = [a for v in release["values"] for a in ("-f", str(tree.helmfile.parent / v))]
        outputs = []
        for helm in ("helm3", "helm4"):
            result = subprocess.run(
                [str(TOOLS / helm / "helm"), "template", release["name"], str(chart),
                 "-n", release["namespace"], *values],
                capture_output=True, text=True, check=True, timeout=120,
            )  # fmt: skip
            docs = [d for d in yaml.safe_load_all(result.stdout) if isinstance(d, dict)]
            # Helm test hooks are left out: podinfo names its test Pods with randAlphaNum.
            outputs.append(
                [d for d in docs if "helm.sh/hook" not in (d["metadata"].get("annotations") or {})]
            )
        assert outputs[0] == outputs[1], release["name"]


def test_the_providers_and_hostile_strings_arrive_verbatim(tree: Tree) -> None:
    if "providers" not in str(tree.config):
        pytest.skip("the providers variant carries the hostile strings")
    mesh = _mesh(tree)
    providers = {p["name"]: p for p in mesh["extensionProviders"]}
    assert providers["access-text"]["envoyFileAccessLog"]["logFormat"]["text"] == HOSTILE
    assert mesh["accessLogFormat"] == HOSTILE + "\n"
    assert providers["otel"]["opentelemetry"] == {
        "service": "otel-collector.observability.svc.cluster.local", "port": 4317
    }  # fmt: skip
    assert providers["zipkin"]["zipkin"]["port"] == 9411
    assert (mesh["enableTracing"], mesh["defaultProviders"]["tracing"]) == (True, ["otel"])
    assert tree.values("istio-values.yaml")["traceSampling"] == 2.5
    # podinfo's ui.message goes through `quote` into the container's env.
    deployment = tree.named("Deployment", "apps", "podinfo")
    env_vars = {
        e["name"]: e.get("value")
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env_vars["PODINFO_UI_MESSAGE"] == HOSTILE
    # The CEL string of a tag override, in the Telemetry object as written.
    telemetry = tree.named("Telemetry", "apps", "podinfo-metrics")
    tags = telemetry["spec"]["metrics"][0]["overrides"][0]["tagOverrides"]
    assert tags["greeting"]["value"] == HOSTILE_CEL
    # The datasource name in Grafana's provisioning and in the download script's sed.
    datasources = _grafana_data(tree)["datasources.yaml"]
    provisioned = yaml.safe_load(datasources)["datasources"][0]["name"]
    assert grafana_reads(provisioned) == HOSTILE_DATASOURCE  # `$HOME` written `$$HOME`
    assert HOSTILE_DATASOURCE in _grafana_data(tree)["download_dashboards.sh"]


# --- Grafana: the dashboards the config asks for ------------------------------------


def _grafana_data(tree: Tree) -> dict[str, str]:
    """Every data key of the grafana release's ConfigMaps and Secrets (decoded)."""
    import base64

    out: dict[str, str] = {}
    for kind in ("ConfigMap", "Secret"):
        for obj in tree.of_kind(kind, "monitoring"):
            if obj["metadata"].get("labels", {}).get("app.kubernetes.io/name") != "grafana":
                continue
            out.update(obj.get("data") or {})
            for key, value in (obj.get("stringData") or {}).items():
                out[key] = value
            if kind == "Secret":
                for key, value in (obj.get("data") or {}).items():
                    out[key] = base64.b64decode(value).decode("utf-8")
    return out


def test_the_grafana_configmaps_hold_the_dashboards_the_config_asks(tree: Tree) -> None:
    config = yaml.safe_load(tree.config.read_text(encoding="utf-8"))
    wanted = config["monitoring"]["grafana"]["dashboards"]
    assert {d["name"] for d in wanted} >= {
        "istio-mesh",
        "istio-service",
        "istio-workload",
        "istio-performance",
    }
    data = _grafana_data(tree)
    providers = yaml.safe_load(data["dashboardproviders.yaml"])["providers"]
    paths = {p["name"]: p["options"]["path"] for p in providers}
    script = data["download_dashboards.sh"]
    for board in wanted:
        url = f"https://grafana.com/api/dashboards/{board['gnetId']}/revisions/{board['revision']}/download"
        assert url in script, board
        assert re.search(rf"> \"?{re.escape(paths['istio'])}/{board['name']}\.json", script), board
    # The service dashboards meshgen generates (inline JSON) land in their provider's ConfigMap.
    names = {svc["name"] for svc in config["services"]}
    inline = {
        key.removesuffix(".json")
        for obj in tree.of_kind("ConfigMap", "monitoring")
        if obj["metadata"]["name"].startswith("grafana-dashboards-")
        for key in obj.get("data") or {}
    }
    assert names <= inline, (names, inline)


def test_generated_dashboards_name_workloads_the_charts_render(tree: Tree) -> None:
    """`destination_workload` in a generated dashboard is a Deployment of the service."""
    config = yaml.safe_load(tree.config.read_text(encoding="utf-8"))
    assert check_dashboard_workloads(tree) == len(config["services"])


# --- selectors match what the charts render ------------------------------------------


def test_every_telemetry_selector_matches_pods_the_charts_render(tree: Tree) -> None:
    for telemetry in tree.of_kind("Telemetry"):
        wanted = (telemetry["spec"].get("selector") or {}).get("matchLabels")
        if wanted:
            pods = tree.pod_labels(telemetry["metadata"]["namespace"])
            assert any(selects(wanted, labels) for labels in pods), (telemetry["metadata"], pods)


def test_verify_selectors_match_what_the_charts_render(tree: Tree) -> None:
    assert check_verify_selectors(tree) >= 2


def test_the_traffic_jobs_target_a_service_and_pods_the_charts_render(tree: Tree) -> None:
    config = yaml.safe_load(tree.config.read_text(encoding="utf-8"))
    assert check_traffic_targets(tree) == sum("trafficTest" in s for s in config["services"])


def test_every_endpoints_scrape_job_keeps_a_service_that_exists(tree: Tree) -> None:
    jobs = yaml.safe_load(tree.values("prometheus-values.yaml")["extraScrapeConfigs"])
    ports = {
        key: {str(p.get("name", "")) for p in s["spec"].get("ports", [])}
        for key, s in services(tree).items()
    }
    checked = 0
    for job in jobs:
        sd = job.get("kubernetes_sd_configs", [{}])[0]
        if sd.get("role") != "endpoints":
            continue
        for rule in job.get("relabel_configs", []):
            if rule.get("action") == "keep" and rule.get("source_labels") == [
                "__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"
            ]:  # fmt: skip
                pattern = re.compile(rule["regex"])
                assert any(
                    pattern.fullmatch(f"{name};{port}")
                    for (_, name), names in ports.items()
                    for port in names
                ), job["job_name"]
                checked += 1
    assert checked


# --- the air-gapped tree -------------------------------------------------------------


def test_the_airgapped_tree_needs_no_repository(tree: Tree) -> None:
    if "airgapped" not in str(tree.config):
        pytest.skip("the airgapped variant")
    state = yaml.safe_load(tree.helmfile.read_text(encoding="utf-8"))
    assert state["repositories"] == []
    charts = {r["name"]: r["chart"] for r in state["releases"]}
    assert charts["istiod"] == "../../mirror/istiod"
    assert charts["podinfo"] == "../../mirror/podinfo"
    assert all("version" not in r for r in state["releases"])


# --- podinfo's labels, from the real chart -------------------------------------------


def _starter(tmp: Path, *edits: tuple[str, str]) -> Path:
    config = tmp / "meshgen.yaml"
    init(config)
    text = _airgapped(_edit(config.read_text(encoding="utf-8"), *edits))
    config.write_text(text, encoding="utf-8")
    make_mirror(tmp / "mirror")
    return config


def test_the_starter_is_clean_with_its_chart_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _starter(tmp_path)
    monkeypatch.setenv("PATH", env("helm4")["PATH"])
    assert findings(config, charts=True) == []


@pytest.mark.parametrize("flags", [("--charts",), ()], ids=["--charts", "helm-on-path"])
def test_podinfo_selected_by_app_is_found_out_with_the_real_chart(
    tmp_path: Path, flags: tuple[str, ...]
) -> None:
    """Without podLabels meshgen would select podinfo's pods by app=podinfo: H120.

    A plain `meshgen validate` renders the chart as soon as helm is on PATH.
    """
    config = _starter(
        tmp_path,
        ("    podLabels:\n      app.kubernetes.io/name: podinfo\n", ""),
        ("    port: 9898 ", "    port: 8080 "),
    )
    result = meshgen("validate", *flags, "-c", str(config), check=False, env=env("helm4"))
    lines = [line for line in result.stdout.splitlines() if ": H1" in line]
    assert [line.split(": ")[1].split()[0] for line in lines] == ["H120", "H121"]
    assert "it renders Deployment/podinfo (app.kubernetes.io/name=podinfo)" in lines[0]
    assert "it renders podinfo:9898/9999" in lines[1]
    assert result.returncode == 1


def test_the_starter_with_a_remote_chart_says_it_cannot_know(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "meshgen.yaml"
    init(config)
    monkeypatch.setenv("PATH", env("helm4")["PATH"])
    (line,) = findings(config, charts=True)
    assert line == (
        f"{config}:79:12: H122 service podinfo: the labels of its pods are not known (chart "
        "podinfo/podinfo comes from a remote repository and is not fetched); meshgen relies "
        "on app.kubernetes.io/name=podinfo as the config says [service-chart-unknown]"
    )


def test_oci_repositories_render_as_helmfile_oci_entries(tmp_path: Path) -> None:
    config = tmp_path / "meshgen.yaml"
    init(config)
    text = _edit(
        config.read_text(encoding="utf-8"),
        ("      url: https://stefanprodan.github.io/podinfo\n", "      url: oci://ghcr.io/stefanprodan/charts\n"),
    )  # fmt: skip
    config.write_text(text, encoding="utf-8")
    render(config)
    helmfile = tmp_path / "deployment" / "helmfile" / "helmfile.yaml"
    state = yaml.safe_load(helmfile.read_text(encoding="utf-8"))
    assert {"name": "podinfo", "url": "ghcr.io/stefanprodan/charts", "oci": True} in state[
        "repositories"
    ]
    (release,) = [r for r in state["releases"] if r["name"] == "podinfo"]
    assert (release["chart"], release["version"]) == ("podinfo/podinfo", "6.7.1")
    # helmfile pulls OCI charts even to list them: with no network the pull names the
    # reference it built, which must be podinfo 6.7.1 in that registry path.
    result = run_helmfile(["--file", str(helmfile), "list", "--output", "json"], timeout=120)
    if result.returncode == 0:  # a machine with network: the real chart was pulled
        assert {r["name"]: r["chart"] for r in json.loads(result.stdout)}[
            "podinfo"
        ] == "podinfo/podinfo"
    else:
        assert "ghcr.io/v2/stefanprodan/charts/podinfo/manifests/6.7.1" in result.stderr
