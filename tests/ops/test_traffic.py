"""`meshgen traffic`: the fortio Job applied with overrides, waited for, its output summarized."""

from __future__ import annotations

import json

import pytest

from meshgen.errors import UsageError
from meshgen.handoff.traffic import go_duration_seconds, parse_fortio
from meshgen.load import yaml_reader
from meshgen.render import yaml_writer
from tests.ops.conftest import RECORDED
from tests.yaml_data import typed

JOB = "inference-balancer-traffic-test"
LOG = RECORDED / "fortio" / "load-inference-balancer.log"

SUMMARY = """\
fortio 1.69.1: 1200 calls to http://inference-balancer.inference.svc.cluster.local:8080/v1/infer in 1m0.006470511s, 20 qps (asked 20)
latency ms: avg 14.7  min 4.8  max 81.2
percentiles ms: p50 13.3  p75 18.2  p90 24.3  p99 45.0  p99.9 69.9
responses: 200 x1198 (99.8 %), 503 x2 (0.2 %)
Open Grafana (make grafana-ui, then http://localhost:3000): folder 'istio', "Istio Service Dashboard", Service = inference-balancer.inference.svc.cluster.local
"""


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The wait's clock: 10 s more at each reading (each `kubectl wait` step); nothing waits."""
    import itertools

    from meshgen.handoff import traffic

    def set_readings(readings):
        it = iter(readings)
        monkeypatch.setattr(traffic, "_now", lambda: float(next(it)))

    set_readings(itertools.count(0, 10))
    return set_readings


def pods_json(*states):
    """`kubectl get pods -o json` of the Job's pod in `states` (phase, waiting reason)."""
    items = []
    for phase, reason in states:
        status = {"phase": phase}
        if reason:
            status["containerStatuses"] = [
                {"name": "fortio", "state": {"waiting": {"reason": reason}}}
            ]
        items.append(
            {
                "metadata": {"name": f"{JOB}-x7k2p", "creationTimestamp": "2026-12-01T10:00:00Z"},
                "status": status,
            }
        )
    return json.dumps({"items": items})


def job_run(standins, *, steps=("10s",), wait_codes=(0,), pods=(), failed=False, context=None):
    """Stand-in kubectl for a run: `kubectl wait` answers `wait_codes` in turn, one per step
    of `steps`; between two, the pod is in the next of `pods` and the Job `failed` or not."""
    standins.install("kubectl")
    pre = ["--context", context] if context else []
    standins.on(
        "kubectl",
        *pre,
        "delete",
        "job",
        JOB,
        "-n",
        "inference",
        "--ignore-not-found",
        "--wait=true",
        stdout=f'job.batch "{JOB}" deleted\n',
    )
    standins.on("kubectl", *pre, "apply", "-f", "-", stdout=f"job.batch/{JOB} created\n")
    for step, code in zip(steps, wait_codes, strict=True):
        standins.on(
            "kubectl",
            *pre,
            "wait",
            "--for=condition=complete",
            f"job/{JOB}",
            "-n",
            "inference",
            f"--timeout={step}",
            code=code,
            stdout="" if code else f"job.batch/{JOB} condition met\n",
            stderr=f"error: timed out waiting for the condition on jobs/{JOB}\n" if code else "",
        )
    get_pods = ("get", "pods", "-n", "inference", "-l", f"job-name={JOB}", "-o", "json")
    for state in pods:
        standins.on("kubectl", *pre, *get_pods, stdout=pods_json(*state))
    conditions = [{"type": "Failed", "status": "True"}] if failed else []
    standins.on(
        "kubectl",
        *pre,
        "get",
        f"job/{JOB}",
        "-n",
        "inference",
        "-o",
        "json",
        stdout=json.dumps({"status": {"conditions": conditions}}),
    )
    standins.on(
        "kubectl",
        *pre,
        "logs",
        f"job/{JOB}",
        "-n",
        "inference",
        "-c",
        "fortio",
        stdout_file="fortio/load-inference-balancer.log",
    )
    return pre


def rendered_job(project_dir):
    from meshgen import api

    project = api.load_project(project_dir / "meshgen.yaml")
    return next(f for f in project.files if f.path.startswith("traffic/")).documents[0]


def test_traffic_runs_the_rendered_job_and_prints_the_summary(standins, project_dir, run_cli):
    job_run(standins)

    result = run_cli("traffic", "-c", "meshgen.yaml")

    assert result.code == 0, result
    assert result.out == SUMMARY
    assert result.err == (
        f"job.batch/{JOB} created\nwaiting up to 240s for job/{JOB} in inference to complete\n"
        f"job/{JOB} complete after 10s\n"
    )
    calls = standins.calls()
    assert [c["args"][:2] for c in calls] == [
        ["delete", "job"],
        ["apply", "-f"],
        ["wait", "--for=condition=complete"],
        ["logs", f"job/{JOB}"],
    ]
    applied = yaml_reader.load_all_data(calls[1]["stdin"], "stdin")
    assert typed(applied) == typed([rendered_job(project_dir)])


def test_overrides_change_a_copy_of_the_manifest(standins, project_dir, run_cli):
    pre = job_run(standins, context="prod")

    result = run_cli(
        "traffic",
        "-c",
        "meshgen.yaml",
        "--qps",
        "50",
        "--duration",
        "2m",
        "--service",
        "inference-balancer",
        "--context",
        "prod",
    )

    assert result.code == 0, result
    applied = standins.calls()[1]
    assert applied["args"] == [*pre, "apply", "-f", "-"]
    expected = rendered_job(project_dir)
    args = expected["spec"]["template"]["spec"]["containers"][0]["args"]
    args[args.index("-qps") + 1] = "50"
    args[args.index("-t") + 1] = "2m"
    assert applied["stdin"] == yaml_writer.dump(expected)
    assert "(asked 50)" in result.out
    # the rendered file on disk (if any) and the in-memory tree are not changed
    assert rendered_job(project_dir)["spec"]["template"]["spec"]["containers"][0]["args"][2] == "20"


def test_a_job_that_does_not_complete_is_exit_1(standins, project_dir, run_cli, clock):
    clock([0, 10, 15])
    job_run(standins, steps=("10s", "5s"), wait_codes=(1, 1), pods=[[("Running", None)]])
    result = run_cli("traffic", "-c", "meshgen.yaml", "--timeout", "15")
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        f"job.batch/{JOB} created\nwaiting up to 15s for job/{JOB} in inference to complete\n"
        f"pod {JOB}-x7k2p: Running\n"
        f"job/{JOB} still not complete after 15s\n"
        f"meshgen: job/{JOB} did not complete; see kubectl -n inference describe job/{JOB}\n"
    )
    waits = [c["args"][-1] for c in standins.calls() if c["args"][0] == "wait"]
    assert waits == ["--timeout=10s", "--timeout=5s"]


def test_progress_is_a_line_per_pod_state_change(standins, project_dir, run_cli):
    job_run(
        standins,
        steps=("10s", "10s", "10s", "10s"),
        wait_codes=(1, 1, 1, 0),
        pods=[
            [("Pending", "ContainerCreating")],
            [("Running", None)],
            [("Running", None)],
        ],
    )
    result = run_cli("traffic", "-c", "meshgen.yaml")
    assert result.code == 0, result
    # the third step's pod is still Running: no line for it
    assert result.err == (
        f"job.batch/{JOB} created\nwaiting up to 240s for job/{JOB} in inference to complete\n"
        f"pod {JOB}-x7k2p: Pending (ContainerCreating)\n"
        f"pod {JOB}-x7k2p: Running\n"
        f"job/{JOB} complete after 40s\n"
    )


def test_a_failed_job_ends_the_wait_at_once(standins, project_dir, run_cli):
    job_run(standins, wait_codes=(1,), pods=[[("Failed", "Error")]], failed=True)
    result = run_cli("traffic", "-c", "meshgen.yaml")
    assert result.code == 1
    assert result.err == (
        f"job.batch/{JOB} created\nwaiting up to 240s for job/{JOB} in inference to complete\n"
        f"pod {JOB}-x7k2p: Failed (Error)\n"
        f"job/{JOB} failed after 10s\n"
        f"meshgen: job/{JOB} did not complete; see kubectl -n inference describe job/{JOB}\n"
    )
    assert [c["args"][0] for c in standins.calls()].count("wait") == 1


def test_unknown_service_and_bad_duration_are_usage_errors(standins, project_dir, run_cli):
    standins.install("kubectl")
    result = run_cli("traffic", "-c", "meshgen.yaml", "--service", "checkout")
    assert (result.code, result.err) == (
        2,
        "meshgen: error: no service 'checkout' in the config (have: inference-balancer)\n",
    )
    result = run_cli("traffic", "-c", "meshgen.yaml", "--duration", "a minute")
    assert (result.code, result.err) == (
        2,
        "meshgen: error: 'a minute' is not a duration like 60s, 2m or 1m30s\n",
    )
    assert standins.calls() == []


def test_missing_kubectl_is_exit_2(standins, project_dir, run_cli):
    result = run_cli("traffic", "-c", "meshgen.yaml")
    assert result.code == 2
    assert result.err.startswith("meshgen: error: kubectl not found on PATH")


def test_parse_fortio_reads_the_function_time_section_only():
    result = parse_fortio(LOG.read_text().splitlines())
    assert result.version == "1.69.1"
    assert result.url == "http://inference-balancer.inference.svc.cluster.local:8080/v1/infer"
    assert (result.calls, result.qps, result.elapsed) == (1200, 20.0, "1m0.006470511s")
    assert (result.avg, result.min, result.max) == (0.014672351, 0.004811342, 0.081226715)
    # not the "Error cases" nor the "Connection time histogram" targets that follow
    assert result.percentiles == {
        "50": 0.0132715,
        "75": 0.0182195,
        "90": 0.0243145,
        "99": 0.045,
        "99.9": 0.0698824,
    }
    assert result.codes == {200: 1198, 503: 2}
    assert result.errors == 2
    assert result.complete


def test_parse_fortio_socket_errors_and_missing_codes_percent():
    text = ["Code  -1 : 2 (0.1 %)", "Code 200 : 3964 (99.9 %)", "Code 200 : 40"]
    assert parse_fortio(text).codes == {-1: 2, 200: 40}
    assert not parse_fortio(["some unrelated log line"]).complete


@pytest.mark.parametrize(
    ("text", "seconds"), [("60s", 60), ("1m30s", 90), ("2m", 120), ("1.5h", 5400), ("500ms", 0.5)]
)
def test_go_durations(text, seconds):
    assert go_duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "60", "1 m", "m1", "60s ", "1d"])
def test_bad_go_durations(text):
    with pytest.raises(UsageError):
        go_duration_seconds(text)


def test_on_a_terminal_a_ticker_line_shows_the_elapsed_time(standins, project_dir):
    from meshgen import api

    job_run(standins, steps=("10s", "10s"), wait_codes=(1, 0), pods=[[("Running", None)]])
    project = api.load_project(project_dir / "meshgen.yaml")
    service = api.traffic_service(project, None)
    lines, ticks = [], []
    outcome = api.run_traffic(project, service, progress=lines.append, ticker=ticks.append)
    assert outcome.completed
    assert lines[-2:] == [f"pod {JOB}-x7k2p: Running", f"job/{JOB} complete after 20s"]
    # cleared before each line, then the status after the first step, cleared at the end
    assert ticks == ["", f"waiting for job/{JOB}: 10s of 4m00s, pod {JOB}-x7k2p: Running", ""]
