"""`meshgen lint` on the real-world regression corpus of issue 14 (tests/lint_corpus/).

Every case of tests/lint_corpus/expected.yaml lints its files together, the way a user runs
`meshgen lint --format json FILES...` from tests/lint_corpus/files, and checks:

- `report`: real problems (code, file, line) that must be among the findings;
- `not_report`: false alarms (code, file, line[, severity]) that must not be;
- `clean`: no diagnostic at all.

A case with `pending: "<issue item>"` waits for a fix: while any of its expectations fails the
test is an expected failure; once all hold, the test fails and asks to drop the mark (strict).
The files' origins (repository, commit, path, licence) are listed in tests/lint_corpus/MANIFEST.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

CORPUS = Path(__file__).parent / "lint_corpus"
FILES = CORPUS / "files"
CASE_KEYS = {"name", "files", "report", "not_report", "clean", "pending"}
#: The JSON diagnostics of each file set already linted (several cases read the same files).
_LINTED: dict[tuple[str, ...], list[dict[str, Any]]] = {}


@dataclass(frozen=True)
class Case:
    """One expectations entry of expected.yaml."""

    name: str
    files: tuple[str, ...]
    report: tuple[tuple[Any, ...], ...] = ()
    not_report: tuple[tuple[Any, ...], ...] = ()
    clean: bool = False
    pending: str | None = None


@dataclass
class Outcome:
    """What a case's expectations found wrong with one lint run."""

    problems: list[str] = field(default_factory=list)


def _load_cases() -> list[Case]:
    data = YAML(typ="safe").load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    cases = []
    for raw in data["cases"]:
        unknown = set(raw) - CASE_KEYS
        assert not unknown, f"{raw.get('name')}: unknown keys {sorted(unknown)}"
        cases.append(
            Case(
                name=raw["name"],
                files=tuple(raw["files"]),
                report=tuple(tuple(e) for e in raw.get("report") or ()),
                not_report=tuple(tuple(e) for e in raw.get("not_report") or ()),
                clean=bool(raw.get("clean", False)),
                pending=raw.get("pending"),
            )
        )
    return cases


CASES = _load_cases()


def _evaluate(case: Case, diagnostics: list[dict[str, Any]]) -> Outcome:
    found = {(d["code"], d["file"], d["line"]): d for d in diagnostics}
    out = Outcome()
    for code, file, line in case.report:
        if (code, file, line) not in found:
            out.problems.append(f"missing {code} at {file}:{line}")
    for entry in case.not_report:
        code, file, line = entry[:3]
        hit = found.get((code, file, line))
        if hit is None:
            continue
        if len(entry) == 4 and hit["severity"] != entry[3]:
            continue
        out.problems.append(
            f"false alarm {code} ({hit['severity']}) at {file}:{line}: {hit['message']}"
        )
    if case.clean:
        out.problems.extend(
            f"not clean: {d['code']} at {d['file']}:{d['line']}: {d['message']}"
            for d in diagnostics
        )
    return out


def test_corpus_files_exist_and_are_listed() -> None:
    manifest = (CORPUS / "MANIFEST.md").read_text(encoding="utf-8")
    on_disk = {str(p.relative_to(FILES)) for p in FILES.rglob("*") if p.is_file()}
    used = {f for case in CASES for f in case.files}
    assert used <= on_disk, sorted(used - on_disk)
    assert on_disk <= used, f"corpus files no case lints: {sorted(on_disk - used)}"
    unlisted = sorted(f for f in on_disk if f"`{f}`" not in manifest)
    assert not unlisted, f"files without an attribution line in MANIFEST.md: {unlisted}"
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"


def test_expectations_can_fail() -> None:
    """The evaluator itself: a missing finding, a false alarm, a severity and `clean`."""
    case = Case(
        name="probe",
        files=("a.yaml",),
        report=(("T116", "a.yaml", 3),),
        not_report=(("T108", "a.yaml", 5, "error"), ("T110", "a.yaml", 7)),
        clean=True,
    )
    diags = [
        {"code": "T108", "file": "a.yaml", "line": 5, "severity": "warning", "message": "m"},
        {"code": "T110", "file": "a.yaml", "line": 7, "severity": "error", "message": "m"},
    ]
    assert _evaluate(case, diags).problems == [
        "missing T116 at a.yaml:3",
        "false alarm T110 (error) at a.yaml:7: m",
        "not clean: T108 at a.yaml:5: m",
        "not clean: T110 at a.yaml:7: m",
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_lint_corpus_case(
    case: Case, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.files not in _LINTED:
        monkeypatch.chdir(FILES)
        result = run_cli("lint", "--format", "json", *case.files)
        assert result.code in (0, 1, 2), result.err
        _LINTED[case.files] = json.loads(result.out)["diagnostics"] if result.out.strip() else []
    outcome = _evaluate(case, _LINTED[case.files])
    if case.pending:
        if outcome.problems:
            pytest.xfail(f"pending ({case.pending}): " + "; ".join(outcome.problems))
        pytest.fail(
            f"case {case.name!r} now meets every expectation: drop its `pending` mark "
            f"({case.pending}) in tests/lint_corpus/expected.yaml"
        )
    assert not outcome.problems, "\n".join(outcome.problems)
