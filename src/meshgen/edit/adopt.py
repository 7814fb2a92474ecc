"""`meshgen adopt`: move hand edits of rendered values files into the config.

For each rendered values file edited by hand (D102), the values the edit changed are traced
to the config keys that render them (`meshgen.checks.hand_edits`): a typed setting first.
The edit of the config is proven before it is offered: the edited config, rendered in
memory, must render each adopted file with exactly the values on disk (when the typed
settings do not, the chart's pass-through values are tried). A file that cannot be
reproduced is left out, with the values that stay different.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Any

from ruamel.yaml.comments import CommentedMap

from meshgen.checks import hand_edits
from meshgen.diagnostics import Diagnostic
from meshgen.edit.roundtrip import edit_text
from meshgen.errors import UsageError
from meshgen.models import MeshConfig
from meshgen.records import record
from meshgen.render.files import RenderedFile
from meshgen.source import KeyPath


@record
class Adopted:
    """One edited value and the config key that now renders it."""

    file: str
    edit: hand_edits.ValueEdit
    source: hand_edits.ConfigSource


@record(frozen=False)
class Adoption:
    """What `meshgen adopt` would write: the config sets, and what it cannot adopt."""

    sets: list[tuple[KeyPath, Any]] = field(default_factory=list)
    adopted: list[Adopted] = field(default_factory=list)
    #: Files that stay different, each with why (the values still differing).
    left: list[tuple[str, str]] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return sorted({a.file for a in self.adopted})


#: Renders the config text given: the rendered files, or None when it does not render.
Render = Callable[[str], Sequence[RenderedFile] | None]


@record
class EditedFile:
    """A rendered file edited by hand: what meshgen renders, and the text on disk."""

    rendered: RenderedFile
    text: str


def plan(
    config: MeshConfig, config_text: str, edited: Sequence[EditedFile], render: Render
) -> Adoption:
    """The config sets that make the config render every file in `edited` as it is on disk."""
    adoption = Adoption()
    chosen: dict[str, list[Adopted]] = {}
    wanted: dict[str, Any] = {}
    for item in edited:
        rel = item.rendered.path
        found = hand_edits.disk_edits(item.rendered.documents[0], item.text, rel)
        if isinstance(found, Diagnostic):
            where = f"line {found.span.line}, column {found.span.col}"
            adoption.left.append(
                (rel, f"does not parse as YAML ({where}: {found.code} {found.message})")
            )
            continue
        edits, _, wanted[rel] = found
        if not edits:
            adoption.left.append((rel, "only comments or layout changed: nothing to adopt"))
            continue
        picked: list[Adopted] = []
        missing = []
        for edit in edits:
            source = hand_edits.config_source(config, rel, edit)
            if source is None:
                missing.append(edit.shown())
            else:
                picked.append(Adopted(rel, edit, source))
        if missing:
            adoption.left.append((rel, "no config key renders " + ", ".join(missing)))
            continue
        chosen[rel] = picked
    for attempt in ("typed", "passthrough"):
        if not chosen:
            break
        sets = _needed(config, [s for p in chosen.values() for a in p for s in a.source.sets])
        files = render(edit_text(config_text, functools.partial(_set_all, sets=sets)))
        if files is None:
            for rel in chosen:
                adoption.left.append((rel, "the config, so edited, does not render"))
            chosen = {}
            break
        by_path = {f.path: f for f in files}
        for rel in list(chosen):
            produced = by_path.get(rel)
            if produced is None:
                continue
            still = hand_edits.value_edits(produced.documents[0], wanted[rel])
            if not still:
                continue
            if attempt == "typed":
                chosen[rel] = [_passthrough(config, a) for a in chosen[rel]]
            else:
                shown = ", ".join(e.shown() for e in still)
                adoption.left.append((rel, f"the config cannot render {shown}"))
                del chosen[rel]
    for picked in chosen.values():
        adoption.adopted.extend(picked)
    adoption.sets = _needed(config, [s for a in adoption.adopted for s in a.source.sets])
    return adoption


def _needed(config: MeshConfig, sets: list[tuple[KeyPath, Any]]) -> list[tuple[KeyPath, Any]]:
    """`sets` without those the config already holds (a default such as `file: /dev/stdout`)."""
    current: Any = config.model_dump(by_alias=True)
    out: list[tuple[KeyPath, Any]] = []
    for keys, value in sets:
        node = current
        for key in keys:
            if (isinstance(node, dict) and key in node) or _indexable(node, key):
                node = node[key]
            else:
                node = hand_edits.MISSING
                break
        same = node is not hand_edits.MISSING and hand_edits.value_edits(node, value) == []
        if not same and (keys, value) not in out:
            out.append((keys, value))
    return out


def _passthrough(config: MeshConfig, adopted: Adopted) -> Adopted:
    source = hand_edits.passthrough_source(config, adopted.file, adopted.edit)
    return Adopted(adopted.file, adopted.edit, source) if source is not None else adopted


def _set_all(doc: Any, *, sets: Sequence[tuple[KeyPath, Any]]) -> None:
    set_keys(doc, sets)


def set_keys(doc: Any, sets: Sequence[tuple[KeyPath, Any]]) -> None:
    """Set each key path to its value in the round-trip config, creating mappings."""
    for keys, value in sets:
        node = doc
        for key in keys[:-1]:
            node = _child(node, key, keys)
        if not isinstance(node, dict):
            raise UsageError(f"`{hand_edits.dotted(keys)}`: a parent key is not a mapping")
        node[keys[-1]] = value


def _child(node: Any, key: str | int, keys: KeyPath) -> Any:
    """The node under `key` on the way to `keys` (a mapping made where none is yet)."""
    if isinstance(key, int):
        if not _indexable(node, key):
            raise UsageError(f"`{hand_edits.dotted(keys)}`: item {key} does not exist")
        return node[key]
    if not isinstance(node, dict):
        raise UsageError(f"`{hand_edits.dotted(keys)}`: a parent key is not a mapping")
    if key not in node or node[key] is None:
        node[key] = CommentedMap()
    return node[key]


def _indexable(node: Any, key: Any) -> bool:
    return isinstance(node, list | tuple) and isinstance(key, int) and 0 <= key < len(node)
