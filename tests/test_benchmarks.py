"""The benchmark generator makes valid projects; the harness's pure helpers compute right.

No timing is asserted here: `benchmarks/run.py` reports budgets, it does not gate on them.
"""

from __future__ import annotations

import json
import math
import pstats
from collections.abc import Sequence
from pathlib import Path

import pytest
from benchmarks import run, scale

from meshgen import api
from meshgen.diagnostics import Severity

SMALL = scale.Scale(services=3, dashboards=2, panels=6)


def _errors(config: Path, *, disk: bool = False) -> list[str]:
    project = api.load_project(config)
    diagnostics = api.validate_project(project, disk=disk)
    return [d.format_text() for d in diagnostics if d.severity >= Severity.ERROR]


# --- the generator ----------------------------------------------------------------------------


def test_generated_project_validates_without_errors(tmp_path: Path) -> None:
    config = scale.write_project(tmp_path, SMALL)
    project = api.load_project(config)
    assert project.loaded.config is not None
    assert project.rendered
    assert _errors(config) == []
    cfg = project.loaded.config
    assert [s.name for s in cfg.services] == ["svc-0000", "svc-0001", "svc-0002"]
    assert {s.namespace for s in cfg.services} == {n.name for n in cfg.namespaces}
    # the mesh-wide Telemetry plus one per service, each with a bounded CEL label
    assert len(cfg.telemetry.resources) == 1 + SMALL.services
    values = [
        tag.value
        for resource in cfg.telemetry.resources
        for metrics in resource.metrics
        for override in metrics.overrides
        for tag in override.tag_overrides.values()
        if tag.value
    ]
    assert values and all(v.endswith(": 'other'") and " in [" in v for v in values)
    assert cfg.monitoring.grafana is not None
    dashboards = cfg.monitoring.grafana.dashboards
    assert [d.file for d in dashboards] == [
        "dashboards/board-0000.json",
        "dashboards/board-0001.json",
    ]
    assert project.inputs is not None and set(project.inputs.dashboard_files) == {
        "board-0000",
        "board-0001",
    }


def test_generated_dashboards_have_panels_and_grafana_variables(tmp_path: Path) -> None:
    scale.write_project(tmp_path, SMALL)
    board = json.loads((tmp_path / "dashboards" / "board-0001.json").read_text())
    assert len(board["panels"]) == SMALL.panels
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert all("istio_" in e and "$__rate_interval" in e and "$namespace" in e for e in exprs)
    assert {v["name"] for v in board["templating"]["list"]} == {
        "datasource",
        "namespace",
        "workload",
    }


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = scale.write_project(tmp_path / "a", SMALL)
    second = scale.write_project(tmp_path / "b", SMALL)
    assert first.read_bytes() == second.read_bytes()
    assert (tmp_path / "a/dashboards/board-0000.json").read_bytes() == (
        tmp_path / "b/dashboards/board-0000.json"
    ).read_bytes()


def test_generate_renders_a_fresh_tree(tmp_path: Path) -> None:
    config = scale.generate(tmp_path, scale.Scale(services=2, dashboards=1, panels=2))
    output = tmp_path / scale.OUTPUT_DIR
    assert (output / "helmfile.yaml").is_file()
    assert len(list(output.glob("manifests/telemetry/*.yaml"))) == 3
    # check = validate + freshness (D101/D102): nothing stale right after generating
    assert _errors(config, disk=True) == []


def test_scale_cli_writes_without_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = scale.main(
        ["--services", "2", "--dashboards", "1", "--out", str(tmp_path), "--no-render"]
    )
    assert code == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "meshgen.yaml")
    assert not (tmp_path / scale.OUTPUT_DIR).exists()


# --- the harness's pure helpers -----------------------------------------------------------------


def test_median_and_ratio() -> None:
    assert run.median([3.0, 1.0, 2.0]) == 2.0
    assert run.median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert math.isnan(run.median([]))
    assert run.ratio(3.0, 2.0) == 1.5
    assert math.isnan(run.ratio(1.0, 0.0))
    assert math.isnan(run.ratio(1.0, float("nan")))


def test_line_verdicts() -> None:
    assert run.Line("a", 1.5, "x", 1.5).verdict == "PASS"
    assert run.Line("a", 1.51, "x", 1.5).verdict == "MISS"
    assert run.Line("a", 1.0, "s").verdict == "info"
    assert run.Line("a", float("nan"), "s", 3.0).verdict == "n/a"


def test_fmt_value() -> None:
    assert run.fmt_value(0.1234, "s") == "123 ms"
    assert run.fmt_value(2.5, "s") == "2.50 s"
    assert run.fmt_value(4.5, "x") == "4.50x"
    assert run.fmt_value(199.6, "MB") == "200 MB"
    assert run.fmt_value(float("nan"), "s") == "n/a"


def test_format_table_aligns_columns() -> None:
    table = run.format_table(
        [
            run.Line("check / floor", 4.5, "x", 1.5, "535 ms vs 119 ms"),
            run.Line("check N=10", 0.9, "s"),
        ]
    )
    lines = table.splitlines()
    assert len(lines) == 4
    assert len({len(line) for line in lines}) == 1
    assert "| MISS " in lines[2] and "<= 1.50x" in lines[2]
    assert "| info " in lines[3] and "900 ms" in lines[3]


def _fake_runner(log: list[str], seconds: float = 1.0):  # type: ignore[no-untyped-def]
    def runner(command: Sequence[str], cwd: Path | None) -> run.Sample:
        log.append(command[0])
        return run.Sample(seconds, 1024 * len(log), 0)

    return runner


def test_round_robin_warms_up_then_rotates() -> None:
    log: list[str] = []
    group = run.round_robin({"a": ["a"], "b": ["b"]}, 3, runner=_fake_runner(log))
    # one warm-up each, then rounds a b / b a / a b
    assert log == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert [len(s.samples) for s in group.values()] == [3, 3]
    assert group["a"].median == 1.0
    assert group["b"].peak_rss_mb == 8.0
    assert group["a"].returncodes == {0}


def test_round_robin_time_cap_keeps_at_least_one_round() -> None:
    log: list[str] = []
    group = run.round_robin(
        {"a": ["a"], "b": ["b"]}, 5, runner=_fake_runner(log, 10.0), time_cap=45.0
    )
    assert [len(s.samples) for s in group.values()] == [2, 2]  # 45 s // 20 s per round
    group = run.round_robin({"a": ["a"]}, 5, runner=_fake_runner([], 100.0), time_cap=1.0)
    assert len(group["a"].samples) == 1


def test_rc_note_flags_unclean_checks() -> None:
    clean = run.Series("ok", ["x"], [run.Sample(1.0, 1, 0)])
    stale = run.Series("stale", ["x"], [run.Sample(1.0, 1, 1)])
    assert run.rc_note(clean) == ""
    assert run.rc_note(clean, stale) == "NOT CLEAN: stale exit [1]"


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |   _io
import time:      2000 |       5000 | pydantic
import time:      3000 |       3000 |   pydantic.main
import time:       500 |       9000 | meshgen.cli
import time:      1500 |       1500 |   meshgen.analysis.promql
some other stderr line
"""


def test_parse_importtime_and_summary() -> None:
    rows = run.parse_importtime(IMPORTTIME)
    assert [r.module for r in rows] == [
        "_io",
        "pydantic",
        "pydantic.main",
        "meshgen.cli",
        "meshgen.analysis.promql",
    ]
    assert rows[0].depth == 1 and rows[1].depth == 0
    summary = run.import_summary(rows, top=2)
    assert summary["total_us"] == 7100
    assert summary["packages"] == [("pydantic", 5000), ("meshgen", 2000)]
    assert summary["meshgen"][0] == ("meshgen.cli", 9000, 500)
    assert summary["meshgen_self"][0] == ("meshgen.analysis.promql", 1500)
    text = run.format_imports(summary)
    assert "5 modules imported, 7 ms in imports" in text


def test_top_profile_skips_cli_dispatch_frames(tmp_path: Path) -> None:
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    sorted(str(i) for i in range(2000))
    profile.disable()
    dump = tmp_path / "p.prof"
    profile.dump_stats(str(dump))
    rows = run.profile_rows(pstats.Stats(str(dump)))
    assert rows and all(r.calls >= 1 for r in rows)
    rows.append(run.ProfileRow(1, 0.0, 99.0, "click/core.py:1(invoke)"))
    rows.append(run.ProfileRow(1, 0.0, 50.0, "meshgen/api.py:68(load_project)"))
    top = run.top_profile(rows, "cumtime", 3)
    assert top[0].where == "meshgen/api.py:68(load_project)"
    assert len(top) <= 3
    assert "load_project" in run.format_profile(top, 100.0)


def test_no_nan_makes_strict_json() -> None:
    data = run.no_nan({"a": float("nan"), "b": [1.0, float("nan")], "c": ("x",)})
    assert json.dumps(data, allow_nan=False) == '{"a": null, "b": [1.0, null], "c": ["x"]}'


def test_check_jsonschema_commands_cover_rendered_kinds(tmp_path: Path) -> None:
    (tmp_path / "manifests/telemetry").mkdir(parents=True)
    (tmp_path / "manifests/telemetry/t.yaml").write_text("kind: Telemetry\n")
    (tmp_path / "traffic").mkdir()
    (tmp_path / "traffic/j.yaml").write_text("kind: Job\n")
    commands = run.check_jsonschema_commands(tmp_path)
    assert set(commands) == {
        "check-jsonschema telemetry.schema.json",
        "check-jsonschema job.schema.json",
    }
    job = commands["check-jsonschema job.schema.json"]
    assert job[-1] == str(tmp_path / "traffic/j.yaml")
    assert "--base-uri" in job and (run.SCHEMAS / "job.schema.json").as_uri() in job


def test_machine_names_cpu_cores_and_python() -> None:
    info = run.machine()
    assert info["cores"] >= 1 and info["python"].count(".") == 2
    assert run.machine_line(info).startswith("Machine: ")


def test_bump_config_changes_bytes_not_meaning(tmp_path: Path) -> None:
    from meshgen.load.config import load_text

    config = tmp_path / "meshgen.yaml"
    config.write_text("istio: {version: 1.30.3}")
    seen = set()
    for _ in range(3):
        run.bump_config(config)
        text = config.read_text()
        seen.add(text)
        assert (
            load_text(text, "meshgen.yaml").config
            == load_text("istio: {version: 1.30.3}\n", "meshgen.yaml").config
        )
    assert len(seen) == 3
    assert config.read_text().count(run._EDIT_MARK) == 1


def test_split_env_takes_leading_assignments_only() -> None:
    env, argv = run.split_env(["MESHGEN_NO_CACHE=1", "A_B=x=y", "meshgen", "check", "K=v"])
    assert env == {"MESHGEN_NO_CACHE": "1", "A_B": "x=y"}
    assert argv == ["meshgen", "check", "K=v"]
    assert run.split_env(["python", "-c", "pass"]) == ({}, ["python", "-c", "pass"])


def test_run_once_passes_the_assignments_to_the_child(tmp_path: Path) -> None:
    import sys

    out = tmp_path / "seen"
    code = f"import os; open({str(out)!r}, 'w').write(os.environ.get('MESHGEN_NO_CACHE', '-'))"
    assert run.run_once(["MESHGEN_NO_CACHE=1", sys.executable, "-c", code]).returncode == 0
    assert out.read_text() == "1"


def test_the_floor_group_reports_warm_cold_and_help_against_the_floor(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def runner(command: Sequence[str], cwd: Path | None) -> run.Sample:
        seen.append(list(command))
        env, argv = run.split_env(command)
        if argv[-1] == "--help":
            return run.Sample(0.05, 1, 0)
        if "check" in argv:
            return run.Sample(0.3 if env else 0.15, 1, 0)
        return run.Sample(0.1, 1, 0)  # the floor and `pass`

    report = run.Report({}, "test")
    run.bench_floor(report, 3, tmp_path / "meshgen.yaml", runner)
    lines = {line.what: line for line in report.lines}
    assert [line.budget for line in report.lines] == [1.5, 2.0, 0.6]
    assert lines["check (reference) / import floor"].value == pytest.approx(1.5)
    assert lines["check (reference, no caches) / floor"].value == pytest.approx(3.0)
    assert lines["check (reference, no caches) / floor"].verdict == "MISS"
    assert lines["meshgen --help / import floor"].value == pytest.approx(0.5)
    assert any(c[0] == "MESHGEN_NO_CACHE=1" for c in seen)


def test_no_mode_replays_a_run_cache() -> None:
    source = Path(run.__file__).read_text(encoding="utf-8")
    assert "--cache" not in source and "replay" not in source.lower()
    with pytest.raises(SystemExit):
        run.main(["--cache", "--quick"])
