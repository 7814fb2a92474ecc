"""The one Jinja2 environment: strict undefined, no autoescape (output is YAML), YAML filters.

Templates come compiled with meshgen: `render/compiled/` holds the Python code Jinja makes
of each template (`scripts/gen_compiled_templates.py`), imported like any module of the
package. A compiled template is used only while its template, this module and Jinja are the
ones it was made from (`template_fingerprint`); otherwise the template is compiled in memory,
as Jinja does. Nothing compiled is ever read from a cache folder (Jinja's bytecode cache
stores code with marshal, which runs whatever a crafted entry holds).

Templates never receive raw user strings to paste: values go through `to_yaml`, which
serializes them (`meshgen.yaml_writer.dump`, ruamel's exact text), so a string cannot become
YAML structure.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
from collections.abc import MutableMapping
from contextvars import ContextVar
from functools import cache
from pathlib import Path
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


def template_fingerprint(source: str) -> str:
    """What a compiled template depends on: its source, this module's settings, Jinja."""
    digest = hashlib.sha256(source.encode("utf-8"))
    digest.update(Path(__file__).read_bytes())
    return f"{digest.hexdigest()} jinja2=={jinja2.__version__}"


def compiled_module_name(name: str) -> str:
    """`values/istio-values.yaml.j2` -> `values_istio_values_yaml` (in `render/compiled/`)."""
    stem = name.removesuffix(".j2")
    return "".join(ch if ch.isalnum() else "_" for ch in stem)


class _ShippedLoader(jinja2.FileSystemLoader):
    """Templates from `templates/`, their compiled code from `render/compiled/` when it fits."""

    def load(
        self,
        environment: jinja2.Environment,
        name: str,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        source, filename, uptodate = self.get_source(environment, name)
        # A plain dict of the globals, not Jinja's ChainMap over the environment's: every
        # render copies a template's globals, and a ChainMap is iterated in Python (a third
        # of the cost of rendering a small template). Globals set on the environment after
        # a template is loaded are not seen by it; the shipped environment has none.
        globals = dict(environment.make_globals(globals))
        namespace = _compiled_namespace(name)
        if namespace is not None and namespace.get("FINGERPRINT") == template_fingerprint(source):
            return environment.template_class.from_module_dict(environment, namespace, globals)
        code = environment.compile(source, name, filename)
        return environment.template_class.from_code(environment, code, globals, uptodate)


def _compiled_namespace(name: str) -> dict[str, Any] | None:
    """The compiled module of template `name`, run in a namespace of its own (None: absent).

    Not imported: a template binds its environment into the module's globals, so two
    environments (tests make their own) must not share one module.
    """
    spec = importlib.util.find_spec(f"{__package__}.compiled.{compiled_module_name(name)}")
    if spec is None or spec.origin is None or not isinstance(
        spec.loader, importlib.machinery.SourceFileLoader
    ):
        return None
    code = spec.loader.get_code(spec.name)  # the .pyc when Python has one
    if code is None:
        return None
    namespace: dict[str, Any] = {"__name__": spec.name, "__file__": spec.origin}
    exec(code, namespace)  # noqa: S102 - meshgen's own module, as an import would run it
    return namespace


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_ShippedLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # The output is YAML, not HTML: escaping would corrupt it; to_yaml serializes values.
        autoescape=False,  # noqa: S701
    )
    env.filters["to_yaml"] = to_yaml
    env.filters["comment"] = comment
    # No template uses Jinja's default globals (`range`, `dict`, `namespace`, `cycler`,
    # `joiner`, `lipsum`; one would fail as undefined): without them each render's context
    # is built in 23 us instead of 38 (4,700 renders at a thousand services).
    env.globals.clear()
    return env


@cache
def _template(name: str) -> jinja2.Template:
    """A shipped template, looked up once: Jinja's cache checks it again on every render."""
    return environment().get_template(name)


def render_parts(name: str, **context: Any) -> list[str]:
    """A template's output as pieces: its own text, and each `to_yaml` block's pieces.

    Nothing is joined, so a large block (dashboards JSON) exists once, in pieces.
    """
    template = _template(name)
    blocks: list[list[str]] = []
    token = _BLOCKS.set(blocks)
    try:
        # `template.render(**context)` without its copy of `context` merged with the
        # template's globals (`shared`): the shipped environment has none (`environment`).
        text = "".join(template.root_render_func(template.new_context(context, shared=True)))
    except Exception:
        environment().handle_exception()
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
