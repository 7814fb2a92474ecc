"""Start helmfile and kubectl: argv lists (never a shell), binaries from PATH, timeouts.

The only module that starts external programs. helmfile runs with its output streamed
through as it comes (it can run for minutes and may ask questions with `-i`); kubectl runs
captured, usually with `-o json`. Every failure to find, start or finish a program is a
`ToolError` (exit 2) with a one-line message; a command line shown to the user has the
values of secret-looking settings replaced by `<redacted>`. Every helmfile process gets a
private temporary folder (`tempdirs`), removed when it ends: on success, failure, timeout,
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import codecs
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from meshgen.errors import ToolError
from meshgen.handoff import tempdirs
from meshgen.records import record

#: What to install when a program is missing (one line, shown after "not found on PATH").
INSTALL_HINTS = {
    "helmfile": "install helmfile v1 (https://helmfile.readthedocs.io/en/latest/#installation) "
    "together with helm and the helm-diff plugin",
    "kubectl": "install kubectl (https://kubernetes.io/docs/tasks/tools/) and point it at the "
    "cluster (kubectl config use-context ...)",
    "helm": "install helm (https://helm.sh/docs/intro/install/): helmfile runs it",
}

#: helmfile apply/sync waits for releases (`wait: true`, helmDefaults.timeout 600 s each).
HELMFILE_TIMEOUT = 3600.0
KUBECTL_TIMEOUT = 60.0
#: How long a stopped program gets to exit after SIGTERM before it is killed.
_GRACE = 10.0

#: kubectl stderr that means the cluster cannot be reached or the kubeconfig names none.
_UNREACHABLE = (
    "unable to connect to the server",
    "connection refused",
    "no such host",
    "i/o timeout",
    "no route to host",
    "network is unreachable",
    "tls handshake timeout",
    "couldn't get current server api group list",
    "the connection to the server",
    "context deadline exceeded",
    "no configuration has been provided",
    "context was not found",
)
#: `error: context "x" does not exist` (a bad --context)
_MISSING_CONTEXT = re.compile(r'context "[^"]*" does not exist')

_SECRET_WORD = re.compile(r"pass(word|wd)?|secret|token|credential|api[-_]?key|auth", re.I)
#: Flags whose whole value is a secret.
_SECRET_FLAGS = frozenset({"--token", "--password", "--kube-token", "--bearer-token"})
#: Flags whose value is a comma-separated list of key=value settings.
_SETTING_FLAGS = frozenset(
    {"--set", "--set-string", "--state-values-set", "--state-values-set-string", "--set-file"}
)
REDACTED = "<redacted>"


class ToolTimeoutError(ToolError):
    """A program did not finish within its time limit and was stopped (exit 2)."""


class ToolCrashedError(ToolError):
    """A program crashed (a Go panic): exit 1, never its own exit code (2 means "changes")."""

    exit_code = 1


class ClusterUnreachableError(ToolError):
    """kubectl ran but could not reach a cluster (exit 2)."""


class KubectlError(ToolError):
    """kubectl exited non-zero for another reason (exit 2); carries its result."""

    def __init__(self, message: str, result: Completed) -> None:
        super().__init__(message)
        self.result = result


@record
class Completed:
    """A finished captured run."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def find(tool: str) -> str:
    """The absolute path of `tool` on PATH, or a ToolError naming what to install."""
    path = shutil.which(tool)
    if path is None:
        hint = INSTALL_HINTS.get(tool, f"install {tool}")
        raise ToolError(f"{tool} not found on PATH: {hint}")
    return path


def _redact_settings(value: str) -> str:
    parts = []
    for item in value.split(","):
        key, eq, _ = item.partition("=")
        parts.append(f"{key}={REDACTED}" if eq and _SECRET_WORD.search(key) else item)
    return ",".join(parts)


def redact(argv: Sequence[str]) -> list[str]:
    """`argv` with secret values replaced (for display only; the real argv is run)."""
    shown: list[str] = []
    pending: str | None = None
    for arg in argv:
        if pending is not None:
            shown.append(REDACTED if pending in _SECRET_FLAGS else _redact_settings(arg))
            pending = None
            continue
        flag, eq, value = arg.partition("=")
        if flag in _SECRET_FLAGS | _SETTING_FLAGS and arg.startswith("--"):
            if not eq:
                pending = flag
                shown.append(arg)
            elif flag in _SECRET_FLAGS:
                shown.append(f"{flag}={REDACTED}")
            else:
                shown.append(f"{flag}={_redact_settings(value)}")
            continue
        shown.append(arg)
    return shown


def format_command(argv: Sequence[str]) -> str:
    """A shell-quoted, redacted command line to show the user."""
    return shlex.join(redact(argv))


def _start(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(list(argv), **kwargs)
    except OSError as exc:
        raise ToolError(
            f"cannot start {argv[0]}: {exc.strerror or exc}; check that it is an executable "
            f"for this machine"
        ) from exc


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _drain(process: subprocess.Popen[bytes]) -> None:
    """Collect a stopped program's pipes, but never wait on a child it left running.

    A wrapper script (a version-manager shim, `sh -c`) that is stopped can leave a child
    holding its stdout open: reading to the end would wait for that child, which may never
    end, so the pipes are read for the grace period and then closed.
    """
    try:
        process.communicate(timeout=_GRACE)
    except subprocess.TimeoutExpired:
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def stream(
    argv: Sequence[str], *, timeout: float | None, env: Mapping[str, str] | None = None
) -> int:
    """Run `argv`, copying its stdout/stderr to ours as it arrives; return its exit code.

    stdin is inherited so that interactive prompts (`helmfile apply -i`) work. Output is
    read in chunks, not lines, so a prompt without a newline shows at once. `env`: the
    child's whole environment (default: ours).
    """
    name = Path(argv[0]).name
    process = _start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    deadline = None if timeout is None else time.monotonic() + timeout
    targets = {
        process.stdout.fileno(): (sys.stdout, codecs.getincrementaldecoder("utf-8")("replace")),
        process.stderr.fileno(): (sys.stderr, codecs.getincrementaldecoder("utf-8")("replace")),
    }
    selector = selectors.DefaultSelector()
    for fd in targets:
        selector.register(fd, selectors.EVENT_READ)
    #: The end of its stderr, to tell a crash from an exit code that means something.
    tail = bytearray()
    try:
        while selector.get_map():
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                _stop(process)
                raise ToolTimeoutError(
                    f"{name} did not finish within {timeout:g} s and was stopped"
                )
            for key, _ in selector.select(remaining):
                fd = key.fd
                assert isinstance(fd, int)
                chunk = os.read(fd, 65536)
                target, decoder = targets[fd]
                if not chunk:
                    selector.unregister(fd)
                    target.write(decoder.decode(b"", final=True))
                    target.flush()
                    continue
                target.write(decoder.decode(chunk))
                target.flush()
                if fd == process.stderr.fileno():
                    tail = (tail + chunk)[-_TAIL:]
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.1)
        try:
            code = process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise ToolTimeoutError(
                f"{name} did not finish within {timeout:g} s and was stopped"
            ) from None
        if code != 0 and _GO_PANIC.search(tail.decode("utf-8", "replace")):
            raise ToolCrashedError(f"{name} crashed (a Go panic, exit {code}); its output is above")
        return code
    except KeyboardInterrupt:
        # The child got the same SIGINT (same process group); let it clean up first.
        try:
            process.wait(timeout=_GRACE)
        except subprocess.TimeoutExpired:
            _stop(process)
        raise
    finally:
        if process.poll() is None:  # a SIGTERM to meshgen (`_Terminated`), or any other way out
            _stop(process)
        selector.close()
        process.stdout.close()
        process.stderr.close()


#: How much of a streamed program's stderr is kept to recognise a crash.
_TAIL = 64 * 1024
#: A Go runtime panic: `panic: ...` and a goroutine dump.
_GO_PANIC = re.compile(r"^panic: |^goroutine \d+ \[", re.M)


def capture(
    argv: Sequence[str],
    *,
    timeout: float,
    input_text: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Completed:
    """Run `argv` with its output captured (and `input_text` on stdin; `env`: see `stream`)."""
    name = Path(argv[0]).name
    process = _start(
        argv,
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    data = input_text.encode("utf-8") if input_text is not None else None
    try:
        out, err = process.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        _drain(process)
        raise ToolTimeoutError(
            f"{name} did not finish within {timeout:g} s and was stopped: {format_command(argv)}"
        ) from None
    except KeyboardInterrupt:
        _stop(process)
        raise
    return Completed(
        tuple(argv),
        process.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
    )


def helmfile(args: Sequence[str], *, timeout: float | None = HELMFILE_TIMEOUT) -> int:
    """Run `helmfile <args>` streaming its output; return its exit code unchanged.

    helmfile's temporary files go to a private folder that is removed when it ends
    (`tempdirs.helmfile_env`); SIGTERM to meshgen stops helmfile and removes the folder
    before meshgen ends by that SIGTERM.
    """
    path = find("helmfile")
    with _sigterm_stops_the_run(), tempdirs.helmfile_env() as env:
        return stream([path, *args], timeout=timeout, env=env)


class _Terminated(BaseException):
    """SIGTERM arrived while helmfile ran (raised by `_sigterm_stops_the_run`'s handler).

    A BaseException, like KeyboardInterrupt, so that no `except Exception` swallows it.
    """


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # A second SIGTERM must not cut the cleanup short (SIGKILL still can).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _Terminated


@contextmanager
def _sigterm_stops_the_run() -> Iterator[None]:
    """SIGTERM during the block: unwind it (stopping the child, removing its folder), then die.

    Without this the default action ends meshgen on the spot, leaving helmfile running and
    its temporary folder behind. After the unwinding meshgen ends by the same SIGTERM, as it
    would have (exit status 143 in a shell). Only where SIGTERM would have ended meshgen: in
    the main thread with the default handler (an embedding program's handler is its own).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)
        raise  # not reached: the default action ends the process
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


#: helmfile commands that talk to the cluster, and those that need the helm-diff plugin.
_CLUSTER_COMMANDS = frozenset({"apply", "diff", "sync"})
_DIFF_COMMANDS = frozenset({"apply", "diff"})
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def helmfile_prerequisites(command: str, *, context: str | None = None) -> None:
    """Before helmfile starts: helm is there, helmfile can drive it, helm-diff, the cluster.

    Each problem is a ToolError with one line (exit 2) rather than helmfile's own failure
    later: helmfile 0.x panics on helm 4 (`error determining helm version`) or on a
    missing helm, and fails `diff`/`apply` without helm-diff with helm's usage text.
    """
    helmfile_path, helm_path = find("helmfile"), find("helm")
    with tempdirs.helmfile_env() as env:
        helmfile_version = _version_of([helmfile_path, "--version"], env=env)
    helm_version = _version_of([helm_path, "version", "--short"])
    if helmfile_version and helm_version and helmfile_version[0] == 0 and helm_version[0] >= 4:
        raise ToolError(
            f"helmfile {'.'.join(map(str, helmfile_version))} cannot drive helm "
            f"{'.'.join(map(str, helm_version))} (helmfile 0.x panics on helm 4): put helm 3 "
            "first on PATH, or upgrade helmfile"
        )
    if command in _DIFF_COMMANDS:
        plugins = capture([helm_path, "plugin", "list"], timeout=KUBECTL_TIMEOUT)
        if not any(line.split()[:1] == ["diff"] for line in plugins.stdout.splitlines()):
            raise ToolError(
                f"helmfile {command} needs the helm-diff plugin: "
                "helm plugin install https://github.com/databus23/helm-diff"
            )
    if command in _CLUSTER_COMMANDS:
        kube = ["--kube-context", context] if context else []
        listed = capture([helm_path, "list", "--max", "1", "-q", *kube], timeout=KUBECTL_TIMEOUT)
        if listed.returncode != 0:
            where = f"context {context}" if context else "the current kube context"
            detail = first_line(listed.stderr).removeprefix("Error: ")
            raise ClusterUnreachableError(
                f"cannot reach the Kubernetes cluster ({where}): {detail}"
            )


def _version_of(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None
) -> tuple[int, int, int] | None:
    result = capture(argv, timeout=KUBECTL_TIMEOUT, env=env)
    match = _VERSION.search(result.stdout + result.stderr)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def kubectl_argv(args: Sequence[str], *, context: str | None = None) -> list[str]:
    """`kubectl [--context X] <args>` with `kubectl` as the program name (for display)."""
    return ["kubectl", *(["--context", context] if context else []), *args]


def unreachable(stderr: str) -> bool:
    """Whether kubectl's stderr says the cluster cannot be reached."""
    lowered = stderr.lower()
    return any(marker in lowered for marker in _UNREACHABLE) or bool(
        _MISSING_CONTEXT.search(stderr)
    )


def first_line(text: str) -> str:
    """The first non-empty line of `text` (kubectl's error lines come first)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


#: A klog header (`E1125 13:02:11.123456   41233 memcache.go:265] `): kubectl's debug noise.
_KLOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] ")


def error_line(stderr: str) -> str:
    """The error line of kubectl, skipping klog lines (their summary comes last)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    plain = [line for line in lines if not _KLOG.match(line)]
    return (plain or lines or [""])[0]


def raise_for(result: Completed, *, context: str | None = None) -> None:
    """Turn a failed kubectl run into ClusterUnreachableError or KubectlError."""
    if result.returncode == 0:
        return
    detail = error_line(result.stderr) or f"exit code {result.returncode}"
    if unreachable(result.stderr):
        where = f" (context {context})" if context else " (current kubectl context)"
        raise ClusterUnreachableError(f"cannot reach the Kubernetes cluster{where}: {detail}")
    shown = format_command(("kubectl", *result.argv[1:]))
    raise KubectlError(f"`{shown}` failed with exit code {result.returncode}: {detail}", result)


def kubectl(
    args: Sequence[str],
    *,
    context: str | None = None,
    timeout: float = KUBECTL_TIMEOUT,
    input_text: str | None = None,
    check: bool = True,
) -> Completed:
    """Run kubectl captured; with `check`, a non-zero exit raises (see `raise_for`)."""
    argv = kubectl_argv(args, context=context)
    argv[0] = find("kubectl")
    result = capture(argv, timeout=timeout, input_text=input_text)
    if check:
        raise_for(result, context=context)
    return result


def kubectl_json(
    args: Sequence[str], *, context: str | None = None, timeout: float = KUBECTL_TIMEOUT
) -> Any:
    """`kubectl <args> -o json`, parsed."""
    import json

    result = kubectl([*args, "-o", "json"], context=context, timeout=timeout)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise KubectlError(
            f"`{format_command(('kubectl', *result.argv[1:]))}` printed no valid JSON: {exc}",
            result,
        ) from exc
