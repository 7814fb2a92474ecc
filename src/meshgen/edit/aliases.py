"""Edits never write through a YAML alias.

A mapping or list written once with an anchor (`metrics: &shared [...]`) and used again by
an alias (`metrics: *shared`, or merged in by `<<: *base`) is one node in the round-trip
document: an edit of one place would silently change every other place too (a namespace
edit changing the mesh-wide metrics). So every shared node is snapshotted before the
change, and a change that alters one is refused, naming the anchor and the aliases' lines.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from meshgen.errors import UsageError
from meshgen.load.yaml_reader import to_plain
from meshgen.records import record


@record(frozen=False)
class _Shared:
    """A node the document holds in more than one place."""

    node: Any
    #: 1-based lines of its places after the first (the aliases), where known.
    alias_lines: list[int] = field(default_factory=list)
    #: 1-based line of its first place (the anchor), where known.
    anchor_line: int | None = None
    snapshot: Any = None


def _anchor(node: Any) -> str | None:
    anchor = getattr(node, "anchor", None)
    value = getattr(anchor, "value", None)
    return str(value) if value else None


def _line_of(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def _merged(node: CommentedMap) -> list[Any]:
    """The mappings `<<:` merges into `node`."""
    merged = getattr(node, "merge", None) or []
    return [item[1] if isinstance(item, tuple) else item for item in merged]


def shared_nodes(document: Any, text: str = "") -> list[_Shared]:
    """Every container of `document` held in more than one place, with its alias lines.

    `text`, when given, places an alias in a list or a merge (ruamel positions only the
    anchored node): the lines where `*name` is written.
    """
    first: dict[int, Any] = {}
    shared: dict[int, _Shared] = {}

    def seen_again(node: Any, line: int | None) -> None:
        entry = shared.setdefault(id(node), _Shared(node, anchor_line=_line_of(node)))
        if line is not None:
            entry.alias_lines.append(line)

    stack: list[Any] = [document]
    queued = {id(document)}
    while stack:
        node = stack.pop()
        if id(node) in first:
            continue
        first[id(node)] = node
        children: list[tuple[Any, int | None]] = []
        pending_children: list[Any] = []
        if isinstance(node, CommentedMap):
            for base in _merged(node):
                children.append((base, _line_of(node)))
            for key in node:
                if key not in node.lc.data:
                    continue  # merged in: reached through the merged mapping above
                children.append((node[key], node.lc.key(key)[0] + 1))
        elif isinstance(node, CommentedSeq):
            children = [(item, None) for item in node]
        for child, line in children:
            if not isinstance(child, CommentedMap | CommentedSeq):
                continue
            if id(child) in queued:
                seen_again(child, line)
            else:
                queued.add(id(child))
                pending_children.append(child)
        stack.extend(reversed(pending_children))  # document order: the anchor comes first
    found = list(shared.values())
    for entry in found:
        name = _anchor(entry.node)
        if name and text:
            anchors = _token_lines(text, "&" + name)
            entry.anchor_line = anchors[0] if anchors else entry.anchor_line
            entry.alias_lines = _token_lines(text, "*" + name) or entry.alias_lines
        entry.alias_lines = sorted(set(entry.alias_lines))
    return found


def _token_lines(text: str, token: str) -> list[int]:
    """1-based lines where the anchor or alias `token` (`&name`, `*name`) is written."""
    pattern = re.compile(re.escape(token) + r"(?![^\s,\[\]{}])")
    return sorted({text.count("\n", 0, m.start()) + 1 for m in pattern.finditer(text)})


def _describe(entry: _Shared) -> str:
    name = _anchor(entry.node)
    anchored = f"&{name}" if name else "an anchor"
    where = f" at line {entry.anchor_line}" if entry.anchor_line else ""
    alias = f"*{name}" if name else "an alias"
    lines = ", ".join(str(line) for line in entry.alias_lines)
    used = f" (line {lines})" if len(entry.alias_lines) == 1 else f" (lines {lines})"
    return (
        f"the edit would change the value anchored as {anchored}{where}, which the alias "
        f"{alias}{used if lines else ''} shares: both places would change. Write the value "
        f"out in full in place of {alias}, then edit again"
    )


@contextlib.contextmanager
def refuse_writes_through_aliases(document: Any, text: str = "") -> Iterator[None]:
    """Run the change in the body; a UsageError if it altered a node held in two places."""
    shared = shared_nodes(document, text)
    for entry in shared:
        entry.snapshot = to_plain(entry.node)
    yield
    for entry in shared:
        if to_plain(entry.node) != entry.snapshot:
            raise UsageError(_describe(entry))
