"""Run every check case file: tests/checks/cases/<CODE>.yaml.

A case file holds a check's failing and passing inputs with the exact diagnostics
(code, line, column) expected of that check:

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

Only the diagnostics of the case file's own check are compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

CASES_DIR = Path(__file__).parent / "cases"


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


def _run_case(code: str, case: dict[str, Any], tmp_path: Path) -> list[list[Any]]:
    from meshgen import api

    got: list[list[Any]] = []
    if "config" in case:
        config = tmp_path / "meshgen.yaml"
        config.write_text(case["config"], encoding="utf-8")
        for rel, text in (case.get("extra_files") or {}).items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text, encoding="utf-8")
        project = api.load_project(config)
        diagnostics = api.validate_project(project, disk=bool(case.get("disk")))
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
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        diagnostics = lint_files(paths)
        for d in diagnostics:
            if d.code == code:
                got.append([d.code, Path(d.span.file).name, d.span.line, d.span.col])
    return got


@pytest.mark.parametrize(("code", "case"), _all_cases())
def test_case(
    code: str, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    got = _run_case(code, case, tmp_path)
    expected = [list(e) for e in case["expect"]]
    assert sorted(got, key=str) == sorted(expected, key=str)


def test_every_check_has_failing_and_passing_cases() -> None:
    from meshgen.checks import ALL_CHECKS

    missing = []
    for chk in ALL_CHECKS:
        path = CASES_DIR / f"{chk.code}.yaml"
        if not path.exists():
            missing.append(f"{chk.code}: no case file")
            continue
        data = _load(path)
        assert data["check"] == chk.code, path
        expects = [case["expect"] for case in data["cases"]]
        if not any(e for e in expects):
            missing.append(f"{chk.code}: no failing case")
        if not any(not e for e in expects):
            missing.append(f"{chk.code}: no passing case")
    assert not missing, "\n".join(missing)


def test_registry_codes_unique_named_and_documented() -> None:
    import re

    from meshgen.checks import ALL_CHECKS

    codes = [c.code for c in ALL_CHECKS]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)
    for chk in ALL_CHECKS:
        assert re.fullmatch(r"[CTKHGDX]\d{3}", chk.code), chk.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", chk.name), chk.name
        doc = chk.doc
        assert doc, f"{chk.code} has no docstring"
        for section in ("Why", "Example", "Fix"):
            assert f"{section}:" in doc, f"{chk.code} docstring lacks '{section}:'"
