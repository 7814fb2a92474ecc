"""Write src/meshgen/render/compiled/: Jinja's Python code for every template in templates/.

    python scripts/gen_compiled_templates.py

Run it after changing a template, `render/environment.py` or Jinja (a test says when a
compiled template is stale; a stale one is never used, only slower).
"""

from __future__ import annotations

from pathlib import Path

from meshgen.render import environment as env_module
from meshgen.resources import templates_dir

OUT = Path(env_module.__file__).parent / "compiled"
HEADER = (
    '"""Jinja\'s code for templates/{name} (scripts/gen_compiled_templates.py; do not edit)."""\n'
    "# ruff: noqa\n"
)


def compiled_sources() -> dict[str, str]:
    """Module file name -> its text, for every `.j2` template."""
    env = env_module.environment()
    out: dict[str, str] = {}
    for path in sorted(templates_dir().rglob("*.j2")):
        name = path.relative_to(templates_dir()).as_posix()
        source = path.read_text(encoding="utf-8")
        code = env.compile(source, name, str(path), raw=True, defer_init=True)
        fingerprint = env_module.template_fingerprint(source)
        module = env_module.compiled_module_name(name)
        out[f"{module}.py"] = (
            HEADER.format(name=name) + f"FINGERPRINT = {fingerprint!r}\n" + code + "\n"
        )
    return out


def main() -> None:
    for stale in OUT.glob("*.py"):
        if stale.name != "__init__.py":
            stale.unlink()
    for file_name, text in compiled_sources().items():
        (OUT / file_name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / file_name}")


if __name__ == "__main__":
    main()
