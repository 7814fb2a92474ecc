"""The one Jinja2 environment: strict undefined, no autoescape (output is YAML), YAML filters.

Templates are compiled in memory on first use in each process; compiled templates are not
kept on disk (Jinja's bytecode cache stores them with pickle and marshal, which run code
when loaded).

Templates never receive raw user strings to paste: values go through `to_yaml`, which
serializes them (`meshgen.yaml_writer.dump`, ruamel's exact text), so a string cannot become
YAML structure.
"""

from __future__ import annotations

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
