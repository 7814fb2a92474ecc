"""meshgen.analysis.promql's fast paths give exactly what the plain ones give.

- `substitute_variables` copies runs of plain text in one step: compared with the
  character-by-character version it replaced (kept below as the oracle);
- `_analyze` analyses a query through its shape (literal matcher values swapped for
  markers): compared with `_analyze_text`, which parses the text as it is.

Inputs: generated expressions (hypothesis) and every query of Istio's dashboards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshgen.analysis import promql
from meshgen.analysis.promql import Substitution

UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "upstream"


def _oracle_substitute(expression: str, numeric: frozenset[int] = frozenset()) -> Substitution:
    """`substitute_variables` as it was: one character at a time."""
    out: list[str] = []
    originals: dict[str, str] = {}
    quote: str | None = None
    brackets = braces = 0
    parens: list[bool] = []
    ambiguous = 0
    i, n = 0, len(expression)
    while i < n:
        char = expression[i]
        match = promql._VARIABLE.match(expression, i) if char in "$[" else None
        if match is not None:
            name = promql._variable_name(match)
            after_offset = promql._OFFSET_BEFORE.search("".join(out[-32:])) is not None
            if quote is None and (brackets > 0 or after_offset):
                numeric_builtin = name in promql._NUMERIC_BUILTINS and brackets == 0
                out.append(promql._NUMBER if numeric_builtin else promql._DURATION)
            elif quote is None and name.startswith("__"):
                out.append(promql._NUMBER)
            elif (
                quote is None
                and not braces
                and not (parens and parens[-1])
                and promql._standalone(out, expression, match.end())
            ):
                if ambiguous in numeric:
                    out.append(promql._NUMBER)
                else:
                    out.append(promql._placeholder(originals, match.group(0)))
                ambiguous += 1
            else:
                out.append(promql._placeholder(originals, match.group(0)))
            i = match.end()
            continue
        if quote is not None:
            if char == "\\" and quote != "`" and i + 1 < n:
                out.append(expression[i : i + 2])
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char == "[":
            brackets += 1
        elif char == "]":
            brackets = max(0, brackets - 1)
        elif char == "{":
            braces += 1
        elif char == "}":
            braces = max(0, braces - 1)
        elif char == "(":
            grouping = promql._GROUPING_BEFORE.search("".join(out[-32:])) is not None
            parens.append(grouping)
        elif char == ")" and parens:
            parens.pop()
        out.append(char)
        i += 1
    return Substitution("".join(out), originals, ambiguous)


def _upstream_queries() -> list[str]:
    found: set[str] = set()

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "query", "definition") and isinstance(value, str):
                    yield value
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for path in sorted(UPSTREAM.glob("istio-*/**/*.json")):
        try:
            found.update(walk(json.loads(path.read_text(encoding="utf-8"))))
        except ValueError:
            continue
    return sorted(found)


UPSTREAM_QUERIES = _upstream_queries()

# Pieces that exercise every state of the substitution and of the literal templating:
# quotes and escapes, brackets, braces, grouping and offset keywords, variables of each
# syntax, comments, the template marker itself.
_PIECES = st.sampled_from(
    [
        "x", "up", "sum", "rate(", "(", ")", "[", "]", "{", "}", ",", " ", "  ", "\n",
        " by ", "by(", " without ", " on ", " ignoring ", " group_left ", " offset ",
        "offset", "[5m]", "[$__rate_interval]", "$__interval_ms", "$__range", "$n",
        "${var}", "${var:regex}", "[[var]]", "[[v:csv]]", "$", "[[", '"', "'", "`", "\\",
        '"a"', '"svc-1"', '"5.."', '"a.b:c/d"', '""', '"$v"', "'s'", "`r`", '"x\\"y"',
        "a=", "b!=", "c=~", "d!~", "__name__=", "reporter=", " or ", "# c\n", "1", "+",
        '"meshgenliteral0"', '"meshgenliteral9"', "label_join(", '"Ü"', '"a b"',
    ]
)  # fmt: skip
_TEXT = st.lists(_PIECES, max_size=24).map("".join) | st.text(max_size=40)

_LABELS = st.sampled_from(["a", "reporter", "__name__", "le", "by", "offset", "x_1"])
_VALUES = st.sampled_from(
    ['"x"', '"svc-0042"', '"5.."', '"a.b:c/d"', '""', '"$v"', "'s'", "`r`", '".*"',
     '"meshgenliteral0"', '"meshgenliteral3"', '"a\\"b"', '"Ü"', '"x y"', '"team-7"']
)  # fmt: skip


@st.composite
def _selectors(draw: st.DrawFn) -> str:
    matchers = [
        f"{draw(_LABELS)}{draw(st.sampled_from(['', ' ']))}"
        f"{draw(st.sampled_from(['=', '!=', '=~', '!~']))}{draw(_VALUES)}"
        for _ in range(draw(st.integers(0, 4)))
    ]
    separator = draw(st.sampled_from([",", ", ", " or ", " , "]))
    name = draw(st.sampled_from(["x", "istio_requests_total", "", "up"]))
    tail = draw(st.sampled_from(["", "[5m]", "[$__rate_interval]", " offset 1m"]))
    return f"{name}{{{separator.join(matchers)}}}{tail}"


_QUERIES = st.recursive(
    _selectors(),
    lambda inner: st.one_of(
        inner.map(lambda q: f"sum by (le) ({q})"),
        inner.map(lambda q: f"rate({q})"),
        st.tuples(inner, inner).map(lambda p: f"{p[0]} / on (a) group_left (b) {p[1]}"),
        st.tuples(inner, _VALUES).map(lambda p: f'label_join({p[0]}, "d", ",", "a", {p[1]})'),
        st.tuples(inner, _VALUES).map(lambda p: f"{p[0]} # {p[1]} }}\n"),
    ),
    max_leaves=4,
)


def _same_substitution(expression: str, numeric: frozenset[int]) -> None:
    new = promql.substitute_variables(expression, numeric=numeric)
    old = _oracle_substitute(expression, numeric)
    assert (new.text, dict(new.originals), new.ambiguous) == (
        old.text,
        dict(old.originals),
        old.ambiguous,
    )


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT | _QUERIES, st.frozensets(st.integers(0, 3), max_size=2))
def test_substitution_matches_the_character_by_character_version(
    expression: str, numeric: frozenset[int]
) -> None:
    _same_substitution(expression, numeric)


@pytest.mark.skipif(not UPSTREAM_QUERIES, reason="no upstream dashboards")
def test_substitution_of_istio_dashboard_queries_is_unchanged() -> None:
    for expression in UPSTREAM_QUERIES:
        _same_substitution(expression, frozenset())
        _same_substitution(expression, frozenset({0, 1}))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_QUERIES | _TEXT)
def test_analysis_through_the_shape_equals_parsing_the_text(expression: str) -> None:
    through_shape = promql._analyze(expression, "promql", expression)
    direct = promql._analyze_text(expression, "promql", expression)
    assert through_shape == direct


@pytest.mark.skipif(not UPSTREAM_QUERIES, reason="no upstream dashboards")
def test_analysis_of_istio_dashboard_queries_through_the_shape_is_unchanged() -> None:
    for expression in UPSTREAM_QUERIES:
        direct = promql._analyze_text(expression, "promql", expression)
        assert promql._analyze(expression, "promql", expression) == direct


def test_queries_differing_in_literal_values_share_one_shape() -> None:
    promql._analyze_shape.cache_clear()
    template = 'sum(rate(x{reporter="destination",destination_workload="%s"}[$__rate_interval]))'
    queries = [promql.analyze(template % f"svc-{n}") for n in range(5)]
    assert promql._analyze_shape.cache_info().misses == 1
    assert [q.matchers_of("x")[1].value for q in queries] == [f"svc-{n}" for n in range(5)]
    assert all(q.expression == template % f"svc-{n}" for n, q in enumerate(queries))


@pytest.mark.parametrize(
    "expression",
    [
        'x{a="meshgenliteral0"}',  # the marker itself as a value
        'x{__name__="y", a="b"}',  # __name__ values stay in the shape
        'label_join(x{a="b"}, "d", ",", \'{c="e"}\')',  # a selector-like string argument
        'x{a="b"} # {c="d"}\n',  # a selector-like comment
        'x{a="b" or c="d"}',
        'x{a="b", a="c"}',
        'sum(x{a="b"}) by (',
    ],
)
def test_awkward_literals_analyse_as_the_text_does(expression: str) -> None:
    direct = promql._analyze_text(expression, "promql", expression)
    assert promql._analyze(expression, "promql", expression) == direct


def test_match_operators_map_to_distinct_symbols() -> None:
    assert sorted(promql._OP_OF_INT.values()) == ["!=", "!~", "=", "=~"]
