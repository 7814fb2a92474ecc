"""The house rules of the layout (DESIGN.md, "Target layout"), checked on the source.

- Floors: a module imports only modules on its own floor or below (render never imports
  checks, handoff never imports api). Function-level imports count too.
- No import cycles between modules.
- `cli/` imports only the API, the reporters and itself.
- At most a handful of modules sit at the package root.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "meshgen"

#: Bottom to top. Same floor: may import each other (but no cycles).
FLOORS: tuple[tuple[str, ...], ...] = (
    ("meshgen", "meshgen.errors", "meshgen.diagnostics", "meshgen.source", "meshgen.resources",
     "meshgen.cache", "meshgen.records"),
    ("meshgen.models",),
    ("meshgen.load", "meshgen.knowledge", "meshgen.analysis"),
    ("meshgen.render",),
    ("meshgen.checks",),
    ("meshgen.report", "meshgen.output", "meshgen.edit", "meshgen.handoff"),
    ("meshgen.api",),
    ("meshgen.cli", "meshgen.__main__"),
)
ROOT_MODULES = {
    "__init__", "__main__", "api", "cache", "diagnostics", "errors", "output", "records",
    "report", "resources", "source",
}
CLI_MAY_IMPORT = ("meshgen.api", "meshgen.report", "meshgen.cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported meshgen module, line) for every import in the file, at any depth.

    `importlib.import_module("meshgen.x")` with a literal name counts as an import of it.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and str(first.value).startswith("meshgen"):
                    yield str(first.value), node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "meshgen":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] != "meshgen":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in known else target), node.lineno


def floor_of(name: str) -> int:
    """The floor of a module: that of the longest member naming it or a package above it.

    The package itself (`meshgen`) names only its `__init__`: a new subpackage sits on no
    floor until it is given one.
    """
    best, floor = -1, -1
    for index, members in enumerate(FLOORS):
        for member in members:
            inside = name.startswith(member + ".") and member != "meshgen"
            if (name == member or inside) and len(member) > best:
                best, floor = len(member), index
    assert floor >= 0, f"{name} sits on no floor: add it to FLOORS"
    return floor


def graph() -> dict[str, set[tuple[str, int]]]:
    found = modules()
    known = set(found)
    edges: dict[str, set[tuple[str, int]]] = {}
    for name, path in found.items():
        edges[name] = {
            (target, line)
            for target, line in imports_of(name, path, known)
            if target != name and target != "meshgen.__version__"
        }
    return edges


def test_no_module_imports_a_higher_floor() -> None:
    upward = [
        f"{name}:{line} imports {target}"
        for name, targets in graph().items()
        for target, line in sorted(targets)
        if floor_of(target) > floor_of(name)
    ]
    assert not upward, "\n".join(upward)


def test_there_is_no_import_cycle() -> None:
    edges = {name: {t for t, _ in targets} for name, targets in graph().items()}
    for name in edges:
        for target in list(edges[name]):
            # `from meshgen.x import y` of a package also names its __init__.
            if target not in edges:
                edges[name].discard(target)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target):], target] if target in trail else [node, target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_cli_goes_through_the_api() -> None:
    wrong = [
        f"{name}:{line} imports {target}"
        for name, targets in graph().items()
        if name.startswith("meshgen.cli")
        for target, line in sorted(targets)
        if target != "meshgen" and not target.startswith(CLI_MAY_IMPORT)
    ]
    assert not wrong, "\n".join(wrong)


def test_only_a_handful_of_modules_at_the_package_root() -> None:
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose == ROOT_MODULES


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_says_what_it_does_first(name: str) -> None:
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc and len(doc.splitlines()[0]) > 10, f"{name} has no opening docstring"


def test_every_module_sits_on_a_floor() -> None:
    unplaced = []
    for name in modules():
        try:
            floor_of(name)
        except AssertionError:
            unplaced.append(name)
    assert not unplaced, f"on no floor (add them to FLOORS): {unplaced}"


def test_the_walk_sees_dynamic_imports_and_new_subpackages(tmp_path: Path) -> None:
    module = tmp_path / "naming.py"
    module.write_text(
        "import importlib\n"
        "def late():\n"
        "    return importlib.import_module('meshgen.checks.framework')\n",
        encoding="utf-8",
    )
    found = set(imports_of("meshgen.render.naming", module, set()))
    assert ("meshgen.checks.framework", 3) in found
    with pytest.raises(AssertionError, match="sits on no floor"):
        floor_of("meshgen.misc.helpers")
    assert floor_of("meshgen.diagnostics") == 0
