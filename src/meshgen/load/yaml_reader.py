"""The one YAML reader: every YAML meshgen reads (configs, linted files, rendered files, edits).

- `parse` turns text into plain data plus a source map, or a coded C0xx diagnostic. A
  well-formed config takes libyaml's C event stream (`libyaml_events`); anything it cannot
  read identically goes through ruamel's round trip, whose constructor refuses what a config
  may not use (unknown tags, complex keys, numbers helm cannot carry).
- `parse_all` does the same for multi-document streams (`meshgen lint`, a chart's
  `Chart.yaml`); `load_all_data` gives only their data.
- `new_roundtrip` is the ruamel instance the telemetry editor uses, with the same refusals.
- `load_all_as_helm_reads` reads rendered files back as helm does (YAML 1.1); `helm_data`
  gives the same as plain data within the limits.

One set of limits (`MAX_NODES`, `MAX_DEPTH`, `FLOW_DEPTH_LIMIT`) and one wording per problem.
"""

from __future__ import annotations

import datetime
import itertools
import os
import re
from collections.abc import Mapping, Set
from typing import Any

from meshgen.diagnostics import Diagnostic, diagnostic
from meshgen.load.yaml_rules import FLOW_DEPTH_LIMIT, MAX_DEPTH, MAX_NODES
from meshgen.records import record
from meshgen.source import KeyPath, SourceMap, Span, pack


class TooLargeError(ValueError):
    """A document expands (through aliases or nesting) past what a config may hold.

    `path` is the key path of the value where the limit was passed (`to_plain` fills it in
    as the error leaves each container), so the diagnostic points there, not at 1:1.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.path: KeyPath = ()


def parse(text: str, shown: str) -> tuple[Any, SourceMap] | Diagnostic:
    """One YAML document as plain data and its source map, or the C0xx diagnostic why not.

    A well-formed document takes libyaml's event stream; whatever it declines (tags,
    directives, errors) goes through ruamel's round trip, so an error message has one
    wording whichever path saw the document first.
    """
    fast = _load_fast(text, shown)
    if fast is not None:
        return fast
    document, problem = parse_yaml(text, shown)
    if problem is not None:
        return problem
    data, problem = _plain_within_limits(document, shown)
    if problem is not None:
        return problem
    return data, build_source_map(document, shown)


def _plain_within_limits(
    node: Any, shown: str, positions: SourceMap | None = None
) -> tuple[Any, Diagnostic | None]:
    """`to_plain(node)`, or the C007 diagnostic at the value where a limit was passed.

    Positions come from `positions`, else from the node's source map, built only then.
    """
    try:
        return to_plain(node), None
    except TooLargeError as exc:
        where = exc.path
        message = str(exc)
    except RecursionError:
        where, message = (), "the document nests too deep"
    smap = positions if positions is not None else build_source_map(node, shown)
    return None, diagnostic("C007", message, smap.lookup(where))


@record(slots=True)
class Document:
    """One document of a multi-document stream: plain data, positions, and ruamel's node."""

    data: Any
    source: SourceMap
    node: Any


def parse_all(text: str, shown: str) -> list[Document] | Diagnostic:
    """Every document of a YAML stream (`meshgen lint`), or the C0xx diagnostic why not.

    The same refusals, limits and wording as `parse`: one reader for every input.
    """
    nodes, problem = _roundtrip(text, shown, every=True)
    if problem is not None:
        return problem
    documents = []
    for node in nodes:
        smap = build_source_map(node, shown)
        if hasattr(node, "lc"):
            smap.add((), value=Span(shown, node.lc.line + 1, node.lc.col + 1))
        data, problem = _plain_within_limits(node, shown, smap)
        if problem is not None:
            return problem
        documents.append(Document(data, smap, node))
    return documents


def is_literal_block(node: Any) -> bool:
    """Whether a round-trip value was written as a `|` block scalar."""
    if not isinstance(node, str) or type(node) is str:
        return False
    from ruamel.yaml.scalarstring import LiteralScalarString

    return isinstance(node, LiteralScalarString)


def parse_yaml(text: str, shown: str) -> tuple[Any, Diagnostic | None]:
    """Parse one round-trip YAML document, mapping ruamel's errors to coded diagnostics."""
    return _roundtrip(text, shown, every=False)


def _roundtrip(text: str, shown: str, *, every: bool) -> tuple[Any, Diagnostic | None]:
    """Ruamel's round trip of one document (or, with `every`, a list of all of them)."""
    nul = text.find("\x00")
    if nul >= 0:
        line, col = _line_col(text, nul)
        return None, diagnostic("C002", "NUL byte in the file", Span(shown, line, col))
    deep = _flow_nesting_past(text, FLOW_DEPTH_LIMIT)
    if deep >= 0:
        line, col = _line_col(text, deep)
        return None, diagnostic(
            "C007", f"brackets nest deeper than {FLOW_DEPTH_LIMIT} levels", Span(shown, line, col)
        )
    # ruamel is imported only here and below: a well-formed config takes the libyaml path.
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    from meshgen.load.ruamel_roundtrip import RefusedYAMLError

    try:
        if every:
            return [node for node in new_roundtrip().load_all(text) if node is not None], None
        return load_roundtrip(text), None
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        key = _problem_key(str(exc.problem))
        span = Span(shown, mark.line + 1, mark.column + 1) if mark else Span(shown)
        return None, diagnostic("C003", f"duplicate key {key}", span)
    except RefusedYAMLError as exc:
        mark = exc.problem_mark
        span = Span(shown, mark.line + 1, mark.column + 1) if mark else Span(shown)
        return None, diagnostic("C002", str(exc.problem), span)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(shown, mark.line + 1, mark.column + 1) if mark else Span(shown)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        if "\t" in problem or "'\\t'" in problem:
            problem = "a tab character cannot indent YAML; use spaces"
        return None, diagnostic("C002", f"YAML syntax error: {problem}", span)
    except ReaderError as exc:
        return None, _unreadable(text, exc, shown)
    except YAMLError as exc:
        return None, diagnostic("C002", f"YAML error: {exc}", Span(shown))
    except RecursionError:
        return None, diagnostic("C007", "the document nests too deep to parse", Span(shown))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of `offset`, breaking lines as YAML does (LF, CRLF, CR)."""
    before = text[: min(max(offset, 0), len(text))]
    if "\r" in before:
        before = before.replace("\r\n", "\n").replace("\r", "\n")
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def _unreadable(text: str, exc: Any, shown: str) -> Diagnostic:
    """A character YAML does not allow in a stream (a control character), where it is."""
    line, col = _line_col(text, exc.position if isinstance(exc.position, int) else 0)
    char = exc.character
    if not isinstance(char, int):
        return diagnostic("C002", f"YAML error: {exc.reason}", Span(shown, line, col))
    escape = f"\\u{char:04X}" if char <= 0xFFFF else f"\\U{char:08X}"
    return diagnostic(
        "C002",
        f"character U+{char:04X} is not allowed in YAML text; write it as {escape} inside a "
        "double-quoted string",
        Span(shown, line, col),
    )


_BRACKETS = re.compile(r"[\[\]{}]")
#: Every byte but the brackets, for `bytes.translate` to delete.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _flow_nesting_past(text: str, limit: int) -> int:
    """Offset of the first `[`/`{` nested deeper than `limit`, or -1."""
    # The brackets alone, in order: a C pass over the UTF-8 (where no byte of another
    # character is a bracket) instead of a regex match per bracket.
    brackets = text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return -1  # the depth never passes the number of openers
    depth = 0
    for index, bracket in enumerate(brackets):
        depth = depth + 1 if bracket in b"[{" else max(depth - 1, 0)
        if depth > limit:
            return next(itertools.islice(_BRACKETS.finditer(text), index, None)).start()
    return -1


def _problem_key(problem: str) -> str:
    # ruamel: 'found duplicate key "name" with value ...'
    parts = problem.split('"')
    return f"{parts[1]!r}" if len(parts) >= 3 else "in mapping"


def _load_fast(text: str, shown: str) -> tuple[Any, SourceMap] | None:
    """The libyaml path for a well-formed config; None leaves it to ruamel (and diagnostics)."""
    if os.environ.get("MESHGEN_RUAMEL_LOADER", "") not in ("", "0"):
        return None
    if "\x00" in text or _flow_nesting_past(text, FLOW_DEPTH_LIMIT) >= 0:
        return None
    from meshgen.load import libyaml_events

    return libyaml_events.load(text, shown, max_nodes=MAX_NODES, max_depth=MAX_DEPTH)


def build_source_map(node: Any, shown: str) -> SourceMap:
    """Positions of every key and value of a round-trip document (1-based)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    smap = SourceMap(shown)
    smap.values[()] = pack(1, 1)
    stack: list[tuple[KeyPath, Any]] = [((), node)]
    seen: set[int] = set()
    while stack:
        path, current = stack.pop()
        if id(current) in seen or len(path) > MAX_DEPTH:
            continue  # aliases point at nodes already mapped
        seen.add(id(current))
        if isinstance(current, CommentedMap):
            for key in current:
                child = (*path, str(key))
                stack.append((child, current[key]))
                if current.lc.data is None or key not in current.lc.data:
                    continue  # merged in by `<<: *alias`: positioned by its parent
                kline, kcol = current.lc.key(key)
                vline, vcol = current.lc.value(key)
                smap.keys[child] = pack(kline + 1, kcol + 1)
                smap.values[child] = pack(vline + 1, vcol + 1)
        elif isinstance(current, CommentedSeq):
            for index, item in enumerate(current):
                child = (*path, index)
                line, col = current.lc.item(index)
                smap.values[child] = pack(line + 1, col + 1)
                stack.append((child, item))
    return smap


def load_all_as_helm_reads(text: str) -> list[Any]:
    """Parse rendered YAML with YAML 1.1 rules, as helm and helmfile (go-yaml) read it.

    PyYAML's libyaml loader: a YAML 1.1 resolver (so `yes`, `on`, `1:20`, dates are what helm
    would take them for) and about ten times faster than ruamel's pure-Python one.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return list(yaml.load_all(text, Loader=loader))


def helm_data(text: str) -> list[Any]:
    """Every document as helm reads it (`load_all_as_helm_reads`), as plain data in the limits.

    For YAML meshgen only looks into (helm's output, YAML inside a values string), read as
    the Go programs that consume it do. Raises ValueError (`TooLargeError` past a limit)
    or PyYAML's `YAMLError`.
    """
    if "\x00" in text or _flow_nesting_past(text, FLOW_DEPTH_LIMIT) >= 0:
        raise TooLargeError("a NUL byte, or brackets nested too deep")
    return [to_plain(document) for document in load_all_as_helm_reads(text)]


def to_plain(node: Any, *, budget: list[int] | None = None, depth: int = 0) -> Any:
    """Convert ruamel containers to dicts/lists/scalars, bounded in size and depth.

    Dates and timestamps become their ISO text: a config value is a string until a model
    says otherwise. Standard tags become what YAML means by them: `!!str 1.10` the string
    "1.10", `!!set {a, b}` a mapping of nulls, `!!omap` an (ordered) mapping.
    """
    if budget is None:
        budget = [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise TooLargeError(f"the document expands to more than {MAX_NODES} values")
    if depth > MAX_DEPTH:
        raise TooLargeError(f"the document nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, Mapping):
        out = {}
        for k, v in node.items():
            try:
                out[to_plain(k, budget=budget, depth=depth + 1)] = to_plain(
                    v, budget=budget, depth=depth + 1
                )
            except TooLargeError as exc:
                exc.path = (str(k), *exc.path)
                raise
        return out
    if isinstance(node, list | tuple):
        items = []
        for index, v in enumerate(node):
            try:
                items.append(to_plain(v, budget=budget, depth=depth + 1))
            except TooLargeError as exc:
                exc.path = (index, *exc.path)
                raise
        return items
    if isinstance(node, datetime.date | datetime.datetime):
        return node.isoformat()
    if isinstance(node, bool | int | float) or node is None:
        return node if type(node) in (bool, int, float) or node is None else _scalar(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, Set):
        return {to_plain(k, budget=budget, depth=depth + 1): None for k in node}
    if type(node).__name__ == "TaggedScalar":  # `!!str x` (the only tag kept as tagged)
        return str(node.value)
    return node


def _scalar(node: Any) -> Any:
    # ruamel's ScalarFloat / ScalarInt / ScalarBoolean subclasses -> builtins
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    return float(node)


# The ruamel side, imported only when a document needs it.


def new_roundtrip() -> Any:
    """A round-trip YAML instance (comments, order, positions) with a config's refusals."""
    from meshgen.load import ruamel_roundtrip

    return ruamel_roundtrip.new_roundtrip()


def load_roundtrip(text: str) -> Any:
    """Parse one YAML document keeping comments and positions. Raises ruamel errors."""
    return new_roundtrip().load(text)


def load_all_data(text: str, shown: str) -> list[Any] | Diagnostic:
    """The plain data of every document of a stream (`parse_all`), or the C0xx diagnostic."""
    found = parse_all(text, shown)
    return found if isinstance(found, Diagnostic) else [document.data for document in found]


def parse_for_edit(text: str, shown: str) -> Any:
    """The round-trip document the telemetry editor changes, or the C0xx `Diagnostic` why not.

    Exactly what loading refuses (unknown tags, complex keys, numbers helm cannot carry,
    duplicate keys, documents past the limits), with the same wording.
    """
    document, problem = parse_yaml(text, shown)
    if problem is not None:
        return problem
    _, problem = _plain_within_limits(document, shown)
    return document if problem is None else problem
