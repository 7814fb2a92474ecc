"""`meshgen traffic`: run the rendered fortio Job, wait for it, summarize what fortio saw.

The Job manifest comes from the rendered tree in memory; `--qps`/`--duration` change a
copy of it, which is serialized again by `yaml_writer.dump` and handed to `kubectl apply -f -`.
A Job's pod template cannot be changed in place, so an earlier run is deleted first.

fortio (1.6x) prints its results as text on stdout and its log lines as JSON on stderr;
`kubectl logs` interleaves both. `parse_fortio` reads the text part line by line.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import field
from typing import Any

from meshgen.errors import UsageError
from meshgen.handoff import runner
from meshgen.models import MeshConfig, Service
from meshgen.records import record
from meshgen.render import naming, yaml_writer
from meshgen.render.files import Tree

FORTIO_CONTAINER = "fortio"
#: Time beyond the load duration for pulling the image and starting the sidecar.
START_MARGIN = 180.0

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}

_HEADER = re.compile(r"^Fortio (?P<version>\S+) running at .* for (?P<span>.+?): (?P<url>\S+)$")
_ENDED = re.compile(r"^Ended after (?P<elapsed>\S+) : (?P<calls>\d+) calls\. qps=(?P<qps>[\d.]+)")
_STATS = re.compile(
    r"^(?P<name>.+?) : count (?P<count>\d+) avg (?P<avg>\S+) \+/- \S+ min (?P<min>\S+) "
    r"max (?P<max>\S+) sum \S+"
)
_TARGET = re.compile(r"^# target (?P<pct>[\d.]+)% (?P<value>\S+)$")
_CODE = re.compile(r"^Code\s+(?P<code>-?\d+) : (?P<count>\d+)(?: \((?P<pct>[\d.]+) %\))?$")
_ALL_DONE = re.compile(
    r"^All done (?P<calls>\d+) calls \(plus (?P<warmup>\d+) warmup\) (?P<avg_ms>[\d.]+) ms avg, "
    r"(?P<qps>[\d.]+) qps$"
)
_FUNCTION_TIME = "Aggregated Function Time"


def go_duration_seconds(text: str) -> float:
    """Seconds in a Go duration ("60s", "1m30s", "1.5h"); UsageError when it is not one."""
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise UsageError(f"{text!r} is not a duration like 60s, 2m or 1m30s")
    return total


@record(frozen=False)
class FortioResult:
    """What fortio reported: latencies in seconds, achieved qps, response code counts."""

    version: str = ""
    url: str = ""
    calls: int = 0
    elapsed: str = ""
    qps: float = 0.0
    avg: float | None = None
    min: float | None = None
    max: float | None = None
    percentiles: dict[str, float] = field(default_factory=dict)
    codes: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def complete(self) -> bool:
        return bool(self.calls and self.percentiles)


def parse_fortio(lines: Iterable[str]) -> FortioResult:
    """Read fortio's text output; JSON log lines and unknown lines are skipped."""
    result = FortioResult()
    section = ""
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line or line.startswith("{"):
            continue
        if match := _TARGET.match(line):
            if section == _FUNCTION_TIME:
                result.percentiles[match["pct"]] = float(match["value"])
            continue
        if line.startswith(("#", ">", "[")):
            continue  # histogram buckets and per-connection lines stay in their section
        stats = _STATS.match(line)
        section = stats["name"] if stats else ""
        if stats and section == _FUNCTION_TIME:
            result.avg, result.min, result.max = (
                float(stats["avg"]),
                float(stats["min"]),
                float(stats["max"]),
            )
        elif stats and section == "Error cases":
            result.errors = int(stats["count"])
        elif match := _HEADER.match(line):
            result.version, result.url = match["version"], match["url"]
        elif match := _ENDED.match(line):
            result.elapsed, result.calls = match["elapsed"], int(match["calls"])
            result.qps = float(match["qps"])
        elif match := _CODE.match(line):
            result.codes[int(match["code"])] = int(match["count"])
        elif match := _ALL_DONE.match(line):
            result.calls, result.qps = int(match["calls"]), float(match["qps"])
    return result


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def format_summary(result: FortioResult, *, target_qps: int, duration: str) -> str:
    """The latency summary printed after a run."""
    total = sum(result.codes.values()) or result.calls
    lines = [
        f"fortio {result.version}: {result.calls} calls to {result.url} "
        f"in {result.elapsed or duration}, {result.qps:g} qps (asked {target_qps})",
        f"latency ms: avg {_ms(result.avg)}  min {_ms(result.min)}  max {_ms(result.max)}",
        "percentiles ms: "
        + "  ".join(f"p{pct} {_ms(value)}" for pct, value in result.percentiles.items()),
        "responses: "
        + ", ".join(
            f"{'socket error' if code == -1 else code} x{count} ({100 * count / total:.1f} %)"
            for code, count in sorted(result.codes.items())
        ),
    ]
    return "\n".join(lines) + "\n"


def pick_service(config: MeshConfig, name: str | None) -> Service:
    """The service named, or the only one with a traffic test."""
    tested = [s for s in config.services if s.traffic_test is not None]
    if name is not None:
        for svc in config.services:
            if svc.name == name:
                if svc.traffic_test is None:
                    raise UsageError(f"service {name!r} has no trafficTest in the config")
                return svc
        have = ", ".join(s.name for s in config.services)
        raise UsageError(f"no service {name!r} in the config (have: {have})")
    if len(tested) != 1:
        names = ", ".join(s.name for s in tested) or "none"
        raise UsageError(f"pass --service NAME (services with a trafficTest: {names})")
    return tested[0]


def job_manifest(project: Tree, service: Service) -> dict[str, Any]:
    """A deep copy of the rendered fortio Job of `service`."""
    path = naming.traffic_file(service.name)
    for rendered in project.files:
        if rendered.path == path and rendered.documents:
            return copy.deepcopy(dict(rendered.documents[0]))
    raise UsageError(f"the rendered tree has no {path}")


def with_overrides(job: dict[str, Any], *, qps: int | None, duration: str | None) -> dict[str, Any]:
    """The Job with fortio's `-qps` / `-t` arguments replaced (the job is changed in place)."""
    containers = job["spec"]["template"]["spec"]["containers"]
    fortio = next(c for c in containers if c.get("name") == FORTIO_CONTAINER)
    args: list[str] = fortio["args"]
    for flag, value in (("-qps", qps), ("-t", duration)):
        if value is None:
            continue
        index = args.index(flag)
        args[index + 1] = str(value)
    return job


def _arg(job: dict[str, Any], flag: str) -> str:
    containers = job["spec"]["template"]["spec"]["containers"]
    args: list[str] = next(c for c in containers if c.get("name") == FORTIO_CONTAINER)["args"]
    return args[args.index(flag) + 1]


def dashboard_hint(config: MeshConfig, service: Service) -> str:
    """Which Grafana dashboard shows the run."""
    host = f"{service.name}.{service.namespace}.svc.cluster.local"
    grafana = config.monitoring.grafana
    board = next(
        (
            d
            for d in (grafana.dashboards if grafana else ())
            if d.gnet_id == 7636 or "service" in d.name
        ),
        None,
    )
    where = f"folder {board.folder!r}, " if board else ""
    return (
        f"Open Grafana (make grafana-ui, then http://localhost:3000): {where}"
        f'"Istio Service Dashboard", Service = {host}\n'
    )


@record
class TrafficRun:
    """The outcome of `run`: whether the Job completed, fortio's result, the summary text."""

    completed: bool
    result: FortioResult
    logs: str


#: Seconds of one `kubectl wait` while the Job runs; between two, its pod's state is read.
WAIT_STEP = 10


def pod_state(pods: Any) -> str:
    """The state of the Job's newest pod, as shown in progress lines.

    `Pending (ContainerCreating)`, `Running`, `Succeeded`, `Failed (Error)`; `no pod yet`.
    """
    items = pods.get("items") if isinstance(pods, dict) else None
    if not items:
        return "no pod yet"
    pod = max(items, key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp", "")))
    phase = str((pod.get("status") or {}).get("phase") or "Unknown")
    reasons = []
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        state = status.get("state") or {}
        for kind in ("waiting", "terminated"):
            reason = (state.get(kind) or {}).get("reason")
            if reason and reason != "Completed" and reason not in reasons:
                reasons.append(str(reason))
    name = str((pod.get("metadata") or {}).get("name") or "pod")
    return f"pod {name}: {phase}" + (f" ({', '.join(reasons)})" if reasons else "")


def job_failed(job: Any) -> bool:
    """Whether the Job has given up (condition Failed: backoff limit or deadline)."""
    conditions = (job.get("status") or {}).get("conditions") or [] if isinstance(job, dict) else []
    return any(c.get("type") == "Failed" and c.get("status") == "True" for c in conditions)


def run(
    project: Tree,
    service: Service,
    *,
    qps: int | None = None,
    duration: str | None = None,
    context: str | None = None,
    timeout: float | None = None,
    progress: Callable[[str], None] = lambda _line: None,
    ticker: Callable[[str], None] | None = None,
) -> TrafficRun:
    """Delete an earlier run, apply the Job, wait for it, and read fortio's output.

    `progress` receives a line per step and per change of the Job's pod state (kubectl's
    own messages, what is awaited, `Pending (ContainerCreating)` -> `Running`). The wait is
    `kubectl wait` in steps of `WAIT_STEP` seconds; between two, the pod's state is read,
    and a failed Job ends the wait at once. `ticker`, when given (a terminal), also gets
    the elapsed time after each step, to show on a line that is rewritten.
    """
    job = with_overrides(job_manifest(project, service), qps=qps, duration=duration)
    name = str(job["metadata"]["name"])
    namespace = str(job["metadata"]["namespace"])
    wait_s = timeout if timeout is not None else go_duration_seconds(_arg(job, "-t")) + START_MARGIN
    runner.kubectl(
        ["delete", "job", name, "-n", namespace, "--ignore-not-found", "--wait=true"],
        context=context,
        timeout=runner.KUBECTL_TIMEOUT * 2,
    )
    applied = runner.kubectl(
        ["apply", "-f", "-"], context=context, input_text=yaml_writer.dump(job)
    )
    progress(runner.first_line(applied.stdout) or f"job.batch/{name} applied")
    progress(f"waiting up to {int(wait_s)}s for job/{name} in {namespace} to complete")
    completed = _wait(name, namespace, int(wait_s), context, progress, ticker)
    logs = runner.kubectl(
        ["logs", f"job/{name}", "-n", namespace, "-c", FORTIO_CONTAINER],
        context=context,
        check=completed,
    )
    text = logs.stdout if logs.returncode == 0 else ""
    return TrafficRun(completed, parse_fortio(text.splitlines()), text)


def _wait(
    name: str,
    namespace: str,
    total: int,
    context: str | None,
    progress: Callable[[str], None],
    ticker: Callable[[str], None] | None,
) -> bool:
    """Wait for the Job to complete, reporting its pod's state changes; whether it did.

    Elapsed time is the clock's (`_now`), read once after each `kubectl wait`.
    """
    start = _now()
    waited_s = 0
    last = ""
    while True:
        step = max(1, min(WAIT_STEP, total - waited_s))
        waited = runner.kubectl(
            [
                "wait",
                "--for=condition=complete",
                f"job/{name}",
                "-n",
                namespace,
                f"--timeout={step}s",
            ],
            context=context,
            timeout=step + runner.KUBECTL_TIMEOUT,
            check=False,
        )
        if waited.returncode != 0 and runner.unreachable(waited.stderr):
            runner.raise_for(waited, context=context)
        waited_s = max(0, int(_now() - start))
        if waited.returncode == 0:
            if ticker is not None:
                ticker("")
            progress(f"job/{name} complete after {_clock(waited_s)}")
            return True
        pods = runner.kubectl_json(
            ["get", "pods", "-n", namespace, "-l", f"job-name={name}"], context=context
        )
        state = pod_state(pods)
        if state != last:
            if ticker is not None:
                ticker("")
            progress(state)
            last = state
        failed = job_failed(
            runner.kubectl_json(["get", f"job/{name}", "-n", namespace], context=context)
        )
        if failed or waited_s >= total:
            if ticker is not None:
                ticker("")
            outcome = "failed" if failed else "still not complete"
            progress(f"job/{name} {outcome} after {_clock(waited_s)}")
            return False
        if ticker is not None:
            ticker(f"waiting for job/{name}: {_clock(waited_s)} of {_clock(total)}, {state}")


def _now() -> float:
    """Seconds on a monotonic clock (replaced in tests, which never wait)."""
    import time

    return time.monotonic()


def _clock(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"
