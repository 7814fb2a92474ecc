"""The one Jinja2 environment: strict undefined, no autoescape (output is YAML), YAML filters.

Templates never receive raw user strings to paste: values go through `to_yaml`, which
serializes them (`meshgen.yaml_writer.dump`, ruamel's exact text), so a string cannot become
YAML structure.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from functools import cache
from typing import Any

import jinja2

from meshgen.render import yaml_writer
from meshgen.resources import templates_dir

#: While `render_parts` runs: the YAML blocks `to_yaml` wrote, each a list of pieces.
_BLOCKS: ContextVar[list[list[str]] | None] = ContextVar("meshgen_blocks", default=None)
#: Marks where a block goes in the template's output (templates never contain NUL).
_MARK = "\x00"


def to_yaml(value: Any) -> str:
    """Serialize a value as a block of YAML (no trailing newline)."""
    pieces = yaml_writer.dump_parts(value)
    while pieces and pieces[-1].endswith("\n"):
        pieces[-1] = pieces[-1].rstrip("\n")
        if not pieces[-1]:
            pieces.pop()
    blocks = _BLOCKS.get()
    if blocks is None:
        return "".join(pieces)
    # Under `render_parts` the block stays in pieces: the template's output holds a mark.
    blocks.append(pieces)
    return f"{_MARK}{len(blocks) - 1}{_MARK}"


def comment(value: Any) -> str:
    """Text safe inside a `#` comment line: line breaks become spaces."""
    return " ".join(str(value).splitlines())


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept across runs (compiling them cost a few ms of every check).

    Jinja stores them keyed by template and a checksum of its source, tagged with the Jinja
    and Python versions. The bytecode is code: it is used only from a folder of the
    current user's that nobody else can write to, else not at all.
    """
    import os
    import stat

    from meshgen.cache import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    folder = folder / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.lstat()
    except OSError:
        return None
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        return None
    return _OptionalBytecodeCache(str(folder))


class _OptionalBytecodeCache(jinja2.FileSystemBytecodeCache):
    """A bytecode cache that is never an error: unreadable or unwritable means no cache."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # The output is YAML, not HTML: escaping would corrupt it; to_yaml serializes values.
        autoescape=False,  # noqa: S701
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["to_yaml"] = to_yaml
    env.filters["comment"] = comment
    return env


def render_parts(name: str, **context: Any) -> list[str]:
    """A template's output as pieces: its own text, and each `to_yaml` block's pieces.

    Nothing is joined, so a large block (dashboards JSON) exists once, in pieces.
    """
    blocks: list[list[str]] = []
    token = _BLOCKS.set(blocks)
    try:
        text = environment().get_template(name).render(**context)
    finally:
        _BLOCKS.reset(token)
    if not blocks:
        return [text]
    parts: list[str] = []
    for index, chunk in enumerate(text.split(_MARK)):
        if index % 2:
            parts.extend(blocks[int(chunk)])
        elif chunk:
            parts.append(chunk)
    return parts
