"""The code catalogue: one entry per code, well formed, and nothing outside it.

- every check declared anywhere in src/meshgen is in the registry (found on the source with
  `ast`, under any name `check` is imported as, decorator or call, so a check the
  registry's module walk misses, e.g. one defined inside a function, deleted with `del` or
  outside `meshgen.checks`, fails here);
- no two entries share a code, a name or an alias;
- every entry has a one-line summary and Why / Example / Fix;
- every code-like string literal in src/meshgen is a catalogued code;
- `diagnostic()` names and grades from the catalogue and refuses other codes;
- lookups by code, alias or name, and did-you-mean suggestions.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from meshgen import api
from meshgen.diagnostics import (
    BUILTIN_CODES,
    CodeInfo,
    Severity,
    catalogue,
    diagnostic,
)
from meshgen.source import Span

SRC = Path(__file__).resolve().parents[2] / "src" / "meshgen"
CODE = re.compile(r"[CTKHGDX]\d{3}")


FRAMEWORK = "meshgen.checks.framework"


def _check_names(tree: ast.Module, module: str) -> tuple[set[str], set[str]]:
    """The names `check` goes by in a module, and the names its framework module goes by.

    `from meshgen.checks.framework import check as declare` makes `declare(...)` a check;
    `from meshgen.checks import framework` (or `import ... as fw`) makes `fw.check(...)` one.
    """
    functions, modules = set(), set()
    package = module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the module's own package
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                if base == FRAMEWORK and alias.name == "check":
                    functions.add(alias.asname or "check")
                if f"{base}.{alias.name}" == FRAMEWORK:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == FRAMEWORK and alias.asname:
                    modules.add(alias.asname)
    if module == FRAMEWORK:
        functions.add("check")
    return functions, modules


def _declares(node: ast.Call, functions: set[str], modules: set[str]) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in functions
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "check"
        and isinstance(func.value, ast.Name)
        and func.value.id in modules
    )


def decorated_checks(root: Path) -> list[tuple[str, str, str]]:
    """(code, name, file:line) of every check declared under `root`, however it is written.

    Any call of the framework's `check`, under any name it is imported as: as a decorator,
    on a nested function, or called (`check(...)(function)`), in any module of the package
    (the registry walks only `meshgen.checks`).
    """
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        parts = path.relative_to(root.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        functions, modules = _check_names(tree, module)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _declares(node, functions, modules):
                continue
            if module == FRAMEWORK and not node.args:
                continue
            where = f"{path.relative_to(root.parent.parent)}:{node.lineno}"
            args = node.args[:2]
            if module == FRAMEWORK and not all(isinstance(a, ast.Constant) for a in args):
                continue  # the framework's own definitions
            assert len(args) == 2 and all(
                isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args
            ), f"{where}: check() needs a literal code and name"
            code, name = (a.value for a in args if isinstance(a, ast.Constant))
            found.append((code, name, where))
    return found


def test_every_decorated_check_is_registered() -> None:
    from meshgen.checks import all_checks

    in_source = decorated_checks(SRC)
    registered = {(c.code, c.name) for c in all_checks()}
    missed = [
        f"{where}: check({code!r}, {name!r}) is not in the registry (module-level, not deleted,"
        " under meshgen.checks?)"
        for code, name, where in in_source
        if (code, name) not in registered
    ]
    assert not missed, "\n".join(missed)
    twice = [code for code, n in Counter(code for code, _, _ in in_source).items() if n > 1]
    assert not twice, f"@check codes used twice in the source: {twice}"
    assert len(in_source) == len(all_checks()), "the registry holds checks the source lacks"


def test_every_check_a_meshgen_module_holds_is_registered() -> None:
    """Whatever spelling made it (an alias of `check`, a list, a call): a `Check` object that
    a meshgen module keeps alive after every module is imported is in the registry."""
    import gc
    import importlib
    import pkgutil

    import meshgen
    from meshgen.checks import all_checks
    from meshgen.checks.framework import Check

    for info in pkgutil.walk_packages(meshgen.__path__, prefix="meshgen."):
        if info.name != "meshgen.__main__":  # runs the CLI
            importlib.import_module(info.name)
    registered = {id(c) for c in all_checks()}
    stray = [
        f"{c.code} {c.name} ({c.function.__module__})"
        for c in gc.get_objects()
        if isinstance(c, Check)
        and getattr(c.function, "__module__", "").startswith("meshgen.")
        and id(c) not in registered
    ]
    assert not stray, f"checks made by meshgen modules but not registered: {stray}"


def test_the_source_walk_sees_checks_the_registry_would_miss(tmp_path: Path) -> None:
    """The walk above finds every way of declaring a check the registry would not see."""
    root = tmp_path / "src" / "meshgen"
    (root / "checks").mkdir(parents=True)
    (root / "edit").mkdir()
    head = "from meshgen.diagnostics import Severity\n"
    (root / "checks" / "hidden.py").write_text(
        "from meshgen.checks.framework import check\n" + head + "def factory():\n"
        "    @check('T998', 'nested-check', Severity.ERROR)\n"
        "    def nested(ctx):\n"
        "        yield from ()\n"
        "    return nested\n"
        "@check('T999', 'deleted-check', Severity.ERROR)\n"
        "def deleted(ctx):\n"
        "    yield from ()\n"
        "del deleted\n"
    )
    (root / "checks" / "aliased.py").write_text(
        "from .framework import check as declare\n" + head + "def factory():\n"
        "    @declare('T101', 'aliased-nested', Severity.ERROR)\n"
        "    def nested(ctx):\n"
        "        yield from ()\n"
        "    return nested\n"
        "_LIST = [declare('T101', 'called-form', Severity.ERROR)(lambda ctx: iter(()))]\n"
    )
    (root / "edit" / "rogue.py").write_text(
        "from meshgen.checks import framework\n"
        "import meshgen.checks.framework as fw\n"
        + head
        + "@framework.check('T101', 'outside-checks', Severity.ERROR)\n"
        "def rogue(ctx):\n"
        "    yield from ()\n"
        "@fw.check('T102', 'module-alias', Severity.ERROR)\n"
        "def other(ctx):\n"
        "    yield from ()\n"
    )
    assert sorted((c, n) for c, n, _ in decorated_checks(root)) == [
        ("T101", "aliased-nested"),
        ("T101", "called-form"),
        ("T101", "outside-checks"),
        ("T102", "module-alias"),
        ("T998", "nested-check"),
        ("T999", "deleted-check"),
    ]


def test_registry_and_catalogue_codes_names_and_aliases_are_unique() -> None:
    from meshgen.checks import all_checks

    checks = all_checks()
    codes = [c.code for c in checks]
    names = [c.name for c in checks]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes), Counter(codes).most_common(3)
    assert len(set(names)) == len(names), Counter(names).most_common(3)
    entries = list(api.catalogue())  # raises ValueError on any shared code, name or alias
    words = [w.lower() for e in entries for w in {e.code, e.name, *e.aliases}]
    assert len(set(words)) == len(words), Counter(words).most_common(3)
    assert [e.code for e in entries] == sorted(e.code for e in entries)
    assert {e.code for e in entries} == set(BUILTIN_CODES) | set(codes)


def test_a_shared_code_name_or_alias_is_refused() -> None:
    doc = "Summary.\n\nWhy: w.\n\nExample: e.\n\nFix: f."
    with pytest.raises(ValueError, match="C001"):
        catalogue([CodeInfo("C001", "another-name", Severity.ERROR, doc)])
    with pytest.raises(ValueError, match="'unknown-key'"):
        catalogue([CodeInfo("T998", "unknown-key", Severity.ERROR, doc)])
    with pytest.raises(ValueError, match="'ist0001'"):
        catalogue(
            [
                CodeInfo("T998", "one", Severity.ERROR, doc, ("IST0001",)),
                CodeInfo("T999", "two", Severity.ERROR, doc, ("IST0001",)),
            ]
        )


@pytest.mark.parametrize("entry", list(api.catalogue()), ids=lambda e: e.code)
def test_every_entry_is_documented(entry: CodeInfo) -> None:
    assert CODE.fullmatch(entry.code), entry.code
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.name), entry.name
    assert all(re.fullmatch(r"IST\d{4}", a) for a in entry.aliases), entry.aliases
    lines = entry.doc.splitlines()
    assert lines and lines[0].endswith(".") and (len(lines) == 1 or not lines[1]), (
        f"{entry.code}: the doc must open with a one-line summary"
    )
    for section in ("Why", "Example", "Fix"):
        assert re.search(rf"^{section}: \S", entry.doc, re.M), f"{entry.code} lacks '{section}:'"


def test_every_code_literal_in_the_source_is_catalogued() -> None:
    """A code written anywhere in src (an emitter, a re-grade) must be a catalogue entry."""
    known = {entry.code for entry in api.catalogue()}
    stray = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and CODE.fullmatch(value) and value not in known:
                stray.append(f"{path.relative_to(SRC)}:{node.lineno}: {value}")
    assert not stray, "codes used in the source but not catalogued:\n" + "\n".join(stray)


def test_diagnostic_takes_name_and_severity_from_the_catalogue() -> None:
    warned = diagnostic("C010", "nothing here", Span("x.yaml"))
    assert (warned.name, warned.severity) == ("unrecognised-input", Severity.WARNING)
    crashed = diagnostic("X001", "boom", Span("meshgen.yaml"), hint="report it")
    assert (crashed.name, crashed.severity) == ("check-crashed", Severity.ERROR)
    assert crashed.hint == "report it"
    with pytest.raises(KeyError):
        diagnostic("C999", "no such code", Span("x.yaml"))
    with pytest.raises(KeyError):  # a check's code: only the engine stamps those
        diagnostic("C101", "not the loader's", Span("x.yaml"))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("C004", "C004"),
        ("c004", "C004"),
        (" unknown-key ", "C004"),
        ("Unknown-Key", "C004"),
        ("IST0160", "T110"),
        ("ist0102", "C105"),
        ("X001", "X001"),
        ("render-failed", "X002"),
        ("t104", "T104"),
    ],
)
def test_explain_finds_codes_aliases_and_names(text: str, code: str) -> None:
    assert api.explain(text).code == code


def test_explain_of_an_unknown_code_suggests_close_ones() -> None:
    with pytest.raises(api.UsageError, match=r"did you mean 'unknown-key'"):
        api.explain("unknwn-key")
    with pytest.raises(api.UsageError, match=r"unknown code 'Z999'; `meshgen checks`"):
        api.explain("Z999")


def test_cli_explain_and_checks_cover_the_whole_catalogue(run_cli: Any) -> None:
    for text, first in [
        ("unknown-key", "C004 unknown-key (error)\n\n"),
        ("c004", "C004 unknown-key (error)\n\n"),
        ("IST0160", "T110 multiple-namespace-telemetries (error)\nAliases: IST0160\n\n"),
        ("X001", "X001 check-crashed (error)\n\n"),
        ("C010", "C010 unrecognised-input (warning)\n\n"),
    ]:
        result = run_cli("explain", text)
        assert result.code == 0, result.err
        assert result.out.startswith(first), result.out
        assert all(f"\n{s}: " in result.out for s in ("Why", "Example", "Fix")), result.out
    unknown = run_cli("explain", "unknwn-key")
    assert unknown.code == 2 and unknown.out == ""
    assert "unknown code 'unknwn-key' (did you mean 'unknown-key'" in unknown.err
    listing = run_cli("checks").out.splitlines()
    entries = list(api.catalogue())
    assert [line.split()[0] for line in listing] == [e.code for e in entries]
    by_code = dict(zip([e.code for e in entries], listing, strict=True))
    assert by_code["X002"].startswith("X002  error    render-failed ")
    assert by_code["C010"].startswith("C010  warning  unrecognised-input ")
    assert by_code["T110"].endswith(" (IST0160)")


def test_sarif_has_a_rule_with_help_for_every_code(run_cli: Any, tmp_path: Path) -> None:
    import json

    config = tmp_path / "meshgen.yaml"
    config.write_text("istio: {version: 1.30.3}\nnamespaces: [{name: Bad}]\n")
    result = run_cli("validate", "-c", str(config), "--format", "sarif")
    assert result.code == 1, result.err
    driver = json.loads(result.out)["runs"][0]["tool"]["driver"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert list(rules) == [e.code for e in api.catalogue()]
    x002 = rules["X002"]
    assert x002["name"] == "render-failed"
    assert x002["defaultConfiguration"] == {"level": "error"}
    assert x002["shortDescription"]["text"] == api.explain("X002").summary
    assert x002["fullDescription"]["text"] == x002["help"]["text"] == api.explain("X002").doc
    assert rules["C010"]["defaultConfiguration"] == {"level": "warning"}
    assert rules["T110"]["properties"] == {"aliases": ["IST0160"]}
    results = json.loads(result.out)["runs"][0]["results"]
    assert "C101" in {r["ruleId"] for r in results}
    assert all(driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
