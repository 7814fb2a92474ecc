"""`meshgen lint` inputs (issue 14): projects, workloads, helmfiles, chart values, versions."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meshgen.checks.lint import build_context, lint, values_chart
from meshgen.diagnostics import BUILTIN_CODES, Diagnostic

CHARTS = Path(__file__).resolve().parent.parent.parent / "shared" / "charts"

Write = Callable[[str, str], Path]


@pytest.fixture
def write(chdir: Path) -> Write:
    def put(name: str, text: str) -> Path:
        path = chdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return Path(name)

    return put


def found(diagnostics: list[Diagnostic], *codes: str) -> list[tuple[str, str, int, int]]:
    return [
        (d.code, d.span.file, d.span.line, d.span.col)
        for d in diagnostics
        if not codes or d.code in codes
    ]


def telemetry(name: str, namespace: str, provider: str, section: str = "tracing") -> str:
    return f"""\
    apiVersion: telemetry.istio.io/v1
    kind: Telemetry
    metadata: {{name: {name}, namespace: {namespace}}}
    spec:
      {section}:
        - providers: [{{name: {provider}}}]
    """


def istiod_values(provider: str) -> str:
    return f"""\
    meshConfig:
      extensionProviders:
        - name: {provider}
          opentelemetry: {{service: {provider}.observability.svc.cluster.local, port: 4317}}
    """


def grafana_values(uid: str) -> str:
    return f"""\
    datasources:
      datasources.yaml:
        apiVersion: 1
        datasources:
          - {{name: Prometheus, uid: {uid}, type: prometheus, url: http://prometheus:9090}}
    """


def dashboard(uid: str) -> str:
    board = {
        "title": "Mesh",
        "uid": f"mesh-{len(uid)}-{uid[-1]}",
        "panels": [
            {
                "title": "Requests",
                "datasource": {"type": "prometheus", "uid": uid},
                "targets": [{"expr": "sum(rate(istio_requests_total[5m]))"}],
            }
        ],
    }
    return json.dumps(board, indent=2) + "\n"


# --- item 6: several projects at once -------------------------------------------------------


def _two_projects(write: Write) -> list[Path]:
    paths = []
    for project in ("team-a", "team-b"):
        paths += [
            write(f"{project}/istiod-values.yaml", istiod_values(f"otel-{project}")),
            write(f"{project}/telemetry.yaml", telemetry("tracing", "apps", f"otel-{project}")),
            write(f"{project}/grafana-values.yaml", grafana_values(f"prom-{project}")),
            write(f"{project}/mesh.json", dashboard(f"prom-{project}")),
        ]
    return paths


def test_two_projects_side_by_side_never_mix(write: Write) -> None:
    paths = _two_projects(write)
    # Mixed into one context, team-a's files were judged against team-b's providers and
    # team-b's dashboard against team-a's datasources (G107, T108).
    mixed_ctx, _ = build_context(paths)
    assert len([v for v in mixed_ctx.values if v.chart == "grafana"]) == 2
    assert found(lint(paths).diagnostics) == []


def test_a_project_still_finds_its_own_problems(write: Write) -> None:
    paths = _two_projects(write)
    # team-b's dashboard uses team-a's datasource uid: wrong in team-b's project.
    write("team-b/mesh.json", dashboard("prom-team-a"))
    got = found(lint(paths).diagnostics)
    assert got == [("G107", "team-b/mesh.json", 9, 17)]
    message = lint(paths).diagnostics[0].message
    assert "provisioned: Prometheus, prom-team-b" in message


def test_pre_commit_file_list_with_helmfiles(write: Write) -> None:
    """Each helmfile's project: the values files its releases name, wherever they are."""
    paths = []
    for project in ("team-a", "team-b"):
        paths.append(
            write(
                f"{project}/helmfile.yaml",
                f"""\
                releases:
                  - name: istiod
                    namespace: istio-system
                    chart: istio/istiod
                    version: 1.30.3
                    values: [../config/{project}-istiod.yaml]
                """,
            )
        )
        paths.append(write(f"config/{project}-istiod.yaml", istiod_values(f"otel-{project}")))
        paths.append(
            write(f"{project}/manifests/telemetry.yaml", telemetry("t", "apps", f"otel-{project}"))
        )
    result = lint(paths)
    assert found(result.diagnostics) == []


def test_two_of_a_kind_in_one_directory_are_checked_alone(write: Write) -> None:
    paths = [
        write("istiod-a.yaml", istiod_values("otel-a")),
        write("istiod-b.yaml", istiod_values("otel-b")),
        write("telemetry.yaml", telemetry("t", "apps", "otel-a")),
    ]
    result = lint(paths)
    assert found(result.diagnostics) == [
        ("C014", "istiod-a.yaml", 1, 1),
        ("C014", "istiod-b.yaml", 1, 1),
    ]
    assert result.diagnostics[0].message == (
        "istiod values istiod-a.yaml is checked on its own: the files of one project include "
        "several of that kind (istiod-a.yaml, istiod-b.yaml), and meshgen does not guess "
        "which the other files go with"
    )


def test_subdirectories_join_the_directory_above(write: Write) -> None:
    paths = [
        write("istio/istiod-values.yaml", istiod_values("otel")),
        write("istio/monitors/tracing.yaml", telemetry("t", "apps", "otel")),
        write("istio/monitors/workloads/api.yaml", _workload("Deployment", "api")),
    ]
    assert _groups(paths) == [sorted(str(p) for p in paths)]


def test_workloads_of_a_sibling_directory_are_shared(write: Write) -> None:
    """Corpus (HBTGmbH/httpkeepalive): istio/telemetry.yaml selects pods of go-demo/."""
    paths = [
        write("istio/istiod-values.yaml", istiod_values("otel")),
        write("istio/telemetry.yaml", SELECTED.replace("{app: api}", "{tracing: 'true'}")),
        write("go-demo/deployment.yaml", _workload("Deployment", "go-demo")),
        write("grafana/values.yaml", grafana_values("prom")),
    ]
    assert _groups(paths) == [
        ["go-demo/deployment.yaml", "grafana/values.yaml"],
        ["go-demo/deployment.yaml", "istio/istiod-values.yaml", "istio/telemetry.yaml"],
    ]
    assert found(lint(paths).diagnostics) == [("T112", "istio/telemetry.yaml", 6, 28)]


def test_sibling_directories_stay_apart(write: Write) -> None:
    """Nothing says team-b's istiod values are team-c's mesh (corpus: provider of another
    project); a typo close to team-b's provider would otherwise be T108."""
    paths = [
        write("team-b/istiod-values.yaml", istiod_values("jaegr")),
        write("team-c/telemetry.yaml", telemetry("tracing", "apps", "jaeger")),
    ]
    assert _groups(paths) == [["team-b/istiod-values.yaml"], ["team-c/telemetry.yaml"]]
    assert found(lint(paths).diagnostics) == []


def test_sibling_projects_under_a_helmfile_each(write: Write) -> None:
    for project in ("a", "b"):
        write(f"{project}/helmfile.yaml", "releases: []\n")
    paths = [
        write("a/values/grafana.yaml", grafana_values("prom-a")),
        write("a/dashboards/mesh.json", dashboard("prom-a")),
        write("b/values/grafana.yaml", grafana_values("prom-b")),
        write("b/dashboards/mesh.json", dashboard("prom-b")),
    ]
    assert _groups(paths) == [
        ["a/dashboards/mesh.json", "a/values/grafana.yaml"],
        ["b/dashboards/mesh.json", "b/values/grafana.yaml"],
    ]
    assert found(lint(paths).diagnostics) == []


def _groups(paths: list[Path]) -> list[list[str]]:
    from meshgen.checks import all_checks
    from meshgen.checks.lint import _read_all, group_inputs

    runs = _read_all(paths, all_checks())
    return sorted(sorted(str(run.path) for run in group) for group, _ in group_inputs(runs))


# --- item 8: workloads ----------------------------------------------------------------------


def _workload(kind: str, name: str, app: str | None = None) -> str:
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    labels = f"{{app: {app or name}}}"
    restart = "\n        restartPolicy: Never" if kind in ("Job", "CronJob") else ""
    template = f"""\
    template:
      metadata:
        labels: {labels}
      spec:
        containers: [{{name: main, image: example/{name}:1.0}}]{restart}
    """
    if kind == "CronJob":
        body = "  schedule: '0 * * * *'\n  jobTemplate:\n    spec:\n" + textwrap.indent(
            textwrap.dedent(template), "      "
        )
    else:
        body = textwrap.indent(textwrap.dedent(template), "  ")
    return (
        f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: apps}}\nspec:\n"
        + body
    )


SELECTED = """\
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: api-metrics, namespace: apps}
spec:
  selector:
    matchLabels: {app: api}
  metrics:
    - providers: [{name: prometheus}]
"""

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
def test_selectors_are_checked_against_pod_templates(write: Write, kind: str) -> None:
    write("telemetry.yaml", SELECTED)
    write("workload.yaml", _workload(kind, "api"))
    result = lint([Path("telemetry.yaml"), Path("workload.yaml")])
    assert found(result.diagnostics) == []
    ctx, _ = build_context([Path("workload.yaml")])
    assert [(p.name, p.namespace, p.labels["app"]) for p in ctx.pods] == [("api", "apps", "api")]


def test_selectors_may_name_the_labels_the_injector_adds(write: Write) -> None:
    write(
        "telemetry.yaml",
        SELECTED.replace("{app: api}", "{service.istio.io/canonical-name: api-svc}"),
    )
    write("workload.yaml", _workload("Deployment", "api", app="api-svc"))
    ctx, _ = build_context([Path("workload.yaml")])
    assert ctx.pods[0].labels == {
        "app": "api-svc",
        "service.istio.io/canonical-name": "api-svc",
        "service.istio.io/canonical-revision": "latest",
        "security.istio.io/tlsMode": "istio",
    }
    assert found(lint([Path("telemetry.yaml"), Path("workload.yaml")]).diagnostics) == []


@pytest.mark.parametrize("kind", WORKLOAD_KINDS)
def test_a_selector_no_pod_template_matches(write: Write, kind: str) -> None:
    write("telemetry.yaml", SELECTED)
    write("workload.yaml", _workload(kind, "web", app="web"))
    result = lint([Path("telemetry.yaml"), Path("workload.yaml")])
    assert found(result.diagnostics) == [("T112", "telemetry.yaml", 6, 24)]
    assert "(known: web)" in result.diagnostics[0].message


# --- item 7: helmfiles ------------------------------------------------------------------------

MULTI_DOCUMENT = """\
environments:
  default:
    values: [env/default.yaml]
---
repositories:
  - {name: istio, url: https://istio-release.storage.googleapis.com/charts}
releases:
  - name: istio-base
    namespace: istio-system
    chart: istio/base
    version: 1.30.3
  - name: istiod
    namespace: istio-system
    chart: istio/istiod
    version: 1.30.3
    needs: [istio-system/istio-bse]
    values:
      - meshConfig:
          accessLogFile: /dev/stdout
        pilot:
          autoscaleEnabeld: false
"""


def test_multi_document_helmfile_is_read(write: Write) -> None:
    write("helmfile.yaml", MULTI_DOCUMENT)
    result = lint([Path("helmfile.yaml")])
    got = found(result.diagnostics)
    assert got == [("H101", "helmfile.yaml", 16, 13), ("H103", "helmfile.yaml", 21, 11)]
    assert "autoscaleEnabled" in result.diagnostics[1].message


def test_inline_values_take_the_release_chart(write: Write) -> None:
    write(
        "helmfile.yaml",
        """\
        releases:
          - name: grafana
            namespace: monitoring
            chart: grafana/grafana
            version: 12.11.1
            values:
              - adminUser: admin
                persistance: {enabled: true}
        """,
    )
    ctx, _ = build_context([Path("helmfile.yaml")])
    assert [v.chart for v in ctx.values] == ["grafana"]
    got = found(lint([Path("helmfile.yaml")]).diagnostics)
    assert got == [("H103", "helmfile.yaml", 8, 9)]


def test_values_files_take_the_chart_of_their_release(write: Write) -> None:
    write(
        "helmfile.yaml",
        """\
        releases:
          - name: istio-base
            namespace: istio-system
            chart: istio/base
            version: 1.30.3
            values: [values/common.yaml]
        """,
    )
    # alone, `global.istioNamespace` would be istiod values (the file name says nothing)
    write("values/common.yaml", "global:\n  istioNamespace: mesh-system\n")
    assert values_chart({"global": {"istioNamespace": "x"}}, "values/common.yaml") == "istiod"
    ctx, _ = build_context([Path("helmfile.yaml"), Path("values/common.yaml")])
    assert [v.chart for v in ctx.values] == ["base"]


GOTMPL = """\
repositories:
  - name: grafana
    url: https://grafana.github.io/helm-charts
releases:
  - name: grafana
    namespace: monitoring
    chart: grafana/grafana
    version: {{ .Values.grafanaVersion }}
{{- if .Values.tracing }}
  - name: tempo
    namespace: monitoring
    chart: grafana/tempo
{{- end }}
"""


def test_gotmpl_helmfile_is_read_without_rendering(write: Write) -> None:
    write("helmfile.yaml.gotmpl", GOTMPL)
    result = lint([Path("helmfile.yaml.gotmpl")])
    # the templated version is skipped; the release the template may add is still read
    assert found(result.diagnostics) == [
        ("C012", "helmfile.yaml.gotmpl", 8, 1),
        ("C108", "helmfile.yaml.gotmpl", 12, 12),
    ]
    assert result.diagnostics[0].message == (
        "helmfile.yaml.gotmpl is a Go template: 3 line(s) with template actions "
        "(line 8, 9, 13) were read without rendering them; releases and values those actions "
        "produce or change are not checked"
    )


def test_gotmpl_that_is_no_yaml_before_rendering(write: Write) -> None:
    write(
        "helmfile.yaml.gotmpl",
        "releases:\n{{ range .Values.apps }}\n  - name: {{ . }}\n    chart: [\n{{ end }}\n",
    )
    result = lint([Path("helmfile.yaml.gotmpl")])
    assert found(result.diagnostics) == [("C012", "helmfile.yaml.gotmpl", 1, 1)]
    assert "nothing in it is checked" in result.diagnostics[0].message
    assert result.unreadable is False


# --- item 4: Istio's own values files ---------------------------------------------------------


@pytest.mark.parametrize(("chart", "name"), [("istiod", "istiod"), ("base", "base")])
def test_istio_charts_own_values_are_checked(chdir: Path, chart: str, name: str) -> None:
    source = CHARTS / "istio-1.30.3" / name / "values.yaml"
    if not source.exists():
        pytest.skip(f"chart sources absent: {source}")
    copy = chdir / f"{name}-values.yaml"
    shutil.copyfile(source, copy)
    ctx, read = build_context([Path(copy.name)])
    assert read == []
    assert [v.chart for v in ctx.values] == [chart]
    assert "_internal_defaults_do_not_set" not in ctx.values[0].data
    assert found(lint([Path(copy.name)]).diagnostics) == []


@pytest.mark.parametrize("name", ["cni", "ztunnel"])  # gateway: tests/test_lint_gateway_kiali.py
def test_other_istio_charts_values_are_not_istiod_values(chdir: Path, name: str) -> None:
    """They share `_internal_defaults_do_not_set`, `revision` and `global` with istiod."""
    source = CHARTS / "istio-1.30.3" / name / "values.yaml"
    if not source.exists():
        pytest.skip(f"chart sources absent: {source}")
    shutil.copyfile(source, chdir / "values.yaml")
    assert [d.code for d in lint([Path("values.yaml")]).diagnostics] == ["C010"]


def test_wrapped_defaults_are_checked_at_their_lines(write: Write) -> None:
    write(
        "values.yaml",
        """\
        _internal_defaults_do_not_set:
          autoscaleEnabled: true
          sidecarInjectorWebhook:
            enableNamespaceByDefault: true
        meshConfig:
          accessLogFile: /dev/stdout
        """,
    )
    result = lint([Path("values.yaml")])
    assert found(result.diagnostics) == [("H103", "values.yaml", 4, 5)]
    assert "enableNamespacesByDefault" in result.diagnostics[0].message


def test_input_codes_are_emitted_as_catalogued(write: Write) -> None:
    write("service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n")
    (c010,) = lint([Path("service.yaml")]).diagnostics
    assert c010.code == "C010"
    assert c010.severity is BUILTIN_CODES["C010"].severity
    from meshgen import api

    listed = {e.code: e.severity for e in api.catalogue().entries}
    assert listed["C010"] is c010.severity


# --- item 9: kube-prometheus-stack -------------------------------------------------------------

KPS = """\
prometheus:
  prometheusSpec:
    retention: 15d
alertmanager:
  enabled: false
grafana:
  defaultDashboardsEnabled: false
  adminPasword: secret
  sidecar:
    datasources:
      defaultDatasourceEnabled: true
"""


def test_kube_prometheus_stack_values(write: Write) -> None:
    write("values.yaml", KPS)
    assert values_chart({"prometheus": {"prometheusSpec": {}}}, "values.yaml") == (
        "kube-prometheus-stack"
    )
    ctx, _ = build_context([Path("values.yaml")])
    assert [v.chart for v in ctx.values] == ["kube-prometheus-stack", "grafana"]
    grafana = ctx.values[1]
    # the parent chart's own keys are not grafana chart values; its sidecar defaults are
    assert "defaultDashboardsEnabled" not in grafana.data
    assert grafana.data["sidecar"]["datasources"] == {
        "enabled": True,
        "label": "grafana_datasource",
        "labelValue": "1",
    }
    result = lint([Path("values.yaml")])
    assert found(result.diagnostics) == [
        ("C012", "values.yaml", 1, 1),
        ("H103", "values.yaml", 8, 3),
    ]
    assert "adminPassword" in result.diagnostics[1].message


def test_kube_prometheus_stack_chart_values(chdir: Path) -> None:
    source = CHARTS / "kube-prometheus-stack-88.5.3" / "values.yaml"
    if not source.exists():
        pytest.skip(f"chart sources absent: {source}")
    shutil.copyfile(source, chdir / "values.yaml")
    result = lint([Path("values.yaml")])
    assert [d.code for d in result.diagnostics] == ["C012"]


# --- item 12: the Istio version -------------------------------------------------------------


def test_istio_version_option(write: Write, run_cli: Any) -> None:
    write("telemetry.yaml", telemetry("mesh-default", "istio-system", "prometheus", "metrics"))
    result = run_cli("lint", "--istio-version", "1.20.8", "telemetry.yaml")
    assert result.code == 1
    assert result.out.splitlines()[:2] == [
        "telemetry.yaml:1:1: C011 Istio 1.20.8 (--istio-version) is not a version meshgen has "
        "facts for (it has 1.28, 1.29, 1.30): Telemetry checks use the 1.30 facts, which may "
        "not hold for 1.20.8, and istiod/base value keys are not checked "
        "[istio-version-without-facts]",
        "telemetry.yaml:1:13: C013 apiVersion telemetry.istio.io/v1 is served from Istio 1.22; "
        "Istio 1.20.8 (--istio-version) does not know it [telemetry-api-not-served]",
    ]
    assert run_cli("lint", "--istio-version", "1.29.6", "telemetry.yaml").out == ""
    bad = run_cli("lint", "--istio-version", "latest", "telemetry.yaml")
    assert bad.code == 2
    assert "--istio-version 'latest' is not a version (e.g. 1.22.3)" in bad.err


def test_istio_version_from_the_helmfile_and_the_option_wins(write: Write) -> None:
    write(
        "helmfile.yaml",
        """\
        releases:
          - name: istiod
            namespace: istio-system
            chart: istio/istiod
            version: 1.16.1
        """,
    )
    write("telemetry.yaml", telemetry("mesh-default", "istio-system", "prometheus", "metrics"))
    paths = [Path("helmfile.yaml"), Path("telemetry.yaml")]
    assert found(lint(paths).diagnostics) == [
        ("C011", "helmfile.yaml", 5, 14),
        ("C013", "telemetry.yaml", 1, 13),
    ]
    ctx, _ = build_context(paths)
    assert ctx.istio_version == "1.16.1"
    assert found(lint(paths, istio_version="1.30.3").diagnostics) == []


def test_version_facts_are_keyed_by_version() -> None:
    from meshgen.knowledge import istio_versions

    assert istio_versions.telemetry_api_served("telemetry.istio.io/v1", "1.21.6") is False
    assert istio_versions.telemetry_api_served("telemetry.istio.io/v1", "1.22.0") is True
    assert istio_versions.telemetry_api_served("telemetry.istio.io/v1alpha1", "1.16.1") is True
    assert istio_versions.has_facts("1.28.10") and not istio_versions.has_facts("1.27.3")


def test_helmfile_d_parts_are_one_project(write: Write) -> None:
    paths = [
        write(
            "helmfile.d/10-istio.yaml",
            """\
            releases:
              - name: istiod
                namespace: istio-system
                chart: istio/istiod
                version: ~1.22.0
            """,
        ),
        write(
            "helmfile.d/20-grafana.yaml",
            """\
            releases:
              - name: grafana
                namespace: monitoring
                chart: grafana/grafana
                version: 12.11.1
            """,
        ),
        write("manifests/telemetry.yaml", telemetry("t", "apps", "prometheus", "metrics")),
    ]
    assert _groups(paths) == [sorted(str(p) for p in paths)]
    ctx, _ = build_context(paths)
    assert ctx.istio_version == "1.22.0"  # the lower bound of the range
    got = found(lint(paths).diagnostics)
    assert got == [
        ("C011", "helmfile.d/10-istio.yaml", 5, 14),
        ("C108", "helmfile.d/10-istio.yaml", 5, 14),
    ]


def test_templated_values_file(write: Write) -> None:
    write(
        "values.yaml.gotmpl",
        """\
        meshConfig:
          accessLogFile: {{ .Values.accessLog | quote }}
          defaultConfig:
            holdApplicationUntilProxyStarts: true
        """,
    )
    ctx, _ = build_context([Path("values.yaml.gotmpl")])
    assert [v.chart for v in ctx.values] == ["istiod"]
    got = found(lint([Path("values.yaml.gotmpl")]).diagnostics)
    assert got == [("C012", "values.yaml.gotmpl", 2, 1)]


TEMPLATED_YAML = """\
values:
  - values.yaml
releases:
  - name: istiod
    namespace: istio-system
    chart: istio/istiod
    version: {{ .Values.istio.version }}
    values:
      - values.yaml
"""


def test_templated_helmfile_named_yaml(write: Write) -> None:
    """helmfile 1.x reads a .yaml state verbatim: C002, said plainly; its releases still
    count (the version from the state values, the values file's chart and state keys)."""
    write("helmfile.yaml", TEMPLATED_YAML)
    write(
        "values.yaml",
        """\
        istio:
          version: 1.26.2
        meshConfig:
          accessLogFile: /dev/stdout
        pilot:
          autoscaleEnabled: true
        """,
    )
    paths = [Path("helmfile.yaml"), Path("values.yaml")]
    result = lint(paths)
    assert found(result.diagnostics) == [
        ("C011", "helmfile.yaml", 7, 14),
        ("C002", "helmfile.yaml", 7, 15),
    ]
    c011, c002 = result.diagnostics
    assert c002.message.endswith(
        "helmfile.yaml holds Go template actions, which helmfile 1.x renders only in files "
        "named *.gotmpl (it reads a .yaml state as plain YAML)"
    )
    assert c002.hint == "rename it to helmfile.yaml.gotmpl"
    assert "Istio 1.26.2 (the helmfile release)" in c011.message
    ctx, _ = build_context(paths)
    # `istio:` is read by the helmfile's templates, not by the chart: not reported (H103)
    assert [(v.chart, sorted(v.data)) for v in ctx.values] == [("istiod", ["meshConfig", "pilot"])]


def test_gotmpl_version_read_from_state_values(write: Write) -> None:
    write("helmfile.yaml.gotmpl", TEMPLATED_YAML)
    write("values.yaml", "istio:\n  version: 1.29.6\nmeshConfig: {}\n")
    paths = [Path("helmfile.yaml.gotmpl"), Path("values.yaml")]
    ctx, _ = build_context(paths)
    assert ctx.istio_version == "1.29.6"
    assert found(lint(paths).diagnostics) == [("C012", "helmfile.yaml.gotmpl", 7, 1)]


def test_values_of_a_chart_wrapping_grafana_are_not_grafana_values(write: Write) -> None:
    write(
        "values.yaml",
        """\
        grafana:
          name: grafana
          image: {repository: grafana/grafana, tag: 12.1.0}
        datasources:
          prometheus:
            url: http://prometheus:9090/
        """,
    )
    assert found(lint([Path("values.yaml")]).diagnostics) == [("C010", "values.yaml", 1, 1)]


def test_istio_operator_mesh_config(write: Write) -> None:
    """Corpus (npuichigo/istio-stack): the Telemetry beside it uses its providers."""
    write(
        "config.yaml",
        """\
        apiVersion: install.istio.io/v1alpha1
        kind: IstioOperator
        metadata: {namespace: istio-system}
        spec:
          meshConfig:
            enablePrometheusMerg: true
            extensionProviders:
              - name: otel-tracing
                opentelemetry: {port: 4317, service: otel.observability.svc.cluster.local}
        """,
    )
    write("telemetry.yaml", telemetry("mesh", "istio-system", "otel-tracing"))
    paths = [Path("config.yaml"), Path("telemetry.yaml")]
    ctx, _ = build_context(paths)
    assert ctx.extension_providers == ("otel-tracing",)
    assert found(lint(paths).diagnostics) == [
        ("C012", "config.yaml", 5, 3),
        ("H104", "config.yaml", 6, 5),
    ]
