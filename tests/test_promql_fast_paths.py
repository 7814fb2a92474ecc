"""meshgen.analysis.promql's fast paths give exactly what the plain ones give.

- `substitute_variables` (which copies runs of plain text in one step) against expected
  values worked out by hand from what each Grafana variable stands for where it is
  written, against generated queries whose expected substitution is built with them, and
  against properties of the documented contract;
- `_analyze` analyses a query through its shape (literal matcher values swapped for
  markers): compared with `_analyze_text`, which parses the text as it is.

Inputs: generated expressions (hypothesis) and every query of Istio's dashboards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshgen.analysis import promql
from meshgen.analysis.promql import Substitution

UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "upstream"


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


P0, P1, P2, P3 = (f"grafanavar{i}x" for i in range(4))

# expression -> (text, originals, ambiguous): what a variable stands for where it is written.
# Inside a string it is text (an opaque word); inside `[...]` or after `offset` a duration;
# `$__interval_ms`-style built-ins a number; in `by (...)` or inside `{...}` a label name;
# glued to a name or before `{`/`[` part of a metric name; alone as an argument it may be
# a metric or a number (ambiguous).
EXPECTED: dict[str, tuple[str, dict[str, str], int]] = {
    "up": ("up", {}, 0),
    'x{a="$"}': ('x{a="$"}', {}, 0),
    "rate(x[$__rate_interval])": ("rate(x[5m])", {}, 0),
    "rate(x[${window}])": ("rate(x[5m])", {}, 0),
    "rate(x[[[w]]])": ("rate(x[5m])", {}, 0),
    "x offset $shift": ("x offset 5m", {}, 0),
    "x offset $__interval_ms": ("x offset 60", {}, 0),
    "rate(x[$__interval_ms])": ("rate(x[5m])", {}, 0),
    "x * $__range_s": ("x * 60", {}, 0),
    'x{a="$v"}': (f'x{{a="{P0}"}}', {P0: "$v"}, 0),
    'x{a=~"${v:regex}"}': (f'x{{a=~"{P0}"}}', {P0: "${v:regex}"}, 0),
    "x{a='[[v:csv]]'}": (f"x{{a='{P0}'}}", {P0: "[[v:csv]]"}, 0),
    "x{a=`$v`}": (f"x{{a=`{P0}`}}", {P0: "$v"}, 0),
    'x{a="$v-$w"}': (f'x{{a="{P0}-{P1}"}}', {P0: "$v", P1: "$w"}, 0),
    'x{a="$v"} or x{b="$v"}': (f'x{{a="{P0}"}} or x{{b="{P1}"}}', {P0: "$v", P1: "$v"}, 0),
    "sum by ($group) (x)": (f"sum by ({P0}) (x)", {P0: "$group"}, 0),
    "sum(x) without (le, ${drop})": (f"sum(x) without (le, {P0})", {P0: "${drop}"}, 0),
    'x{$label="a"}': (f'x{{{P0}="a"}}', {P0: "$label"}, 0),
    '$metric{a="b"}': (f'{P0}{{a="b"}}', {P0: "$metric"}, 0),
    "rate($metric[5m])": (f"rate({P0}[5m])", {P0: "$metric"}, 0),
    "istio_[[kind]]_total": (f"istio_{P0}_total", {P0: "[[kind]]"}, 0),
    "topk($n, x)": (f"topk({P0}, x)", {P0: "$n"}, 1),
    "x / $y": (f"x / {P0}", {P0: "$y"}, 1),
    'topk($n, sum by ($g) (rate(x{a="$v"}[$__range])))': (
        f'topk({P0}, sum by ({P1}) (rate(x{{a="{P2}"}}[5m])))',
        {P0: "$n", P1: "$g", P2: "$v"},
        1,
    ),
}


@pytest.mark.parametrize("expression", EXPECTED, ids=range(len(EXPECTED)))
def test_substitution_gives_the_worked_out_result(expression: str) -> None:
    text, originals, ambiguous = EXPECTED[expression]
    got = promql.substitute_variables(expression)
    assert (got.text, dict(got.originals), got.ambiguous) == (text, originals, ambiguous)


def test_a_numeric_choice_makes_only_that_ambiguous_variable_a_number() -> None:
    expression = "topk($n, x) / bottomk($k, y) + $z"
    assert (
        promql.substitute_variables(expression).text == f"topk({P0}, x) / bottomk({P1}, y) + {P2}"
    )
    second = promql.substitute_variables(expression, numeric=frozenset({1}))
    assert (second.text, dict(second.originals), second.ambiguous) == (
        f"topk({P0}, x) / bottomk(60, y) + {P1}",
        {P0: "$n", P1: "$z"},
        3,
    )
    every = promql.substitute_variables(expression, numeric=frozenset({0, 1, 2}))
    assert (every.text, dict(every.originals)) == ("topk(60, x) / bottomk(60, y) + 60", {})


# Generated queries with their expected substitution, built part by part from the table's
# rules (not from the implementation): (written, kind) where kind says what it becomes.
_WORDS = st.sampled_from(["$v", "${v}", "${v:regex}", "[[v]]", "[[v:pipe]]", "$pod_name"])
_RANGES = st.sampled_from(["$__rate_interval", "$__interval", "$__range", "$window", "${w}"])


@st.composite
def _queries_with_expected(draw: st.DrawFn) -> tuple[str, frozenset[int], Substitution]:
    parts: list[tuple[str, str]] = []  # (text, kind): "" literal, "var", "ambiguous", or text
    argument = draw(st.sampled_from([None, "5", *["$n", "${n}"]]))
    if argument is not None:
        parts += [("topk(", ""), (argument, "ambiguous" if "$" in argument else ""), (", ", "")]
    grouping = draw(st.lists(st.sampled_from(["le", "$g", "${g}", "[[g]]"]), max_size=3))
    parts += [("sum by (", "")]
    for index, label in enumerate(grouping):
        parts += [
            (", " if index else "", ""),
            (label, "var" if "$" in label or "[[" in label else ""),
        ]
    parts += [(") (rate(", "")]
    metric = draw(st.sampled_from(["istio_requests_total", "$metric", "${metric}"]))
    parts += [(metric, "var" if "$" in metric else ""), ("{", "")]
    for index in range(draw(st.integers(0, 3))):
        label = draw(st.sampled_from(["a", "$l"]))
        words = draw(
            st.lists(st.one_of(_WORDS, st.sampled_from(["-", ".*", "|", "/x/"])), max_size=3)
        )
        parts += [("," if index else "", ""), (label, "var" if "$" in label else ""), ('=~"', "")]
        parts += [(word, "var" if "$" in word or "[[" in word else "") for word in words]
        parts += [('"', "")]
    rng = draw(_RANGES)
    parts += [("}[", ""), (rng, "5m"), ("]))", "")]
    if argument is not None:
        parts += [(")", "")]
    if draw(st.booleans()):
        parts += [(" * ", ""), (draw(st.sampled_from(["$__range_s", "$__interval_ms"])), "60")]
    numeric = draw(st.frozensets(st.integers(0, 1), max_size=1))
    text: list[str] = []
    originals: dict[str, str] = {}
    ambiguous = 0
    for written, kind in parts:
        if kind in ("var", "ambiguous") and not (kind == "ambiguous" and ambiguous in numeric):
            placeholder = f"grafanavar{len(originals)}x"
            originals[placeholder] = written
            text.append(placeholder)
        elif kind == "ambiguous":
            text.append("60")
        else:
            text.append(kind or written)
        ambiguous += kind == "ambiguous"
    expression = "".join(written for written, _ in parts)
    return expression, numeric, Substitution("".join(text), originals, ambiguous)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_queries_with_expected())
def test_generated_queries_substitute_as_built(
    case: tuple[str, frozenset[int], Substitution],
) -> None:
    expression, numeric, expected = case
    got = promql.substitute_variables(expression, numeric=numeric)
    assert (got.text, dict(got.originals), got.ambiguous) == (
        expected.text,
        dict(expected.originals),
        expected.ambiguous,
    )


def _assert_contract(expression: str) -> None:
    """What `substitute_variables` promises whatever the expression (its docstring)."""
    plain = promql.substitute_variables(expression)
    numeric = promql.substitute_variables(expression, numeric=frozenset({0, 1}))
    # Placeholders are numbered in order, each in the text, standing for a whole variable
    # written in the expression, in the order written.
    # A placeholder is `grafanavar`, `q`s and its index, and never text of the expression.
    for index, (placeholder, variable) in enumerate(plain.originals.items()):
        assert re.fullmatch(f"grafanavarq*{index}x", placeholder), placeholder
        assert placeholder not in expression
        assert plain.text.count(placeholder) == 1
        assert promql._VARIABLE.fullmatch(variable), variable
    written = [m.group(0) for m in promql._VARIABLE.finditer(expression)]
    remaining = iter(written)
    assert all(any(v == w for w in remaining) for v in plain.originals.values())
    # Choosing numbers changes only the ambiguous occurrences: one placeholder fewer each.
    assert numeric.ambiguous == plain.ambiguous
    assert len(numeric.originals) == len(plain.originals) - min(plain.ambiguous, 2)
    # Putting the placeholders back gives the expression when nothing became a number or a
    # duration; text without variables is untouched.
    if not written:
        assert plain.text == expression and not plain.originals
    elif len(plain.originals) == len(written):
        assert plain.restore(plain.text) == expression


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT | _QUERIES)
def test_substitution_keeps_its_contract(expression: str) -> None:
    _assert_contract(expression)


@pytest.mark.skipif(not UPSTREAM_QUERIES, reason="no upstream dashboards")
def test_substitution_of_istio_dashboard_queries_keeps_its_contract() -> None:
    for expression in UPSTREAM_QUERIES:
        _assert_contract(expression)
        assert promql._VARIABLE.search(promql.substitute_variables(expression).text) is None


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


# The plain form of the literal tokens: one alternation per string character, no class of
# the characters a token starts with, and a `sub` callback that numbers the markers; the
# way `_template` worked before it split the text (`promql._LITERAL_TOKENS`).
_PLAIN_LITERAL_TOKENS = re.compile(
    r"""
    "(?:[^"\\]|\\.)*" | '(?:[^'\\]|\\.)*' | `[^`]*` | \#[^\n]*
    | (?P<head>[{,]\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*)
      "(?P<value>[A-Za-z0-9_.:/-]+)"(?=\s*[,}])
    """,
    re.S | re.X,
)


def _plain_template(text: str) -> tuple[str, tuple[str, ...]]:
    if '"' not in text or promql._LITERAL_MARK in text:
        return text, ()
    literals: list[str] = []

    def replace(match: re.Match[str]) -> str:
        value = match.group("value")
        if value is None or match.group("label") == "__name__":
            return match.group(0)
        literals.append(value)
        return f'{match.group("head")}"{promql._LITERAL_MARK}{len(literals) - 1}"'

    return _PLAIN_LITERAL_TOKENS.sub(replace, text), tuple(literals)


_AWKWARD_TEMPLATES = [
    'x{a = "b" , c!~"d"}',
    'x{a="b c", d="e"}',  # a value that is not plain, then one that is
    'x{a=,b="c"}',
    'x{__name__x="a"}',  # a label that only starts like __name__
    'x{a="b"',
    '"{a="b"}"',
    'x{a="\\"b", c="d"}',
    "x{" + ",".join(f'l{i}="v{i}"' for i in range(100)) + "}",  # more than the made markers
]


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT | _QUERIES)
def test_template_is_that_of_the_plain_pattern(expression: str) -> None:
    assert promql._template(expression) == _plain_template(expression)


def test_template_of_istio_dashboard_and_awkward_queries_is_that_of_the_plain_pattern() -> None:
    for expression in [*UPSTREAM_QUERIES, *_AWKWARD_TEMPLATES]:
        assert promql._template(expression) == _plain_template(expression), expression


@pytest.mark.parametrize(
    ("expression", "matchers", "grouping"),
    [
        ('sum(rate(m{a="grafanavar0x",b=~"$v"}[5m]))', {"a": "grafanavar0x", "b": "$v"}, ()),
        (
            'sum(rate(m{a="x-grafanavar0x-y",b="meshgenliteral",c=~"$v"}[$__rate_interval]))',
            {"a": "x-grafanavar0x-y", "b": "meshgenliteral", "c": "$v"},
            (),
        ),
        ('sum by (grafanavar0x) (m{a=~"$v"})', {"a": "$v"}, ("grafanavar0x",)),
        (
            'sum by (g) (m{a="grafanavarq0x",b="grafanavar1x",c="$v"})',
            {"a": "grafanavarq0x", "b": "grafanavar1x", "c": "$v"},
            ("g",),
        ),
    ],
)
def test_text_spelled_like_a_placeholder_or_marker_is_read_as_written(
    expression: str, matchers: dict[str, str], grouping: tuple[str, ...]
) -> None:
    """A literal that looks like meshgen's own stand-ins is still that literal.

    Placeholders stand for Grafana variables while parsing, markers for literal values
    (`_template`); a service named `grafanavar0x` once read back as `$v`.
    """
    query = promql.analyze(expression)
    assert query.ok, query.error
    assert {m.name: m.value for s in query.selectors for m in s.matchers if m.name != "__name__"} == matchers
    assert tuple(label for g in query.groupings for label in g.labels) == grouping
