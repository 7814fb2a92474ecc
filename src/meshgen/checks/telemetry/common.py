"""Shared walkers for the T1xx checks: tag overrides, providers, known pods, version facts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.knowledge.istio import IstioFacts, facts_or_newest
from meshgen.load.documents import PodDoc, TelemetryDoc
from meshgen.models.telemetry import MetricsOverride, ProviderRef, TagOverride
from meshgen.records import record
from meshgen.render.gateways import pod_labels as gateway_pod_labels
from meshgen.source import KeyPath, Span


def facts(ctx: CheckContext) -> IstioFacts:
    """Facts of the configured Istio version (the newest known for an unknown version)."""
    return facts_or_newest(ctx.istio_version)


def key_span(doc: TelemetryDoc, path: KeyPath) -> Span:
    """Where the key at `path` is written (its value when keys are not tracked)."""
    return doc.locate_key(path) if doc.locate_key is not None else doc.locate(path)


@record(slots=True)
class TagSite:
    """One `tagOverrides.<name>` entry and the override it belongs to."""

    doc: TelemetryDoc
    #: Spec key path of the entry: ("metrics", i, "overrides", j, "tagOverrides", name).
    path: KeyPath
    name: str
    tag: TagOverride
    override: MetricsOverride

    def span(self, field: str | None = None) -> Span:
        """The tag name's key, or the span of one of its fields (`value`, `operation`)."""
        if field is None:
            return key_span(self.doc, self.path)
        return self.doc.locate((*self.path, field))

    @property
    def metric(self) -> str | None:
        match = self.override.match
        return match.metric if match else None


def tag_sites(ctx: CheckContext) -> tuple[TagSite, ...]:
    """Every tag override of every Telemetry, in document order.

    Listed once for the checks that all walk them, again only if `ctx.telemetries` holds
    other documents by then (the documents themselves are frozen).
    """
    docs = tuple(map(id, ctx.telemetries))
    found: tuple[tuple[int, ...], tuple[TagSite, ...]] | None = ctx.memo.get(_TAG_SITES)
    if found is None or found[0] != docs:
        found = ctx.memo[_TAG_SITES] = (docs, tuple(_tag_sites(ctx.telemetries)))
    return found[1]


_TAG_SITES = "telemetry.tag_sites"


def _tag_sites(telemetries: Iterable[TelemetryDoc]) -> Iterator[TagSite]:
    for doc in telemetries:
        for i, metrics in enumerate(doc.spec.metrics):
            for j, override in enumerate(metrics.overrides):
                for name, tag in override.tag_overrides.items():
                    path: KeyPath = ("metrics", i, "overrides", j, "tagOverrides", name)
                    yield TagSite(doc, path, name, tag, override)


def provider_refs(ctx: CheckContext) -> Iterator[tuple[TelemetryDoc, KeyPath, ProviderRef]]:
    """Every `providers[]` entry of metrics, accessLogging and tracing."""
    for doc in ctx.telemetries:
        sections: tuple[tuple[str, Any], ...] = (
            ("metrics", doc.spec.metrics),
            ("accessLogging", doc.spec.access_logging),
            ("tracing", doc.spec.tracing),
        )
        for section, entries in sections:
            for i, entry in enumerate(entries):
                for k, ref in enumerate(entry.providers or ()):
                    yield doc, (section, i, "providers", k), ref


def istiod_values(ctx: CheckContext) -> Iterator[tuple[dict[str, Any], Any]]:
    """(data, locate) of each istiod chart values document (rendered or linted)."""
    for values in ctx.values:
        if values.chart == "istiod":
            yield values.data, values.locate


def dig(data: Any, *keys: str) -> Any:
    """`data[k1][k2]...`, or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


# --- pods -----------------------------------------------------------------------------------


@record(slots=True)
class KnownPod:
    """A pod whose labels are known; `keys` limits which label keys are known (None: all)."""

    pod: PodDoc
    keys: frozenset[str] | None = None

    def matches(self, selector: Mapping[str, str]) -> bool | None:
        """True/False when decidable from the known labels, None when it is not."""
        undecided = False
        for key, value in selector.items():
            if self.keys is not None and key not in self.keys:
                undecided = True
            elif self.pod.labels.get(key) != value:
                return False
        return None if undecided else True


def known_pods(ctx: CheckContext) -> dict[str, list[KnownPod]]:
    """Pods by namespace, for namespaces whose pods are known.

    Linted Pod documents when present; otherwise, with a config, the pods of its services
    (the labels the config says they carry: `podLabels`, else `app` and `version`) and of
    its gateways (the labels the gateway chart renders: `app`, `istio`, ...), so only
    namespaces that hold services or gateways are known.
    """
    out: dict[str, list[KnownPod]] = {}
    if "pods" in ctx.kinds:
        for pod in ctx.pods:
            out.setdefault(pod.namespace, []).append(KnownPod(pod))
        return out
    if ctx.config is not None:
        for i, svc in enumerate(ctx.config.services):
            labels = svc.selector_labels
            pod = PodDoc(svc.name, svc.namespace, labels, ctx.at(("services", i)))
            out.setdefault(svc.namespace, []).append(KnownPod(pod, frozenset(labels)))
        for i, gateway in enumerate(ctx.config.gateways):
            # The labels the istio/gateway chart gives its pods (knowledge.istio_gateway).
            labels = gateway_pod_labels(ctx.config, gateway)
            pod = PodDoc(gateway.name, gateway.namespace, labels, ctx.at(("gateways", i)))
            out.setdefault(gateway.namespace, []).append(KnownPod(pod, frozenset(labels)))
    return out


def has_selector(doc: TelemetryDoc) -> bool:
    """A workload-level Telemetry: it has a selector, targetRef or targetRefs."""
    return doc.spec.selector is not None or doc.spec.has_target_refs


def selector_text(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(empty)"
