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
import re
from collections.abc import Callable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.util import load_yaml_guess_indent

from meshgen.diagnostics import Diagnostic
from meshgen.errors import InputError, UsageError
from meshgen.load import ruamel_roundtrip, yaml_reader

#: A CR that does not start a CRLF.
_LONE_CR = re.compile(r"\r(?!\n)")


def _yaml_for(text: str) -> YAML:
    """The reader's round trip, dumping with the indentation `text` uses."""
    _, sequence_indent, offset = load_yaml_guess_indent(text)
    if offset is None:
        # No block sequence to learn from: ruamel's guess is then the mapping indent (2),
        # and a dash at offset 2 of a 2-space sequence puts an item's keys under its dash.
        sequence_indent, offset = 4, 2
    return ruamel_roundtrip.new_roundtrip(
        mapping=_mapping_indent(text), sequence=sequence_indent or 4, offset=offset
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
    file in it). A change that would write into a node a YAML alias shares with another
    place raises `UsageError` naming the alias and its line (`aliases.py`).
    """
    from meshgen.edit.aliases import refuse_writes_through_aliases

    if "\r" in text and "\n" not in text:
        # CR-only line endings (old Mac files): YAML breaks lines there, the line-based
        # diff below only at LF. A CR is always a line break in YAML text (in a quoted or
        # block scalar too), so editing with LF and turning every LF back is exact.
        return edit_text(text.replace("\r", "\n"), change, shown=shown).replace("\n", "\r")
    if _LONE_CR.search(text):
        raise UsageError(
            f"{shown} mixes CR-only line endings with LF or CRLF ones: convert it to one "
            "line ending (LF or CRLF) before editing it"
        )
    baseline_document = parse(text, shown)
    yaml = _yaml_for(text)
    baseline = _dump(yaml, baseline_document)
    document = parse(text, shown)
    with refuse_writes_through_aliases(document, text):
        change(document)
    edited = _dump(yaml, document)
    return apply_minimal(text, baseline, edited)


def split_lines(text: str) -> list[str]:
    """`text` cut after every `\n`, each line keeping its ending (`\r\n` or `\n`).

    Not `str.splitlines`: that also cuts at `\r`, form feeds and Unicode separators, which
    YAML keeps inside a line.
    """
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _content(line: str) -> str:
    """A line as compared: without its ending and trailing blanks (ruamel drops both)."""
    return line.rstrip(" \t\r\n")


def _newline_of(lines: list[str]) -> str:
    """The line ending most of `lines` use (`\n` when none has one)."""
    crlf = sum(1 for line in lines if line.endswith("\r\n"))
    lf = sum(1 for line in lines if line.endswith("\n")) - crlf
    return "\r\n" if crlf > lf else "\n"


def apply_minimal(original: str, baseline: str, edited: str) -> str:
    """Carry the baseline->edited change over to the original text, line by line.

    Lines are matched by content (line endings and trailing blanks aside, which the dumps
    normalize); every line the change did not touch keeps its original bytes, and the lines
    it adds take the file's own line ending. A file without a final newline keeps none.
    Original lines ruamel respelt into a different number of lines stand together: a change
    to any of them replaces all of them.
    """
    o_lines = split_lines(original)
    newline = _newline_of(o_lines)
    final_newline = not o_lines or o_lines[-1].endswith("\n")
    if not final_newline:
        o_lines[-1] += newline  # so a line added after it starts on a line of its own
    b_lines = split_lines(baseline)
    e_lines = split_lines(edited)
    b_keys = [_content(line) for line in b_lines]
    e_keys = [_content(line) for line in e_lines]
    # For each baseline line, the original text it stands for, and the first baseline line
    # of the group it belongs to (a group: baseline lines that stand for original lines
    # only together).
    origin: list[list[str]] = [[] for _ in b_lines]
    group = list(range(len(b_lines)))
    pending: list[str] = []
    matcher = difflib.SequenceMatcher(
        a=[_content(line) for line in o_lines], b=b_keys, autojunk=False
    )
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and a2 - a1 == b2 - b1):
            # a replaced block of the same length stands line for line (a respelt flow
            # list, a requoted value)
            for offset in range(b2 - b1):
                origin[b1 + offset] = [*pending, o_lines[a1 + offset]]
                pending = []
        elif tag == "replace":
            origin[b1] = [*pending, *o_lines[a1:a2]]
            pending = []
            group[b1:b2] = [b1] * (b2 - b1)
        elif tag == "delete":
            pending.extend(o_lines[a1:a2])
        # "insert": baseline lines with no original counterpart stand for nothing
    hunks = _hunks(b_keys, e_keys, group)
    out: list[str] = []
    done = 0
    for lo, hi, e1, e2 in hunks:
        for index in range(done, lo):
            out.extend(origin[index])
        added = [line.removesuffix("\n").removesuffix("\r") + newline for line in e_lines[e1:e2]]
        following = b_lines[hi] if hi < len(b_lines) else ""
        _insert_before_owned_comments(out, added, following)
        done = hi
    for index in range(done, len(b_lines)):
        out.extend(origin[index])
    out.extend(pending)
    text = "".join(out)
    if not final_newline and text.endswith(newline):
        text = text[: -len(newline)]
    return text


def _hunks(
    b_keys: list[str], e_keys: list[str], group: list[int]
) -> list[tuple[int, int, int, int]]:
    """The baseline->edited changes as (b1, b2, e1, e2), widened to whole groups and merged."""
    ends: dict[int, int] = {}
    for index, start in enumerate(group):
        ends[start] = index + 1
    widened: list[tuple[int, int, int, int]] = []
    for tag, b1, b2, e1, e2 in difflib.SequenceMatcher(
        a=b_keys, b=e_keys, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            continue
        lo, hi = b1, b2
        if b1 < b2:
            lo, hi = group[b1], max(b2, ends[group[b2 - 1]])
        elif 0 < b1 < len(group) and group[b1] == group[b1 - 1]:
            lo, hi = group[b1], ends[group[b1]]  # an insertion inside a group
        # the lines the widening adds are unchanged, so they shift the edited range alike
        hunk = (lo, hi, e1 - (b1 - lo), e2 + (hi - b2))
        if widened and hunk[0] < widened[-1][1]:
            last = widened.pop()
            hunk = (last[0], max(last[1], hunk[1]), last[2], max(last[3], hunk[3]))
        widened.append(hunk)
    return widened


def unified_diff(original: str, updated: str, shown: str) -> str:
    """The edit as a unified diff of `a/shown` and `b/shown`, lines cut as `split_lines`.

    A last line without a newline is marked as `diff` marks it, not glued to the next one.
    """
    lines = difflib.unified_diff(
        split_lines(original), split_lines(updated), fromfile=f"a/{shown}", tofile=f"b/{shown}"
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        for line in lines
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _insert_before_owned_comments(out: list[str], added: list[str], following: str) -> None:
    """Append `added`, but above trailing comment and blank lines before the following key.

    ruamel attaches a comment (or blank line) that precedes a key to the end of the previous
    node, so an item appended to that node lands below it, separating it from its key.
    """
    owned = 0
    while owned < len(out) and (
        not out[len(out) - 1 - owned].strip() or out[len(out) - 1 - owned].lstrip().startswith("#")
    ):
        owned += 1
    first = next((line for line in added if line.strip()), "")
    # Blank lines that end the previous node separate it from the following key: the
    # added lines belong above them too.
    if (
        owned
        and following.strip()
        and all(
            not out[-1 - i].strip() or _indent(out[-1 - i]) == _indent(following)
            for i in range(owned)
        )
        and _indent(first) > _indent(following)
    ):
        out[len(out) - owned : len(out) - owned] = added
    else:
        out.extend(added)
