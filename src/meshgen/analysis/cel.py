"""CEL expressions of Telemetry tag overrides and access-log filters (cel-python's grammar).

`analyze(expression)` parses once per distinct expression (results are cached) with the
parser of `cel_tables` (cel-python's grammar under Lark, loaded on first use so that configs
without expressions never pay for it), and walks the parse tree to report:

- the syntax error, if any, with its 1-based line and column inside the expression;
- the attributes the expression reads (`request.headers['x-model']`, `upstream_peer.labels`);
- the values it can produce when that set is provably finite (`possible_values`), e.g.
  `x in ['a', 'b'] ? x : 'other'` gives `{'a', 'b', 'other'}`; None means unbounded.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meshgen.analysis import cel_tables
from meshgen.cache import JsonCache, salt
from meshgen.records import record

if TYPE_CHECKING:
    from lark import Token, Tree

#: Macros whose first argument names a loop variable (`list.exists(x, x > 1)`).
COMPREHENSION_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})

#: Grammar rules that only wrap their single child (precedence levels).
_PASS_THROUGH = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication",
     "unary", "member", "primary", "paren_expr"}
)  # fmt: skip

_STRING_TOKENS = frozenset({"STRING_LIT", "MLSTRING_LIT"})

#: Readable names of the grammar's named terminals, for "expected ..." in messages.
_TERMINAL_NAMES = {
    "IDENT": "an identifier",
    "STRING_LIT": "a string",
    "MLSTRING_LIT": "a string",
    "INT_LIT": "a number",
    "UINT_LIT": "a number",
    "FLOAT_LIT": "a number",
    "BOOL_LIT": "true/false",
    "NULL_LIT": "null",
    "BYTES_LIT": "bytes",
}
_MAX_EXPECTED = 4


@record(slots=True)
class CelError:
    """A syntax error: the parser's message and its 1-based position in the expression."""

    message: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"


@record(slots=True)
class CelAnalysis:
    """What `analyze` found out about one expression."""

    expression: str
    error: CelError | None = None
    #: Attributes read, in order of first appearance, e.g. `request.headers['x-model']`.
    attributes: tuple[str, ...] = ()
    #: Every string the expression can evaluate to, when that set is finite; else None.
    possible_values: frozenset[str] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def bounded(self) -> bool:
        return self.possible_values is not None

    def reads(self, prefix: str) -> tuple[str, ...]:
        """The attributes read at or below `prefix` (e.g. `request` or `request.headers`)."""
        return tuple(a for a in self.attributes if attribute_under(a, prefix))


def attribute_under(attribute: str, prefix: str) -> bool:
    """True when `attribute` is `prefix` or a field/index of it (`request.path` under `request`)."""
    if not attribute.startswith(prefix):
        return False
    rest = attribute[len(prefix) :]
    return not rest or rest[0] in ".["


def attribute_root(attribute: str) -> tuple[str, str | None]:
    """(root identifier, first field or None) of an attribute path as `analyze` writes it.

    `request.headers['x']` -> (`request`, `headers`); `.request.path` (root-qualified) ->
    (`request`, `path`); `dx03` -> (`dx03`, None); `filter_state['k']` -> (`filter_state`,
    None).
    """
    text = attribute[1:] if attribute.startswith(".") else attribute
    end = len(text)
    for stop in ".[":
        at = text.find(stop)
        if at != -1:
            end = min(end, at)
    root, rest = text[:end], text[end:]
    if not rest.startswith("."):
        return root, None
    field = rest[1:]
    for stop in ".[":
        at = field.find(stop)
        if at != -1:
            field = field[:at]
    return root, field


@functools.lru_cache(maxsize=4096)
def analyze(expression: str) -> CelAnalysis:
    """Parse `expression` and analyse its parse tree.

    Cached per string in memory and across runs on disk (`meshgen.cache`): building the
    parser costs more than a whole `meshgen check` otherwise.
    """
    cache = _disk_cache()
    stored = _from_json(expression, cache.get(expression))
    if stored is not None:
        return stored
    result = _analyze(expression)
    cache.put(expression, _to_json(result))
    return result


@functools.cache
def _disk_cache() -> JsonCache:
    """The cross-run cache, salted (`meshgen.cache.salt`) with the parser, cel-python and lark.

    The sources are this file and `cel_tables.py` (which parses and decodes literals).
    """
    sources = [Path(__file__), Path(cel_tables.__file__)]
    return JsonCache(
        "cel-analysis", salt(sources=sources, distributions=["cel-python", "lark"])
    )


def _to_json(result: CelAnalysis) -> dict[str, Any]:
    error = result.error
    return {
        "error": [error.message, error.line, error.col] if error else None,
        "attributes": list(result.attributes),
        "values": sorted(result.possible_values) if result.possible_values is not None else None,
    }


def _from_json(expression: str, data: Any) -> CelAnalysis | None:
    """Rebuild a stored analysis; anything not of the exact expected shape is a miss."""
    if not isinstance(data, dict):
        return None
    error, attributes, values = data.get("error"), data.get("attributes"), data.get("values")
    if not (isinstance(attributes, list) and all(isinstance(a, str) for a in attributes)):
        return None
    if values is not None and not (
        isinstance(values, list) and all(isinstance(v, str) for v in values)
    ):
        return None
    parsed_error = None
    if error is not None:
        if not (
            isinstance(error, list)
            and len(error) == 3
            and isinstance(error[0], str)
            and all(isinstance(n, int) and not isinstance(n, bool) for n in error[1:])
        ):
            return None
        parsed_error = CelError(error[0], error[1], error[2])
    return CelAnalysis(
        expression,
        error=parsed_error,
        attributes=tuple(attributes),
        possible_values=frozenset(values) if values is not None else None,
    )


def _analyze(expression: str) -> CelAnalysis:
    tree, error = _parse(expression)
    if tree is None:
        return CelAnalysis(expression, error=error)
    try:
        attributes = tuple(dict.fromkeys(_attributes(tree, frozenset())))
        values = _values(tree)
    except RecursionError:
        return CelAnalysis(expression, error=CelError("expression nests too deeply", 1, 1))
    return CelAnalysis(expression, attributes=attributes, possible_values=values)


def _parse(expression: str) -> tuple[Tree[Token] | None, CelError | None]:
    from lark.exceptions import LarkError

    try:
        return cel_tables.parser().parse(expression), None
    except LarkError as exc:
        return None, _error(expression, exc)
    except RecursionError:
        return None, CelError("expression nests too deeply", 1, 1)


def _error(expression: str, exc: Any) -> CelError:
    """A short message from the Lark exception, at the parser's position."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    line, col = getattr(exc, "line", 1) or 1, getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedToken):
        if exc.token.type == "$END":
            lines = expression.split("\n")
            line, col = len(lines), len(lines[-1]) + 1
            message = "unexpected end of expression"
        else:
            message = f"unexpected {str(exc.token)!r}"
        expected = _expected(exc.expected)
        if expected:
            message += f", expected {expected}"
    elif isinstance(exc, UnexpectedCharacters):
        message = f"unexpected character {exc.char!r}"
        if exc.char in "'\"":
            message += " (unterminated string?)"
    else:
        message = str(exc.args[0]).splitlines()[0] if exc.args else "syntax error"
    return CelError(message, max(line, 1), max(col, 1))


def _expected(terminals: Iterable[str]) -> str:
    names: set[str] = set()
    for terminal in terminals:
        try:
            pattern = cel_tables.parser().get_terminal(terminal).pattern
        except KeyError:  # pragma: no cover - lark always knows its own terminals
            continue
        if type(pattern).__name__ == "PatternStr":
            names.add(repr(pattern.value))
        else:
            names.add(_TERMINAL_NAMES.get(terminal, terminal.lower()))
    if not names or len(names) > _MAX_EXPECTED:
        return ""
    return " or ".join(sorted(names))


# --- tree helpers -------------------------------------------------------------------------


def _is_tree(node: object) -> bool:
    return hasattr(node, "data")


def _core(node: Any) -> Any:
    """Skip precedence wrappers and parentheses down to the node that does something."""
    while _is_tree(node) and node.data in _PASS_THROUGH and len(node.children) == 1:
        node = node.children[0]
    return node


def _string_literal(node: Any) -> str | None:
    """The decoded value of a string literal node, else None."""
    node = _core(node)
    if not _is_tree(node) or node.data != "literal":
        return None
    token = node.children[0]
    if token.type not in _STRING_TOKENS:
        return None
    return cel_tables.string_value(str(token))


def _canon(node: Any) -> str:
    """A canonical text of a subtree: equal for the same expression however it is spaced."""
    node = _core(node)
    if not _is_tree(node):
        return str(node)
    literal = _string_literal(node)
    if literal is not None:
        return repr(literal)
    return f"{node.data}({','.join(_canon(child) for child in node.children)})"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- attributes ---------------------------------------------------------------------------


def _attributes(node: Any, bound: frozenset[str]) -> Iterator[str]:
    """Attribute paths read by `node`; loop variables of comprehensions are not attributes."""
    if not _is_tree(node):
        return
    kind = node.data
    if kind in ("member_dot", "member_index", "ident", "dot_ident"):
        text, rest = _chain(node, bound)
        if text is not None:
            yield text
        for sub in rest:
            yield from _attributes(sub, bound)
        return
    if kind == "member_dot_arg":
        receiver, method, *args = node.children
        arguments = list(args[0].children) if args else []
        yield from _attributes(receiver, bound)
        if str(method) in COMPREHENSION_MACROS and arguments:
            variable = _core(arguments[0])
            if _is_tree(variable) and variable.data == "ident":
                bound = bound | {str(variable.children[0])}
                arguments = arguments[1:]
        for argument in arguments:
            yield from _attributes(argument, bound)
        return
    for child in node.children:
        yield from _attributes(child, bound)


def _chain(node: Any, bound: frozenset[str]) -> tuple[str | None, list[Tree[Token]]]:
    """(text of the attribute `node` names, subtrees still to walk) for a select/index chain.

    A non-literal index is written `[*]` and its expression is walked separately.
    """
    node = _core(node)
    kind = node.data if _is_tree(node) else ""
    if kind == "ident":
        name = str(node.children[0])
        return (None if name in bound else name), []
    if kind == "dot_ident":
        return "." + str(node.children[0]), []
    if kind == "member_dot":
        base, rest = _chain(node.children[0], bound)
        field = str(node.children[1])
        return (f"{base}.{field}" if base is not None else None), rest
    if kind == "member_index":
        base, rest = _chain(node.children[0], bound)
        key = _index_key(node.children[1])
        if key is None:
            rest = [*rest, node.children[1]]
            key = "*"
        return (f"{base}[{key}]" if base is not None else None), rest
    return None, [node] if _is_tree(node) else []


def _index_key(node: Any) -> str | None:
    literal = _string_literal(node)
    if literal is not None:
        return _quote(literal)
    core = _core(node)
    is_literal = _is_tree(core) and core.data == "literal"
    if is_literal and core.children[0].type in ("INT_LIT", "UINT_LIT"):
        return str(core.children[0])
    return None


# --- possible values ----------------------------------------------------------------------


def _values(node: Any) -> frozenset[str] | None:
    """The finite set of strings `node` evaluates to, or None when not provably finite."""
    node = _core(node)
    literal = _string_literal(node)
    if literal is not None:
        return frozenset({literal})
    if not (_is_tree(node) and node.data == "expr" and len(node.children) == 3):
        return None
    condition, then, otherwise = node.children
    then_values = _values(then)
    if then_values is None:
        then_values = _guarded(condition, _canon(then), holds=True)
    else_values = _values(otherwise)
    if else_values is None:
        else_values = _guarded(condition, _canon(otherwise), holds=False)
    if then_values is None or else_values is None:
        return None
    return then_values | else_values


def _guarded(condition: Any, target: str, *, holds: bool) -> frozenset[str] | None:
    """Values `target` can have when `condition` evaluates to `holds`, if it pins them down.

    Understands `t in ['a', 'b']`, `t == 'a'` / `'a' == t`, `t != 'a'`, `!`, `&&` and `||`.
    """
    node = _core(condition)
    if not _is_tree(node):
        return None
    kind, children = node.data, node.children
    negated = kind == "unary" and len(children) == 2 and _is_tree(children[0])
    if negated and children[0].data == "unary_not":
        return _guarded(children[1], target, holds=not holds)
    if kind in ("conditionaland", "conditionalor") and len(children) == 2:
        left = _guarded(children[0], target, holds=holds)
        right = _guarded(children[1], target, holds=holds)
        # (a && b) true, or (a || b) false: both sides hold, so either side's bound applies.
        if (kind == "conditionaland") == holds:
            if left is not None and right is not None:
                return left & right
            return left if left is not None else right
        return left | right if left is not None and right is not None else None
    if kind == "relation" and len(children) == 2 and _is_tree(children[0]):
        operator = children[0].data
        left, right = children[0].children[0], children[1]
        if operator == "relation_in" and holds and _canon(left) == target:
            return _string_list(right)
        if operator in ("relation_eq", "relation_ne") and holds == (operator == "relation_eq"):
            for side, other in ((left, right), (right, left)):
                value = _string_literal(other)
                if value is not None and _canon(side) == target:
                    return frozenset({value})
    return None


def _string_list(node: Any) -> frozenset[str] | None:
    """The strings of a list literal made only of string literals, else None."""
    node = _core(node)
    if not (_is_tree(node) and node.data == "list_lit"):
        return None
    if not node.children:
        return frozenset()
    values = [_string_literal(item) for item in node.children[0].children]
    if any(v is None for v in values):
        return None
    return frozenset(v for v in values if v is not None)
