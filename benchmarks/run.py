"""Measure `meshgen check` (the pre-commit hook) as whole processes, against budgets.

    python benchmarks/run.py [--quick] [--cold] [--runs N] [--json OUT]

Every figure is the median wall time (time.perf_counter around a whole subprocess) of
several runs after one warm-up run. Commands compared with each other run round-robin in
the same loop, so machine noise hits all of them alike, and the report gives their ratio.
Budgets come from docs (DESIGN.md "Performance"); a missed budget is reported, never
fatal: the script exits 0 unless it cannot run at all.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python benchmarks/run.py` puts only benchmarks/ on the path
from benchmarks import scale  # noqa: E402

REFERENCE = ROOT / "infrastructure" / "meshgen.yaml"
SCHEMAS = ROOT / "schemas"
FLOOR_IMPORTS = "import click, pydantic, jinja2, ruamel.yaml, jsonschema"

#: Rendered manifests check-jsonschema validates: (schema file, glob under the output dir).
SCHEMA_TARGETS = (
    ("telemetry.schema.json", "manifests/telemetry/*.yaml"),
    ("namespace.schema.json", "manifests/namespaces/*.yaml"),
    ("job.schema.json", "traffic/*.yaml"),
)

FULL_CASES = ((10, 10), (100, 100), (1000, 500))
QUICK_CASES = ((3, 2), (10, 5), (30, 10))


# --- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One finished child process."""

    seconds: float
    max_rss_kb: int
    returncode: int


@dataclass
class Series:
    """The samples of one command, warm-up excluded."""

    name: str
    command: list[str]
    samples: list[Sample] = field(default_factory=list)

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return median(self.times)

    @property
    def peak_rss_mb(self) -> float:
        return max((s.max_rss_kb for s in self.samples), default=0) / 1024

    @property
    def returncodes(self) -> set[int]:
        return {s.returncode for s in self.samples}


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is zero or unknown."""
    if denominator != denominator or denominator == 0:  # NaN or zero
        return float("nan")
    return numerator / denominator


Runner = Callable[[Sequence[str], Path | None], "Sample"]


_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def split_env(command: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Leading `NAME=value` items (as `env` takes them) and the argv after them."""
    assignments: dict[str, str] = {}
    argv = list(command)
    while argv and _ASSIGNMENT.match(argv[0]):
        name, _, value = argv.pop(0).partition("=")
        assignments[name] = value
    return assignments, argv


def run_once(command: Sequence[str], cwd: Path | None = None, timeout: float = 3600) -> Sample:
    """Run a command to completion, output discarded; wall time and the child's peak RSS.

    Leading `NAME=value` items set the child's environment (no `env` process in between).
    `os.wait4` gives the rusage of exactly this child (ru_maxrss is in KiB on Linux).
    """
    assignments, argv = split_env(command)
    env = {**os.environ, **assignments} if assignments else None
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(elapsed, int(usage.ru_maxrss), proc.returncode)


#: The line `edit_then_run` keeps at the end of a config: a comment, so nothing renders
#: differently, yet the config's bytes change every run (as in a commit that edited it).
_EDIT_MARK = "# meshgen-benchmark-edit "


def bump_config(config: Path) -> None:
    """Change a config's bytes without changing what it means (a new trailing comment)."""
    text = config.read_text(encoding="utf-8")
    body, mark, count = text.rpartition(_EDIT_MARK)
    if not mark:
        body, count = text if text.endswith("\n") else text + "\n", "0"
    config.write_text(f"{body}{_EDIT_MARK}{int(count.strip() or 0) + 1}\n", encoding="utf-8")


def edit_then_run(command: Sequence[str], cwd: Path | None = None) -> Sample:
    """`run_once`, after editing the config a `meshgen check` command names.

    What a commit that changed the config costs: the config is read, rendered and checked
    again; the result caches (CEL analyses, schema results, parse-back proofs) hold what
    did not change.
    """
    if "check" in command and "-c" in command:
        bump_config(Path(command[list(command).index("-c") + 1]))
    return run_once(command, cwd)


def round_robin(
    commands: Mapping[str, Sequence[str]],
    runs: int,
    *,
    cwd: Path | None = None,
    warmup: bool = True,
    runner: Callable[[Sequence[str], Path | None], Sample] = run_once,
    time_cap: float | None = None,
) -> dict[str, Series]:
    """Warm up each command once, then run them interleaved `runs` times.

    The order rotates every round so no command always runs right after another. With
    `time_cap` (seconds), the number of rounds shrinks (to at least one) so that the
    timed rounds should fit in it, judged from the warm-up times.
    """
    series = {name: Series(name, list(cmd)) for name, cmd in commands.items()}
    names = list(series)
    if warmup:
        warm = sum(runner(series[n].command, cwd).seconds for n in names)
        if time_cap is not None and warm > 0:
            runs = max(1, min(runs, int(time_cap // warm)))
    for index in range(runs):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            series[name].samples.append(runner(series[name].command, cwd))
    return series


# --- budgets and the report -------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row of the report: a figure and, when it has one, its budget."""

    what: str
    value: float
    unit: str
    budget: float | None = None
    detail: str = ""

    @property
    def verdict(self) -> str:
        if self.budget is None:
            return "info"
        if self.value != self.value:  # NaN: nothing measured
            return "n/a"
        return "PASS" if self.value <= self.budget else "MISS"

    def figure(self) -> str:
        return fmt_value(self.value, self.unit)

    def budget_text(self) -> str:
        return "" if self.budget is None else "<= " + fmt_value(self.budget, self.unit)


def no_nan(value: Any) -> Any:
    """The value with NaN floats replaced by None, so the JSON is strict."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [no_nan(v) for v in value]
    return value


def fmt_value(value: float, unit: str) -> str:
    if value != value:
        return "n/a"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:g} {unit}".strip()


def format_table(lines: Sequence[Line]) -> str:
    """A fixed-width text table (also valid Markdown)."""
    header = ("What", "Figure", "Budget", "Verdict", "Detail")
    rows = [(ln.what, ln.figure(), ln.budget_text(), ln.verdict, ln.detail) for ln in lines]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([row(header), rule, *(row(r) for r in rows)])


def machine() -> dict[str, Any]:
    """CPU model, cores and Python: the context every figure needs."""
    model = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "commit": git_revision(),
        "cpu": model,
        "cores": os.cpu_count() or 0,
        "usable_cores": usable,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


def git_revision() -> str:
    """HEAD's short hash, with `+dirty` when meshgen's sources differ from it."""

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src", "templates", "schemas")
    return head + ("+dirty" if dirty else "")


def machine_line(info: Mapping[str, Any]) -> str:
    return (
        f"Machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"{info['implementation']} {info['python']}, {info['platform']}; "
        f"meshgen at {info['commit']}"
    )


def rc_note(*series: Series) -> str:
    """Mention any non-zero exit code: a failing check does not measure the clean path."""
    bad = [f"{s.name} exit {sorted(s.returncodes)}" for s in series if s.returncodes - {0}]
    return ("NOT CLEAN: " + ", ".join(bad)) if bad else ""


def join_detail(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# --- commands ---------------------------------------------------------------------------------


def meshgen_check(config: Path) -> list[str]:
    return [*scale.meshgen_command(), "check", "-c", str(config)]


def check_jsonschema_commands(output_dir: Path) -> dict[str, list[str]]:
    """One check-jsonschema process per schema, as three pre-commit hook entries would be."""
    exe = Path(sys.executable).with_name("check-jsonschema")
    commands: dict[str, list[str]] = {}
    for schema_name, pattern in SCHEMA_TARGETS:
        files = sorted(str(p) for p in output_dir.glob(pattern))
        if not files:
            continue
        schema = SCHEMAS / schema_name
        # The schemas' $id is a placeholder host; resolve their relative $refs from disk.
        commands[f"check-jsonschema {schema_name}"] = [
            str(exe),
            "--base-uri",
            schema.as_uri(),
            "--schemafile",
            str(schema),
            *files,
        ]
    return commands


def output_dir_of(config: Path) -> Path:
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(config.read_text(encoding="utf-8"))
    return (config.parent / str(data.get("output", "deployment/helmfile"))).resolve()


# --- profiles ---------------------------------------------------------------------------------

PROFILE_SCRIPT = """
import contextlib, cProfile, io, sys
from meshgen.cli import main
profile = cProfile.Profile()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    profile.enable()
    code = main(["check", "-c", sys.argv[1]])
    profile.disable()
profile.dump_stats(sys.argv[2])
print(code)
"""

#: Frames that only pass the call down (Click's dispatch, meshgen's CLI shell).
_WRAPPERS = re.compile(r"(^|/)(click/|meshgen/cli/__init__\.py|meshgen/cli/common\.py)")


@dataclass(frozen=True)
class ProfileRow:
    """One function of a cProfile run."""

    calls: int
    tottime: float
    cumtime: float
    where: str


def profile_rows(stats: pstats.Stats) -> list[ProfileRow]:
    """Every profiled function, with paths shortened (site-packages and src/ cut off)."""
    rows = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, line, name), (_, calls, tottime, cumtime, _) in raw.items():
        where = f"{short_path(filename)}:{line}({name})" if line else name
        rows.append(ProfileRow(calls, tottime, cumtime, where))
    return rows


def short_path(filename: str) -> str:
    filename = filename.replace(str(ROOT / "src") + "/", "")
    filename = re.sub(r".*/site-packages/", "", filename)
    return re.sub(r".*/lib/python3\.\d+/", "", filename)


def top_profile(rows: Sequence[ProfileRow], key: str, top: int) -> list[ProfileRow]:
    """The `top` rows by `cumtime` or `tottime`, CLI dispatch frames left out."""
    kept = [r for r in rows if not _WRAPPERS.search(r.where) and "{built-in" not in r.where]
    return sorted(kept, key=lambda r: -getattr(r, key))[:top]


def format_profile(rows: Sequence[ProfileRow], total: float) -> str:
    lines = [f"{'calls':>9} {'tottime':>8} {'cumtime':>8}  {'share':>5}  function"]
    for r in rows:
        share = 100 * r.cumtime / total if total else 0
        lines.append(f"{r.calls:>9} {r.tottime:8.3f} {r.cumtime:8.3f}  {share:4.0f}%  {r.where}")
    return "\n".join(lines)


def profile_check(config: Path, top: int = 15, top_self: int = 10) -> str:
    """cProfile of `meshgen check` in a fresh interpreter; top cumulative and self entries."""
    bump_config(config)  # profile a changed commit, as the default mode times it
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "check.prof"
        result = subprocess.run(
            [sys.executable, "-c", PROFILE_SCRIPT, str(config), str(dump)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if not dump.is_file():
            return f"profile failed ({result.returncode}): {result.stderr[-2000:]}"
        stats = pstats.Stats(str(dump))
    rows = profile_rows(stats)
    total = float(stats.total_tt)  # type: ignore[attr-defined]
    return "\n".join(
        [
            f"exit code {result.stdout.strip()}; {total:.2f} s profiled "
            "(cProfile overhead included; Click dispatch frames left out)",
            f"top {top} by cumulative time:",
            format_profile(top_profile(rows, "cumtime", top), total),
            f"top {top_self} by own time:",
            format_profile(top_profile(rows, "tottime", top_self), total),
        ]
    )


@dataclass(frozen=True)
class ImportTime:
    """One line of `python -X importtime`: self and cumulative microseconds, depth, module."""

    self_us: int
    cumulative_us: int
    depth: int
    module: str


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")


def parse_importtime(stderr: str) -> list[ImportTime]:
    """Parse `-X importtime` output (the header line and other stderr are skipped)."""
    rows = []
    for text in stderr.splitlines():
        match = _IMPORT_LINE.match(text)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            rows.append(
                ImportTime(int(self_us), int(cumulative_us), (len(indent) - 1) // 2, module)
            )
    return rows


def import_summary(rows: Sequence[ImportTime], top: int = 15) -> dict[str, Any]:
    """Total import time, the top packages by summed self time, the top meshgen modules."""
    by_package: dict[str, int] = {}
    for row in rows:
        root = row.module.split(".", 1)[0]
        by_package[root] = by_package.get(root, 0) + row.self_us
    packages = sorted(by_package.items(), key=lambda item: -item[1])[:top]
    own = sorted(
        (r for r in rows if r.module.split(".", 1)[0] == "meshgen"),
        key=lambda r: -r.cumulative_us,
    )[:top]
    own_self = sorted(
        (r for r in rows if r.module.split(".", 1)[0] == "meshgen"), key=lambda r: -r.self_us
    )[:top]
    return {
        "total_us": sum(r.self_us for r in rows),
        "modules": len(rows),
        "packages": packages,
        "meshgen": [(r.module, r.cumulative_us, r.self_us) for r in own],
        "meshgen_self": [(r.module, r.self_us) for r in own_self],
    }


def importtime_check(config: Path) -> dict[str, Any]:
    bump_config(config)  # a changed commit, as the default mode times it
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "meshgen", "check", "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return import_summary(parse_importtime(result.stderr))


def format_imports(summary: Mapping[str, Any]) -> str:
    lines = [
        f"{summary['modules']} modules imported, {summary['total_us'] / 1000:.0f} ms in imports",
        "top packages by import time (self time summed over the package's modules):",
    ]
    lines += [f"  {us / 1000:8.1f} ms  {name}" for name, us in summary["packages"]]
    lines.append("meshgen modules by cumulative import time (includes what they import):")
    lines += [f"  {cum / 1000:8.1f} ms  {name}" for name, cum, _ in summary["meshgen"]]
    lines.append("meshgen modules by own import time (module body only):")
    lines += [f"  {us / 1000:8.1f} ms  {name}" for name, us in summary["meshgen_self"]]
    return "\n".join(lines)


# --- the benchmark ----------------------------------------------------------------------------


@dataclass
class Report:
    machine: dict[str, Any]
    mode: str
    lines: list[Line] = field(default_factory=list)
    medians: dict[str, float] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    profile: str = ""
    reference_profile: str = ""
    imports: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0

    def record(self, group: Mapping[str, Series]) -> None:
        for s in group.values():
            self.medians[s.name] = s.median
            self.runs[s.name] = len(s.samples)

    def text(self) -> str:
        parts = [
            machine_line(self.machine),
            f"Mode: {self.mode}; wall time per whole process, median after one warm-up run",
            "",
            format_table(self.lines),
            "",
            "Medians (runs):",
            *(f"  {fmt_value(v, 's'):>9}  ({self.runs[k]})  {k}" for k, v in self.medians.items()),
            "",
            "Import time of `meshgen check` on the reference config (python -X importtime):",
            format_imports(self.imports) if self.imports else "  (not measured)",
            "",
            "cProfile of `meshgen check` on the reference config (in-process, fresh interpreter):",
            self.reference_profile or "  (not measured)",
            "",
            "cProfile of `meshgen check` on the largest case (in-process, fresh interpreter):",
            self.profile or "  (not measured)",
            "",
            f"Harness wall time: {self.elapsed:.0f} s",
        ]
        return "\n".join(parts)


#: Every cache off: a first run on a fresh machine (or in a CI job without a kept cache).
NO_CACHE = "MESHGEN_NO_CACHE=1"


def bench_floor(report: Report, runs: int, reference: Path, runner: Runner) -> None:
    """The reference check (caches as the mode says, then every cache off) and `--help`,
    each against the bare import floor, all in one round-robin group."""
    python = sys.executable
    group = round_robin(
        {
            "meshgen check (reference)": meshgen_check(reference),
            "meshgen check (reference, no caches)": [NO_CACHE, *meshgen_check(reference)],
            "meshgen --help": [*scale.meshgen_command(), "--help"],
            "python -c import (floor)": [python, "-c", FLOOR_IMPORTS],
            "python -c pass": [python, "-c", "pass"],
        },
        runs,
        cwd=ROOT,
        runner=runner,
    )
    report.record(group)
    floor = group["python -c import (floor)"]
    for name, what, budget in (
        ("meshgen check (reference)", "check (reference) / import floor", 1.5),
        ("meshgen check (reference, no caches)", "check (reference, no caches) / floor", 2.0),
        ("meshgen --help", "meshgen --help / import floor", 0.6),
    ):
        series = group[name]
        report.lines.append(
            Line(
                what,
                ratio(series.median, floor.median),
                "x",
                budget,
                join_detail(
                    f"{fmt_value(series.median, 's')} vs {fmt_value(floor.median, 's')}",
                    rc_note(series, floor),
                ),
            )
        )


def bench_check_jsonschema(report: Report, runs: int, reference: Path, runner: Runner) -> None:
    commands = check_jsonschema_commands(output_dir_of(reference))
    group = round_robin(
        {"meshgen check (reference, vs check-jsonschema)": meshgen_check(reference), **commands},
        runs,
        cwd=ROOT,
        runner=runner,
    )
    report.record(group)
    check = group["meshgen check (reference, vs check-jsonschema)"]
    others = [s for name, s in group.items() if name != check.name]
    total = sum(s.median for s in others)
    report.lines.append(
        Line(
            "check (reference) / check-jsonschema",
            ratio(check.median, total),
            "x",
            1.0,
            join_detail(
                f"{fmt_value(check.median, 's')} vs {fmt_value(total, 's')} "
                f"({len(others)} check-jsonschema runs: Telemetry, Namespace, Job)",
                rc_note(check, *others),
            ),
        )
    )


def bench_scaling(
    report: Report,
    runs: int,
    cases: Sequence[tuple[int, int]],
    workdir: Path,
    time_cap: float,
    runner: Runner,
) -> Path:
    """Generate each case, time `check` on all of them interleaved; return the largest config."""
    configs: dict[str, Path] = {}
    for services, dashboards in cases:
        started = time.perf_counter()
        path = scale.generate(
            workdir / f"s{services}-d{dashboards}", scale.Scale(services, dashboards)
        )
        print(
            f"  generated {services} services / {dashboards} dashboards "
            f"(with render) in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        configs[f"check N={services} services, {dashboards} dashboards"] = path
    group = round_robin(
        {name: meshgen_check(path) for name, path in configs.items()},
        runs,
        cwd=ROOT,
        time_cap=time_cap,
        runner=runner,
    )
    report.record(group)
    ordered = list(group.values())
    small, middle, large = ordered[0], ordered[-2], ordered[-1]
    (s_small, _), (s_mid, _), (s_large, d_large) = cases[0], cases[-2], cases[-1]
    for series, (services, dashboards) in zip(ordered, cases, strict=True):
        is_budgeted = (services, dashboards) == (1000, 500)
        report.lines.append(
            Line(
                f"check N={services} / {dashboards} dashboards",
                series.median,
                "s",
                3.0 if is_budgeted else None,
                join_detail(f"{len(series.samples)} run(s)", rc_note(series)),
            )
        )
    # N=1000 over N=100 at most 12x: linear growth with 20% slack, generalized to any step.
    step = s_large / s_mid
    report.lines.append(
        Line(
            f"check N={s_large} / N={s_mid}",
            ratio(large.median, middle.median),
            "x",
            round(1.2 * step, 2),
            f"services x{step:g}, dashboards x{d_large / cases[-2][1]:g}",
        )
    )
    report.lines.append(
        Line(
            f"check N={s_mid} / N={s_small}",
            ratio(middle.median, small.median),
            "x",
            None,
            f"services x{s_mid / s_small:g}",
        )
    )
    report.lines.append(
        Line(
            f"peak RSS, check N={s_large} / {d_large} dashboards",
            large.peak_rss_mb,
            "MB",
            200.0,
            "max ru_maxrss of the child (os.wait4)",
        )
    )
    return configs[large.name]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller N (< 1 min)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per command")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--time-cap",
        type=float,
        default=None,
        help="seconds the timed scaling rounds may take; fewer rounds when slow (default 300)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="generate the cases here")
    parser.add_argument("--no-profile", action="store_true", help="skip cProfile and importtime")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no caches at all (MESHGEN_NO_CACHE=1): a first run on a fresh machine",
    )
    args = parser.parse_args(argv)
    # What a commit that changed the config costs: every run first edits the config (a
    # comment). Default: the result caches keep what did not change (they live in a folder
    # of the benchmark's own); --cold: every cache off, as on a fresh machine.
    runner: Runner = edit_then_run
    if args.cold:
        os.environ["MESHGEN_NO_CACHE"] = "1"
    # A pip install compiles bytecode; this environment sets PYTHONDONTWRITEBYTECODE, so
    # compile meshgen once here rather than time its compilation in every run.
    import compileall

    compileall.compile_dir(str(ROOT / "src" / "meshgen"), quiet=1)
    runs = args.runs or (3 if args.quick else 7)
    cases = QUICK_CASES if args.quick else FULL_CASES
    time_cap = args.time_cap if args.time_cap is not None else (20.0 if args.quick else 300.0)
    started = time.perf_counter()
    cache_mode = (
        "changed commit, no caches (cold: MESHGEN_NO_CACHE=1)"
        if args.cold
        else "changed commit (config edited before every run; result caches on)"
    )
    mode = ("quick" if args.quick else "full") + ", " + cache_mode
    report = Report(machine(), mode)
    print(machine_line(report.machine), file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="meshgen-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        os.environ.setdefault("MESHGEN_CACHE_DIR", str(workdir / "cache"))
        # The reference project is copied: the default mode edits the config it checks.
        reference_dir = workdir / "reference"
        shutil.copytree(REFERENCE.parent, reference_dir, dirs_exist_ok=True)
        reference = reference_dir / REFERENCE.name
        print("timing the reference check against the import floor...", file=sys.stderr)
        bench_floor(report, runs, reference, runner)
        print("timing the reference check against check-jsonschema...", file=sys.stderr)
        bench_check_jsonschema(report, runs, reference, runner)
        print(f"scaling cases {list(cases)} in {workdir}...", file=sys.stderr)
        largest = bench_scaling(report, runs, cases, workdir, time_cap, runner)
        if not args.no_profile:
            print("importtime of the reference check...", file=sys.stderr)
            report.imports = importtime_check(reference)
            report.reference_profile = profile_check(reference)
            print("cProfile of the largest case...", file=sys.stderr)
            report.profile = profile_check(largest)
    report.elapsed = time.perf_counter() - started
    print(report.text())
    if args.json:
        payload = {
            "machine": report.machine,
            "mode": report.mode,
            "lines": [{**asdict(ln), "verdict": ln.verdict} for ln in report.lines],
            "medians_s": report.medians,
            "runs": report.runs,
            "imports": report.imports,
            "profile": report.profile,
            "reference_profile": report.reference_profile,
            "elapsed_s": report.elapsed,
        }
        text = json.dumps(no_nan(payload), indent=2, default=str, allow_nan=False)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
