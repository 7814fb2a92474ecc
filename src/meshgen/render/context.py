"""What every renderer receives, and the one function that turns data into a checked file."""

from __future__ import annotations

import functools
import hashlib
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from meshgen.cache import JsonCache, salt
from meshgen.load import yaml_reader
from meshgen.models import MeshConfig
from meshgen.records import record
from meshgen.render.environment import render_parts
from meshgen.render.files import Carried, RenderedFile, header, text_digest_of
from meshgen.source import KeyPath


class RenderError(Exception):
    """A template produced text that does not parse back to the intended data (a meshgen bug)."""

    def __init__(self, path: str, message: str, origin: KeyPath = ()) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.origin = origin


@record
class RenderInputs:
    """A validated config plus what rendering needs from outside it (already read)."""

    config: MeshConfig
    #: The config file as named in headers: its path relative to the output folder.
    config_name: str = "meshgen.yaml"
    #: Path from the output folder to the config's folder (posix), for local chart paths.
    config_dir_from_output: str = "../.."
    #: Local dashboard JSON text by dashboard name.
    dashboard_files: Mapping[str, str] = field(default_factory=dict)

    def chart_path(self, chart: str) -> str:
        """A local chart path from the config, as seen from the output folder."""
        if chart.startswith("/"):
            return chart
        return posixpath.normpath(posixpath.join(self.config_dir_from_output, chart))


def build_file(
    inputs: RenderInputs,
    path: str,
    template: str,
    documents: Sequence[Any],
    *,
    origin: KeyPath = (),
    carried: Carried = (),
    **context: Any,
) -> RenderedFile:
    """Render `template` for `documents`, prepend the header, and prove it parses back.

    `carried`: the generated dashboards among the documents (`RenderedFile.dashboards`).
    """
    parts = render_parts(template, documents=documents, **context)
    if not parts or not parts[-1].endswith("\n"):
        parts.append("\n")
    intended, data_sha256 = plain_with_digest(documents)
    body = "".join(parts).encode("utf-8")
    body_sha256 = hashlib.sha256(body).hexdigest()
    key = f"{body_sha256}:{data_sha256}"
    if _verified().get(key) is not True:
        _parse_back(path, "".join(parts), intended, origin)
        _verified().put(key, True)
    head = header(inputs.config_name, body_sha256)
    return RenderedFile(
        path=path,
        parts=(head, *parts),
        documents=tuple(intended),
        origin=origin,
        text_digest=text_digest_of(head, body_sha256),
        data_sha256=data_sha256,
        dashboards=carried,
    )


def _parse_back(path: str, body: str, intended: list[Any], origin: KeyPath) -> None:
    """Prove that `body` reads back as `intended`, as helm will read it (YAML 1.1).

    A value that would change type or shape there is caught here, before anything is
    written.
    """
    try:
        parsed = yaml_reader.load_all_as_helm_reads(body)
    except Exception as exc:  # any parser error here is a template bug
        raise RenderError(path, f"rendered text is not valid YAML: {exc}", origin) from exc
    if not _same_data([doc for doc in parsed if doc is not None], intended):
        raise RenderError(path, "rendered text does not parse back to the intended data", origin)


def _plain(node: Any) -> Any:
    """A copy of renderer data as exact dicts, lists and scalars.

    Renderers build plain data already, so exact types take the fast path; anything else
    (a tuple, a mapping view, a date) goes through the reader's general conversion.
    """
    kind = type(node)
    if kind is str or kind is int or kind is bool or kind is float or node is None:
        return node
    if kind is dict:
        # Keys and values that are strings (most of them) without a call each.
        return {
            (key if type(key) is str else _plain(key)): (
                value if type(value) is str else _plain(value)
            )
            for key, value in node.items()
        }
    if kind is list or kind is tuple:
        return [item if type(item) is str else _plain(item) for item in node]
    return yaml_reader.to_plain(node)


def _same_data(parsed: list[Any], intended: list[Any]) -> bool:
    """Equal data of equal types (`==` alone takes `1`, `1.0` and `true` for one another)."""
    return _data_text(parsed) == _data_text(intended)


def _data_text(data: Any) -> str:
    """A text that differs whenever two pieces of data differ in value, type or order.

    A type-tagged, length-prefixed encoding: one token per value, in document order, each
    starting with a tag of its own type:

    - `N`, `T`, `F`: None, True, False (the whole token);
    - `i` + hex digits + `;`: an int; `f` + `repr` + `;`: a float (exact: `repr` of a
      float reads back as the same float; every NaN is `nan`, as `repr` prints it);
    - `s` + length + `:` + the characters: a str, as it is;
    - `[`, `(`, `{` + count + `:`: a list, tuple, dict, then its items (a dict's key and
      value for each entry, in order);
    - `r` + length + `:` + `repr` of any other value (a date read back where a string was
      meant): never the token of a plain value.

    Injective: every token ends where its tag says (a fixed token; the first `;`, which
    no hex digits or float text hold; or the length given), and a container's count says
    how many values follow, so a text splits into tokens one way only, and the tokens
    rebuild the data with its types and order (the tests decode it, and compare it with
    `repr`, the text it replaced). So `1`, `1.0`, `True` and `'1'` differ, and so do
    `{1: x}` and `{'1': x}`, `[1]` and `(1,)`. Unlike `repr`, a string's characters are
    not scanned for escapes: the dashboards' JSON goes into the text as it is.
    """
    tokens: list[str] = []
    _encode(data, tokens.append)
    return "".join(tokens)


def _encode(node: Any, put: Callable[[str], None]) -> None:
    """Put the `_data_text` tokens of `node` (strings in containers without a call)."""
    kind = type(node)
    if kind is str:
        put(f"s{len(node)}:")
        put(node)
    elif kind is dict:
        put(f"{{{len(node)}:")
        for key, value in node.items():
            if type(key) is str:
                put(f"s{len(key)}:")
                put(key)
            else:
                _encode(key, put)
            if type(value) is str:
                put(f"s{len(value)}:")
                put(value)
            else:
                _encode(value, put)
    elif kind is list or kind is tuple:
        put(f"{'[' if kind is list else '('}{len(node)}:")
        for item in node:
            if type(item) is str:
                put(f"s{len(item)}:")
                put(item)
            else:
                _encode(item, put)
    elif node is None:
        put("N")
    elif kind is bool:
        put("T" if node else "F")
    elif kind is int:
        put(f"i{node:x};")  # hex: no limit on the digits (`str` refuses 4,300 of them)
    elif kind is float:
        put(f"f{node!r};")
    else:
        text = repr(node)
        put(f"r{len(text)}:")
        put(text)


def plain_with_digest(documents: Sequence[Any]) -> tuple[list[Any], str]:
    """`[_plain(doc) for doc in documents]` and `data_digest` of that list, in one walk.

    Rendering copies and digests every document of the tree; one walk instead of two
    (tests/test_render_digest.py holds it equal to the two).
    """
    tokens: list[str] = [f"[{len(documents)}:"]
    intended = [_plain_encoded(doc, tokens) for doc in documents]
    digest = hashlib.sha256("".join(tokens).encode("utf-8", "surrogatepass")).hexdigest()
    return intended, digest


def _plain_encoded(node: Any, tokens: list[str]) -> Any:
    """`_plain(node)`, adding the `_encode` tokens of that copy to `tokens` as it is made.

    Adjacent tokens are put as one text where that is one f-string (a key with its string
    value): the joined text, and so the digest, is the same, with fewer calls.
    """
    put = tokens.append
    kind = type(node)
    if kind is str:
        put(f"s{len(node)}:{node}")
        return node
    if kind is dict:
        mark = len(tokens)
        put(f"{{{len(node)}:")
        out = {}
        for key, value in node.items():
            if type(key) is not str:
                # A key made plain could meet another one: encode the finished copy.
                del tokens[mark:]
                copy = _plain(node)
                _encode(copy, put)
                return copy
            value_kind = type(value)
            if value_kind is str:
                put(f"s{len(key)}:{key}s{len(value)}:{value}")
            elif value_kind is int:
                put(f"s{len(key)}:{key}i{value:x};")
            elif value_kind is bool:
                put(f"s{len(key)}:{key}{'T' if value else 'F'}")
            else:
                put(f"s{len(key)}:{key}")
                value = _plain_encoded(value, tokens)
            out[key] = value
        return out
    if kind is list or kind is tuple:
        put(f"[{len(node)}:")
        items = []
        for item in node:
            if type(item) is str:
                put(f"s{len(item)}:{item}")
            else:
                item = _plain_encoded(item, tokens)
            items.append(item)
        return items
    if kind is int or kind is bool or kind is float or node is None:
        _encode(node, put)
        return node
    copy = _plain(node)  # another type: through the reader's conversion
    _encode(copy, put)
    return copy


def data_digest(documents: list[Any]) -> str:
    """SHA-256 (hex) of plain data, exact in value, type and order (`_data_text`)."""
    return hashlib.sha256(_data_text(documents).encode("utf-8", "surrogatepass")).hexdigest()


@functools.cache
def _verified() -> JsonCache:
    """Bodies already proven to parse back to their data, across runs.

    Parsing every file back costs about as much as rendering it; a body and data pair that
    an earlier run proved (same meshgen, same PyYAML and libyaml) need not be proven again.
    Keyed by SHA-256 of both, so any change to either is parsed back again.
    """
    try:
        from yaml import _yaml

        libyaml = str(_yaml.get_version_string())
    except ImportError:  # PyYAML without libyaml: the pure-Python loader reads back
        libyaml = "absent"
    sources = [Path(__file__), Path(yaml_reader.__file__)]
    recipe = salt(sources=sources, distributions=["PyYAML"], extra=[f"libyaml={libyaml}"])
    return JsonCache("render-verified", recipe, sharded=True)
