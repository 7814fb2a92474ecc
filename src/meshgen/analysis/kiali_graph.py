"""The labels Kiali's traffic graph needs that an effective telemetry state removes.

Kiali drops every `istio_requests_total` / TCP byte series lacking one of
`knowledge.kiali.GRAPH_LABELS`; G113 (any mesh) and K111 (a config that deploys Kiali)
both report such removals, one per label and cause, from what this module collects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field

from meshgen.analysis.effective import Cause, MetricState, Side
from meshgen.knowledge.kiali import GRAPH_LABELS, GRAPH_SERIES
from meshgen.records import record
from meshgen.source import Span

#: (label, span of the override that removes it): one removal per label and cause.
RemovalKey = tuple[str, Span | None]


@record(frozen=False)
class GraphRemoval:
    """One label Kiali needs, removed by one override: where it bites and for whom."""

    label: str
    cause: Cause | None
    #: The graph series that lose the label, in the order met.
    series: dict[str, None] = field(default_factory=dict)
    sides: dict[Side, None] = field(default_factory=dict)
    #: What the scopes are called in messages (the mesh root, a namespace, a workload).
    scopes: dict[str, None] = field(default_factory=dict)


def add_graph_removals(
    found: dict[RemovalKey, GraphRemoval],
    sides: Mapping[Side, Mapping[str, MetricState]],
    scopes: Iterable[str],
) -> None:
    """Record in `found` every graph label the states of `sides` remove, for `scopes`."""
    names = list(scopes)
    for side, metrics in sides.items():
        for metric, needed in GRAPH_LABELS.items():
            state = metrics.get(metric)
            if state is None or not state.enabled:
                continue
            for label in sorted(state.removed_labels & needed):
                cause = state.label_causes.get(label)
                key = (label, cause.span if cause else None)
                removal = found.get(key)
                if removal is None:
                    removal = found[key] = GraphRemoval(label, cause)
                removal.series[GRAPH_SERIES[metric]] = None
                removal.sides[side] = None
                removal.scopes.update(dict.fromkeys(names))
