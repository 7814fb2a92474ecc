"""G110/G111's `_Analysis.wants` answers as `wanted` of the selector's metric and labels.

`wants` decides on the metric first and builds a selector's `labels_read` only when the
metric lacks labels somewhere; this compares it with the plain test, `wanted` over the
labels read, for generated selectors and generated sets of dark and label-losing series.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.analysis.promql import LabelMatcher, Selector
from meshgen.checks.grafana.telemetry import METRIC_OF_SERIES, _Analysis

_SERIES = sorted(METRIC_OF_SERIES)[:6]
_LABELS = ["reporter", "response_code", "destination_workload", "source_app", "le", "model"]
_metrics = st.sampled_from([*_SERIES, "up", "node_cpu_seconds_total"]) | st.none()
_labels = st.frozensets(st.sampled_from(_LABELS), max_size=3)
_matchers = st.lists(
    st.builds(LabelMatcher, st.sampled_from([*_LABELS, "__name__"]), st.just("="), st.just("x")),
    max_size=3,
)


def _analysis(dark: frozenset[str], removed: dict[str, frozenset[str]]) -> _Analysis:
    analysis = object.__new__(_Analysis)
    analysis.__dict__["relevant"] = (dark, removed)
    return analysis


@settings(max_examples=500)
@given(
    st.frozensets(st.sampled_from(_SERIES)),
    st.dictionaries(st.sampled_from(_SERIES), _labels),
    _metrics,
    _matchers,
    _labels,
)
def test_wants_is_wanted_of_the_labels_read(
    dark: frozenset[str],
    removed: dict[str, frozenset[str]],
    metric: str | None,
    matchers: list[LabelMatcher],
    context: frozenset[str],
) -> None:
    analysis = _analysis(dark, removed)
    selector = Selector(metric, tuple(matchers), context)
    plain = (
        metric is not None
        and metric in METRIC_OF_SERIES
        and analysis.wanted(metric, selector.labels_read)
    )
    assert analysis.wants(selector) == plain
