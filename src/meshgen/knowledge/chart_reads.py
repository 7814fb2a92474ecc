"""Which value keys a Helm chart accepts: its defaults plus what its templates read.

A chart's `values.yaml` documents only part of what its templates read: keys that default to
nothing are often commented out (grafana `persistence.storageClassName`) or omitted
(`service.nodePort`, `sidecar.dashboards.provider.updateIntervalSeconds`). The key tree is
therefore the union of

- the defaults (`key_tree`), and
- every value path the templates read (`template_reads`): `.Values.a.b` (with `$.Values`,
  `$root.Values` and the like), `index .Values "a" "b"`, `dig "a" "b" <default> .Values`,
  fields read relative to a `with .Values.a` block, and variables bound to a value path.
  A subtree passed to `toYaml`/`toJson` (or ranged over) is free-form: the template copies
  whatever is below it.

In a tree a mapping lists known keys, `"*"` (`FREE`) marks a free-form map and `None` a leaf
(nothing below it is checked). `scripts/derive_chart_keys.py` applies this to the charts
meshgen pins and ships the result; `meshgen check` applies it to a service's local chart.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from meshgen.load import files, yaml_reader
from meshgen.records import record
from meshgen.source import KeyPath

FREE = "*"
#: The key of a map of named entries (`range $name, $route := .Values.route`): any name,
#: each entry a map with the keys below this one.
ENTRY = "<entry>"

_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_FIELDS = rf"((?:\.{_IDENT})*)"
#: `.Values.a.b`, `$.Values.a`, `$root.Values.a`, `.root.Values.a`.
_VALUES_REF = re.compile(rf"\.Values{_FIELDS}")
#: A field chain on the dot: `.a.b` not preceded by a name, `)`, `]` or `$`.
_DOT_REF = re.compile(rf"(?<![\w)\]$.])\.({_IDENT}(?:\.{_IDENT})*)")
_VAR_REF = re.compile(rf"\$({_IDENT}){_FIELDS}")
_ASSIGN = re.compile(rf"\$({_IDENT})\s*:?=\s*(\S+)")
#: `$c := omit .Values.config "enabled"`: a copy of (most of) a value.
_ASSIGN_COPY = re.compile(
    rf"\$({_IDENT})\s*:?=\s*\(?\s*(?:omit|pick|deepCopy|mustDeepCopy)\s+\(?\s*(\S+)"
)
_RANGE_VARS = re.compile(rf"^\s*(?:\${_IDENT}\s*,\s*)?\${_IDENT}\s*:=\s*")
_RANGE_PAIR = rf"^\s*\${_IDENT}\s*,\s*\$({_IDENT})\s*:=\s*(\S+)"  # compiled when first used
#: `toYaml .Values.x`, also of a copy: `toYaml (omit .Values.pdb "enabled")` (kps 88.5.3).
_SERIALISE = re.compile(
    r"\b(?:toYaml|toJson|toPrettyJson|toRawJson|fromYaml)\s+\(?\s*"
    r"(?:(?:omit|pick|deepCopy|mustDeepCopy)\s+\(?\s*)?(\S+)"
)
_SERIALISE_PIPE = re.compile(r"(\S+)\s*\|\s*(?:toYaml|toJson|toPrettyJson|toRawJson)\b")
_INDEX = re.compile(r"\bindex\s+\(?\s*(\S+?)\)?((?:\s+\"[^\"]*\")+)")
_DIG = re.compile(r"\bdig\s+([^|]*)")
_ARGUMENT = re.compile(r'"[^"]*"|[^\s()]+')
_QUOTED = re.compile(r'"([^"]*)"')
#: `.Values` not followed by a field: the whole values tree is handed on.
_BARE_VALUES = re.compile(r"\.Values(?![.\w])")
#: Functions that take a map and look keys up in it (handled above), not copy it.
#: `$v := .Values` (the variable is followed instead) or `with .Values` (the dot is).
_BOUND = re.compile(r"(?::?=|\bwith)\s*\(?\s*$")
_LOOKUPS = re.compile(r"\b(?:index|hasKey|get|pluck|dig)\b[^|]*$")
_ROOT_FIELDS = frozenset({"Values", "Release", "Chart", "Capabilities", "Template", "Files"})


@record(frozen=False)
class TemplateReads:
    """Value paths a chart's templates read, and those they copy whole (free-form).

    `()` in `free` means the templates hand the whole values tree on (`toYaml .Values`,
    `include "x" .Values`): any key may be read, so none can be called unknown.
    """

    paths: set[KeyPath] = field(default_factory=set)
    free: set[KeyPath] = field(default_factory=set)
    #: Maps ranged over by key and value: their keys are names the user picks.
    entries: set[KeyPath] = field(default_factory=set)


def _fields(chain: str) -> KeyPath:
    return tuple(part for part in chain.split(".") if part)


class _Scanner:
    """One template file: the dot and `$variables` bound to value paths, action by action."""

    def __init__(self, reads: TemplateReads) -> None:
        self.reads = reads
        #: One entry per open block: the value path the dot is bound to (None: not values).
        self.stack: list[KeyPath | None] = []
        self.variables: dict[str, KeyPath] = {}

    @property
    def dot(self) -> KeyPath | None:
        return self.stack[-1] if self.stack else None

    def resolve(self, token: str) -> KeyPath | None:
        """The value path a reference token names, None when it is not a value."""
        token = token.strip("()")
        match = _VALUES_REF.search(token)
        if match and _root_like(token[: match.start()]):
            return _fields(match.group(1))
        match = _VAR_REF.fullmatch(token)
        if match and match.group(1) in self.variables:
            return (*self.variables[match.group(1)], *_fields(match.group(2)))
        if token == "." and self.dot is not None:  # noqa: S105 (the dot, not a secret)
            return self.dot
        match = _DOT_REF.fullmatch(token)
        if match and self.dot is not None and match.group(1).split(".")[0] not in _ROOT_FIELDS:
            return (*self.dot, *_fields(match.group(1)))
        return None

    def action(self, text: str) -> None:
        body = text.strip()
        if body.startswith("/*"):
            return
        keyword, _, rest = body.partition(" ")
        blank = _STRING.sub('""', body)
        self._references(body, blank)
        if keyword == "end":
            if self.stack:
                self.stack.pop()
        elif keyword in ("if", "define", "block"):
            self.stack.append(self.dot)
        elif keyword == "with":
            self.stack.append(self._first(rest))
        elif keyword == "range":
            pair = re.match(_RANGE_PAIR, rest)
            target = self._first(_RANGE_VARS.sub("", rest))
            if target is not None and pair is not None:
                self.reads.entries.add(target)
                self.variables[pair.group(1)] = (*target, ENTRY)
            elif target is not None:
                self.reads.free.add(target)
            self.stack.append(None)

    def _first(self, pipeline: str) -> KeyPath | None:
        pipeline = _RANGE_VARS.sub("", pipeline).strip()
        tokens = pipeline.split()
        return self.resolve(tokens[0]) if tokens else None

    def _references(self, body: str, blank: str) -> None:
        reads = self.reads
        for pattern in (_ASSIGN, _ASSIGN_COPY):
            for match in pattern.finditer(blank):
                target = self.resolve(match.group(2))
                if target is not None:
                    self.variables[match.group(1)] = target
        for match in _VALUES_REF.finditer(blank):
            path = _fields(match.group(1))
            if path:
                reads.paths.add(path)
        if self.dot is not None:
            for match in _DOT_REF.finditer(blank):
                chain = match.group(1)
                if chain.split(".")[0] not in _ROOT_FIELDS:
                    reads.paths.add((*self.dot, *_fields(chain)))
        for match in _VAR_REF.finditer(blank):
            bound = self.variables.get(match.group(1))
            if bound is not None and match.group(2):
                reads.paths.add((*bound, *_fields(match.group(2))))
        for pattern in (_SERIALISE, _SERIALISE_PIPE):
            for match in pattern.finditer(blank):
                target = self.resolve(match.group(1))
                if target is not None:
                    reads.free.add(target)
        for match in _BARE_VALUES.finditer(blank):
            # Passed whole to a helper, a `dict` or a variable: any key may be read from it.
            before = re.sub(rf"\$?{_IDENT}$|\$$", "", blank[: match.start()])
            if not _LOOKUPS.search(before) and not _BOUND.search(before):
                reads.free.add(())
        for match in _INDEX.finditer(body):
            base = self.resolve(match.group(1))
            if base is not None:
                keys = tuple(_QUOTED.findall(match.group(2)))
                reads.paths.add((*base, *keys))
        for match in _DIG.finditer(body):
            # `dig "a" "b" <default> <map>`: the last two arguments are the default and the map.
            args = _ARGUMENT.findall(match.group(1))
            if len(args) < 3:
                continue
            base = self.resolve(args[-1])
            names = [a[1:-1] for a in args[:-2] if a.startswith('"')]
            if base is not None and len(names) == len(args) - 2:
                reads.paths.add((*base, *names))


def _root_like(head: str) -> bool:
    """What precedes `.Values` names the root: ``, `$`, `$root`, `.root`."""
    return head in ("", "$") or re.fullmatch(rf"\$?{_IDENT}|\$?\.{_IDENT}", head) is not None


def template_reads(texts: Iterable[str]) -> TemplateReads:
    """The value paths read by a chart's template files (their texts)."""
    reads = TemplateReads()
    for text in texts:
        scanner = _Scanner(reads)
        for match in _ACTION.finditer(text):
            scanner.action(match.group(1))
    return reads


def key_tree(
    defaults: Any,
    free: set[KeyPath] | frozenset[KeyPath] = frozenset(),
    entries: set[KeyPath] | frozenset[KeyPath] = frozenset(),
) -> Any:
    """The key tree of a defaults mapping: an empty map or a path in `free` is free-form.

    A path in `entries` whose default is a map of maps becomes `{ENTRY: <their keys>}`;
    any other one is free-form.
    """
    return _tree(defaults, set(free), set(entries), ())


def _tree(defaults: Any, free: set[KeyPath], entries: set[KeyPath], path: KeyPath) -> Any:
    if path in free:
        return FREE
    if not isinstance(defaults, Mapping):
        return None
    if not defaults:
        return FREE
    if path in entries:
        if not all(isinstance(v, Mapping) for v in defaults.values()):
            return FREE
        merged: Any = {}
        for value in defaults.values():
            merged = _union(merged, _tree(value, free, entries, (*path, ENTRY)))
        return {ENTRY: merged}
    return {str(k): _tree(v, free, entries, (*path, str(k))) for k, v in defaults.items()}


def _union(a: Any, b: Any) -> Any:
    """Keys either tree accepts (a leaf or a free-form map accepts anything below)."""
    if a == FREE or b == FREE:
        return FREE
    if a is None or b is None:
        return None
    out = dict(a)
    for key, value in b.items():
        out[key] = _union(out[key], value) if key in out else value
    return out


def add_reads(tree: dict[str, Any], reads: TemplateReads) -> dict[str, Any]:
    """`tree` with every read path added (a leaf) and every copied subtree free-form."""
    for path in sorted(reads.entries, key=len):
        if not isinstance(_node(tree, path), dict) or ENTRY not in _node(tree, path):
            _insert(tree, path, FREE)  # no default entries to learn an entry's keys from
    # Longest first: `if .Values.a` next to `.Values.a.b` leaves `a` a map of known keys.
    for path in sorted(reads.paths, key=lambda p: (-len(p), p)):
        _insert(tree, path, None)
    for path in sorted(reads.free, key=len):
        _insert(tree, path, FREE)
    return tree


def _insert(tree: dict[str, Any], path: KeyPath, leaf: Any) -> None:
    node: Any = tree
    for index, part in enumerate(path):
        if not isinstance(node, dict):
            return  # below a leaf or a free-form map: already accepted
        last = index == len(path) - 1
        child = node.get(part, _MISSING)
        if last:
            if child is _MISSING or leaf == FREE:
                node[part] = leaf
            return
        if child is _MISSING:
            # A read of one named entry (`.Values.route.main.x`): an entry like the others.
            entry = node.get(ENTRY)
            child = node[part] = copy.deepcopy(entry) if isinstance(entry, dict) else {}
            if entry is not None and not isinstance(entry, dict):
                node[part] = entry
                return
        node = child


_MISSING: Any = object()


def _node(tree: Mapping[str, Any], path: KeyPath) -> Any:
    node: Any = tree
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def chart_tree(defaults: Any, templates: Iterable[str]) -> dict[str, Any] | None:
    """The key tree of a chart from its default values and its template texts.

    None when the templates hand the whole values tree on (no key can be called unknown).
    Helm's `global` is always accepted.
    """
    reads = template_reads(templates)
    if () in reads.free:
        return None
    tree = key_tree(defaults if isinstance(defaults, Mapping) else {}, reads.free, reads.entries)
    if not isinstance(tree, dict):
        tree = {}
    tree.setdefault("global", FREE)
    return add_reads(tree, reads)


#: Template files Helm renders or includes.
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".tpl", ".txt", ".json")
#: A local chart bigger than this is not scanned (its check is skipped, not guessed).
_SCAN_LIMIT = 4 * 1024 * 1024


def local_chart_tree(folder: Path) -> dict[str, Any] | None:
    """The key tree of a chart folder on disk, or None when it cannot be known.

    Reads `values.yaml` (through the one YAML reader) and every template; vendored
    subcharts in `charts/` accept anything under their name (alias), library subcharts'
    templates count as the chart's own. None when the folder is not a readable chart, a
    dependency is only an archive (it may be a library reading any key), the chart has no
    templates, the templates hand the values on whole, or it is too big to scan at check
    time.
    """
    chart = _yaml_file(folder / "Chart.yaml")
    if not isinstance(chart, Mapping):
        return None
    defaults = _yaml_file(folder / "values.yaml") if (folder / "values.yaml").is_file() else {}
    if defaults is _UNREADABLE:
        return None
    texts = _texts(folder / "templates")
    if not texts:
        return None  # unreadable, or no templates: a stub renders nothing to judge by
    subcharts: dict[str, None] = {}
    listed: set[str] = set()
    for dependency in chart.get("dependencies") or ():
        if isinstance(dependency, Mapping) and isinstance(dependency.get("name"), str):
            listed.add(dependency["name"])
            subcharts[str(dependency.get("alias") or dependency["name"])] = None
    unpacked: set[str] = set()
    vendored = folder / "charts"
    for entry in sorted(vendored.iterdir()) if vendored.is_dir() else ():
        sub = _yaml_file(entry / "Chart.yaml") if entry.is_dir() else None
        if not isinstance(sub, Mapping):
            if entry.name.endswith((".tgz", ".tar.gz")):
                return None  # unknown inside: a library chart's templates may read any key
            continue
        unpacked.add(str(sub.get("name")))
        if sub.get("type") == "library":
            more = _texts(entry / "templates")
            if more is None:
                return None
            texts.extend(more)
        elif isinstance(sub.get("name"), str):
            subcharts.setdefault(str(sub["name"]), None)
    if listed - unpacked:
        return None  # a dependency not unpacked here may be a library reading any key
    tree = chart_tree(defaults, texts)
    if tree is not None:
        for name in subcharts:
            tree[name] = FREE
    return tree


_UNREADABLE: Any = object()


def _yaml_file(path: Path) -> Any:
    try:
        text = files.read_regular_text(path, _SCAN_LIMIT)
    except (OSError, UnicodeDecodeError):
        return _UNREADABLE
    parsed = yaml_reader.parse(text, str(path))
    if not isinstance(parsed, tuple):
        return _UNREADABLE
    return parsed[0] if parsed[0] is not None else {}


def _texts(folder: Path) -> list[str] | None:
    if not folder.is_dir():
        return []
    texts: list[str] = []
    size = 0
    try:
        for path in sorted(folder.rglob("*")):
            if path.suffix in _TEMPLATE_SUFFIXES and path.is_file():
                text = files.read_regular_text(path, _SCAN_LIMIT - size, errors="replace")
                size += len(text)
                texts.append(text)
    except OSError:
        return None
    return texts
