"""Config text -> `MeshConfig` plus a source map; every problem is a coded diagnostic.

Nothing here raises for bad content: unreadable files, YAML errors, duplicate keys, unknown
keys, wrong types and missing keys all come back as diagnostics at `file:line:col`, with a
"did you mean" for a misspelt key.
"""

from __future__ import annotations

import os
import re
import types
import typing
from dataclasses import field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from meshgen.diagnostics import Diagnostic, close_matches, diagnostic
from meshgen.load import yaml_reader
from meshgen.load.files import display_path, read_text
from meshgen.models import MeshConfig
from meshgen.records import record
from meshgen.source import KeyPath, SourceMap, Span


@record(frozen=False)
class LoadResult:
    """What loading gave: the model (None when invalid), the raw data and positions."""

    path: Path
    text: str = ""
    data: Any = None
    source: SourceMap = field(default_factory=lambda: SourceMap(""))
    config: MeshConfig | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: True when the file could not even be parsed (exit 2 rather than 1).
    unreadable: bool = False

    @property
    def display(self) -> str:
        return self.source.file


def config_folder(path: Path) -> Path:
    """The config's folder: the folder of the path as given, made absolute, symlinks kept.

    The one notion used to place everything relative to the config (the output folder,
    local charts, the rendered tree's paths back): helmfile resolves a relative path from
    the state file's location as the user sees it, not from a symlink's target.
    """
    return Path(os.path.normpath(path.absolute())).parent


def load_config(path: Path) -> LoadResult:
    """Load and validate a config file. Never raises for anything in the file."""
    shown = display_path(path)
    result = LoadResult(path=path, source=SourceMap(shown))
    text, problem = read_text(path, shown)
    if problem is not None or text is None:
        result.diagnostics.append(problem)  # type: ignore[arg-type]
        result.unreadable = True
        return result
    result.text = text
    return load_text(text, shown, result)


def load_text(text: str, shown: str, result: LoadResult | None = None) -> LoadResult:
    """Validate config text already in memory (used by the editing commands and tests)."""
    if result is None:
        result = LoadResult(path=Path(shown), text=text, source=SourceMap(shown))
    parsed = yaml_reader.parse(text, shown)
    if isinstance(parsed, Diagnostic):
        result.diagnostics.append(parsed)
        result.unreadable = True
        return result
    data, result.source = parsed
    result.data = data
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        result.diagnostics.append(
            diagnostic(
                "C008",
                f"the config must be a mapping with an `istio:` key, found {kind}",
                Span(shown),
            )
        )
        return result
    result.config, result.diagnostics = validate_data(data, result.source, MeshConfig)
    # Without an escape (`\`) in the text, every string is made of the text's characters.
    may_hold = "\\" in text or _has_control(text)
    controls = control_characters(data, result.source) if may_hold else []
    if controls:
        # Each string reaches a rendered file (or a terminal) as written: refused here, at
        # its line, rather than as a render failure meshgen cannot place.
        result.config = None
        result.diagnostics = [*controls, *result.diagnostics]
    return result


#: Characters no config string may hold: those YAML calls non-printable (C0 controls but
#: tab, newline and carriage return; DEL; C1 controls but U+0085; lone surrogates; U+FFFE,
#: U+FFFF). Such a string only enters through a double-quoted escape (`"\\e"`), and would
#: reach a rendered file or a terminal as written. A pattern string, compiled (by `re`)
#: when first used: its Unicode ranges take 0.6 ms, and an ASCII config without a `\`
#: escape never needs it.
_CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x84\\x86-\\x9f\\ud800-\\udfff\\ufffe\\uffff]"


#: The bytes of every ASCII character but those `_CONTROL` matches (C0 controls but tab,
#: newline and carriage return; DEL), for `bytes.translate` to delete: the ASCII text's
#: UTF-8 is its characters' codes. tests/test_load_scans.py holds it to the regex.
_NOT_CONTROL_ASCII = bytes(
    code for code in range(128) if code in (0x09, 0x0A, 0x0D) or 0x20 <= code < 0x7F
)


def _has_control(text: str) -> bool:
    """Whether `_CONTROL` matches anywhere in `text`."""
    if text.isascii():
        # One C pass over the bytes instead of the regex engine's per-character class test.
        return bool(text.encode("ascii").translate(None, _NOT_CONTROL_ASCII))
    return re.search(_CONTROL, text) is not None


def control_characters(data: Any, source: SourceMap) -> list[Diagnostic]:
    """A C005 for every key or string in `data` holding a control character, at its line."""
    control = re.compile(_CONTROL)
    found: list[Diagnostic] = []
    stack: list[tuple[KeyPath, Any]] = [((), data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                child = (*path, key if isinstance(key, str | int) else str(key))
                if isinstance(key, str) and (match := control.search(key)):
                    at = source.lookup(child, key=True)
                    found.append(_control(child, match.group(), "key", at))
                stack.append((child, value))
        elif isinstance(node, list):
            stack.extend(((*path, index), item) for index, item in enumerate(node))
        elif isinstance(node, str) and (match := control.search(node)):
            found.append(_control(path, match.group(), "string", source.lookup(path)))
    return sorted(found, key=lambda d: d.sort_key())


def _control(path: KeyPath, char: str, where: str, span: Span) -> Diagnostic:
    return diagnostic(
        "C005",
        f"{_dotted(path) or 'config'}: control character U+{ord(char):04X} in a {where}; "
        "write it as text or remove it",
        span,
    )


M = typing.TypeVar("M", bound=BaseModel)


def validate_data(
    data: Any, source: SourceMap, model: type[M], *, prefix: KeyPath = ()
) -> tuple[M | None, list[Diagnostic]]:
    """Validate plain data against a model; pydantic errors become positioned diagnostics."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, pydantic_diagnostics(exc, source, model, data, prefix=prefix)
    except RecursionError:
        return None, [diagnostic("C007", "the document nests too deep", source.lookup(prefix))]


def pydantic_diagnostics(
    exc: ValidationError,
    source: SourceMap,
    model: type[BaseModel],
    data: Any,
    *,
    prefix: KeyPath = (),
) -> list[Diagnostic]:
    found: dict[tuple[str, Span], Diagnostic] = {}
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(error["loc"])
        path = (*prefix, *_data_path(loc, data))
        kind = error["type"]
        dotted = _dotted(path)
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = allowed_keys(model, _data_path(loc[:-1], data))
            close = close_matches(key, sorted(allowed), cutoff=0.6)
            message = f"unknown key {key!r} in {_dotted(path[:-1]) or 'the top level'}"
            if close:
                message += f" (did you mean {close[0]!r}?)"
            elif allowed:
                message += f"; allowed: {', '.join(sorted(allowed))}"
            diag = diagnostic("C004", message, source.lookup(path, key=True))
        elif kind == "missing":
            diag = diagnostic(
                "C006",
                f"missing required key {str(loc[-1])!r} in {_dotted(path[:-1]) or 'the top level'}",
                source.lookup(path[:-1]),
            )
        else:
            diag = diagnostic(
                "C005", f"{dotted or 'config'}: {_message(error)}", source.lookup(path)
            )
        found.setdefault((diag.code, diag.span), diag)
    return list(found.values())


def _message(error: Any) -> str:
    msg = str(error["msg"])
    return msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _data_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """Drop pydantic's synthetic loc parts (union member tags) that are not keys in the data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif (
            isinstance(node, dict)
            and isinstance(part, str)
            and not any(isinstance(k, str) for k in node)
        ):
            continue
        elif isinstance(node, dict | list):
            # a key the data lacks (missing) or a synthetic tag: keep only real key names
            if isinstance(part, str) and not (
                part.startswith(("literal[", "function-")) or "[" in part
            ):
                path.append(part)
            node = None
        else:
            node = None
    return tuple(path)


def allowed_keys(model: type[BaseModel], path: KeyPath) -> set[str]:
    """The YAML keys allowed at `path` below `model` (for "did you mean" suggestions)."""
    current: Any = model
    for part in path:
        current = _descend(current, part)
        if current is None:
            return set()
    models = _models_in(current)
    return {f.alias or name for m in models for name, f in m.model_fields.items()}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _annotation(info: Any) -> Any:
    # A deferred field (models.base.DeferredTuple) names its real type only on request.
    for meta in info.metadata:
        resolve = getattr(meta, "resolve_annotation", None)
        if resolve is not None:
            return resolve()
    return info.annotation


def _descend(annotation: Any, part: str | int) -> Any:
    for candidate in _models_in(annotation):
        if isinstance(part, str):
            for name, info in candidate.model_fields.items():
                if (info.alias or name) == part:
                    return _annotation(info)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (tuple, list) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found = _descend(arg, part)
            if found is not None:
                return found
    return None
