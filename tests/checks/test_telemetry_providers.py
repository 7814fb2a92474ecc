"""Telemetry checks of issues 13 and 14: exact messages, the typed extension providers, parity.

The case files (tests/checks/cases/T1xx.yaml) hold positions; these tests hold what the
findings say and the model's behaviour around them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import CliResult

Run = Callable[..., CliResult]


def _lint(tmp_path: Path, **files: str) -> list[tuple[str, str, int, int, str]]:
    from meshgen.checks.lint import lint_files

    paths = []
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        paths.append(path)
    return [
        (d.code, Path(d.span.file).name, d.span.line, d.span.col, d.message)
        for d in lint_files(paths)
    ]


def _codes(found: list[tuple[str, str, int, int, str]], *codes: str) -> list[tuple[Any, ...]]:
    return [f for f in found if f[0] in codes]


# --- item 5: T108 / T123 ------------------------------------------------------------------


LONE_TELEMETRY = """
    apiVersion: telemetry.istio.io/v1
    kind: Telemetry
    metadata: {name: mesh-default, namespace: istio-system}
    spec:
      accessLogging:
        - providers: [{name: envoy-json}]
"""


def test_lint_alone_a_near_built_in_name_is_a_warning_that_says_why(tmp_path: Path) -> None:
    found = _codes(_lint(tmp_path, **{"telemetry.yaml": LONE_TELEMETRY}), "T108", "T123")
    assert found == [
        (
            "T123",
            "telemetry.yaml",
            6,
            26,
            "telemetry 'mesh-default' names provider 'envoy-json', which is not built in, and "
            "no mesh config is among the linted files: fine if it is an extension provider "
            "defined elsewhere; if it is a misspelt 'envoy', istiod ignores it and it "
            "produces nothing",
        )
    ]


def test_lint_with_the_mesh_config_the_same_name_is_an_error(tmp_path: Path) -> None:
    found = _lint(
        tmp_path,
        **{
            "istiod-values.yaml": "meshConfig: {accessLogFile: /dev/stdout}\n",
            "telemetry.yaml": LONE_TELEMETRY,
        },
    )
    assert [f[:4] for f in _codes(found, "T108", "T123")] == [("T108", "telemetry.yaml", 6, 26)]


def test_lint_with_the_provider_declared_passes(tmp_path: Path) -> None:
    values = """
        meshConfig:
          extensionProviders:
            - name: envoy-json
              envoyFileAccessLog: {path: /dev/stdout, logFormat: {labels: {code: "%RESPONSE_CODE%"}}}
    """
    found = _lint(tmp_path, **{"istiod-values.yaml": values, "telemetry.yaml": LONE_TELEMETRY})
    assert _codes(found, "T108", "T123", "T125", "T126") == []


def test_t108_and_t123_have_the_severity_the_catalogue_lists() -> None:
    from meshgen import api
    from meshgen.diagnostics import Severity

    entries = {e.code: e for e in api.catalogue()}
    assert entries["T108"].severity is Severity.ERROR
    assert entries["T123"].severity is Severity.WARNING


# --- items 13-15: istioctl parity ---------------------------------------------------------


def test_ist0160_every_selectorless_telemetry_names_the_others(tmp_path: Path) -> None:
    docs = "\n---\n".join(
        f"apiVersion: telemetry.istio.io/v1\nkind: Telemetry\n"
        f"metadata: {{name: {name}, namespace: inference}}\nspec: {{}}\n"
        for name in ("a", "b", "c")
    )
    found = _codes(_lint(tmp_path, **{"telemetry.yaml": docs}), "T110")
    assert [f[4] for f in found] == [
        f"telemetry {me!r} is one of 3 Telemetries without a selector in namespace "
        f"'inference' (also: {others}); only the oldest of them is applied"
        for me, others in (("a", "'b', 'c'"), ("b", "'a', 'c'"), ("c", "'a', 'b'"))
    ]


def test_ist0159_each_telemetry_once_naming_all_it_conflicts_with(tmp_path: Path) -> None:
    docs = """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: a, namespace: inference}
        spec: {selector: {matchLabels: {app: balancer}}}
        ---
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: b, namespace: inference}
        spec: {selector: {matchLabels: {app: balancer, version: v1}}}
        ---
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: c, namespace: inference}
        spec: {selector: {matchLabels: {app: balancer}}}
    """
    found = _codes(_lint(tmp_path, **{"telemetry.yaml": docs}), "T111")
    assert [(f[2], f[4]) for f in found] == [
        (
            4,
            "telemetry 'a' in namespace 'inference' (selector app=balancer) selects the same "
            "workloads as 'b' (nested selectors: app=balancer,version=v1); 'c' (the same "
            "selector: app=balancer); which one applies is undefined",
        ),
        (
            9,
            "telemetry 'b' in namespace 'inference' (selector app=balancer,version=v1) selects "
            "the same workloads as 'a' (nested selectors: app=balancer); 'c' (nested "
            "selectors: app=balancer); which one applies is undefined",
        ),
        (
            14,
            "telemetry 'c' in namespace 'inference' (selector app=balancer) selects the same "
            "workloads as 'a' (the same selector: app=balancer); 'b' (nested selectors: "
            "app=balancer,version=v1); which one applies is undefined",
        ),
    ]


def test_ist0157_message(tmp_path: Path) -> None:
    found = _lint(
        tmp_path,
        **{
            "istiod-values.yaml": "meshConfig: {defaultProviders: {metrics: [prometheus]}}\n",
            "telemetry.yaml": """
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: logs, namespace: inference}
                spec:
                  accessLogging:
                    - match: {mode: SERVER}
            """,
        },
    )
    assert _codes(found, "T124") == [
        (
            "T124",
            "telemetry.yaml",
            6,
            7,
            "telemetry 'logs': accessLogging[0] names no providers and "
            "meshConfig.defaultProviders.accessLogging is empty: no access log is written",
        )
    ]


TARGET_REF = """
    apiVersion: telemetry.istio.io/v1
    kind: Telemetry
    metadata: {name: waypoint, namespace: inference}
    spec:
      targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}
      metrics: [{providers: [{name: prometheus}]}]
"""


def test_target_ref_singular_is_a_field_not_an_unknown_key(tmp_path: Path) -> None:
    assert _lint(tmp_path, **{"telemetry.yaml": TARGET_REF}) == []


def test_selector_and_target_ref_together_is_the_one_of_error(tmp_path: Path) -> None:
    both = TARGET_REF.replace("  metrics:", "  selector: {matchLabels: {app: x}}\n      metrics:")
    found = _lint(tmp_path, **{"telemetry.yaml": both})
    assert [f[0] for f in found] == ["K101"]
    assert found[0][4] == "Telemetry spec: only one of targetRefs or selector can be set"


def test_target_ref_is_in_the_upstream_v1_schema(upstream: Path) -> None:
    """The field the model accepts is the CRD's (telemetry.istio.io/v1 @1.30.3)."""
    from ruamel.yaml import YAML

    crd = YAML(typ="safe").load((upstream / "istio-1.30.3" / "telemetry-crd.yaml").read_text())
    v1 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    spec = v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    from meshgen.models.telemetry import TelemetrySpec

    aliases = {f.alias for f in TelemetrySpec.model_fields.values()}
    assert set(spec) == aliases
    assert set(spec["targetRef"]["required"]) == {"kind", "name"}


# --- item 10 and issue 13: providers ------------------------------------------------------


def test_config_misspelt_provider_fields_fail_validate(
    write_config: Callable[..., Path], run_cli: Run, chdir: Path
) -> None:
    path = write_config(
        """
        istio:
          version: 1.30.3
          extensionProviders:
            - name: otel
              opentelemetry: {servce: otel-collector.observability.svc.cluster.local, port: 4317}
            - name: zipkin
              zipkin: {service: zipkin.observability.svc.cluster.local, port: "9411x"}
        """
    )
    result = run_cli("validate", "--strict", "-c", str(path))
    assert result.code != 0
    assert result.out.splitlines()[:2] == [
        f"{path.name}:5:23: C004 unknown key 'servce' in istio.extensionProviders[0]."
        "opentelemetry (did you mean 'service'?) [unknown-key]",
        f"{path.name}:7:71: C005 istio.extensionProviders[1].zipkin.port: expected an "
        "integer, got '9411x' [invalid-value]",
    ]


@pytest.mark.parametrize(
    ("version", "refused"),
    [("1.30.3", True), ("1.28.10", True), ("1.27.0", True), ("1.26.2", False)],
)
def test_config_refuses_lightstep_from_1_27(version: str, refused: bool) -> None:
    from pydantic import ValidationError

    from meshgen.models import Istio

    data = {
        "version": version,
        "extensionProviders": [{"name": "ls", "lightstep": {"service": "ls", "port": 8184}}],
    }
    if not refused:
        assert Istio.model_validate(data).extension_providers[0].kind == "lightstep"
        return
    with pytest.raises(ValidationError) as caught:
        Istio.model_validate(data)
    [error] = caught.value.errors()
    assert error["loc"] == ("extensionProviders", 0, "lightstep")
    assert error["msg"] == (
        f"the lightstep provider was removed in Istio 1.27; istiod {version} no longer "
        "supports it: use an opentelemetry provider"
    )


def test_typed_providers_render_as_written() -> None:
    """Typing must not change what reaches istiod: camelCase out, proto names accepted in."""
    from meshgen.models.providers import ExtensionProvider

    provider = ExtensionProvider.model_validate(
        {
            "name": "otel",
            "opentelemetry": {
                "service": "otel.observability.svc.cluster.local",
                "port": "4317",
                "max_tag_length": 256,
                "grpc": {"timeout": "10s"},
            },
        }
    )
    assert provider.to_mesh_config() == {
        "name": "otel",
        "opentelemetry": {
            "service": "otel.observability.svc.cluster.local",
            "port": 4317,
            "maxTagLength": 256,
            "grpc": {"timeout": "10s"},
        },
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"zipkin": {"port": True}}, "expected an integer, not a boolean"),
        ({"zipkin": {"timeout": "500ms"}}, "is not a protobuf duration"),
        ({"envoyFileAccessLog": {"logFormat": {"text": "x", "labels": {}}}}, "set only one of"),
        ({"opentelemetry": {}, "zipkin": {}}, "needs exactly one of"),
    ],
)
def test_provider_values_are_typed(body: dict[str, Any], message: str) -> None:
    from pydantic import ValidationError

    from meshgen.models.providers import ExtensionProvider

    with pytest.raises(ValidationError) as caught:
        ExtensionProvider.model_validate({"name": "p", **body})
    assert message in str(caught.value)


def test_the_model_knows_every_provider_kind_of_the_proto() -> None:
    """EXTENSION_PROVIDER_KINDS and the model's fields are the proto's one-of (1.30.3)."""
    from meshgen.models.providers import EXTENSION_PROVIDER_KINDS, ExtensionProvider

    fields = {f.alias for name, f in ExtensionProvider.model_fields.items() if name != "name"}
    assert fields == set(EXTENSION_PROVIDER_KINDS)
    assert len(EXTENSION_PROVIDER_KINDS) == 15


def test_lint_provider_findings_say_what_istiod_does(tmp_path: Path) -> None:
    values = """
        meshConfig:
          extensionProviders:
            - name: otel
              opentelemetry: {servce: otel-collector.observability.svc.cluster.local, port: 4317}
            - name: oc
              opencensus: {service: oc-agent.tracing.svc.cluster.local, port: 55678}
          defaultProviders:
            metrics: [prometheus]
            tracing:
              otel: {}
            accessLogging: [otel]
    """
    found = _codes(_lint(tmp_path, **{"istiod-values.yaml": values}), "T125", "T126", "T127")
    assert [(f[0], f[2], f[4]) for f in found] == [
        ("T125", 4, "extension provider 'otel': unknown field 'servce' in opentelemetry (did "
         "you mean 'service'?)"),
        ("T125", 6, "extension provider 'oc': the opencensus provider was removed in Istio "
         "1.27; Istio 1.30 no longer supports it"),
        ("T127", 9, "meshConfig.defaultProviders.tracing must be a list of provider names, "
         "not a mapping: istiod fails to parse the mesh config"),
        ("T126", 11, "defaultProviders.accessLogging names 'otel', a provider of kind "
         "opentelemetry, which produces no access logs: istiod skips it"),
    ]  # fmt: skip


def test_lint_uses_the_context_istio_version_when_set(tmp_path: Path) -> None:
    """Another part of lint may set the Istio version; T125 judges by it (1.26: lightstep ok)."""
    from meshgen.checks.lint import build_context
    from meshgen.checks.telemetry.providers import invalid_extension_provider

    path = tmp_path / "istiod-values.yaml"
    path.write_text(
        "meshConfig:\n  extensionProviders:\n"
        "    - {name: ls, lightstep: {service: ls, port: 8184}}\n"
        "    - {name: z, zipkin: {service: z, port: 9411, headers: [{name: a, value: b}]}}\n",
        encoding="utf-8",
    )
    ctx, _ = build_context([path])
    ctx.istio_version = "1.26.2"
    assert [f.message for f in invalid_extension_provider.function(ctx)] == [
        "extension provider 'z': `zipkin.headers` needs Istio 1.29+, but the Istio version "
        "is 1.26.2: istiod ignores it"
    ]
    ctx.istio_version = None
    assert [f.message for f in invalid_extension_provider.function(ctx)] == [
        "extension provider 'ls': the lightstep provider was removed in Istio 1.27; Istio "
        "1.30 no longer supports it"
    ]


# --- item 3: bounded Envoy headers --------------------------------------------------------


def test_bounded_attributes_are_headers_under_an_unbounded_prefix() -> None:
    from meshgen.analysis.cel import attribute_under
    from meshgen.knowledge.istio import BOUNDED_ATTRIBUTES, UNBOUNDED_ATTRIBUTES, bounded_attribute

    for fact in BOUNDED_ATTRIBUTES:
        assert any(attribute_under(fact.attribute, p) for p, _ in UNBOUNDED_ATTRIBUTES), fact
        assert fact.source.startswith("Envoy docs"), fact
    assert bounded_attribute("request.headers['X-Envoy-Attempt-Count']") is not None
    assert bounded_attribute("request.headers['x-request-id']") is None


# --- item 11: CEL that parses but cannot evaluate ------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("request.headers['x.y']", ("request", "headers")),
        (".request.path", ("request", "path")),
        ("dx03", ("dx03", None)),
        ("filter_state['k']", ("filter_state", None)),
        ("upstream_peer.labels['app'].value", ("upstream_peer", "labels")),
    ],
)
def test_attribute_root(attribute: str, expected: tuple[str, str | None]) -> None:
    from meshgen.analysis.cel import attribute_root

    assert attribute_root(attribute) == expected


def test_cel_unknown_names_messages(tmp_path: Path) -> None:
    docs = """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: mesh-default, namespace: istio-system}
        spec:
          metrics:
            - overrides:
                - tagOverrides:
                    env: {value: dx03-dev}
                    method: {value: request.methd}
                    stage: {value: production}
    """
    found = _codes(_lint(tmp_path, **{"telemetry.yaml": docs}), "T128", "T129")
    assert [(f[0], f[4]) for f in found] == [
        ("T128", "tag 'env': 'dx03-dev' is CEL for 'dx03 - dev', a subtraction of unknown "
         "identifiers, which fails in the proxy at run time"),
        ("T128", "tag 'method' reads request.methd: `request` has no field 'methd', so "
         "evaluating it fails in the proxy at run time"),
        ("T129", "tag 'stage' reads 'production', which is not an attribute Envoy or Istio "
         "defines: unless a filter sets state of that name, evaluation fails at run time"),
    ]  # fmt: skip


def test_cel_vocabulary_covers_the_reference_examples() -> None:
    """Every attribute example of reference 4.2 and the repository's own configs is known."""
    from meshgen.analysis.cel import analyze, attribute_root
    from meshgen.knowledge.istio import CEL_ATTRIBUTES

    examples = [
        "request.method", "request.host", "string(destination.port)",
        "upstream_peer.labels['app'].value", "downstream_peer.labels['app'].value",
        "request.headers['x-foo']", "node.metadata['CLUSTER_ID']", "upstream.address",
        "connection.requested_server_name",
    ]  # fmt: skip
    for example in examples:
        attributes = analyze(example).attributes
        assert attributes, example  # else the loop below would pass vacuously
        for attribute in attributes:
            root, field = attribute_root(attribute)
            fields = CEL_ATTRIBUTES[root]
            assert fields is None or field in fields, attribute
