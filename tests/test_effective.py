"""meshgen.analysis.effective against Istio's Telemetry precedence rules (reference 2.3)."""

from __future__ import annotations

from typing import Any

import pytest

from meshgen.analysis.effective import (
    applicable_telemetries,
    effective_metrics,
    effective_metrics_by_side,
)
from meshgen.load.documents import TelemetryDoc
from meshgen.models import TelemetrySpec
from meshgen.source import Span

ROOT = "istio-system"
APP = {"app": "api", "version": "v1"}


def doc(name: str, namespace: str, spec: dict[str, Any]) -> TelemetryDoc:
    return TelemetryDoc(
        name=name,
        namespace=namespace,
        spec=TelemetrySpec.model_validate(spec),
        locate=lambda path, name=name: Span(f"{name}.yaml", len(path)),
    )


def override(metric: str = "ALL_METRICS", mode: str | None = None, **rest: Any) -> dict[str, Any]:
    match: dict[str, Any] = {"metric": metric}
    if mode:
        match["mode"] = mode
    return {"match": match, **rest}


def metrics(*overrides: dict[str, Any], providers: list[str] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"overrides": list(overrides)}
    if providers is not None:
        entry["providers"] = [{"name": p} for p in providers]
    return {"metrics": [entry]}


def state(docs: list[TelemetryDoc], metric: str, *, mode: str = "CLIENT", **kw: Any) -> Any:
    kw.setdefault("namespace", "apps")
    kw.setdefault("workload_labels", APP)
    return effective_metrics(docs, root_namespace=ROOT, mode=mode, **kw)[metric]  # type: ignore[arg-type]


def test_nothing_applies_everything_on_with_default_providers() -> None:
    result = state([], "REQUEST_COUNT")
    assert result.enabled and result.providers == ("prometheus",)
    assert not result.removed_labels and not result.added_labels and result.sources == ()


def test_hierarchy_order_and_selection() -> None:
    root = doc("root", ROOT, metrics())
    ns = doc("ns", "apps", metrics())
    other_ns = doc("other", "web", metrics())
    wl = doc("wl", "apps", {"selector": {"matchLabels": {"app": "api"}}, **metrics()})
    wl_other = doc("wl2", "apps", {"selector": {"matchLabels": {"app": "db"}}, **metrics()})
    gateway = doc("gw", "apps", {"targetRefs": [{"kind": "Gateway", "name": "gw"}], **metrics()})
    second_ns = doc("ns2", "apps", metrics())
    chosen = applicable_telemetries(
        [wl, wl_other, gateway, ns, second_ns, other_ns, root],
        root_namespace=ROOT,
        namespace="apps",
        workload_labels=APP,
    )
    assert [d.name for d in chosen] == ["root", "ns", "wl"]
    namespace_only = applicable_telemetries(
        [wl, ns, root], root_namespace=ROOT, namespace="apps", workload_labels=None
    )
    assert [d.name for d in namespace_only] == ["root", "ns"]


def test_namespace_overrides_mesh_and_workload_overrides_namespace() -> None:
    root = doc("root", ROOT, metrics(override("REQUEST_COUNT", disabled=True)))
    ns = doc("ns", "apps", metrics(override("REQUEST_COUNT", disabled=False)))
    wl = doc(
        "wl",
        "apps",
        {
            "selector": {"matchLabels": {"app": "api"}},
            **metrics(override("REQUEST_COUNT", disabled=True)),
        },
    )
    assert not state([root], "REQUEST_COUNT").enabled
    assert state([root, ns], "REQUEST_COUNT").enabled
    decided = state([root, ns, wl], "REQUEST_COUNT")
    assert not decided.enabled
    assert decided.enabled_by is not None and decided.enabled_by.telemetry == "apps/wl"
    assert decided.enabled_by.path == ("metrics", 0, "overrides", 0, "disabled")
    # Other workloads of the namespace keep the namespace's decision.
    assert state([root, ns, wl], "REQUEST_COUNT", workload_labels={"app": "db"}).enabled


def test_disabled_is_sticky_until_an_explicit_false() -> None:
    root = doc("root", ROOT, metrics(override(disabled=True)))
    tags_only = doc(
        "ns", "apps", metrics(override("REQUEST_COUNT", tagOverrides={"x": {"value": "'1'"}}))
    )
    assert not state([root, tags_only], "REQUEST_COUNT").enabled
    one_back = doc("ns", "apps", metrics(override("REQUEST_COUNT", disabled=False)))
    result = effective_metrics(
        [root, one_back], root_namespace=ROOT, namespace="apps", mode="CLIENT"
    )
    assert result["REQUEST_COUNT"].enabled
    assert not result["REQUEST_DURATION"].enabled


def test_mode_specific_overrides() -> None:
    root = doc("root", ROOT, metrics(override("REQUEST_COUNT", "SERVER", disabled=True)))
    sides = effective_metrics_by_side([root], root_namespace=ROOT, namespace="apps")
    assert sides["CLIENT"]["REQUEST_COUNT"].enabled
    assert not sides["SERVER"]["REQUEST_COUNT"].enabled
    both = doc("root", ROOT, metrics(override("REQUEST_COUNT", "CLIENT_AND_SERVER", disabled=True)))
    sides = effective_metrics_by_side([both], root_namespace=ROOT, namespace="apps")
    assert not sides["CLIENT"]["REQUEST_COUNT"].enabled
    assert not sides["SERVER"]["REQUEST_COUNT"].enabled
    with pytest.raises(ValueError):
        effective_metrics([], root_namespace=ROOT, namespace="apps", mode="CLIENT_AND_SERVER")  # type: ignore[arg-type]


def test_tag_overrides_merge_per_label_later_wins() -> None:
    root = doc(
        "root",
        ROOT,
        metrics(
            override(tagOverrides={"request_protocol": {"operation": "REMOVE"}}),
            override(
                "REQUEST_COUNT", tagOverrides={"model": {"value": "request.headers['x-model']"}}
            ),
        ),
    )
    ns = doc(
        "ns",
        "apps",
        metrics(
            override("REQUEST_COUNT", tagOverrides={"request_protocol": {"value": "'http'"}}),
            override(
                tagOverrides={
                    "model": {"operation": "REMOVE"},
                    "not_standard": {"operation": "REMOVE"},
                }
            ),
        ),
    )
    only_root = state([root], "REQUEST_COUNT")
    assert only_root.removed_labels == {"request_protocol"}
    assert dict(only_root.added_labels) == {"model": "request.headers['x-model']"}
    assert not only_root.has_label("request_protocol") and only_root.has_label("model")
    assert state([root], "TCP_SENT_BYTES").removed_labels == {"request_protocol"}
    merged = state([root, ns], "REQUEST_COUNT")
    assert merged.removed_labels == frozenset()  # REMOVE of the non-standard `model` is ignored
    assert dict(merged.added_labels) == {"request_protocol": "'http'"}
    assert merged.label_causes["request_protocol"].telemetry == "apps/ns"
    assert not merged.has_label("model")
    assert state([root, ns], "REQUEST_DURATION").removed_labels == {"request_protocol"}


def test_providers_are_replaced_not_merged() -> None:
    root = doc(
        "root", ROOT, metrics(override("REQUEST_COUNT", disabled=True), providers=["prometheus"])
    )
    ns = doc("ns", "apps", metrics(providers=["stackdriver"]))
    result = state([root, ns], "REQUEST_COUNT")
    assert result.providers == ("stackdriver",)
    # The root override was attached to prometheus, which is no longer in scope.
    assert result.enabled
    for_prometheus = state([root, ns], "REQUEST_COUNT", provider="prometheus")
    assert not for_prometheus.enabled
    assert for_prometheus.enabled_by is not None
    assert for_prometheus.enabled_by.path == ("metrics", 0, "providers")


def test_entry_without_providers_inherits_the_parent_entry() -> None:
    root = doc("root", ROOT, metrics(providers=["prometheus"]))
    ns = doc("ns", "apps", metrics(override("REQUEST_SIZE", disabled=True)))
    assert not state([root, ns], "REQUEST_SIZE", provider="prometheus").enabled


def test_sources_point_at_the_deciding_overrides() -> None:
    root = doc(
        "root",
        ROOT,
        metrics(
            override(
                "REQUEST_COUNT",
                disabled=True,
                tagOverrides={"response_code": {"operation": "REMOVE"}},
            )
        ),
    )
    result = state([root], "REQUEST_COUNT")
    assert result.sources == (Span("root.yaml", 5), Span("root.yaml", 6))
