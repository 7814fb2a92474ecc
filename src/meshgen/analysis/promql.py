"""What a Grafana dashboard query reads: metrics, label matchers, grouping labels, reporters.

Expressions are parsed with the real PromQL parser (`promql_parser`). Grafana interpolates
its variables (`$__rate_interval`, `${name}`, `[[name]]`, ...) before Prometheus sees a
query, so they are first replaced by placeholders that are valid where they stand: a
duration inside `[...]` or after `offset`, a plain word inside a string, an identifier (or,
failing that, a number) elsewhere. Matcher values keep the original variable text, so
`reporter=~"$qrep"` is known to depend on the `qrep` variable.

Template-variable queries may use Grafana's own functions (`label_values`, `query_result`,
`metrics`, `label_names`); `analyze_variable_query` unwraps them and parses the inner
PromQL. Each distinct expression is parsed once per process (both entry points cache).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from functools import lru_cache
from itertools import combinations
from typing import Any, Literal

import promql_parser

from meshgen.records import record

MatchOp = Literal["=", "!=", "=~", "!~"]
GroupingKind = Literal["by", "without", "on", "ignoring", "group_left", "group_right"]
QueryKind = Literal["promql", "label_values", "query_result", "metrics", "label_names"]

#: Values Istio's `reporter` label takes (reference 3).
REPORTERS: tuple[str, ...] = ("source", "destination", "waypoint")

# The parser's enum values are not hashable, but convert to their (distinct) indexes.
_OP_OF_INT: Mapping[int, MatchOp] = {
    int(promql_parser.MatchOp.Equal): "=",
    int(promql_parser.MatchOp.NotEqual): "!=",
    int(promql_parser.MatchOp.Re): "=~",
    int(promql_parser.MatchOp.NotRe): "!~",
}

# Grafana's own variable syntax (public/app/features/variables/utils.ts `variableRegex`).
_VARIABLE = re.compile(
    r"\$(?P<plain>\w+)"
    r"|\[\[(?P<bracket>\w+?)(?::\w+)?\]\]"
    r"|\$\{(?P<braced>\w+)(?:\.[^:^}]+)?(?::[^}]+)?\}"
)
# Grafana's template-query functions (prometheus datasource, metric_find_query.ts).
_LABEL_NAMES = re.compile(r"^label_names\((?P<match>.*)\)\s*$", re.S)
_LABEL_VALUES = re.compile(
    r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>[a-zA-Z_$][a-zA-Z0-9_]*)\)\s*$", re.S
)
_METRICS = re.compile(r"^metrics\((?P<regex>.+)\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^query_result\((?P<expr>.+)\)\s*$", re.S)

#: Built-in Grafana variables that expand to a number rather than a duration.
_NUMERIC_BUILTINS = frozenset({"__interval_ms", "__range_s", "__range_ms", "__rate_interval_ms"})
_OFFSET_BEFORE = re.compile(r"(?<![\w:])offset\s*$")
_GROUPING_BEFORE = re.compile(r"(?<![\w:])(by|without|on|ignoring|group_left|group_right)\s*$")
_IDENTIFIER_CHAR = re.compile(r"[\w:]")
#: What `substitute_variables` copies without looking, by the quote it is inside (None:
#: none): characters that change no state, and (outside quotes) whole strings without a
#: `$`, `[` or escape in them.
_PLAIN: Mapping[str | None, re.Pattern[str]] = {
    None: re.compile(r"""(?:[^$\[\]{}()"'`]+|"[^"\\$\[]*"|'[^'\\$\[]*'|`[^`$\[]*`)+"""),
    '"': re.compile(r'[^$\[\\"]+'),
    "'": re.compile(r"[^$\[\\']+"),
    "`": re.compile(r"[^$\[`]+"),
}
#: At most this many ambiguous variables are tried both ways (2**n parses).
_MAX_AMBIGUOUS = 4
_DURATION = "5m"
_NUMBER = "60"
#: Placeholders are this, the variable's index and `x`; a `q` is added to the prefix until
#: the expression does not hold it (`_free_prefix`), so that restoring the variables can
#: never touch text the expression itself holds (a service named `grafanavar0x`).
_PLACEHOLDER_PREFIX = "grafanavar"
#: Replaces literal matcher values in `_template` (followed by the value's index).
_LITERAL_MARK = "meshgenliteral"
#: Strings and comments (skipped whole), and `{label op` / `, label op` heads, each one token
#: (group 1), the head's value (group 2) when it is a plain double-quoted value followed by
#: `,` or `}`. A token starts with one of the characters of its first class, so the scan
#: skips the others without entering the pattern; the lookbehinds then say which of them it
#: was. Strings are matched as runs of plain characters between escapes (the same strings as
#: `"(?:[^"\\]|\\.)*"`, without an alternation per character). A head whose value is not plain
#: is one token as well: no token can start inside it, so scanning on after it is the same.
_LITERAL_TOKENS = re.compile(
    r"""
    ( [{,"'`\#]
      (?: (?<=")[^"\\]*(?:\\.[^"\\]*)*" | (?<=')[^'\\]*(?:\\.[^'\\]*)*' | (?<=`)[^`]*`
        | (?<=\#)[^\n]*
        | (?<=[{,])\s*(?!__name__(?![A-Za-z0-9_]))[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)\s*
          (?:("[A-Za-z0-9_.:/-]+")(?=\s*[,}]))?
      )
    )
    """,
    re.S | re.X,
)
#: The markers of the first literal values (quoted), made once.
_MARKERS = tuple(f'"{_LITERAL_MARK}{index}"' for index in range(64))
#: Distinct expressions remembered per process: dashboards generated per service differ only
#: in names, so a large mesh has tens of thousands; an evicted one would be parsed again.
_MEMO_SIZE = 1 << 17
#: Functions whose string arguments from this index on name labels they read.
_LABEL_ARGUMENTS = {"label_join": 3, "sort_by_label": 1, "sort_by_label_desc": 1}


@record(slots=True)
class LabelMatcher:
    """One `name op "value"` matcher; `value` keeps Grafana variables as written."""

    name: str
    op: MatchOp
    value: str

    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the Grafana variables the value depends on."""
        return _variables_in(self.value)

    def matches(self, candidate: str, variables: Mapping[str, str] | None = None) -> bool | None:
        """Whether a series whose label is `candidate` passes; None if a variable is unknown."""
        value = self.value
        if self.variables:
            if variables is None or any(v not in variables for v in self.variables):
                return None
            value = _VARIABLE.sub(lambda m: variables[_variable_name(m)], value)
        if self.op in ("=", "!="):
            hit = candidate == value
        else:
            try:
                hit = re.fullmatch(value, candidate) is not None
            except re.error:
                return None
        return hit if self.op in ("=", "=~") else not hit

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


@record(slots=True)
class Grouping:
    """A `by`/`without` (aggregation) or `on`/`ignoring`/`group_*` (vector matching) clause."""

    kind: GroupingKind
    labels: tuple[str, ...]


@record(slots=True)
class Selector:
    """A vector selector and the labels the query reads around it.

    `context_labels` are labels read by enclosing clauses (`by`, `on`, `group_left`,
    `label_join` sources, the label asked for by `label_values`): removing such a label
    changes what the query returns for this metric.
    """

    metric: str | None
    matchers: tuple[LabelMatcher, ...]
    context_labels: frozenset[str] = frozenset()

    def matchers_for(self, label: str) -> tuple[LabelMatcher, ...]:
        return tuple(m for m in self.matchers if m.name == label)

    @property
    def labels_read(self) -> frozenset[str]:
        """Every label this selector's series must carry for the query to mean what it says."""
        named = frozenset(m.name for m in self.matchers if m.name != "__name__")
        return named | self.context_labels

    def reporter_views(
        self, options: Mapping[str, Sequence[str]] | None = None
    ) -> tuple[frozenset[str], ...]:
        """The sets of `reporter` values one evaluation of the query sums together.

        No matcher: one view of every reporter. Literal matchers: one view of the values
        they admit. A matcher on a Grafana variable: one view per value the user can pick
        (`options` maps variable names to their choices; unknown variables offer every
        reporter).
        """
        matchers = self.matchers_for("reporter")
        if not matchers:
            return (frozenset(REPORTERS),)
        variables = sorted({v for m in matchers for v in m.variables})
        if not variables:
            return _literal_views(matchers)
        views: list[frozenset[str]] = []
        for choice in _choices(variables, options or {}):
            view = frozenset(r for r in REPORTERS if all(m.matches(r, choice) for m in matchers))
            if view and view not in views:
                views.append(view)
        return tuple(views)


@record(slots=True)
class Query:
    """The analysis of one dashboard expression (or the parse error that stopped it)."""

    expression: str
    kind: QueryKind = "promql"
    selectors: tuple[Selector, ...] = ()
    groupings: tuple[Grouping, ...] = ()
    #: The label a `label_values(..., label)` variable lists.
    requested_label: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def metrics(self) -> frozenset[str]:
        return frozenset(s.metric for s in self.selectors if s.metric)

    def selectors_of(self, metric: str) -> tuple[Selector, ...]:
        return tuple(s for s in self.selectors if s.metric == metric)

    def matchers_of(self, metric: str) -> tuple[LabelMatcher, ...]:
        return tuple(m for s in self.selectors_of(metric) for m in s.matchers)

    def labels_of(self, metric: str) -> frozenset[str]:
        """Labels read for `metric`: its matchers plus the enclosing clauses' labels."""
        labels: set[str] = set()
        for selector in self.selectors_of(metric):
            labels |= selector.labels_read
        return frozenset(labels)


@record
class Substitution:
    """An expression with Grafana variables replaced, and the originals by placeholder."""

    text: str
    originals: Mapping[str, str] = field(default_factory=dict)
    #: Variables that could stand for an identifier or a number (see `substitute_variables`).
    ambiguous: int = 0

    def restore(self, value: str) -> str:
        """`value` with each placeholder put back to the variable it stands for."""
        if not self.originals:
            return value
        for placeholder, original in self.originals.items():
            value = value.replace(placeholder, original)
        return value


class PromQLError(ValueError):
    """A dashboard expression that Prometheus would refuse."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(message)
        self.expression = expression
        self.message = message


def substitute_variables(expression: str, *, numeric: frozenset[int] = frozenset()) -> Substitution:
    """Replace Grafana variables by placeholders valid where each one stands.

    Inside a string: a plain word; inside `[...]` or after `offset`: a duration; in a
    grouping list or inside `{...}`: an identifier. Elsewhere a variable may be a metric
    name or a number (`topk($n, ...)`); those are identifiers unless their index among such
    ambiguous occurrences is in `numeric`. `Substitution.ambiguous` counts them.
    """
    if "$" not in expression and "[[" not in expression:
        return Substitution(expression)
    # `out` holds one piece per character (two for an escape, one per placeholder): the
    # look-behinds below read the last 32 pieces. Runs of characters that change no state
    # are copied in one step, one piece per character as before.
    out: list[str] = []
    originals: dict[str, str] = {}
    prefix = _free_prefix(expression)
    quote: str | None = None
    brackets = braces = 0
    parens: list[bool] = []  # True for a `by (...)`-style label list
    ambiguous = 0
    i, n = 0, len(expression)
    while i < n:
        plain = _PLAIN[quote].match(expression, i)
        if plain is not None:
            out.extend(plain.group())
            i = plain.end()
            if i == n:
                break
        char = expression[i]
        match = _VARIABLE.match(expression, i) if char in "$[" else None
        if match is not None:
            name = _variable_name(match)
            if quote is None and (brackets > 0 or _after_offset(out)):
                out.append(_NUMBER if name in _NUMERIC_BUILTINS and brackets == 0 else _DURATION)
            elif quote is None and name.startswith("__"):
                out.append(_NUMBER)
            elif (
                quote is None
                and not braces
                and not (parens and parens[-1])
                and _standalone(out, expression, match.end())
            ):
                if ambiguous in numeric:
                    out.append(_NUMBER)
                else:
                    out.append(_placeholder(originals, match.group(0), prefix))
                ambiguous += 1
            else:
                out.append(_placeholder(originals, match.group(0), prefix))
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
            parens.append(_after_grouping(out))
        elif char == ")" and parens:
            parens.pop()
        out.append(char)
        i += 1
    return Substitution("".join(out), originals, ambiguous)


@lru_cache(maxsize=_MEMO_SIZE)
def analyze(expression: str) -> Query:
    """Parse one PromQL expression (with Grafana variables) and say what it reads."""
    return _analyze(expression, "promql", expression)


@lru_cache(maxsize=_MEMO_SIZE)
def analyze_variable_query(query: str) -> Query:
    """A template variable's query: Grafana's functions around PromQL, or plain PromQL."""
    text = query.strip()
    if _LABEL_NAMES.match(text):
        inner = _LABEL_NAMES.match(text)
        assert inner is not None
        selector = inner.group("match").strip()
        if not selector:
            return Query(query, "label_names")
        return _analyze(selector, "label_names", query)
    values = _LABEL_VALUES.match(text)
    if values:
        label = values.group("label")
        selector = values.group("selector")
        if selector is None:
            return Query(query, "label_values", requested_label=label)
        return _analyze(selector, "label_values", query, requested_label=label)
    if _METRICS.match(text):
        return Query(query, "metrics")
    result = _QUERY_RESULT.match(text)
    if result:
        return _analyze(result.group("expr"), "query_result", query)
    return _analyze(text, "promql", query)


def check(expression: str) -> None:
    """Raise `PromQLError` when `expression` does not parse."""
    query = analyze(expression)
    if query.error is not None:
        raise PromQLError(expression, query.error)


def _analyze(
    text: str, kind: QueryKind, original: str, *, requested_label: str | None = None
) -> Query:
    """`_analyze_text`, through the shape of `text` when it has literal matcher values.

    Dashboards generated per service repeat a few queries with other names in their
    matchers (`destination_workload="svc-0042"`): those values are swapped for markers, the
    shape is analysed once, and each query gets its own values back (see `_template`).
    """
    shape, literals = _template(text)
    if literals:
        found = _analyze_shape(shape, kind, requested_label, len(literals))
        if found is not None:
            return found.fill(original, literals)
    return _analyze_text(text, kind, original, requested_label=requested_label)


@record(slots=True)
class _Shape:
    """A query analysed with markers for its literal matcher values, and where they are."""

    query: Query
    #: Per selector with markers: its index, and per matcher either the matcher itself or
    #: (name, op, literal index) for a marker, worked out once per shape.
    plans: tuple[tuple[int, tuple[LabelMatcher | tuple[str, MatchOp, int], ...]], ...]

    def fill(self, original: str, literals: Sequence[str]) -> Query:
        """The analysis of `original`: this one with each marker back to its value."""
        query = self.query
        selectors = list(query.selectors)
        for position, plan in self.plans:
            selector = selectors[position]
            matchers = tuple(
                [
                    item
                    if isinstance(item, LabelMatcher)
                    else _matcher(item[0], item[1], literals[item[2]])
                    for item in plan
                ]
            )
            selectors[position] = Selector(selector.metric, matchers, selector.context_labels)
        return Query(original, query.kind, tuple(selectors), query.groupings, query.requested_label)


@lru_cache(maxsize=_MEMO_SIZE)
def _matcher(name: str, op: MatchOp, value: str) -> LabelMatcher:
    """One object per distinct matcher: generated dashboards repeat theirs in every query."""
    return LabelMatcher(name, op, value)


@lru_cache(maxsize=4096)
def _analyze_shape(
    shape: str, kind: QueryKind, requested_label: str | None, count: int
) -> _Shape | None:
    """Analyse a `_template` shape with `count` markers; None if it has no use.

    That is when it does not parse, or when a marker did not come back exactly once as a
    whole matcher value: then the text was not read as `_template` assumed.
    """
    query = _analyze_text(shape, kind, shape, requested_label=requested_label)
    if query.error is not None:
        return None
    found: set[int] = set()
    plans = []
    for position, selector in enumerate(query.selectors):
        plan: list[LabelMatcher | tuple[str, MatchOp, int]] = []
        marked = False
        for matcher in selector.matchers:
            slot = _literal_slot(matcher, count)
            if slot is None:
                plan.append(matcher)
                continue
            if slot in found:
                return None
            found.add(slot)
            plan.append((matcher.name, matcher.op, slot))
            marked = True
        if marked:
            plans.append((position, tuple(plan)))
    if len(found) != count:
        return None
    return _Shape(query, tuple(plans))


def _template(text: str) -> tuple[str, tuple[str, ...]]:
    """`text` with each plain literal matcher value replaced by a marker, and the values.

    Only a double-quoted value of letters, digits and `_.:/-` after `label op` inside a
    selector is replaced: the parser accepts such a value, and the marker, alike (a valid
    regex, never empty, never matching the empty string), so the two texts parse the same
    but for that value. Strings and comments are skipped whole; `_analyze_shape` checks
    that every marker came back as a whole matcher value, else `text` is analysed as it is.
    """
    if '"' not in text or _LITERAL_MARK in text:
        return text, ()
    # `split` returns the text between tokens, each token and its value (or None), in turn:
    # no Python call per token, as a `sub` callback would make.
    parts = _LITERAL_TOKENS.split(text)
    literals: list[str] = []
    for index in range(2, len(parts), 3):
        value = parts[index]
        if value is not None:
            token = parts[index - 1]
            parts[index - 1] = token[: len(token) - len(value)] + _marker(len(literals))
            literals.append(value[1:-1])
    if not literals:
        return text, ()
    del parts[2::3]
    return "".join(parts), tuple(literals)


def _marker(index: int) -> str:
    """The quoted marker of the literal value at `index`."""
    return _MARKERS[index] if index < len(_MARKERS) else f'"{_LITERAL_MARK}{index}"'


def _literal_slot(matcher: LabelMatcher, count: int) -> int | None:
    value = matcher.value
    if matcher.name == "__name__" or not value.startswith(_LITERAL_MARK):
        return None
    digits = value[len(_LITERAL_MARK) :]
    if not digits.isdigit() or not digits.isascii() or int(digits) >= count:
        return None
    return int(digits)


def _analyze_text(
    text: str, kind: QueryKind, original: str, *, requested_label: str | None = None
) -> Query:
    first = substitute_variables(text)
    error = ""
    for numeric in _numeric_choices(min(first.ambiguous, _MAX_AMBIGUOUS)):
        sub = substitute_variables(text, numeric=numeric) if numeric else first
        try:
            tree = promql_parser.parse(sub.text)
        except ValueError as exc:
            error = error or str(exc)
            continue
        context = frozenset({requested_label}) if requested_label else frozenset()
        walker = _Walker(sub)
        walker.visit(tree, context)
        return Query(
            original,
            kind,
            tuple(walker.selectors),
            tuple(walker.groupings),
            requested_label=requested_label,
        )
    return Query(original, kind, requested_label=requested_label, error=error or "invalid query")


def _numeric_choices(count: int) -> Iterator[frozenset[int]]:
    """Subsets of ambiguous variable positions to try as numbers, fewest first."""
    for size in range(count + 1):
        yield from (frozenset(c) for c in combinations(range(count), size))


class _Walker:
    """Collects selectors (with their enclosing label reads) and grouping clauses."""

    def __init__(self, sub: Substitution) -> None:
        self.sub = sub
        self.selectors: list[Selector] = []
        self.groupings: list[Grouping] = []

    def visit(self, node: Any, context: frozenset[str]) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            self.selectors.append(self._selector(node, context))
        elif isinstance(node, promql_parser.MatrixSelector):
            self.visit(node.vector_selector, context)
        elif isinstance(node, promql_parser.AggregateExpr):
            inner = context
            if node.modifier is not None:
                labels = tuple(self.sub.restore(label) for label in node.modifier.labels)
                by = node.modifier.type == promql_parser.AggModifierType.By
                self.groupings.append(Grouping("by" if by else "without", labels))
                if by:
                    inner = context | frozenset(labels)
            if isinstance(node.param, promql_parser.Expr):
                self.visit(node.param, context)
            self.visit(node.expr, inner)
        elif isinstance(node, promql_parser.BinaryExpr):
            inner = context | self._vector_matching(node.modifier)
            self.visit(node.lhs, inner)
            self.visit(node.rhs, inner)
        elif isinstance(node, promql_parser.Call):
            args = list(node.args)
            self.visit_all(args, context | self._label_arguments(node.func.name, args))
        elif isinstance(
            node,
            (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr),
        ):
            self.visit(node.expr, context)

    def visit_all(self, nodes: Iterable[Any], context: frozenset[str]) -> None:
        for node in nodes:
            if isinstance(node, promql_parser.Expr):
                self.visit(node, context)

    def _vector_matching(self, modifier: Any) -> frozenset[str]:
        if modifier is None:
            return frozenset()
        read: set[str] = set()
        matching = modifier.matching
        if matching is not None:
            labels = tuple(self.sub.restore(label) for label in matching.labels)
            on = matching.type == promql_parser.LabelModifierType.Include
            if on or labels:
                self.groupings.append(Grouping("on" if on else "ignoring", labels))
            if on:
                read.update(labels)
        group = tuple(self.sub.restore(label) for label in modifier.group_labels or ())
        card = modifier.card
        if card == promql_parser.VectorMatchCardinality.ManyToOne:
            self.groupings.append(Grouping("group_left", group))
        elif card == promql_parser.VectorMatchCardinality.OneToMany:
            self.groupings.append(Grouping("group_right", group))
        read.update(group)
        return frozenset(read)

    def _label_arguments(self, function: str, args: Sequence[Any]) -> frozenset[str]:
        start = _LABEL_ARGUMENTS.get(function)
        if function == "label_replace" and len(args) > 3:
            picked: Sequence[Any] = args[3:4]
        elif start is not None:
            picked = args[start:]
        else:
            return frozenset()
        return frozenset(
            self.sub.restore(a.val)
            for a in picked
            if isinstance(a, promql_parser.StringLiteral) and a.val
        )

    def _selector(self, node: Any, context: frozenset[str]) -> Selector:
        matchers = [
            LabelMatcher(self.sub.restore(m.name), _op(m.op), self.sub.restore(m.value))
            for m in node.matchers.matchers
        ]
        for group in node.matchers.or_matchers:
            matchers.extend(
                LabelMatcher(self.sub.restore(m.name), _op(m.op), self.sub.restore(m.value))
                for m in group
            )
        name = node.name
        if name is None:
            name = next((m.value for m in matchers if m.name == "__name__" and m.op == "="), None)
        metric = self.sub.restore(name) if name else None
        return Selector(metric, tuple(matchers), context)


def _op(op: Any) -> MatchOp:
    return _OP_OF_INT[int(op)]


@lru_cache(maxsize=1024)
def _literal_views(matchers: tuple[LabelMatcher, ...]) -> tuple[frozenset[str], ...]:
    """`Selector.reporter_views` for `reporter` matchers without variables."""
    return (frozenset(r for r in REPORTERS if all(m.matches(r) for m in matchers)),)


@lru_cache(maxsize=4096)
def _variables_in(value: str) -> tuple[str, ...]:
    if "$" not in value and "[[" not in value:
        return ()
    return tuple(_variable_name(m) for m in _VARIABLE.finditer(value))


def _variable_name(match: re.Match[str]) -> str:
    return match.group("plain") or match.group("bracket") or match.group("braced") or ""


def _free_prefix(expression: str) -> str:
    """`_PLACEHOLDER_PREFIX`, with `q`s added until `expression` does not hold it.

    No placeholder then occurs in the expression, nor across one's edge (a placeholder
    starts with the prefix and no end of it begins one), so `Substitution.restore`
    replaces placeholders only.
    """
    prefix = _PLACEHOLDER_PREFIX
    while prefix in expression:
        prefix += "q"
    return prefix


def _placeholder(originals: dict[str, str], variable: str, prefix: str) -> str:
    placeholder = f"{prefix}{len(originals)}x"
    originals[placeholder] = variable
    return placeholder


def _standalone(out: Sequence[str], text: str, end: int) -> bool:
    """A variable not glued to an identifier and not followed by `{`/`[` (a metric name)."""
    before = "".join(out[-1:])
    rest = text[end:].lstrip()
    if before and _IDENTIFIER_CHAR.match(before[-1]):
        return False
    if end < len(text) and _IDENTIFIER_CHAR.match(text[end]):
        return False
    return not rest.startswith(("{", "["))


def _after_offset(out: Sequence[str]) -> bool:
    return _ends_like(out, "t") and _OFFSET_BEFORE.search("".join(out[-32:])) is not None


def _after_grouping(out: Sequence[str]) -> bool:
    """Whether a `(` here opens a `by (...)`-style label list."""
    return _ends_like(out, "ytng") and _GROUPING_BEFORE.search("".join(out[-32:])) is not None


def _ends_like(out: Sequence[str], last_letters: str) -> bool:
    """Whether the output can end with a keyword ending in one of `last_letters` (and blanks).

    A cheap test before joining the last pieces for the keyword regexes, which end in `\\s*$`.
    """
    last = out[-1][-1:] if out else ""
    return last != "" and (last in last_letters or last.isspace())


def _choices(
    variables: Sequence[str], options: Mapping[str, Sequence[str]]
) -> Iterator[dict[str, str]]:
    """Every combination of values the user can pick for `variables`."""
    if not variables:
        yield {}
        return
    first, rest = variables[0], variables[1:]
    for value in options.get(first) or (*REPORTERS, ".*"):
        for tail in _choices(rest, options):
            yield {first: value, **tail}
