"""`meshgen lint` and `meshgen.checks.lint`: recognition, positions, exact output and exit codes."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meshgen.checks.lint import lint, lint_files, values_chart

TELEMETRY = """\
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: balancer
  namespace: inference
spec:
  selector:
    matchLabels:
      app: inference-balancer
  metrics:
    - providers:
        - name: prometheus
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: balancer-0
  namespace: inference
  labels:
    app: inference-balancer
"""


@pytest.fixture
def write(chdir: Path) -> Callable[[str, str], Path]:
    def put(name: str, text: str) -> Path:
        path = chdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return Path(name)

    return put


def test_clean_files_exit_0_silently(write: Callable[[str, str], Path], run_cli: Any) -> None:
    write("telemetry.yaml", TELEMETRY + "---\n" + POD)
    result = run_cli("lint", "telemetry.yaml")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_findings_exit_1_with_exact_text(write: Callable[[str, str], Path], run_cli: Any) -> None:
    write("telemetry.yaml", TELEMETRY.replace("name: prometheus", 'name: ""'))
    write(
        "istio-values.yaml",
        """\
        meshConfig:
          accessLogEncodeing: JSON
        telemetry:
          v2:
            prometheus:
              enable: true
        """,
    )
    result = run_cli("lint", "telemetry.yaml", "istio-values.yaml", "--select", "K,H")
    assert result.code == 1
    assert result.out == (
        "istio-values.yaml:2:3: H104 meshConfig has no field 'accessLogEncodeing'; istiod would "
        "silently ignore it (did you mean 'accessLogEncoding'?) [unknown-mesh-config-field]\n"
        "istio-values.yaml:6:7: H103 istiod chart 1.30.3 has no value 'telemetry.v2.prometheus.enable' "
        "(did you mean 'telemetry.v2.prometheus.enabled'?) [unknown-chart-value]\n"
        "telemetry.yaml:12:17: K101 Telemetry spec.metrics[0].providers[0].name: '' should be "
        "non-empty [invalid-telemetry-resource]\n"
        "3 error(s), 0 warning(s), 0 info(s)\n"
    )


def test_spec_is_validated_with_the_telemetry_model(
    write: Callable[[str, str], Path], run_cli: Any
) -> None:
    write("telemetry.yaml", TELEMETRY.replace("  metrics:", "  metrcs:"))
    result = run_cli("lint", "telemetry.yaml")
    assert result.code == 1
    assert result.out == (
        "telemetry.yaml:10:3: C004 unknown key 'metrcs' in spec (did you mean 'metrics'?) [unknown-key]\n"
        "1 error(s), 0 warning(s), 0 info(s)\n"
    )


def test_missing_and_broken_files_exit_2(write: Callable[[str, str], Path], run_cli: Any) -> None:
    write("broken.yaml", "a: [1\n")
    write("dash.json", '{"panels": [}')
    result = run_cli("lint", "missing.yaml", "broken.yaml", "dash.json")
    assert result.code == 2
    lines = result.out.splitlines()
    assert (
        lines[0]
        == "broken.yaml:2:1: C002 YAML syntax error: expected ',' or ']', but got '<stream end>' [yaml-syntax-error]"
    )
    assert lines[1] == "dash.json:1:13: C002 invalid JSON: Expecting value [yaml-syntax-error]"
    assert lines[2] == "missing.yaml:1:1: C001 file missing.yaml does not exist [config-unreadable]"
    assert lines[3] == "3 error(s), 0 warning(s), 0 info(s)"


def test_duplicate_key_is_unreadable(write: Callable[[str, str], Path], run_cli: Any) -> None:
    write("dup.yaml", "meshConfig: {}\nmeshConfig: {}\n")
    result = run_cli("lint", "dup.yaml")
    assert result.code == 2
    assert result.out.startswith("dup.yaml:2:1: C003 duplicate key 'meshConfig' [duplicate-key]\n")


def test_unrecognised_file_warns_and_strict_fails(
    write: Callable[[str, str], Path], run_cli: Any
) -> None:
    # a Service (a Deployment is a workload lint reads since issue 14)
    write("deploy.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")
    relaxed = run_cli("lint", "deploy.yaml")
    assert relaxed.code == 0
    assert relaxed.out.startswith(
        "deploy.yaml:1:1: C010 nothing meshgen lint checks in deploy.yaml"
    )
    assert run_cli("lint", "deploy.yaml", "--strict").code == 1


def test_ignore_and_select(write: Callable[[str, str], Path], run_cli: Any) -> None:
    write("values.yaml", "meshConfig:\n  defaultProvider: {}\n")
    assert run_cli("lint", "values.yaml", "--ignore", "H104").out == ""
    assert run_cli("lint", "values.yaml", "--select", "T").code == 0
    assert run_cli("lint", "values.yaml", "--select", "H1").code == 1


def test_json_and_github_formats(write: Callable[[str, str], Path], run_cli: Any) -> None:
    write("values.yaml", "meshConfig:\n  defaultProvider: {}\n")
    out = json.loads(run_cli("lint", "values.yaml", "--format", "json").out)
    assert [(d["code"], d["file"], d["line"], d["column"]) for d in out["diagnostics"]] == [
        ("H104", "values.yaml", 2, 3)
    ]
    assert out["summary"] == {"errors": 1, "warnings": 0, "infos": 0}
    github = run_cli("lint", "values.yaml", "--format", "github").out
    assert github.startswith(
        "::error file=values.yaml,line=2,col=3,title=H104 unknown-mesh-config-field::"
    )
    sarif = json.loads(run_cli("lint", "values.yaml", "--format", "sarif").out)
    assert sarif["runs"][0]["results"][0]["ruleId"] == "H104"


def test_help_has_an_example(run_cli: Any) -> None:
    result = run_cli("lint", "--help")
    assert result.code == 0
    assert "meshgen lint telemetry.yaml pods.yaml" in result.out
    assert run_cli("lint").code == 2  # FILE is required


def test_files_linted_together_share_one_context(write: Callable[[str, str], Path]) -> None:
    from meshgen.checks.lint import build_context

    write("telemetry.yaml", TELEMETRY)
    write("pods.yaml", POD)
    write(
        "istio-values.yaml",
        "meshConfig:\n  rootNamespace: mesh-root\n  extensionProviders:\n    - name: otel\n      opentelemetry: {service: x, port: 4317}\n",
    )
    ctx, diagnostics = build_context(
        [Path("telemetry.yaml"), Path("pods.yaml"), Path("istio-values.yaml")]
    )
    assert diagnostics == []
    assert ctx.kinds == {"telemetry", "pods", "values"}
    assert [(t.name, t.namespace) for t in ctx.telemetries] == [("balancer", "inference")]
    assert ctx.telemetries[0].locate(("selector", "matchLabels", "app")).line == 9
    # with the labels Istio's injector adds (issue 14: a selector may name them)
    assert [(p.name, p.labels) for p in ctx.pods] == [
        (
            "balancer-0",
            {
                "app": "inference-balancer",
                "service.istio.io/canonical-name": "inference-balancer",
                "service.istio.io/canonical-revision": "latest",
                "security.istio.io/tlsMode": "istio",
            },
        )
    ]
    assert ctx.root_namespace == "mesh-root"
    assert ctx.extension_providers == ("otel",)


def test_dashboards_plain_and_in_a_configmap(write: Callable[[str, str], Path]) -> None:
    from meshgen.checks.lint import build_context

    board = {"title": "Mesh", "panels": [{"targets": [{"expr": "sum(istio_requests_total)"}]}]}
    write("mesh.json", json.dumps(board, indent=2))
    write(
        "cm.yaml",
        """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: boards}
        data:
          service.json: |
            {"title": "Service",
             "panels": [{"targets": [{"expr": "rate(istio_requests_total[1m])"}]}]}
          notes.txt: hello
        """,
    )
    ctx, diagnostics = build_context([Path("mesh.json"), Path("cm.yaml")])
    assert diagnostics == []
    assert ctx.kinds == {"dashboards"}
    by_name = {d.name: d for d in ctx.dashboards}
    assert set(by_name) == {"Mesh", "service"}
    assert by_name["Mesh"].locate_text("sum(istio_requests_total)").line == 7
    # the JSON inside the block scalar maps back to the YAML file's own lines and columns
    span = by_name["service"].locate_text("rate(istio_requests_total[1m])")
    assert (span.file, span.line, span.col) == ("cm.yaml", 7, 40)


def test_helmfile_state_is_checked(write: Callable[[str, str], Path]) -> None:
    write(
        "helmfile.yaml",
        "releases:\n  - name: grafana\n    namespace: monitoring\n    chart: g/g\n    needs: [istiod]\n",
    )
    codes = [(d.code, d.span.line, d.span.col) for d in lint_files([Path("helmfile.yaml")])]
    # C108 runs in lint since issue 14: a repository chart without a version
    assert codes == [("C108", 4, 12), ("H101", 5, 13)]


@pytest.mark.parametrize(
    ("data", "name", "chart"),
    [
        ({"meshConfig": {}}, "values.yaml", "istiod"),
        ({"meshconfig": {}}, "values.yaml", "istiod"),
        ({"pilot": {"env": {}}}, "values.yaml", "istiod"),
        ({"defaultRevision": "default"}, "values.yaml", "base"),
        ({"global": {"istioNamespace": "istio-system"}}, "istio-base-values.yaml", "base"),
        ({"global": {"istioNamespace": "istio-system"}}, "istio-values.yaml", "istiod"),
        ({"datasources": {}, "resources": {}}, "values.yaml", "grafana"),
        ({"server": {"retention": "15d"}}, "values.yaml", "prometheus"),
        ({"replicaCount": 2, "image": {"repository": "x"}, "app": "web"}, "values.yaml", None),
    ],
)
def test_values_recognised_by_content(data: dict[str, Any], name: str, chart: str | None) -> None:
    assert values_chart(data, name) == chart


def test_lint_result_flags_unreadable(write: Callable[[str, str], Path]) -> None:
    write("ok.yaml", TELEMETRY)
    assert lint([Path("ok.yaml")]).unreadable is False
    assert lint([Path("ok.yaml"), Path("gone.yaml")]).unreadable is True
