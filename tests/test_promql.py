"""meshgen.analysis.promql: Grafana variable substitution, Grafana query functions, what a query reads."""

from __future__ import annotations

import pytest

from meshgen.analysis import promql
from meshgen.analysis.promql import (
    LabelMatcher,
    analyze,
    analyze_variable_query,
    substitute_variables,
)


def test_selectors_matchers_and_grouping_labels() -> None:
    query = analyze(
        'sum by (destination_workload) (rate(istio_requests_total{reporter=~"source|waypoint",'
        'response_code!~"5.."}[$__rate_interval])) / on (destination_workload) '
        "group_left (destination_service) sum by (destination_workload, destination_service) "
        "(rate(istio_tcp_sent_bytes_total[5m]))"
    )
    assert query.ok, query.error
    assert query.metrics == {"istio_requests_total", "istio_tcp_sent_bytes_total"}
    assert [str(m) for m in query.matchers_of("istio_requests_total")] == [
        'reporter=~"source|waypoint"',
        'response_code!~"5.."',
    ]
    assert query.labels_of("istio_requests_total") == {
        "reporter",
        "response_code",
        "destination_workload",
        "destination_service",
    }
    kinds = [(g.kind, g.labels) for g in query.groupings]
    assert ("on", ("destination_workload",)) in kinds
    assert ("group_left", ("destination_service",)) in kinds


def test_without_and_ignoring_are_not_labels_read() -> None:
    query = analyze("sum without (pod) (x) + ignoring (instance) y")
    assert query.ok
    assert query.labels_of("x") == frozenset()
    assert {g.kind for g in query.groupings} == {"without", "ignoring"}


def test_label_join_and_label_replace_sources_are_read() -> None:
    query = analyze('label_replace(label_join(x, "dst", ".", "a", "b"), "d2", "$1", "c", "(.*)")')
    assert query.ok, query.error
    assert query.labels_of("x") == {"a", "b", "c"}


def test_metric_name_in_name_matcher_and_or_matchers() -> None:
    query = analyze('{__name__="istio_build", component="pilot" or tag="1.30"}')
    assert query.ok, query.error
    assert query.metrics == {"istio_build"}
    assert {m.name for m in query.matchers_of("istio_build")} == {"__name__", "component", "tag"}


@pytest.mark.parametrize(
    "expression",
    [
        "rate(x[$__rate_interval])",
        "rate(x[$__interval])",
        "increase(x[$__range]) / $__range_s",
        "rate(x[5m]) * 1000 / $__interval_ms",
        "x[${window}:$__interval]",
        "x offset $__interval",
        'x{a="$var", b=~"${var:regex}", c=~"[[var]]"}',
        "x{a='$var'}",
        "topk($n, x)",
        "sum by ($group) (x)",
        "sum($metric)",
        "metric_$suffix",
        'x{$label="v"}',
    ],
)
def test_grafana_variables_become_valid_placeholders(expression: str) -> None:
    assert analyze(expression).ok, analyze(expression).error


def test_placeholders_fit_where_they_stand() -> None:
    sub = substitute_variables('topk($n, sum by ($g) ($m{a="$x"}[$w] offset ${off}))')
    assert "[5m]" in sub.text
    assert "offset 5m" in sub.text
    assert sub.ambiguous == 1  # $n: a number or an identifier
    restored = {sub.restore(p) for p in sub.originals}
    assert restored == {"$n", "$g", "$m", "$x"}


def test_matcher_values_keep_the_variable() -> None:
    query = analyze('sum(x{reporter=~"$qrep", destination_service="$service"})')
    matchers = {m.name: m for m in query.matchers_of("x")}
    assert matchers["reporter"].value == "$qrep"
    assert matchers["reporter"].variables == ("qrep",)
    assert matchers["destination_service"].matches("svc") is None
    assert matchers["reporter"].matches("source", {"qrep": "source|destination"}) is True


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("sum(rate(x[5m])", "unclosed left parenthesis"),
        ('x{a=~"("}', "regex"),
        ("sum(x) by", ""),
        ("rate(x)", "expected type matrix"),
    ],
)
def test_invalid_queries_report_the_parser_message(expression: str, message: str) -> None:
    query = analyze(expression)
    assert not query.ok
    assert message in (query.error or "")
    with pytest.raises(promql.PromQLError):
        promql.check(expression)


def test_grafana_template_functions() -> None:
    values = analyze_variable_query(
        'label_values(istio_requests_total{reporter="source"}, source_app)'
    )
    assert values.kind == "label_values" and values.ok
    assert values.requested_label == "source_app"
    assert values.labels_of("istio_requests_total") == {"reporter", "source_app"}

    bare = analyze_variable_query("label_values(namespace)")
    assert bare.kind == "label_values" and bare.metrics == frozenset()
    assert bare.requested_label == "namespace"

    result = analyze_variable_query(
        "query_result(sum(istio_requests_total) by (destination_service))"
    )
    assert result.kind == "query_result"
    assert result.labels_of("istio_requests_total") == {"destination_service"}

    assert analyze_variable_query("metrics(istio_.*)").kind == "metrics"
    assert analyze_variable_query("label_names()").kind == "label_names"
    assert analyze_variable_query('label_names(up{job="x"})').metrics == {"up"}
    assert not analyze_variable_query("label_values(up{job=, job)").ok
    assert analyze_variable_query("up").kind == "promql"


def test_reporter_views() -> None:
    def views(expr: str, **options: tuple[str, ...]) -> set[frozenset[str]]:
        (selector,) = analyze(expr).selectors
        return set(selector.reporter_views(options))

    assert views("x") == {frozenset(promql.REPORTERS)}
    assert views('x{reporter="source"}') == {frozenset({"source"})}
    assert views('x{reporter=~"source|waypoint"}') == {frozenset({"source", "waypoint"})}
    assert views('x{reporter!="source"}') == {frozenset({"destination", "waypoint"})}
    assert views('x{reporter=~"$qrep"}', qrep=("source", "destination")) == {
        frozenset({"source"}),
        frozenset({"destination"}),
    }
    unknown = views('x{reporter=~"$r"}')
    assert frozenset({"source"}) in unknown and frozenset(promql.REPORTERS) in unknown


def test_each_expression_is_parsed_once() -> None:
    analyze.cache_clear()
    expression = "sum(rate(istio_requests_total[5m]))"
    first = analyze(expression)
    assert analyze(expression) is first
    assert analyze.cache_info().misses == 1


def test_label_matcher_regex_is_anchored() -> None:
    matcher = LabelMatcher("reporter", "=~", "source")
    assert matcher.matches("source") is True
    assert matcher.matches("sources") is False
    assert LabelMatcher("ns", "!=", "istio-system").matches("apps") is True
