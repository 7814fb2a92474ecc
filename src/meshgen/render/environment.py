"""The one Jinja2 environment: strict undefined, no autoescape (output is YAML), YAML filters.

Templates never receive raw user strings to paste: values go through `to_yaml`, which
serializes with ruamel, so a string cannot become YAML structure.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from meshgen import yamlio
from meshgen.resources import templates_dir


def to_yaml(value: Any) -> str:
    """Serialize a value as a block of YAML (no trailing newline)."""
    return yamlio.dump(value).rstrip("\n")


def comment(value: Any) -> str:
    """Text safe inside a `#` comment line: line breaks become spaces."""
    return " ".join(str(value).splitlines())


def to_yaml_documents(values: list[Any]) -> str:
    return yamlio.dump_all(values).rstrip("\n")


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
    env.filters["to_yaml_documents"] = to_yaml_documents
    env.filters["comment"] = comment
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
