"""The compiled templates shipped in render/compiled/: fresh, used, and never used stale.

`scripts/gen_compiled_templates.py` writes Jinja's code for each template; the environment
imports it instead of compiling the template in every process, but only while the
template, `render/environment.py` and Jinja are the ones it was made from.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest

from meshgen.render import environment as env_module
from meshgen.resources import templates_dir

REPO = Path(__file__).resolve().parent.parent
COMPILED = REPO / "src" / "meshgen" / "render" / "compiled"
TEMPLATES = sorted(p.relative_to(templates_dir()).as_posix() for p in templates_dir().rglob("*.j2"))


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gen_compiled_templates", REPO / "scripts" / "gen_compiled_templates.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_compiled_templates_are_fresh() -> None:
    expected = _generator().compiled_sources()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in COMPILED.glob("*.py")}
    on_disk.pop("__init__.py")
    assert on_disk == expected, (
        "src/meshgen/render/compiled/ is stale: run `python scripts/gen_compiled_templates.py`"
    )
    assert len(expected) == len(TEMPLATES)


def test_every_template_loads_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a template was compiled at run time")

    env = jinja2.Environment(**_settings(str(templates_dir())))  # noqa: S701
    monkeypatch.setattr(env, "compile", refuse)
    for name in TEMPLATES:
        assert env.get_template(name).name == name


def test_a_changed_template_is_compiled_again_not_served_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(templates_dir(), folder)
    (folder / "helmfile.yaml.j2").write_text("changed: {{ 1 + 1 }}\n", encoding="utf-8")
    env = jinja2.Environment(**_settings(str(folder)))  # noqa: S701
    compiled: list[str | None] = []
    real = env.compile

    def counting(source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return real(source, name, *args, **kwargs)

    monkeypatch.setattr(env, "compile", counting)
    assert env.get_template("helmfile.yaml.j2").render() == "changed: 2\n"
    env.get_template("manifests/namespace.yaml.j2")
    assert compiled == ["helmfile.yaml.j2"]


def test_environments_do_not_share_compiled_modules() -> None:
    """A template binds its environment into its namespace: each gets its own."""
    other = jinja2.Environment(**_settings(str(templates_dir())))  # noqa: S701
    mine = other.get_template("manifests/namespace.yaml.j2")
    shipped = env_module.environment().get_template("manifests/namespace.yaml.j2")
    assert mine.root_render_func.__globals__["environment"] is other
    assert shipped.root_render_func.__globals__["environment"] is env_module.environment()


def _settings(folder: str) -> dict[str, Any]:
    """The shipped environment's settings, on another template folder."""
    shipped = env_module.environment()
    return {
        "loader": env_module._ShippedLoader(folder),
        "undefined": shipped.undefined,
        "keep_trailing_newline": shipped.keep_trailing_newline,
        "trim_blocks": shipped.trim_blocks,
        "lstrip_blocks": shipped.lstrip_blocks,
        "autoescape": shipped.autoescape,
    }
