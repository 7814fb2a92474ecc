"""`meshgen.handoff.runner`: PATH lookup, streaming, capture, timeouts, start failures, redaction."""

from __future__ import annotations

import sys
import time

import pytest

from meshgen.errors import ToolError
from meshgen.handoff import runner


def script(standins, name, body):
    path = standins.bin / name
    path.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_find_names_what_to_install(standins):
    with pytest.raises(ToolError) as info:
        runner.find("kubectl")
    assert str(info.value) == (
        "kubectl not found on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) "
        "and point it at the cluster (kubectl config use-context ...)"
    )
    assert info.value.exit_code == 2


def test_stream_copies_output_as_it_comes_and_returns_the_code(standins, capsys):
    path = script(
        standins,
        "tool",
        (
            "sys.stdout.write('Do you really want to apply? [y/N]: '); sys.stdout.flush()\n"
            "sys.stderr.write('Ünïcode log\\n'); sys.exit(3)"
        ),
    )
    assert runner.stream([path], timeout=30) == 3
    captured = capsys.readouterr()
    assert captured.out == "Do you really want to apply? [y/N]: "
    assert captured.err == "Ünïcode log\n"


def test_stream_timeout_stops_the_program(standins):
    path = script(standins, "slow", "print('started', flush=True); time.sleep(60)")
    began = time.monotonic()
    with pytest.raises(runner.ToolTimeoutError, match=r"slow did not finish within 0\.5 s"):
        runner.stream([path], timeout=0.5)
    assert time.monotonic() - began < 15


def test_capture_timeout(standins):
    path = script(standins, "slow", "time.sleep(60)")
    with pytest.raises(runner.ToolTimeoutError, match=r"slow did not finish within 0\.3 s"):
        runner.capture([path], timeout=0.3)


def test_a_program_that_cannot_start_is_a_tool_error(standins):
    path = standins.bin / "helmfile"
    path.write_text("#!/nonexistent/interpreter\n", encoding="utf-8")
    path.chmod(0o755)
    with pytest.raises(ToolError, match=r"^cannot start .*helmfile: No such file or directory"):
        runner.helmfile(["version"])


def test_capture_passes_stdin(standins):
    path = script(standins, "echo", "sys.stdout.write(sys.stdin.read().upper())")
    result = runner.capture([path], timeout=30, input_text="kind: Job\n")
    assert (result.returncode, result.stdout, result.stderr) == (0, "KIND: JOB\n", "")


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (
            ["--set", "adminPassword=s3cret,replicas=2"],
            ["--set", "adminPassword=<redacted>,replicas=2"],
        ),
        (["--set=grafana.admin.token=abc"], ["--set=grafana.admin.token=<redacted>"]),
        (["--state-values-set", "apiKey=1"], ["--state-values-set", "apiKey=<redacted>"]),
        (["--token", "abc"], ["--token", "<redacted>"]),
        (["--token=abc"], ["--token=<redacted>"]),
        (["--set", "image.tag=1.4.2"], ["--set", "image.tag=1.4.2"]),
        (["diff", "--detailed-exitcode"], ["diff", "--detailed-exitcode"]),
    ],
)
def test_redact(argv, shown):
    assert runner.redact(argv) == shown


def test_format_command_quotes_and_redacts():
    assert runner.format_command(["helmfile", "--set", "password=a b", "x y"]) == (
        "helmfile --set 'password=<redacted>' 'x y'"
    )


@pytest.mark.parametrize(
    ("stderr", "unreachable"),
    [
        (
            "The connection to the server localhost:8080 was refused - did you specify the right "
            "host or port?",
            True,
        ),
        ("Unable to connect to the server: net/http: TLS handshake timeout", True),
        ('error: context "kind-prod" does not exist', True),
        ('Error from server (NotFound): namespaces "inference" not found', False),
        ('error: the server doesn\'t have a resource type "telemetries"', False),
    ],
)
def test_unreachable(stderr, unreachable):
    assert runner.unreachable(stderr) is unreachable


def test_raise_for_names_the_command_without_the_binary_path():
    result = runner.Completed(("/usr/local/bin/kubectl", "get", "pods"), 1, "", "\nboom\nmore\n")
    with pytest.raises(runner.KubectlError) as info:
        runner.raise_for(result)
    assert str(info.value) == "`kubectl get pods` failed with exit code 1: boom"
