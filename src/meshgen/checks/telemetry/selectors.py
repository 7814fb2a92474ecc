"""T110-T112: which workloads a Telemetry applies to (istioctl IST0160, IST0159, IST0101)."""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.telemetry.common import KnownPod, has_selector, known_pods, selector_text
from meshgen.diagnostics import Severity
from meshgen.load.documents import TelemetryDoc


def _by_namespace(docs: list[TelemetryDoc]) -> dict[str, list[TelemetryDoc]]:
    """The Telemetries of each namespace, one per name.

    Two documents with the same namespace and name are one object written twice (e.g. a
    current and an archived copy): applying the later replaces the earlier, so only the
    last one counts.
    """
    named: dict[str, dict[str, TelemetryDoc]] = {}
    for doc in docs:
        in_namespace = named.setdefault(doc.namespace, {})
        in_namespace.pop(doc.name, None)
        in_namespace[doc.name] = doc
    return {namespace: list(by_name.values()) for namespace, by_name in named.items()}


@check(
    "T110",
    "multiple-namespace-telemetries",
    Severity.ERROR,
    aliases=("IST0160",),
    needs=("telemetry",),
)
def multiple_namespace_telemetries(ctx: CheckContext) -> Iterator[Finding]:
    """A namespace has more than one Telemetry without a selector or targetRefs.

    Why: only one selector-less Telemetry per namespace is used (istiod takes the oldest by
    creation time), so the others are silently ignored, and which one wins depends on the
    order they were created (istioctl: IST0160 MultipleTelemetriesWithoutWorkloadSelectors).
    As istioctl does, each of them is reported, naming the others.

    Example: two Telemetries in `inference`, neither with `selector:`.

    Fix: merge them into one, or give the workload-specific one a `selector`.
    """
    for namespace, docs in _by_namespace(ctx.telemetries).items():
        wide = [doc for doc in docs if not has_selector(doc)]
        if len(wide) < 2:
            continue
        # Like istioctl, every Telemetry involved is reported, each naming the others.
        for doc in wide:
            others = [other for other in wide if other is not doc]
            yield Finding(
                f"telemetry {doc.name!r} is one of {len(wide)} Telemetries without a selector "
                f"in namespace {namespace!r} (also: {_names(others)}); only the oldest of them "
                "is applied",
                span=doc.locate(()),
                related=tuple(other.locate(()) for other in others),
            )


def _names(docs: list[TelemetryDoc]) -> str:
    return ", ".join(repr(doc.name) for doc in docs)


def _selected(doc: TelemetryDoc) -> dict[str, str] | None:
    """The matchLabels of a selector-based Telemetry (targetRefs ones do not count)."""
    if doc.spec.selector is None or doc.spec.has_target_refs:
        return None
    return dict(doc.spec.selector.match_labels)


@check(
    "T111",
    "conflicting-workload-selectors",
    Severity.ERROR,
    aliases=("IST0159",),
    needs=("telemetry",),
)
def conflicting_workload_selectors(ctx: CheckContext) -> Iterator[Finding]:
    """Two Telemetries in one namespace select the same workload.

    Why: both are applied in creation order and the result is undefined (istioctl: IST0159
    ConflictingTelemetryWorkloadSelectors). Flagged when the selectors are identical or
    nested (one's matchLabels contain the other's), or when a known Pod matches both. As
    istioctl does, each Telemetry involved is reported once, naming all it conflicts with.

    Example: selectors `{app: inference-balancer}` and `{app: inference-balancer, version: v1}`.

    Fix: merge the two Telemetries, or make the selectors disjoint.
    """
    pods = known_pods(ctx)
    for namespace, docs in _by_namespace(ctx.telemetries).items():
        selecting = [(doc, labels) for doc in docs if (labels := _selected(doc)) is not None]
        # Like istioctl, every Telemetry involved is reported once, naming all it conflicts with.
        conflicts: dict[int, list[tuple[TelemetryDoc, dict[str, str], str]]] = {}
        for index, (doc, labels) in enumerate(selecting):
            for other_index, (other, other_labels) in enumerate(selecting[:index]):
                why = _conflict(namespace, labels, other_labels, pods)
                if why is None:
                    continue
                conflicts.setdefault(index, []).append((other, other_labels, why))
                conflicts.setdefault(other_index, []).append((doc, labels, why))
        for index, (doc, labels) in enumerate(selecting):
            if index not in conflicts:
                continue
            found = conflicts[index]
            described = "; ".join(
                f"{other.name!r} ({why}: {selector_text(other_labels)})"
                for other, other_labels, why in found
            )
            yield Finding(
                f"telemetry {doc.name!r} in namespace {namespace!r} (selector "
                f"{selector_text(labels)}) selects the same workloads as {described}; which "
                "one applies is undefined",
                span=doc.locate(("selector",)),
                related=tuple(other.locate(("selector",)) for other, _, _ in found),
            )


def _conflict(
    namespace: str,
    labels: dict[str, str],
    other: dict[str, str],
    pods: dict[str, list[KnownPod]],
) -> str | None:
    """Why two selectors select the same workloads, or None when they need not."""
    items, other_items = set(labels.items()), set(other.items())
    if items == other_items:
        return "the same selector"
    if items <= other_items or other_items <= items:
        return "nested selectors"
    both = [
        known.pod.name
        for known in pods.get(namespace, ())
        if known.matches(labels) and known.matches(other)
    ]
    return f"both match pod {both[0]!r}" if both else None


@check(
    "T112",
    "selector-matches-no-pod",
    Severity.WARNING,
    aliases=("IST0101",),
    needs=("telemetry",),
)
def selector_matches_no_pod(ctx: CheckContext) -> Iterator[Finding]:
    """A Telemetry's selector matches none of the known pods of its namespace.

    Why: the Telemetry then applies to nothing; usually a typo in a label (istioctl:
    IST0101 ReferencedResourceNotFound). Pods are known from linted Pod/Deployment files,
    or, for a config, from its services (labels `app` and `version`); namespaces without
    known pods, and selector keys no known pod label covers, are not judged.

    Example: `selector: {matchLabels: {app: inference-balancr}}`

    Fix: use the pod's real labels (for a service: `app:` and `appVersion:`).
    """
    pods = known_pods(ctx)
    for doc in ctx.telemetries:
        labels = _selected(doc)
        known = pods.get(doc.namespace)
        if labels is None or not known:
            continue
        verdicts = [pod.matches(labels) for pod in known]
        if all(verdict is False for verdict in verdicts):
            names = ", ".join(sorted({pod.pod.name for pod in known}))
            culprit = _unmatched_label(labels, known)
            path = ("selector", "matchLabels", culprit) if culprit else ("selector", "matchLabels")
            yield Finding(
                f"selector {selector_text(labels)} of telemetry {doc.name!r} matches no known "
                f"pod in namespace {doc.namespace!r} (known: {names})",
                span=doc.locate(path),
            )


def _unmatched_label(labels: dict[str, str], known: list[KnownPod]) -> str | None:
    """The first selector label that no known pod carries (the likely typo), if any."""
    for key, value in labels.items():
        if all(pod.matches({key: value}) is False for pod in known):
            return key
    return None
