"""Run every case file: tests/checks/cases/<CODE>.yaml, one per code of the catalogue.

A case file holds a code's failing and passing inputs with the exact diagnostics
(code, line, column) expected of that code:

    check: C101
    cases:
      - name: upper-case namespace
        config: |                        # a whole meshgen.yaml ...
          istio: {version: 1.30.3}
          namespaces: [{name: Bad}]
        expect: [[C101, 2, 21]]          # [code, line, col] in meshgen.yaml
      - name: lint files                 # ... or files for `meshgen lint`
        files: {telemetry.yaml: "..."}
        expect: [[T101, telemetry.yaml, 3, 5]]

Only the diagnostics of the case file's own code are compared. Every diagnostic a case
produces must also carry the name and default severity its catalogue entry gives.

More keys, for the input (C0xx) and internal (X0xx) codes:

- no `config:` (and no `files:`): meshgen.yaml is not created, the run loads a missing file;
- `files: {name: null}`: the file is passed to lint but not created;
- `dirs: [path, ...]`: directories created first (e.g. `meshgen.yaml` itself);
- `extra_files: {path: text}`: files beside the config (dashboards);
- `disk: true`: compare with the tree on disk (the drift checks);
- `charts: true`: render the services' charts with helm (`validate --charts`); the helm of
  `scripts/test-tools` (`.tools/helm4`) is put first on PATH, or the case is skipped when a
  `helm: true` case has none; `helm: false` runs it with no helm on PATH;
- `any_file: true`: the config-mode diagnostics may point into another file;
- `fault:` a meshgen bug injected for the run (the X codes have no input that causes them):
  `{check_raises: C101}` makes that registered check raise; `{template_breaks: T}` appends
  an unparseable line to what template `T` renders, so the parse-back proof fails.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

CASES_DIR = Path(__file__).parent / "cases"

#: Keys a case may have: what it runs on, and what it expects.
INPUT_KEYS = {
    "config", "files", "dirs", "extra_files", "disk", "any_file", "fault", "charts", "helm"
}  # fmt: skip
#: The helm `scripts/test-tools` installs, for `charts: true` cases.
TOOLS_HELM = Path(__file__).resolve().parent.parent.parent / ".tools" / "helm4"
CASE_KEYS = {"name", "expect", *INPUT_KEYS}
FAULTS = {"check_raises", "template_breaks"}


def _load(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _all_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = _load(path)
        for case in data["cases"]:
            params.append(pytest.param(data["check"], case, id=f"{path.stem}-{case['name']}"))
    return params


def _inject(fault: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make meshgen itself fail the way `fault` says, for this test only."""
    assert set(fault) <= FAULTS, f"unknown fault {sorted(set(fault) - FAULTS)}"
    if "check_raises" in fault:
        import meshgen.checks as registry

        target = fault["check_raises"]
        checks = registry.all_checks()
        assert any(c.code == target for c in checks), f"no check {target} to break"

        def raises(ctx: Any) -> Any:
            raise RuntimeError(f"fault injected into {target}")

        broken = tuple(
            dataclasses.replace(c, function=raises) if c.code == target else c for c in checks
        )
        monkeypatch.setattr(registry, "_registry", lambda: broken)
    if "template_breaks" in fault:
        from meshgen.render import context

        template, render_parts = fault["template_breaks"], context.render_parts

        def breaking(name: str, **kwargs: Any) -> list[str]:
            parts = render_parts(name, **kwargs)
            return [*parts, "broken: [\n"] if name == template else parts

        monkeypatch.setattr(context, "render_parts", breaking)


def _run_case(code: str, case: dict[str, Any], tmp_path: Path) -> tuple[list[list[Any]], list[Any]]:
    """The case's diagnostics of `code` as [code, (file,) line, col], and all diagnostics."""
    from meshgen import api

    for rel in case.get("dirs") or ():
        (tmp_path / rel).mkdir(parents=True, exist_ok=True)
    got: list[list[Any]] = []
    if "files" not in case:
        config = tmp_path / "meshgen.yaml"
        if case.get("config") is not None:
            config.write_text(case["config"], encoding="utf-8")
        for rel, text in (case.get("extra_files") or {}).items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text, encoding="utf-8")
        project = api.load_project(config)
        diagnostics = api.validate_project(
            project, disk=bool(case.get("disk")), charts=bool(case.get("charts"))
        )
        for d in diagnostics:
            if d.code == code:
                assert Path(d.span.file).name in ("meshgen.yaml",) or case.get("any_file"), d
                got.append([d.code, d.span.line, d.span.col])
    else:
        from meshgen.checks.lint import lint_files

        paths = []
        for rel, text in case["files"].items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if text is not None:
                path.write_text(text, encoding="utf-8")
            paths.append(path)
        diagnostics = lint_files(paths)
        for d in diagnostics:
            if d.code == code:
                got.append([d.code, Path(d.span.file).name, d.span.line, d.span.col])
    return got, diagnostics


@pytest.mark.parametrize(("code", "case"), _all_cases())
def test_case(
    code: str, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from meshgen import api

    assert set(case) <= CASE_KEYS, f"unknown case keys {sorted(set(case) - CASE_KEYS)}"
    monkeypatch.chdir(tmp_path)
    if case.get("fault"):
        _inject(case["fault"], monkeypatch)
    if case.get("helm") is True:
        if not (TOOLS_HELM / "helm").is_file():
            pytest.skip("needs the real helm: run `python scripts/test-tools`")
        monkeypatch.setenv("PATH", f"{TOOLS_HELM}{os.pathsep}{os.environ.get('PATH', '')}")
    elif case.get("helm") is False:
        monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    got, diagnostics = _run_case(code, case, tmp_path)
    expected = [list(e) for e in case["expect"]]
    assert sorted(got, key=str) == sorted(expected, key=str)
    # Whoever emitted them (the loader, lint, the engine, the API), every diagnostic is named
    # and graded as the catalogue says (no case re-grades with a `checks:` section).
    entries = {entry.code: entry for entry in api.catalogue()}
    for d in diagnostics:
        assert d.code in entries, f"{d.code} is not in the catalogue: {d}"
        entry = entries[d.code]
        assert (d.name, d.severity, d.aliases) == (entry.name, entry.severity, entry.aliases), d


def test_every_code_has_failing_and_passing_cases() -> None:
    """Every catalogue entry (input, check and internal codes alike) has a case file."""
    from meshgen import api

    missing = []
    for entry in api.catalogue():
        path = CASES_DIR / f"{entry.code}.yaml"
        if not path.exists():
            missing.append(f"{entry.code}: no case file")
            continue
        data = _load(path)
        assert data["check"] == entry.code, path
        expects = [case["expect"] for case in data["cases"]]
        if not any(e for e in expects):
            missing.append(f"{entry.code}: no failing case")
        if not any(not e for e in expects):
            missing.append(f"{entry.code}: no passing case")
    assert not missing, "\n".join(missing)


def test_every_case_file_is_of_a_catalogued_code() -> None:
    from meshgen import api

    codes = {entry.code for entry in api.catalogue()}
    stray = sorted(p.name for p in CASES_DIR.glob("*.yaml") if p.stem not in codes)
    assert not stray, f"case files of codes the catalogue lacks: {stray}"
