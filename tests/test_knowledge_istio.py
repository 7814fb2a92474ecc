"""meshgen.knowledge.istio: facts per Istio minor, cross-checked with the upstream CRD."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from meshgen.knowledge import istio
from meshgen.knowledge.istio import IstioMetric, MetricKind, Protocol, facts_for


@pytest.mark.parametrize(
    ("version", "minor"),
    [
        ("1.30.3", "1.30"),
        ("1.29.6", "1.29"),
        ("1.28.10", "1.28"),
        ("v1.29.0", "1.29"),
        ("1.30", "1.30"),
        ("1.30.0-rc.1", "1.30"),
    ],
)
def test_facts_for_supported_versions(version: str, minor: str) -> None:
    facts = facts_for(version)
    assert facts is not None
    assert facts.version == minor


@pytest.mark.parametrize(
    "version", ["1.31.0", "1.27.9", "2.30.0", "latest", "", None, "1", "1.30.x"]
)
def test_facts_for_unknown_versions_is_none(version: str | None) -> None:
    assert facts_for(version) is None


def test_fallback_is_the_newest_minor() -> None:
    assert istio.facts_or_newest("1.31.0") is istio.newest()
    assert istio.newest().version == "1.30"
    assert istio.supported_versions() == ("1.28", "1.29", "1.30")


def test_metric_enum_in_proto_order() -> None:
    assert [m.value for m in IstioMetric] == [
        "ALL_METRICS", "REQUEST_COUNT", "REQUEST_DURATION", "REQUEST_SIZE", "RESPONSE_SIZE",
        "TCP_OPENED_CONNECTIONS", "TCP_CLOSED_CONNECTIONS", "TCP_SENT_BYTES",
        "TCP_RECEIVED_BYTES", "GRPC_REQUEST_MESSAGES", "GRPC_RESPONSE_MESSAGES",
    ]  # fmt: skip


def test_every_selectable_metric_has_prometheus_facts() -> None:
    facts = istio.newest()
    assert set(facts.metrics) == set(IstioMetric) - {IstioMetric.ALL_METRICS}
    assert len(facts.selected(IstioMetric.ALL_METRICS)) == 10
    assert len(facts.selected(None)) == 10
    assert [m.name for m in facts.selected("REQUEST_COUNT")] == ["istio_requests_total"]


def test_histogram_series_and_units() -> None:
    duration = istio.newest().metrics[IstioMetric.REQUEST_DURATION]
    assert duration.kind is MetricKind.HISTOGRAM
    assert duration.unit == "ms"
    assert duration.series == (
        "istio_request_duration_milliseconds_bucket",
        "istio_request_duration_milliseconds_sum",
        "istio_request_duration_milliseconds_count",
    )
    assert duration.stat_name == "istiocustom.istio_request_duration_milliseconds"
    count = istio.newest().metrics[IstioMetric.REQUEST_COUNT]
    assert count.series == ("istio_requests_total",)
    assert istio.ISTIO_HISTOGRAM_STATS == (
        "istiocustom.istio_request_duration_milliseconds",
        "istiocustom.istio_request_bytes",
        "istiocustom.istio_response_bytes",
    )


def test_protocols_and_labels() -> None:
    metrics = istio.newest().metrics
    tcp = {m for m, f in metrics.items() if f.is_tcp}
    assert tcp == {
        IstioMetric.TCP_OPENED_CONNECTIONS, IstioMetric.TCP_CLOSED_CONNECTIONS,
        IstioMetric.TCP_SENT_BYTES, IstioMetric.TCP_RECEIVED_BYTES,
    }  # fmt: skip
    assert metrics[IstioMetric.GRPC_REQUEST_MESSAGES].protocols == {Protocol.GRPC}
    assert metrics[IstioMetric.REQUEST_COUNT].protocols == {Protocol.HTTP, Protocol.GRPC}
    assert len(istio.STANDARD_LABELS) == len(set(istio.STANDARD_LABELS)) == 25
    assert "response_code" in metrics[IstioMetric.REQUEST_COUNT].labels
    assert "response_code" not in metrics[IstioMetric.TCP_SENT_BYTES].labels
    assert "grpc_response_status" not in metrics[IstioMetric.TCP_SENT_BYTES].labels
    assert len(metrics[IstioMetric.TCP_SENT_BYTES].labels) == 23


def test_providers_match_case_insensitively() -> None:
    facts = istio.newest()
    assert facts.builtin_providers == ("prometheus", "stackdriver", "envoy")
    assert facts.is_builtin_provider("Prometheus")
    assert not facts.is_builtin_provider("otel")


def test_default_buckets_increase() -> None:
    buckets = istio.DEFAULT_HISTOGRAM_BUCKETS
    assert len(buckets) == 19
    assert all(a < b for a, b in itertools.pairwise(buckets))
    assert buckets[0] == 0.5 and buckets[-1] == 3600000


def test_fields_unavailable_per_version() -> None:
    def unavailable(version: str) -> set[str]:
        facts = facts_for(version)
        assert facts is not None
        return {f.display for f in facts.unavailable_fields}

    assert unavailable("1.28.10") == {
        "tracing[].customTags.<tag>.formatter",
        "tracing[].disableContextPropagation",
    }
    assert unavailable("1.29.6") == {"tracing[].disableContextPropagation"}
    assert unavailable("1.30.3") == set()


# --- cross-checks with the upstream Telemetry CRD (1.30.3) ---------------------------------


def _crd_schemas(upstream: Path) -> dict[str, Any]:
    crd = YAML(typ="safe").load((upstream / "istio-1.30.3" / "telemetry-crd.yaml").read_text())
    return {
        v["name"]: v["schema"]["openAPIV3Schema"]["properties"]["spec"]
        for v in crd["spec"]["versions"]
    }


def _walk(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    for part in path:
        if part == "*":
            schema = schema.get("items") or schema.get("additionalProperties") or {}
        else:
            schema = (schema.get("properties") or {}).get(part)
            if schema is None:
                return None
    return schema


def test_metric_enum_equals_the_crd(upstream: Path) -> None:
    for spec in _crd_schemas(upstream).values():
        metric = _walk(spec, ("metrics", "*", "overrides", "*", "match", "metric"))
        assert metric is not None
        assert metric["enum"] == [m.value for m in IstioMetric]
        operation = _walk(
            spec, ("metrics", "*", "overrides", "*", "tagOverrides", "*", "operation")
        )
        assert operation is not None
        assert operation["enum"] == [o.value for o in istio.TagOperation]
        mode = _walk(spec, ("metrics", "*", "overrides", "*", "match", "mode"))
        assert mode is not None
        assert mode["enum"] == [m.value for m in istio.WorkloadMode]


def test_fields_added_exist_in_the_1_30_crd(upstream: Path) -> None:
    schemas = _crd_schemas(upstream)
    assert set(schemas) == {"v1", "v1alpha1"}
    for spec in schemas.values():
        for field in istio.TELEMETRY_FIELDS_ADDED:
            assert _walk(spec, field.path) is not None, field.display
        assert _walk(spec, ("tracing", "*", "noSuchField")) is None
