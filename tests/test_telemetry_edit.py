"""`meshgen telemetry` editing commands: exact files out, comments kept, refusals byte-identical."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from meshgen.diagnostics import Diagnostic
from tests.conftest import CliResult

Run = Callable[..., CliResult]

CONFIG = textwrap.dedent(
    """\
    # The team's mesh.
    istio:
      version: 1.30.3   # pinned
      accessLogging:
        enabled: false
    namespaces:
      - name: shop      # injected
        injection: enabled
    telemetry:
      resources:
        # mesh-wide
        - name: mesh-default
          metrics:
            - providers: [{name: prometheus}]
      # bounds in ms
      histogramBuckets:
        istiocustom: [10, 100, 1000]
    monitoring:
      grafana:
        chartVersion: 12.11.1
        dashboards:
          - {name: istio-service, gnetId: 7636, revision: 329}
    services:
      - name: cart
        namespace: shop
        chart: 'repo/cart'
        version: "1.0.0"
    """
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "meshgen.yaml"
    path.write_text(CONFIG)
    return path


def _expect(config: Path, *, after: str, replace: str) -> None:
    assert config.read_text() == CONFIG.replace(replace, after)


def test_disable_in_a_namespace_adds_a_namespace_telemetry(config: Path, run_cli: Run) -> None:
    result = run_cli(
        "telemetry", "disable", "TCP_OPENED_CONNECTIONS", "--namespace", "shop", "-c", str(config)
    )
    assert result.code == 0, result
    _expect(
        config,
        replace="        - providers: [{name: prometheus}]\n",
        after=(
            "        - providers: [{name: prometheus}]\n"
            "    - name: shop-metrics\n"
            "      namespace: shop\n"
            "      metrics:\n"
            "        - overrides:\n"
            "            - match:\n"
            "                metric: TCP_OPENED_CONNECTIONS\n"
            "              disabled: true\n"
        ),
    )
    assert result.out.startswith("--- a/")
    assert "+    - name: shop-metrics\n" in result.out


def test_enable_writes_disabled_false_on_the_same_override(config: Path, run_cli: Run) -> None:
    run_cli("telemetry", "disable", "REQUEST_SIZE", "--mode", "CLIENT", "-c", str(config))
    assert (
        run_cli("telemetry", "enable", "REQUEST_SIZE", "--mode", "CLIENT", "-c", str(config)).code
        == 0
    )
    _expect(
        config,
        replace="        - providers: [{name: prometheus}]\n",
        after=(
            "        - providers: [{name: prometheus}]\n"
            "          overrides:\n"
            "            - match:\n"
            "                metric: REQUEST_SIZE\n"
            "                mode: CLIENT\n"
            "              disabled: false\n"
        ),
    )


def test_tag_set_on_a_workload_finds_the_service_namespace(config: Path, run_cli: Run) -> None:
    expr = "request.headers['x-model'] in ['a', 'b'] ? request.headers['x-model'] : 'other'"
    result = run_cli(
        "telemetry",
        "tag",
        "set",
        "REQUEST_COUNT",
        "model",
        expr,
        "--workload",
        "app=cart",
        "-c",
        str(config),
    )
    assert result.code == 0, result
    _expect(
        config,
        replace="        - providers: [{name: prometheus}]\n",
        after=(
            "        - providers: [{name: prometheus}]\n"
            "    - name: cart-metrics\n"
            "      namespace: shop\n"
            "      selector:\n"
            "        matchLabels:\n"
            "          app: cart\n"
            "      metrics:\n"
            "        - overrides:\n"
            "            - match:\n"
            "                metric: REQUEST_COUNT\n"
            "              tagOverrides:\n"
            "                model:\n"
            f'                  value: "{expr}"\n'
        ),
    )


def test_tag_remove_mesh_wide(config: Path, run_cli: Run) -> None:
    assert (
        run_cli(
            "telemetry", "tag", "remove", "ALL_METRICS", "grpc_response_status", "-c", str(config)
        ).code
        == 0
    )
    _expect(
        config,
        replace="        - providers: [{name: prometheus}]\n",
        after=(
            "        - providers: [{name: prometheus}]\n"
            "          overrides:\n"
            "            - match:\n"
            "                metric: ALL_METRICS\n"
            "              tagOverrides:\n"
            "                grpc_response_status:\n"
            "                  operation: REMOVE\n"
        ),
    )


def test_buckets_set_mesh_wide_and_per_service(config: Path, run_cli: Run) -> None:
    assert run_cli("telemetry", "buckets", "set", "5,50,500", "-c", str(config)).code == 0
    _expect(config, replace="[10, 100, 1000]", after="[5, 50, 500]")
    assert (
        run_cli(
            "telemetry", "buckets", "set", "1,2.5,10", "--service", "cart", "-c", str(config)
        ).code
        == 0
    )
    assert config.read_text().endswith(
        '    version: "1.0.0"\n    histogramBuckets:\n      istiocustom: [1, 2.5, 10]\n'
    )


def test_access_log_and_tracing(config: Path, run_cli: Run) -> None:
    assert run_cli("telemetry", "access-log", "on", "-c", str(config)).code == 0
    _expect(config, replace="    enabled: false\n", after="    enabled: true\n")
    # no tracing provider anywhere: T122 refuses it (a warning), --force writes it (exit 0)
    refused = run_cli("telemetry", "tracing", "sample", "5", "-c", str(config))
    assert refused.code == 1 and " T122 " in refused.err, refused
    assert run_cli("telemetry", "tracing", "sample", "5", "--force", "-c", str(config)).code == 0
    assert "  tracing:\n    enabled: true\n    samplingPercentage: 5.0\n" in config.read_text()


def test_dry_run_prints_the_diff_and_writes_nothing(config: Path, run_cli: Run) -> None:
    result = run_cli("telemetry", "access-log", "on", "--dry-run", "-c", str(config))
    assert result.code == 0
    assert "-    enabled: false\n+    enabled: true\n" in result.out
    assert config.read_text() == CONFIG


def test_no_change_is_reported(config: Path, run_cli: Run) -> None:
    result = run_cli("telemetry", "access-log", "off", "-c", str(config))
    assert result.code == 0 and "nothing to change" in result.out
    assert config.read_text() == CONFIG


@pytest.mark.parametrize(
    "args",
    [
        # an invalid CEL expression
        (
            "tag",
            "set",
            "REQUEST_COUNT",
            "model",
            "request.headers['x-model'] ==",
            "--workload",
            "app=cart",
        ),
        # an unbounded label (raw request path)
        ("tag", "set", "REQUEST_COUNT", "path", "request.path"),
        # a label Istio's dashboards group by
        ("tag", "remove", "REQUEST_COUNT", "response_code"),
        # a metric Istio's dashboards read
        ("disable", "REQUEST_DURATION"),
        # buckets not increasing
        ("buckets", "set", "100,10"),
        # sampling out of range
        ("tracing", "sample", "150"),
    ],
)
def test_refused_edits_leave_the_file_byte_identical(
    config: Path, run_cli: Run, args: tuple[str, ...]
) -> None:
    before = config.read_bytes()
    result = run_cli("telemetry", *args, "-c", str(config))
    assert result.code == 1, result
    assert "left unchanged (pass --force to write anyway)" in result.err
    assert config.read_bytes() == before


def test_force_writes_despite_findings(config: Path, run_cli: Run) -> None:
    result = run_cli("telemetry", "tracing", "sample", "150", "--force", "-c", str(config))
    # written, but a new error keeps the verdict: exit 1, as `meshgen validate` now gives
    assert result.code == 1, result
    assert "now fails `meshgen validate` (written: --force)" in result.err
    assert "samplingPercentage: 150.0" in config.read_text()
    assert run_cli("validate", "-c", str(config)).code == 1


def test_force_past_a_warning_only_exits_0(config: Path, run_cli: Run) -> None:
    result = run_cli(
        "telemetry", "tag", "set", "REQUEST_COUNT", "path", "request.path", "--force",
        "-c", str(config),
    )  # fmt: skip
    assert result.code == 0, result
    assert "T116" in result.err and "path:\n" in config.read_text()


REFUSED_BY_THE_LOADER = {
    "unknown tag": CONFIG.replace("chart: 'repo/cart'", "chart: !include cart.yaml"),
    "python tag": CONFIG.replace('version: "1.0.0"', "version: !!python/name:os.system x"),
    "complex key": CONFIG.replace('    version: "1.0.0"\n', "    ? [a, b]\n    : 1\n"),
    "int past 64 bits": CONFIG.replace("revision: 329", "revision: 99999999999999999999999"),
    "float past range": CONFIG.replace("revision: 329", "revision: 1e999"),
    "duplicate key": CONFIG.replace('    version: "1.0.0"\n', "    version: 1\n    version: 2\n"),
    "syntax error": CONFIG.replace("injection: enabled", "injection: [enabled"),
    "tab indent": CONFIG.replace("    injection: enabled", "\tinjection: enabled"),
}


@pytest.mark.parametrize("text", REFUSED_BY_THE_LOADER.values(), ids=REFUSED_BY_THE_LOADER)
def test_the_editor_refuses_what_loading_refuses_in_the_same_words(text: str) -> None:
    from meshgen.edit.roundtrip import edit_text
    from meshgen.errors import InputError
    from meshgen.load import yaml_reader

    loaded = yaml_reader.parse(text, "conf/meshgen.yaml")
    assert isinstance(loaded, Diagnostic), "the case must be one loading refuses"
    assert loaded.code.startswith("C0")
    changed: list[object] = []
    with pytest.raises(InputError) as refused:
        edit_text(text, changed.append, shown="conf/meshgen.yaml")
    assert [d.format_text() for d in refused.value.diagnostics] == [loaded.format_text()]
    assert changed == [], "the change never saw a refused document"


def test_the_editor_keeps_the_files_indentation() -> None:
    from meshgen.edit.roundtrip import edit_text
    from meshgen.edit.telemetry import set_access_log

    text = "istio:\n    version: 1.30.3\n    accessLogging:\n        enabled: false\n"
    assert edit_text(text, lambda doc: set_access_log(doc, True)) == text.replace("false", "true")
