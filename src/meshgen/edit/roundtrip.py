"""Round-trip editing: apply a change to the YAML tree and write back only the changed lines.

ruamel.yaml keeps comments and order but normalizes a few spellings when it dumps (for
example `[{name: x}]` becomes `[name: x]`). So the edited tree is dumped, diffed against a
dump of the unedited tree, and only that difference is applied to the original text: every
line the edit did not touch keeps its original bytes.
"""

from __future__ import annotations

import difflib
import io
import itertools
from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.util import load_yaml_guess_indent


def _yaml_for(text: str) -> YAML:
    _, sequence_indent, offset = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.allow_duplicate_keys = False
    yaml.indent(mapping=_mapping_indent(text), sequence=sequence_indent or 4, offset=offset or 2)
    return yaml


def _mapping_indent(text: str) -> int:
    """The indent of the first nested mapping key (default 2)."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    for current, following in itertools.pairwise(lines):
        if current.rstrip().endswith(":") and not current.lstrip().startswith("-"):
            depth = len(current) - len(current.lstrip())
            nested = len(following) - len(following.lstrip())
            if nested > depth and not following.lstrip().startswith("-"):
                return nested - depth
    return 2


def _dump(yaml: YAML, document: Any) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def edit_text(text: str, change: Callable[[Any], None]) -> str:
    """Apply `change` to the round-trip document of `text`; return the new text."""
    yaml = _yaml_for(text)
    baseline = _dump(yaml, yaml.load(text))
    document = yaml.load(text)
    change(document)
    edited = _dump(yaml, document)
    return apply_minimal(text, baseline, edited)


def apply_minimal(original: str, baseline: str, edited: str) -> str:
    """Carry the baseline->edited change over to the original text, line by line."""
    o_lines = original.splitlines(keepends=True)
    b_lines = baseline.splitlines(keepends=True)
    e_lines = edited.splitlines(keepends=True)
    # For each baseline line, the original text it stands for.
    origin: list[list[str]] = [[] for _ in b_lines]
    pending: list[str] = []
    matcher = difflib.SequenceMatcher(a=o_lines, b=b_lines, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(b2 - b1):
                origin[b1 + offset] = [*pending, o_lines[a1 + offset]]
                pending = []
        elif tag == "replace":
            origin[b1] = [*pending, *o_lines[a1:a2]]
            pending = []
        elif tag == "delete":
            pending.extend(o_lines[a1:a2])
        # "insert": baseline lines with no original counterpart stand for nothing
    out: list[str] = []
    for tag, b1, b2, e1, e2 in difflib.SequenceMatcher(
        a=b_lines, b=e_lines, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            for index in range(b1, b2):
                out.extend(origin[index])
            continue
        added = e_lines[e1:e2]
        following = b_lines[b2] if b2 < len(b_lines) else ""
        _insert_before_owned_comments(out, added, following)
    out.extend(pending)
    return "".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _insert_before_owned_comments(out: list[str], added: list[str], following: str) -> None:
    """Append `added`, but above trailing comment lines that describe the following key.

    ruamel attaches a comment that precedes a key to the end of the previous node, so an item
    appended to that node lands below the comment, separating it from its key.
    """
    owned = 0
    while owned < len(out) and out[len(out) - 1 - owned].lstrip().startswith("#"):
        owned += 1
    first = next((line for line in added if line.strip()), "")
    if (
        owned
        and following.strip()
        and all(_indent(out[-1 - i]) == _indent(following) for i in range(owned))
        and _indent(first) > _indent(following)
    ):
        out[len(out) - owned : len(out) - owned] = added
    else:
        out.extend(added)
