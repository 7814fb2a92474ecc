"""helmfile's temporary files go to a private folder that meshgen removes (handoff/tempdirs.py).

A stand-in helmfile (a Python script on PATH) reports the environment it was started with
and writes what helmfile 0.166 leaves behind (a `chartify<digits>/<ns>/<release>` chart, a
values file) into the folders it was given; the system temp folder is a private one per
test (`tempfile.tempdir`), so the tests see every entry meshgen or the child made there.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from meshgen.errors import ToolError
from meshgen.handoff import runner, tempdirs

REPO = Path(__file__).resolve().parent.parent.parent

#: What the stand-in does: report its env and folder, leave chartify's and helmfile's files.
STANDIN = """\
import json, os, sys, time
env = {name: os.environ.get(name) for name in ("HELMFILE_TEMPDIR", "CHARTIFY_TEMPDIR", "TMPDIR")}
folder = env["CHARTIFY_TEMPDIR"]
info = {"env": env, "pid": os.getpid()}
if folder and os.path.isdir(folder):
    info["mode"] = os.stat(folder).st_mode & 0o777
    chart = os.path.join(folder, "chartify1006719372", "istio-system", "mesh-telemetry")
    os.makedirs(os.path.join(chart, "templates"))
    with open(os.path.join(chart, "Chart.yaml"), "w") as f:
        f.write("name: mesh-telemetry\\n")
    with open(os.path.join(env["HELMFILE_TEMPDIR"], "helmfile123-values"), "w") as f:
        f.write("a: 1\\n")
    info["system"] = sorted(os.listdir(os.environ["SYSTEM_TMP"]))
{extra}
with open(os.environ["REPORT"], "w") as f:
    json.dump(info, f)
{after}
"""


@pytest.fixture
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private system temp folder; none of the three variables set by the user."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    for name in tempdirs.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SYSTEM_TMP", str(folder))
    monkeypatch.setenv("REPORT", str(tmp_path / "report.json"))
    return folder


def fake_helmfile(standins, extra: str = "", after: str = "sys.exit(0)") -> None:
    path = standins.bin / "helmfile"
    script = STANDIN.replace("{extra}", extra).replace("{after}", after)
    path.write_text(f"#!{sys.executable}\n{script}", encoding="utf-8")
    path.chmod(0o755)


def report(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))


def test_helmfile_gets_one_private_folder_for_all_three_and_it_is_removed(
    standins, system_tmp, tmp_path
):
    fake_helmfile(standins)
    assert runner.helmfile(["template"]) == 0
    info = report(tmp_path)
    folder = info["env"]["HELMFILE_TEMPDIR"]
    assert info["env"] == dict.fromkeys(tempdirs.VARIABLES, folder)
    assert Path(folder).parent == system_tmp
    assert Path(folder).name.startswith("meshgen-helmfile-")
    assert info["mode"] == 0o700
    assert info["system"] == [Path(folder).name]  # its own files went into the folder
    assert sorted(system_tmp.iterdir()) == []


def test_the_folder_is_removed_when_helmfile_fails(standins, system_tmp, tmp_path):
    fake_helmfile(standins, after="sys.exit(3)")
    assert runner.helmfile(["apply"]) == 3
    assert Path(report(tmp_path)["env"]["TMPDIR"]).name.startswith("meshgen-helmfile-")
    assert sorted(system_tmp.iterdir()) == []


def test_the_folder_is_removed_when_helmfile_is_stopped_at_its_timeout(
    standins, system_tmp, tmp_path
):
    fake_helmfile(standins, after="time.sleep(60)")
    with pytest.raises(runner.ToolTimeoutError, match=r"helmfile did not finish within 1 s"):
        runner.helmfile(["sync"], timeout=1)
    assert report(tmp_path)["mode"] == 0o700
    assert sorted(system_tmp.iterdir()) == []


def test_the_folder_is_removed_when_helmfile_cannot_start(standins, system_tmp):
    path = standins.bin / "helmfile"
    path.write_text("#!/nonexistent/interpreter\n", encoding="utf-8")
    path.chmod(0o755)
    with pytest.raises(ToolError, match=r"^cannot start .*helmfile"):
        runner.helmfile(["template"])
    assert sorted(system_tmp.iterdir()) == []


def test_a_variable_the_user_set_is_kept(standins, system_tmp, tmp_path, monkeypatch):
    theirs = tmp_path / "their-helmfile-tmp"
    theirs.mkdir()
    monkeypatch.setenv("HELMFILE_TEMPDIR", str(theirs))
    monkeypatch.setenv("TMPDIR", "")  # empty is unset: helmfile would use /tmp
    fake_helmfile(standins)
    assert runner.helmfile(["template"]) == 0
    env = report(tmp_path)["env"]
    assert env["HELMFILE_TEMPDIR"] == str(theirs)
    assert env["CHARTIFY_TEMPDIR"] == env["TMPDIR"]
    assert Path(env["TMPDIR"]).parent == system_tmp
    # Their folder is theirs: what helmfile wrote there stays.
    assert [p.name for p in theirs.iterdir()] == ["helmfile123-values"]
    assert sorted(system_tmp.iterdir()) == []


def test_no_folder_is_made_when_the_user_set_all_three(standins, system_tmp, tmp_path, monkeypatch):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    for name in tempdirs.VARIABLES:
        monkeypatch.setenv(name, str(theirs))
    fake_helmfile(standins)
    assert runner.helmfile(["template"]) == 0
    info = report(tmp_path)
    assert info["env"] == dict.fromkeys(tempdirs.VARIABLES, str(theirs))
    assert info["system"] == []
    assert sorted(p.name for p in theirs.iterdir()) == ["chartify1006719372", "helmfile123-values"]


def test_a_link_planted_in_the_folder_is_removed_not_followed(standins, system_tmp, tmp_path):
    victim = tmp_path / "victim"
    (victim / "keep").mkdir(parents=True)
    (victim / "keep" / "data.txt").write_text("precious\n", encoding="utf-8")
    plant = (
        f"os.symlink({str(victim)!r}, os.path.join(folder, 'link-to-dir'))\n"
        f"os.symlink({str(victim / 'keep' / 'data.txt')!r}, os.path.join(folder, 'link-to-file'))"
    )
    fake_helmfile(standins, extra=plant)
    assert runner.helmfile(["template"]) == 0
    assert sorted(system_tmp.iterdir()) == []
    assert (victim / "keep" / "data.txt").read_text(encoding="utf-8") == "precious\n"


def test_a_folder_replaced_by_a_link_is_left_and_said(standins, system_tmp, tmp_path, capsys):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "data.txt").write_text("precious\n", encoding="utf-8")
    swap = f"os.rename(folder, {str(tmp_path / 'moved')!r})\nos.symlink({str(victim)!r}, folder)"
    fake_helmfile(standins, extra=swap)
    assert runner.helmfile(["template"]) == 0
    folder = report(tmp_path)["env"]["TMPDIR"]
    assert capsys.readouterr().err == (
        f"meshgen: warning: could not remove helmfile's temporary folder {folder}\n"
    )
    assert Path(folder).is_symlink()  # neither the link nor what it points to is removed
    assert (victim / "data.txt").read_text(encoding="utf-8") == "precious\n"


def test_a_folder_that_cannot_be_made_is_a_tool_error(standins, tmp_path, monkeypatch):
    for name in tempdirs.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    missing = tmp_path / "no-such-folder"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    fake_helmfile(standins)
    with pytest.raises(ToolError) as caught:
        runner.helmfile(["template"])
    assert str(caught.value) == (
        f"cannot create a temporary folder for helmfile in {missing}: No such file or "
        "directory; set TMPDIR to a writable folder"
    )
    assert caught.value.exit_code == 2


def test_child_env_fills_only_what_is_unset():
    environ = {"PATH": "/bin", "HELMFILE_TEMPDIR": "/theirs", "CHARTIFY_TEMPDIR": ""}
    assert tempdirs.child_env(environ, "/private") == {
        "PATH": "/bin",
        "HELMFILE_TEMPDIR": "/theirs",
        "CHARTIFY_TEMPDIR": "/private",
        "TMPDIR": "/private",
    }
    assert environ["CHARTIFY_TEMPDIR"] == ""  # the caller's mapping is not changed
    assert tempdirs.child_env(environ, None) == environ


def test_helmfile_env_of_a_given_environment(system_tmp):
    with tempdirs.helmfile_env({"PATH": "/bin", "TMPDIR": "/theirs"}) as env:
        folder = Path(env["HELMFILE_TEMPDIR"])
        assert env == {
            "PATH": "/bin",
            "HELMFILE_TEMPDIR": str(folder),
            "CHARTIFY_TEMPDIR": str(folder),
            "TMPDIR": "/theirs",
        }
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        (folder / "chartify1" / "ns").mkdir(parents=True)
    assert not folder.exists()
    with pytest.raises(RuntimeError), tempdirs.helmfile_env({}) as env:
        folder = Path(env["TMPDIR"])
        raise RuntimeError("boom")
    assert not folder.exists()


#: Runs `runner.helmfile` in its own process, so that a signal can be sent to it. The signals
#: are set as in a shell's foreground job: a test run started in the background (`pytest &`
#: without job control) inherits SIGINT ignored, which helmfile would inherit too.
DRIVER = textwrap.dedent(
    """\
    import signal, sys
    from meshgen.handoff import runner
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        sys.exit(runner.helmfile(["apply"]))
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


def _drive(standins, system_tmp: Path, tmp_path: Path, **popen: object) -> subprocess.Popen[str]:
    """Start the driver (private TMPDIR) and return once the stand-in has reported."""
    fake_helmfile(
        standins,
        after="print('started', flush=True)\ntime.sleep(60)",
    )
    env = {k: v for k, v in os.environ.items() if k not in tempdirs.VARIABLES}
    env["TMPDIR"] = str(system_tmp)
    env["PYTHONPATH"] = str(REPO / "src")
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **popen,  # type: ignore[call-overload]
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "started\n"
    assert (tmp_path / "report.json").exists()
    return process


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_sigterm_stops_helmfile_removes_the_folder_and_ends_meshgen_by_sigterm(
    standins, system_tmp, tmp_path
):
    process = _drive(standins, system_tmp, tmp_path)
    info = report(tmp_path)
    # The driver's TMPDIR is set, so it is kept; the private folder is made inside it.
    assert info["env"]["TMPDIR"] == str(system_tmp)
    assert Path(info["env"]["CHARTIFY_TEMPDIR"]).parent == system_tmp
    process.send_signal(signal.SIGTERM)  # to meshgen only, as `kill PID` or a CI runner does
    _, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGTERM, err
    assert sorted(system_tmp.iterdir()) == []
    assert _gone(info["pid"])  # helmfile was stopped (and reaped), not left running


def test_ctrl_c_removes_the_folder(standins, system_tmp, tmp_path):
    process = _drive(standins, system_tmp, tmp_path, start_new_session=True)
    info = report(tmp_path)
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert sorted(system_tmp.iterdir()) == []
    assert _gone(info["pid"])


@pytest.mark.parametrize("command", ["apply", "diff", "sync", "template"])
def test_meshgen_commands_give_helmfile_the_private_folder(
    standins, render, run_cli, system_tmp, tmp_path, command
):
    render()
    standins.install("helmfile")  # helm with helm-diff and a cluster: the prerequisites pass
    fake_helmfile(standins, after="sys.exit(0)")  # `--version` too, but the last run reports
    result = run_cli(command, "-c", "meshgen.yaml")
    assert result.code == 0, result
    assert result.err.endswith(f"+ helmfile --file deployment/helmfile/helmfile.yaml {command}\n")
    env = report(tmp_path)["env"]
    assert Path(env["CHARTIFY_TEMPDIR"]).parent == system_tmp
    assert env == dict.fromkeys(tempdirs.VARIABLES, env["CHARTIFY_TEMPDIR"])
    assert sorted(system_tmp.iterdir()) == []
