"""Round-trip editing: apply a change to the YAML tree and write back only the changed lines.

ruamel.yaml keeps comments and order but normalizes a few spellings when it dumps (for
example `[{name: x}]` becomes `[name: x]`). So the edited tree is dumped, diffed against a
dump of the unedited tree, and only that difference is applied to the original text: every
line the edit did not touch keeps its original bytes.

The text is read through the one reader (`meshgen.load.yaml_reader.parse_for_edit`): the
editor refuses exactly what loading refuses, with the same C0xx diagnostics.
"""

from __future__ import annotations

import difflib
import io
import itertools
from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.util import load_yaml_guess_indent

from meshgen.diagnostics import Diagnostic
from meshgen.errors import InputError
from meshgen.load import ruamel_roundtrip, yaml_reader


def _yaml_for(text: str) -> YAML:
    """The reader's round trip, dumping with the indentation `text` uses."""
    _, sequence_indent, offset = load_yaml_guess_indent(text)
    return ruamel_roundtrip.new_roundtrip(
        mapping=_mapping_indent(text), sequence=sequence_indent or 4, offset=offset or 2
    )


def parse(text: str, shown: str = "meshgen.yaml") -> Any:
    """The round-trip document of `text`; raises `InputError` with the loader's diagnostic."""
    document = yaml_reader.parse_for_edit(text, shown)
    if isinstance(document, Diagnostic):
        raise InputError([document])
    return document


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


def edit_text(text: str, change: Callable[[Any], None], *, shown: str = "meshgen.yaml") -> str:
    """Apply `change` to the round-trip document of `text`; return the new text.

    A text loading refuses raises `InputError` with the same diagnostic (`shown` names the
    file in it).
    """
    baseline_document = parse(text, shown)
    yaml = _yaml_for(text)
    baseline = _dump(yaml, baseline_document)
    document = parse(text, shown)
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
