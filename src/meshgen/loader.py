"""Read `meshgen.yaml` into a `MeshConfig` plus a source map; every problem is a diagnostic.

Nothing here raises for bad content: unreadable files, YAML errors, duplicate keys, unknown
keys, wrong types and missing keys all come back as coded diagnostics at `file:line:col`.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from meshgen import yamlio
from meshgen.diagnostics import Diagnostic, Severity
from meshgen.models import MeshConfig
from meshgen.source import KeyPath, SourceMap, Span

#: A config larger than this is refused before parsing.
MAX_CONFIG_BYTES = 2 * 1024 * 1024

# Loader diagnostics. They are reported by the loader, not by a registered check, so their
# documentation lives here and `meshgen explain` reads it from LOADER_CODES.
LOADER_CODES: dict[str, tuple[str, str]] = {
    "C001": (
        "config-unreadable",
        "The config file is missing, a directory, unreadable or too large.",
    ),
    "C002": (
        "yaml-syntax-error",
        "The config is not valid YAML (syntax, tabs, encoding, NUL bytes).",
    ),
    "C003": ("duplicate-key", "A mapping repeats a key; YAML would silently keep only one value."),
    "C004": (
        "unknown-key",
        "A key that meshgen does not know; usually a typo (a suggestion is given).",
    ),
    "C005": ("invalid-value", "A value of the wrong type or outside the allowed values."),
    "C006": ("missing-key", "A required key is missing."),
    "C007": ("document-too-large", "The document expands too far (alias bomb) or nests too deep."),
    "C008": ("config-not-a-mapping", "The config must be a YAML mapping at the top level."),
    "C009": (
        "referenced-file-unreadable",
        "A file the config names (a dashboard JSON) is missing, outside the config's folder, "
        "unreadable or not valid JSON.",
    ),
    "C010": (
        "unrecognised-input",
        "`meshgen lint` found nothing it knows in a file (Telemetry, Pod, Namespace, Job, "
        "ConfigMap, helmfile.yaml, istiod/base/grafana/prometheus values, Grafana dashboard JSON).",
    ),
}


def diagnostic(code: str, message: str, span: Span, *, hint: str | None = None) -> Diagnostic:
    name = LOADER_CODES[code][0]
    return Diagnostic(code, name, Severity.ERROR, message, span, hint=hint)


@dataclass
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


def display_path(path: Path) -> str:
    """A path as shown in diagnostics: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def read_text(
    path: Path, shown: str, *, what: str = "config file"
) -> tuple[str | None, Diagnostic | None]:
    """Read a UTF-8 file, or say precisely why it cannot be read (`what` names it)."""
    start = Span(shown, 1, 1)
    try:
        if path.is_dir():
            return None, diagnostic("C001", f"{shown} is a directory, not a {what}", start)
        # Non-blocking open and a bounded read: a FIFO would block forever and /dev/zero
        # never ends; only a regular file is read.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None, diagnostic("C001", f"{shown} is not a regular file", start)
            raw = handle.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            return None, diagnostic(
                "C001", f"{shown} is larger than {MAX_CONFIG_BYTES} bytes, a config's limit", start
            )
    except FileNotFoundError:
        return None, diagnostic("C001", f"{what} {shown} does not exist", start)
    except OSError as exc:
        return None, diagnostic("C001", f"cannot read {shown}: {exc.strerror or exc}", start)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, diagnostic(
            "C002", f"invalid UTF-8 byte 0x{raw[exc.start]:02x}", Span(shown, line, col)
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


def parse_yaml(text: str, shown: str) -> tuple[Any, Diagnostic | None]:
    """Parse round-trip YAML, mapping ruamel's errors to coded diagnostics."""
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        return None, diagnostic("C002", "NUL byte in the file", Span(shown, line, col))
    deep = _flow_nesting_past(text, FLOW_DEPTH_LIMIT)
    if deep >= 0:
        line = text.count("\n", 0, deep) + 1
        col = deep - (text.rfind("\n", 0, deep) + 1) + 1
        return None, diagnostic(
            "C007", f"brackets nest deeper than {FLOW_DEPTH_LIMIT} levels", Span(shown, line, col)
        )
    # ruamel is imported only here and below: a well-formed config takes the libyaml path.
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from meshgen.yaml_ruamel import RefusedYAMLError

    try:
        return yamlio.load_roundtrip(text), None
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
    except YAMLError as exc:
        return None, diagnostic("C002", f"YAML error: {exc}", Span(shown))
    except RecursionError:
        return None, diagnostic("C007", "the document nests too deep to parse", Span(shown))


#: Flow nesting refused before parsing: ruamel's scanner is quadratic in it (seconds at
#: 1000 levels). Far above MAX_DEPTH, so only brackets inside strings could be miscounted.
FLOW_DEPTH_LIMIT = 256
_BRACKETS = re.compile(r"[\[\]{}]")


def _flow_nesting_past(text: str, limit: int) -> int:
    """Offset of the first `[`/`{` nested deeper than `limit`, or -1."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > limit:
            return match.start()
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
    from meshgen import libyaml_loader

    return libyaml_loader.load(text, shown, max_nodes=yamlio.MAX_NODES, max_depth=yamlio.MAX_DEPTH)


def build_source_map(node: Any, shown: str) -> SourceMap:
    """Positions of every key and value of a round-trip document (1-based)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    smap = SourceMap(shown)
    smap.add((), value=Span(shown, 1, 1))
    stack: list[tuple[KeyPath, Any]] = [((), node)]
    seen: set[int] = set()
    while stack:
        path, current = stack.pop()
        if id(current) in seen or len(path) > yamlio.MAX_DEPTH:
            continue  # aliases point at nodes already mapped
        seen.add(id(current))
        if isinstance(current, CommentedMap):
            for key in current:
                child = (*path, str(key))
                stack.append((child, current[key]))
                if key not in current.lc.data:
                    continue  # merged in by `<<: *alias`: positioned by its parent
                kline, kcol = current.lc.key(key)
                vline, vcol = current.lc.value(key)
                smap.add(
                    child,
                    key=Span(shown, kline + 1, kcol + 1),
                    value=Span(shown, vline + 1, vcol + 1),
                )
        elif isinstance(current, CommentedSeq):
            for index, item in enumerate(current):
                child = (*path, index)
                line, col = current.lc.item(index)
                smap.add(child, value=Span(shown, line + 1, col + 1))
                stack.append((child, item))
    return smap


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
    fast = _load_fast(text, shown)
    if fast is not None:
        data, result.source = fast
    else:
        document, problem = parse_yaml(text, shown)
        if problem is not None:
            result.diagnostics.append(problem)
            result.unreadable = True
            return result
        result.source = build_source_map(document, shown)
        try:
            data = yamlio.to_plain(document)
        except yamlio.TooLargeError as exc:
            result.diagnostics.append(diagnostic("C007", str(exc), Span(shown)))
            result.unreadable = True
            return result
        except RecursionError:
            result.diagnostics.append(
                diagnostic("C007", "the document nests too deep", Span(shown))
            )
            result.unreadable = True
            return result
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
    return result


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
            close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
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


def _descend(annotation: Any, part: str | int) -> Any:
    for candidate in _models_in(annotation):
        if isinstance(part, str):
            for name, info in candidate.model_fields.items():
                if (info.alias or name) == part:
                    return info.annotation
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
