"""Issue 15, the newcomer's walk: adopt hand edits, add dashboards, scoped telemetry edits,
the Makefile of one's own config. Every test runs real command lines through `main`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import INFRA_CONFIG, REPO

CONFIG = """\
istio:
  version: 1.30.3
  accessLogging:
    enabled: false              # true: Envoy access logs on every sidecar's stdout
    encoding: TEXT              # or JSON
namespaces:
  - name: apps
    injection: enabled
monitoring:
  grafana:
    chartVersion: 12.11.1
    adminSecret: {name: grafana-admin}
    dashboards:
      - {name: istio-mesh, gnetId: 7639, revision: 330}
services:
  - name: shop
    namespace: apps
    chart: podinfo/podinfo
    version: 6.7.1
    repository: {name: podinfo, url: "https://stefanprodan.github.io/podinfo"}
"""

ISTIO_VALUES = "deployment/helmfile/values/istio-values.yaml"


@pytest.fixture
def project(chdir: Path, run_cli) -> Path:
    (chdir / "meshgen.yaml").write_text(CONFIG, encoding="utf-8")
    result = run_cli("render")
    assert result.code == 0, result
    return chdir


def hand_edit(project: Path, old: str, new: str, rel: str = ISTIO_VALUES) -> None:
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- item 4: a hand edit of a rendered file -------------------------------------------------


def test_a_hand_edit_names_the_config_key_and_is_not_called_stale(project, run_cli):
    hand_edit(
        project,
        "  enablePrometheusMerge: true\n",
        "  enablePrometheusMerge: true\n  accessLogFile: /dev/stdout\n  accessLogEncoding: JSON\n",
    )
    result = run_cli("check")
    assert result.code == 1
    lines = [line for line in result.out.splitlines() if " D10" in line]
    line_file = _line_of(project / ISTIO_VALUES, "accessLogFile")
    line_enc = _line_of(project / ISTIO_VALUES, "accessLogEncoding")
    assert lines == [
        f"{ISTIO_VALUES}:{line_file}:18: D102 hand edit: `meshConfig.accessLogFile: /dev/stdout` "
        "comes from `istio.accessLogging.file` in the config; `meshgen adopt` writes it there "
        "[hand-edited-rendered-file]",
        f"{ISTIO_VALUES}:{line_enc}:22: D102 hand edit: `meshConfig.accessLogEncoding: JSON` "
        "comes from `istio.accessLogging.encoding` in the config; `meshgen adopt` writes it there "
        "[hand-edited-rendered-file]",
    ]
    assert "meshgen render" not in "".join(lines)  # never the fix for a hand edit: it reverts it


def test_check_shows_no_diff_that_would_undo_a_hand_edit(project, run_cli):
    hand_edit(project, "  enablePrometheusMerge: true\n", "  enablePrometheusMerge: false\n")
    result = run_cli("check")
    assert result.code == 1
    assert "-  enablePrometheusMerge: false" not in result.err
    assert "+  enablePrometheusMerge: true" not in result.err
    assert (
        f"# {ISTIO_VALUES}: edited by hand; not "
        "shown (rendering would undo the edit): `meshgen adopt` moves it into the config"
    ) in result.err


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_adopt_dry_run_prints_the_patch_and_writes_nothing(project, run_cli):
    hand_edit(
        project,
        "  enablePrometheusMerge: true\n",
        "  enablePrometheusMerge: true\n  accessLogFile: /dev/stdout\n  accessLogEncoding: JSON\n",
    )
    before = (project / "meshgen.yaml").read_bytes()
    result = run_cli("adopt", "--dry-run")
    assert result.code == 0, result
    assert result.out == (
        "--- a/meshgen.yaml\n+++ b/meshgen.yaml\n@@ -1,8 +1,8 @@\n istio:\n   version: 1.30.3\n"
        "   accessLogging:\n"
        "-    enabled: false              # true: Envoy access logs on every sidecar's stdout\n"
        "-    encoding: TEXT              # or JSON\n"
        "+    enabled: true               # true: Envoy access logs on every sidecar's stdout\n"
        "+    encoding: JSON              # or JSON\n"
        " namespaces:\n   - name: apps\n     injection: enabled\n"
    )
    assert result.err == (
        "values/istio-values.yaml: meshConfig.accessLogFile: /dev/stdout -> "
        "istio.accessLogging.file\n"
        "values/istio-values.yaml: meshConfig.accessLogEncoding: JSON -> "
        "istio.accessLogging.encoding\n"
        "dry run: meshgen.yaml left unchanged\n"
    )
    assert (project / "meshgen.yaml").read_bytes() == before


def test_adopt_writes_the_config_and_the_tree_then_check_is_clean(project, run_cli):
    hand_edit(
        project,
        "  enablePrometheusMerge: true\n",
        "  enablePrometheusMerge: true\n  accessLogFile: /dev/stdout\n  accessLogEncoding: JSON\n",
    )
    result = run_cli("adopt")
    assert result.code == 0, result
    assert result.err.endswith(
        "wrote meshgen.yaml\nrendered the tree: values/istio-values.yaml now rendered from the "
        "config\n"
    )
    text = (project / "meshgen.yaml").read_text()
    assert "    encoding: JSON              # or JSON\n" in text  # the comment is kept
    values = (project / ISTIO_VALUES).read_text()
    assert "accessLogEncoding: JSON" in values and "accessLogFile: /dev/stdout" in values
    again = run_cli("check")
    assert (again.code, again.out) == (0, ""), again


def test_a_value_without_a_typed_setting_goes_to_the_pass_through_values(project, run_cli):
    hand_edit(project, "global:\n", "global:\n  logAsJson: true\n")
    result = run_cli("adopt")
    assert result.code == 0, result
    assert (
        "values/istio-values.yaml: global.logAsJson: true -> istio.values.global.logAsJson\n"
        in (result.err)
    )
    assert "+  values:\n+    global:\n+      logAsJson: true\n" in result.out
    assert run_cli("check").code == 0


def test_a_removal_the_config_cannot_express_is_not_adopted(project, run_cli):
    hand_edit(project, "  enableTracing: false\n", "")
    check = run_cli("check")
    assert (
        "D102 hand edit: `meshConfig.enableTracing (removed)` (rendered: false): no config key"
        in (check.out)
    )
    before = (project / "meshgen.yaml").read_bytes()
    result = run_cli("adopt")
    assert result.code == 1
    assert result.err == (
        "values/istio-values.yaml: not adopted: no config key renders "
        "meshConfig.enableTracing (removed)\n"
    )
    assert (project / "meshgen.yaml").read_bytes() == before


GRAFANA_VALUES = "deployment/helmfile/values/grafana-values.yaml"


def test_a_type_change_inside_a_list_is_a_value_edit(project, run_cli):
    # `isDefault` sits in a list item: `[{..., true}] == [{..., 1}]` in Python, not in YAML.
    hand_edit(project, "isDefault: true", "isDefault: 1", GRAFANA_VALUES)
    check = run_cli("check")
    assert check.code == 1
    assert "D102 hand edit: `datasources.datasources.yaml.datasources" in check.out
    assert "comments or layout only" not in check.out
    result = run_cli("adopt", "--dry-run")
    assert "nothing to adopt" not in result.out + result.err


def test_a_number_written_as_a_float_is_layout_only(project, run_cli):
    hand_edit(project, "orgId: 1\n", "orgId: 1.0\n", GRAFANA_VALUES)  # one float64 to helm
    check = run_cli("check")
    assert "(comments or layout only: nothing to adopt)" in check.out, check


ALIAS_BOMB = "bomb:\n  a0: &a0 [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
    f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)


@pytest.mark.parametrize(
    ("added", "reported", "adopted"),
    [
        # A service's values live in a list item: adopt steps through `services[0]`.
        ("replicaCount: 3", "writes it to `services[0].values.replicaCount`", "replicaCount: 3"),
        # helm reads YAML 1.1: `on` unquoted is true, a value edit.
        ("mode: on", "D102 hand edit: `mode: true`", "mode: true"),
    ],
    ids=["service-values", "yaml-1.1-boolean"],
)
def test_a_service_values_edit_is_adopted_into_its_list_item(
    project, run_cli, added, reported, adopted
):
    values = "deployment/helmfile/values/shop-values.yaml"
    hand_edit(project, "version: v1\n", f"version: v1\n{added}\n", values)
    check = run_cli("check")
    assert reported in check.out, check
    result = run_cli("adopt")
    assert result.code == 0, result
    assert adopted in (project / "meshgen.yaml").read_text(encoding="utf-8")
    assert run_cli("check").code == 0


@pytest.mark.parametrize(
    ("added", "code"),
    [
        (ALIAS_BOMB, "C007"),
        ('x: "unterminated\n', "C002"),
        ("x:\n\tindented: by a tab\n", "C002"),
        ("global: {}\n", "C003"),
    ],
    ids=["alias-bomb", "unterminated-quote", "tab", "duplicate-key"],
)
def test_a_hand_edit_that_breaks_the_yaml_gets_the_readers_diagnostic(
    project, run_cli, added, code
):
    path = project / ISTIO_VALUES
    path.write_text(path.read_text(encoding="utf-8") + added, encoding="utf-8")
    check = run_cli("check")
    assert check.code == 1, check
    assert "X001" not in check.out + check.err
    assert f"edited by hand, and no longer reads as YAML ({code})" in check.out, check
    assert "comments or layout only" not in check.out
    result = run_cli("adopt", "--dry-run")
    assert result.code == 1
    assert "internal error" not in result.err
    assert "values/istio-values.yaml: not adopted: does not parse as YAML (line " in result.err
    assert f": {code} " in result.err, result


def test_a_byte_order_mark_added_by_an_editor_is_a_layout_edit(project, run_cli):
    path = project / ISTIO_VALUES
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    check = run_cli("check")
    assert "edited by hand since meshgen wrote it (comments or layout only" in check.out, check
    assert "not rendered by meshgen" not in check.out
    result = run_cli("adopt", "--dry-run")
    assert "only comments or layout changed: nothing to adopt" in result.err, result
    assert run_cli("render", "--force").code == 0
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert run_cli("check").code == 0


def test_apply_dry_run_refuses_a_hand_edit_as_apply_does(project, run_cli):
    hand_edit(project, "  enableTracing: false\n", "  enableTracing: true\n")
    result = run_cli("apply", "--dry-run")
    assert result.code == 1
    assert result.out == ""
    assert result.err.endswith(
        "it was edited by hand since meshgen wrote it\n"
        "meshgen: helmfile would not be started: `meshgen adopt` moves hand edits into the "
        "config (--force overwrites them instead)\n"
    )
    rendered = run_cli("render")
    assert rendered.code == 1
    assert rendered.err.endswith(
        "meshgen: nothing written: `meshgen adopt` moves hand edits into the config "
        "(--force overwrites them instead)\n"
    )


# --- item 11: dashboards add -------------------------------------------------------------


def test_dashboards_add_pins_the_revision_of_the_configured_istio(project, run_cli):
    result = run_cli("dashboards", "add", "istio-workload")
    assert result.code == 0, result
    assert (
        "       - {name: istio-mesh, gnetId: 7639, revision: 330}\n"
        "+      - {name: istio-workload, gnetId: 7630, revision: 329}\n"
        " services:\n"
    ) in result.out
    assert result.err.startswith("istio-workload: gnetId 7630, revision 329\n")
    assert (
        "{name: istio-workload, gnetId: 7630, revision: 329}"
        in (project / "meshgen.yaml").read_text()
    )


def test_a_revision_of_another_release_warns_and_add_repins_it(project, run_cli):
    config = project / "meshgen.yaml"
    config.write_text(config.read_text().replace("revision: 330", "revision: 200"))
    result = run_cli("validate")
    assert (
        "meshgen.yaml:14:52: C130 dashboard 'istio-mesh' (gnetId 7639) pins revision 200; "
        "Istio 1.30 publishes revision 330 [dashboard-revision-of-another-istio]"
    ) in result.out
    fixed = run_cli("dashboards", "add", "istio-mesh")
    assert fixed.code == 0, fixed
    assert "{name: istio-mesh, gnetId: 7639, revision: 330}" in config.read_text()
    assert "C130" not in run_cli("validate").out


def test_an_istio_release_meshgen_does_not_know_needs_revision(project, run_cli):
    config = project / "meshgen.yaml"
    config.write_text(config.read_text().replace("version: 1.30.3", "version: 1.31.0"))
    result = run_cli("dashboards", "add", "istio-service")
    assert result.code == 2
    assert result.err == (
        "meshgen: error: meshgen does not know the revision of istio-service (gnetId 7636) for "
        "Istio 1.31.0; pass --revision N (grafana.com lists the revision whose description "
        "names Istio 1.31)\n"
    )
    pinned = run_cli("dashboards", "add", "istio-service", "--revision", "340", "--dry-run")
    assert pinned.code == 0, pinned
    assert "+      - {name: istio-service, gnetId: 7636, revision: 340}\n" in pinned.out


# --- item 9: telemetry scopes ------------------------------------------------------------


def test_access_log_and_tracing_take_telemetry_scopes(project, run_cli):
    result = run_cli("telemetry", "access-log", "on", "--namespace", "apps", "--dry-run")
    assert result.code == 0, result
    assert (
        "+telemetry:\n+  resources:\n+    - name: apps-metrics\n+      namespace: apps\n"
        "+      accessLogging:\n+        - providers:\n+            - name: envoy\n"
    ) in result.out
    result = run_cli("telemetry", "tracing", "sample", "20", "--workload", "app=shop")
    assert result.code == 0, result
    text = (project / "meshgen.yaml").read_text()
    assert (
        "    - name: shop-metrics\n      namespace: apps\n      selector:\n        matchLabels:\n"
        "          app: shop\n      tracing:\n        - randomSamplingPercentage: 20.0\n"
    ) in text


def test_buckets_set_takes_the_scope_of_the_services_it_covers(project, run_cli):
    result = run_cli("telemetry", "buckets", "set", "5,10,25", "--namespace", "apps", "--dry-run")
    assert result.code == 0, result
    assert "+    histogramBuckets:\n+      istiocustom: [5, 10, 25]\n" in result.out
    result = run_cli("telemetry", "buckets", "set", "5", "--workload", "version=v1")
    assert (result.code, result.err) == (
        2,
        "meshgen: error: buckets set --workload takes app=VALUE (a service's app label), "
        "got 'version=v1'\n",
    )
    result = run_cli("telemetry", "buckets", "set", "5", "--namespace", "other")
    assert (result.code, result.err) == (
        2,
        "meshgen: error: no service in namespace other in the config (buckets are set per "
        "service)\n",
    )


def test_metric_edits_take_several_metrics(project, run_cli):
    result = run_cli(
        "telemetry", "disable", "REQUEST_SIZE,response_size", "--namespace", "apps", "--dry-run"
    )
    assert result.code == 0, result
    assert (
        "+            - match:\n+                metric: REQUEST_SIZE\n+              disabled: true\n"
        "+            - match:\n+                metric: RESPONSE_SIZE\n+              disabled: true\n"
    ) in result.out
    bad = run_cli("telemetry", "disable", "REQUEST_COUNT,REQUEST_CONT")
    assert bad.code == 2
    assert "'REQUEST_CONT' is not one of ALL_METRICS, REQUEST_COUNT," in bad.err


def test_usage_lines_never_break_a_metric_name(run_cli):
    from meshgen import api

    for command in ("disable", "enable"):
        result = run_cli("telemetry", command, "--help")
        assert result.out.splitlines()[0] == (
            f"Usage: meshgen telemetry {command} [OPTIONS] METRIC[,METRIC...]"
        )
    for args in (("tag", "set"), ("tag", "remove")):
        first = run_cli("telemetry", *args, "--help").out.splitlines()[0]
        assert "METRIC[,METRIC...]" in first and "ALL_METRICS" not in first
    group = run_cli("telemetry", "--help").out
    words = set(re.findall(r"[A-Z_]+", group))
    assert set(api.metric_names()) <= words  # each name whole, none cut by a wrap


# --- item 12: the Makefile of one's own config ------------------------------------------

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def make_n(folder: Path, *targets: str) -> list[str]:
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(folder), "-n", "MESHGEN=meshgen", *targets],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@needs_make
def test_init_writes_a_makefile_for_the_starter_service(chdir, run_cli):
    result = run_cli("init")
    assert result.code == 0, result
    assert result.out == (
        "wrote meshgen.yaml, meshgen.schema.json and Makefile; next: meshgen render -c "
        "meshgen.yaml\n"
    )
    from meshgen import api

    project = api.load_project(chdir / "meshgen.yaml")
    assert project.loaded.config is not None
    service = next(s for s in project.loaded.config.services if s.traffic_test is not None)
    assert make_n(chdir, "istio-verify", "run-istio-test") == [
        "meshgen verify -c meshgen.yaml",
        f"meshgen traffic -c meshgen.yaml --service {service.name}",
    ]
    assert make_n(chdir, f"restart-{service.name}")[0] == (
        f"kubectl -n {service.namespace} rollout restart deployment "
        f"--selector=app={service.app_label}"
    )
    # the Secret's namespace is created before the Secret
    assert make_n(chdir, "grafana-admin-secret")[1:] == [
        "kubectl create namespace monitoring --dry-run=client -o yaml | kubectl apply -f -",
        "kubectl -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin"
        ' --from-literal=admin-password="$GRAFANA_ADMIN_PASSWORD" --dry-run=client -o yaml | '
        "kubectl apply -f -",
    ]
    again = run_cli("init", "--force")
    assert again.code == 0


@needs_make
def test_init_leaves_an_existing_makefile_alone(chdir, run_cli):
    (chdir / "Makefile").write_text("all:\n\techo mine\n")
    result = run_cli("init")
    assert result.code == 0
    assert result.err == "Makefile exists: left alone (`meshgen makefile` prints one)\n"
    assert (chdir / "Makefile").read_text() == "all:\n\techo mine\n"


@needs_make
def test_the_generated_makefile_of_the_repository_config_matches_the_repository_makefile(
    tmp_path, run_cli
):
    """The repository's hand-kept Makefile and `meshgen makefile` agree on the shared targets."""
    generated = tmp_path / "Makefile"
    result = run_cli("makefile", "-c", str(INFRA_CONFIG), "-o", str(generated))
    assert result.code == 0, result
    folder = tmp_path / "repo"
    folder.mkdir()
    shutil.move(generated, folder / "Makefile")
    (folder / "infrastructure").symlink_to(REPO / "infrastructure")
    text = (folder / "Makefile").read_text()
    text = re.sub(r"(?m)^CONFIG \?= .*$", "CONFIG ?= infrastructure/meshgen.yaml", text)
    text = re.sub(r"(?m)^TREE \?= .*$", "TREE ?= infrastructure/deployment/helmfile", text)
    (folder / "Makefile").write_text(text)
    shared = (
        "grafana-admin-secret",
        "deploy-services",
        "enable-istio-injection",
        "deploy-balancer",
        "istio-verify",
        "restart-inference-balancer",
        "grafana-ui",
        "prometheus-ui",
    )
    for target in shared:
        assert make_n(folder, target) == make_n(REPO, target), target


def test_an_added_entry_goes_above_the_blank_line_before_the_next_key(chdir, run_cli):
    (chdir / "meshgen.yaml").write_text(
        "istio: {version: 1.30.3}\n"
        "monitoring:\n"
        "  grafana:\n"
        "    chartVersion: 12.11.1\n"
        "    adminSecret: {name: grafana-admin}\n"
        "    dashboards:\n"
        "      - name: istio-mesh\n"
        "        gnetId: 7639\n"
        "        revision: 330\n"
        "\n"
        "# the services\n"
        "services: []\n"
    )
    result = run_cli("dashboards", "add", "istio-service")
    assert result.code == 0, result
    assert (
        (chdir / "meshgen.yaml")
        .read_text()
        .endswith(
            "      - name: istio-mesh\n        gnetId: 7639\n        revision: 330\n"
            "      - name: istio-service\n        gnetId: 7636\n        revision: 329\n"
            "\n# the services\nservices: []\n"
        )
    )


def test_adopt_without_hand_edits_says_so(project, run_cli):
    before = (project / "meshgen.yaml").read_bytes()
    result = run_cli("adopt")
    assert (result.code, result.out, result.err) == (
        0,
        "",
        "meshgen.yaml: no hand edits of rendered values files to adopt\n",
    )
    assert (project / "meshgen.yaml").read_bytes() == before


def test_dashboards_add_names_the_dashboards_it_knows(chdir, run_cli):
    from meshgen import api

    help_text = " ".join(run_cli("dashboards", "add", "--help").out.split())
    assert "NAME is one of: " + ", ".join(api.dashboard_names()) + " " in help_text
    assert "istio-\n" not in run_cli("dashboards", "add", "--help").out  # no break at a hyphen
    (chdir / "meshgen.yaml").write_text(CONFIG)
    result = run_cli("dashboards", "add", "istio-ztunnel")
    assert (result.code, result.err) == (
        2,
        "meshgen: error: unknown dashboard 'istio-ztunnel'; known: "
        + ", ".join(api.dashboard_names())
        + "\n",
    )
