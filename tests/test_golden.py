"""Golden output trees: each tests/golden/<case>/meshgen.yaml renders exactly expected/.

Regenerate after an intended change with `pytest tests/test_golden.py --update-golden`
and review the diff before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from meshgen import api

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "meshgen.yaml").is_file())


@pytest.mark.parametrize("case", CASES)
def test_golden_tree(case: str, update_golden: bool) -> None:
    project = api.load_project(GOLDEN / case / "meshgen.yaml")
    assert project.rendered, [d.format_text() for d in project.diagnostics]
    expected_dir = GOLDEN / case / "expected"
    rendered = {f.path: f.text for f in project.files}
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, text in rendered.items():
            target = expected_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    on_disk = {
        p.relative_to(expected_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(expected_dir.rglob("*"))
        if p.is_file()
    }
    assert sorted(rendered) == sorted(on_disk)
    for rel, text in rendered.items():
        assert text == on_disk[rel], f"{case}/{rel} differs from the golden file"


def test_infrastructure_tree_is_committed_and_fresh() -> None:
    from meshgen import output

    config = Path(__file__).parent.parent / "infrastructure" / "meshgen.yaml"
    project = api.load_project(config)
    assert project.output_dir is not None
    plan = output.plan(project.files, project.output_dir)
    assert not plan.changed and not plan.conflicts, output.diff(
        project.files, project.output_dir, shown_dir="infrastructure/deployment/helmfile"
    )
