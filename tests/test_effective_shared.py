"""`EffectiveTelemetry` (namespace-wide merge shared) against the plain `effective_metrics`."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.analysis.effective import (
    SIDES,
    Cause,
    EffectiveTelemetry,
    MetricState,
    applicable_telemetries,
    effective_metrics,
)
from meshgen.load.documents import TelemetryDoc
from meshgen.models import TelemetrySpec
from meshgen.source import Span

ROOT = "istio-system"
NAMESPACES = [ROOT, "apps", "web"]
PROVIDERS = ["prometheus", "otel", "stackdriver"]
LABEL_KEYS = ["app", "version"]
LABEL_VALUES = ["a", "b"]
METRICS = [
    "ALL_METRICS",
    "REQUEST_COUNT",
    "REQUEST_DURATION",
    "REQUEST_SIZE",
    "TCP_OPENED_CONNECTIONS",
    "GRPC_REQUEST_MESSAGES",
]
#: Standard labels (one removable, one not read by anything) and custom ones.
TAGS = ["response_code", "source_principal", "destination_workload", "tier", "model"]

_files = count()


def doc(name: str, namespace: str, spec: dict[str, Any]) -> TelemetryDoc:
    # Each document reports in a file of its own, so a cause taken from the wrong one
    # (even of the same name) shows in its span.
    file = f"{name}-{next(_files)}.yaml"
    return TelemetryDoc(
        name=name,
        namespace=namespace,
        spec=TelemetrySpec.model_validate(spec),
        locate=lambda path, file=file: Span(file, len(path), hash(path) % 97),
    )


labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2)
selectors = st.dictionaries(
    st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), min_size=1, max_size=2
)
providers = st.lists(st.sampled_from(PROVIDERS), max_size=2, unique=True)


@st.composite
def overrides(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = draw(st.sampled_from(["none", "metric", "custom"]))
    match: dict[str, Any] = {}
    if kind == "metric":
        match["metric"] = draw(st.sampled_from(METRICS))
    elif kind == "custom":
        match["customMetric"] = draw(st.sampled_from(["my_count", "my_bytes"]))
    if draw(st.booleans()):
        match["mode"] = draw(st.sampled_from(["CLIENT_AND_SERVER", "CLIENT", "SERVER"]))
    if match or draw(st.booleans()):
        out["match"] = match
    if draw(st.booleans()):
        out["disabled"] = draw(st.booleans())
    tags: dict[str, Any] = {}
    for tag in draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True)):
        choice = draw(st.sampled_from(["REMOVE", "UPSERT", "value", "bare"]))
        if choice == "REMOVE":
            tags[tag] = {"operation": "REMOVE"}
        elif choice == "UPSERT":
            tags[tag] = {"operation": "UPSERT", "value": f"'{tag}-v'"}
        elif choice == "value":
            tags[tag] = {"value": draw(st.sampled_from(["'x'", "request.host"]))}
        else:
            tags[tag] = {}
    if tags:
        out["tagOverrides"] = tags
    return out


@st.composite
def telemetry_docs(draw: st.DrawFn) -> list[TelemetryDoc]:
    out = []
    for index in range(draw(st.integers(0, 7))):
        spec: dict[str, Any] = {}
        scope = draw(st.sampled_from(["wide", "selector", "empty-selector", "target", "both"]))
        if scope in ("selector", "both"):
            spec["selector"] = {"matchLabels": draw(selectors)}
        if scope == "both":
            spec["targetRefs"] = [{"kind": "Gateway", "name": "gw"}]
        elif scope == "empty-selector":
            spec["selector"] = {"matchLabels": {}}
        elif scope == "target":
            spec["targetRefs"] = [{"kind": "Gateway", "name": "gw"}]
        entries = []
        for _ in range(draw(st.integers(0, 3))):
            entry: dict[str, Any] = {"overrides": draw(st.lists(overrides(), max_size=3))}
            named = draw(st.none() | providers)
            if named is not None:
                entry["providers"] = [{"name": p} for p in named]
            entries.append(entry)
        if entries:
            spec["metrics"] = entries
        # Few names, so that two resources may share one (their causes still differ).
        name = draw(st.sampled_from(["t", f"t{index}"]))
        out.append(doc(name, draw(st.sampled_from([ROOT, "apps", "apps", "web"])), spec))
    return out


#: Every kind of workload, asked in a random order (a merge that leaks into the shared
#: part shows in the workloads asked after it).
WORKLOADS: list[tuple[str, dict[str, str] | None]] = [
    (namespace, workload_labels)
    for namespace in [*NAMESPACES, "other"]
    for workload_labels in [None, {}, {"app": "a"}, {"app": "b", "version": "a"}, {"version": "b"}]
]
workloads = st.permutations(WORKLOADS)


def _causes(state: MetricState) -> list[tuple[str, Cause, Span]]:
    causes = [("enabled", state.enabled_by)] if state.enabled_by else []
    causes.extend((label, cause) for label, cause in state.label_causes.items())
    return [(what, cause, cause.span) for what, cause in causes]


def _same(shared: dict[str, MetricState], plain: dict[str, MetricState]) -> None:
    assert list(shared) == list(plain)  # the same metrics, in the same order
    for name, state in plain.items():
        mine = shared[name]
        assert mine == state
        assert repr(mine) == repr(state)
        assert type(mine.added_labels) is type(state.added_labels)
        assert type(mine.label_causes) is type(state.label_causes)
        assert list(mine.added_labels.items()) == list(state.added_labels.items())
        assert _causes(mine) == _causes(state)
        assert mine.sources == state.sources


@settings(max_examples=250, deadline=None)
@given(
    docs=telemetry_docs(),
    workloads=workloads,
    provider=st.none() | st.sampled_from(PROVIDERS),
    defaults=st.lists(st.sampled_from(PROVIDERS), min_size=1, max_size=2, unique=True),
)
def test_shared_path_equals_plain_effective_metrics(
    docs: list[TelemetryDoc],
    workloads: list[tuple[str, dict[str, str] | None]],
    provider: str | None,
    defaults: list[str],
) -> None:
    shared = EffectiveTelemetry(
        docs, root_namespace=ROOT, provider=provider, default_providers=defaults
    )
    # Asked one side at a time only (as the renderer asks), never both at once.
    one_side = EffectiveTelemetry(
        docs, root_namespace=ROOT, provider=provider, default_providers=defaults
    )
    for namespace, workload_labels in workloads:
        where: dict[str, Any] = {"namespace": namespace, "workload_labels": workload_labels}
        chosen = applicable_telemetries(docs, root_namespace=ROOT, **where)
        assert [id(d) for d in shared.applicable(**where)] == [id(d) for d in chosen]
        by_side = shared.by_side(**where)
        assert list(by_side) == list(SIDES)
        for side in SIDES:
            plain = effective_metrics(
                docs,
                root_namespace=ROOT,
                mode=side,
                provider=provider,
                default_providers=defaults,
                **where,
            )
            _same(by_side[side], plain)
            _same(shared.metrics(mode=side, **where), plain)
            _same(one_side.metrics(mode=side, **where), plain)


def test_workloads_configured_alike_share_one_result() -> None:
    root = doc("root", ROOT, {"metrics": [{"overrides": [{"disabled": True}]}]})
    api = doc("api", "apps", {"selector": {"matchLabels": {"app": "api"}}})
    shared = EffectiveTelemetry([root, api], root_namespace=ROOT)
    first = shared.by_side(namespace="apps", workload_labels={"app": "api", "v": "1"})
    assert shared.by_side(namespace="apps", workload_labels={"app": "api"}) is first
    other = shared.by_side(namespace="apps", workload_labels={"app": "db"})
    assert other is not first
    # No namespace-wide Telemetry of their own: every namespace shares the root's.
    assert shared.by_side(namespace="web") is shared.by_side(namespace="other")
    assert other == shared.by_side(namespace="web")


def test_a_selector_telemetry_does_not_leak_into_the_shared_merge() -> None:
    root = doc("root", ROOT, {"metrics": [{"overrides": [{"match": {"metric": "REQUEST_COUNT"}}]}]})
    off = doc(
        "off",
        "apps",
        {
            "selector": {"matchLabels": {"app": "api"}},
            "metrics": [{"overrides": [{"match": {"metric": "REQUEST_COUNT"}, "disabled": True}]}],
        },
    )
    shared = EffectiveTelemetry([root, off], root_namespace=ROOT)
    assert not shared.metrics(namespace="apps", workload_labels={"app": "api"}, mode="SERVER")[
        "REQUEST_COUNT"
    ].enabled
    assert shared.metrics(namespace="apps", workload_labels={"app": "db"}, mode="SERVER")[
        "REQUEST_COUNT"
    ].enabled


def test_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="CLIENT or SERVER"):
        EffectiveTelemetry([], root_namespace=ROOT).metrics(namespace="apps", mode="BOTH")  # type: ignore[arg-type]
