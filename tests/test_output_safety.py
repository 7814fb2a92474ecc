"""Writing the tree: crash safety, the render lock, and confinement to the output folder.

Crashes are real: `meshgen render` runs in a subprocess through a small wrapper script that
patches a function `meshgen.output` calls (fsync while staging, the renames while moving)
to SIGKILL its own process at a chosen call. Product code has no hook for this.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meshgen import output
from tests.conftest import INFRA_CONFIG, CliResult

V1 = """\
istio: {version: 1.30.3}
namespaces: [{name: apps}, {name: tools}]
services:
  - {name: api, namespace: apps, chart: ./c, values: {generation: one}}
  - {name: web, namespace: apps, chart: ./c, values: {generation: one}}
"""
V2 = """\
istio: {version: 1.30.3, accessLogging: {enabled: true}}
namespaces: [{name: apps}, {name: batch}]
services:
  - {name: api, namespace: apps, chart: ./c, values: {generation: two}}
  - {name: web, namespace: apps, chart: ./c, values: {generation: two}}
"""

WRAPPER = textwrap.dedent(
    """\
    import os, pathlib, signal, sys

    target, nth = sys.argv[1], int(sys.argv[2])
    calls = 0

    def die_on(real):
        def patched(*args, **kwargs):
            global calls
            result = real(*args, **kwargs)
            calls += 1
            if calls == nth:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return patched

    if target == "fsync":          # while staging: after the nth staged file is synced
        os.fsync = die_on(os.fsync)
    elif target == "replace":      # while moving: after the nth file is renamed into place
        pathlib.Path.replace = die_on(pathlib.Path.replace)
    elif target == "hold":         # inside the lock: say so, then wait for stdin
        import meshgen.output as out
        real_plan = out.plan
        def plan(*args, **kwargs):
            print("locked", flush=True)
            sys.stdin.readline()
            return real_plan(*args, **kwargs)
        out.plan = plan

    from meshgen.cli import main
    sys.exit(main(sys.argv[3:]))
    """
)


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (tmp_path / "wrapper.py").write_text(WRAPPER, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def render_in_subprocess(project: Path, target: str, nth: int, **kwargs: Any) -> Any:
    return subprocess.run(
        [
            sys.executable,
            str(project / "wrapper.py"),
            target,
            str(nth),
            "render",
            "-c",
            str(project / "meshgen.yaml"),
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,
    )


def expected_tree(project: Path, config: str, run_cli: Callable[..., Any]) -> dict[str, bytes]:
    """The tree a clean render of `config` writes (rendered in a scratch copy)."""
    scratch = project / "scratch"
    (scratch / "c").mkdir(parents=True)
    (scratch / "c" / "Chart.yaml").write_text((project / "c" / "Chart.yaml").read_text())
    (scratch / "meshgen.yaml").write_text(config, encoding="utf-8")
    assert run_cli("render", "-c", str(scratch / "meshgen.yaml")).code == 0
    return tree(scratch / "deployment" / "helmfile")


def test_kill_while_staging_leaves_the_old_tree_and_the_next_render_recovers(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    out_dir = project / "deployment" / "helmfile"
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    before = tree(out_dir)
    config.write_text(V2, encoding="utf-8")

    killed = render_in_subprocess(project, "fsync", 2)
    assert killed.returncode == -signal.SIGKILL, killed
    staging = output.staging_dir(out_dir)
    assert staging.is_dir(), "the kill should land while staging"
    assert not (staging / output.COMMIT_MARKER).exists()
    assert tree(out_dir) == before, "an interrupted staging changed the tree"

    assert run_cli("render", "-c", str(config)).code == 0
    assert not staging.exists()
    assert tree(out_dir) == expected_tree(project, V2, run_cli)


@pytest.mark.parametrize("nth", [1, 3])
def test_kill_while_moving_is_completed_by_the_next_render(
    nth: int, project: Path, run_cli: Callable[..., Any]
) -> None:
    out_dir = project / "deployment" / "helmfile"
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    config.write_text(V2, encoding="utf-8")

    killed = render_in_subprocess(project, "replace", nth)
    assert killed.returncode == -signal.SIGKILL, killed
    assert (output.staging_dir(out_dir) / output.COMMIT_MARKER).exists()

    result = run_cli("render", "-c", str(config))
    assert result.code == 0, result
    assert not output.staging_dir(out_dir).exists()
    assert tree(out_dir) == expected_tree(project, V2, run_cli)
    assert run_cli("render", "--check", "-c", str(config)).code == 0


def test_concurrent_renders_never_interleave(project: Path, run_cli: Callable[..., Any]) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V2, encoding="utf-8")
    first = subprocess.Popen(
        [sys.executable, str(project / "wrapper.py"), "hold", "0", "render", "-c", str(config)],
        cwd=project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout is not None and first.stdin is not None
        assert first.stdout.readline().strip() == "locked"
        second = run_cli("render", "-c", str(config))
        assert second.code == 2, second
        assert "another meshgen process is rendering" in second.err
        assert not list((project / "deployment").rglob("*.yaml")), "the second render wrote"
        first.stdin.write("go\n")
        first.stdin.close()
        assert first.wait(timeout=60) == 0, first.stderr.read() if first.stderr else ""
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert tree(project / "deployment" / "helmfile") == expected_tree(project, V2, run_cli)


def test_lock_held_in_process_refuses_a_render(project: Path, run_cli: Callable[..., Any]) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    with output.tree_lock(project / "deployment" / "helmfile"):
        result = run_cli("render", "-c", str(config))
    assert result.code == 2 and "another meshgen process" in result.err, result
    assert run_cli("render", "-c", str(config)).code == 0


# --- confinement ----------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project that no render may touch."""
    folder = tmp_path.parent / f"{tmp_path.name}-outside"
    folder.mkdir()
    (folder / "keep.yaml").write_text("untouched: true\n")
    return folder


def _outside_untouched(outside: Path) -> None:
    assert tree(outside) == {"keep.yaml": b"untouched: true\n"}


@pytest.mark.parametrize("out", ["../x", "../../x", "/tmp/meshgen-abs-out", "deployment/../.."])
def test_output_outside_the_project_is_refused(
    out: str, project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(f"output: {out}\n" + V1, encoding="utf-8")
    result = run_cli("render", "--force", "-c", str(config))
    assert result.code == 1 and "C005" in result.err, result
    assert not Path("/tmp/meshgen-abs-out").exists()
    assert not (project.parent / "x").exists()


def test_symlinked_output_folder_is_refused(
    project: Path, outside: Path, run_cli: Callable[..., Any]
) -> None:
    (project / "deploy").symlink_to(outside, target_is_directory=True)
    config = project / "meshgen.yaml"
    config.write_text("output: deploy/helmfile\n" + V1, encoding="utf-8")
    result = run_cli("render", "--force", "-c", str(config))
    assert result.code == 1 and "C005" in result.err, result
    _outside_untouched(outside)


@pytest.mark.parametrize("force", [False, True])
def test_symlinked_folder_inside_the_tree_is_never_written_through(
    force: bool, project: Path, outside: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    values = project / "deployment" / "helmfile" / "values"
    for path in values.iterdir():
        path.unlink()
    values.rmdir()
    values.symlink_to(outside, target_is_directory=True)
    config.write_text(V2, encoding="utf-8")
    result = run_cli("render", *(["--force"] if force else []), "-c", str(config))
    assert result.code == (2 if force else 1), result
    assert "symbolic link" in result.err
    _outside_untouched(outside)


def _helmfile_linked_outside(
    project: Path, outside: Path, run_cli: Callable[..., Any]
) -> tuple[Path, Path]:
    """Render V1, then make the rendered helmfile.yaml a link to a file outside the project."""
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    assert run_cli("render", "-c", str(config)).code == 0
    helmfile = project / "deployment" / "helmfile" / "helmfile.yaml"
    helmfile.unlink()
    helmfile.symlink_to(outside / "keep.yaml")
    return config, helmfile


@pytest.mark.parametrize("force", [False, True])
def test_symlinked_file_inside_the_tree_is_never_written_through(
    force: bool, project: Path, outside: Path, run_cli: Callable[..., Any]
) -> None:
    config, helmfile = _helmfile_linked_outside(project, outside, run_cli)
    config.write_text(V2, encoding="utf-8")
    result = run_cli("render", *(["--force"] if force else []), "-c", str(config))
    assert result.code == (2 if force else 1), result
    assert helmfile.is_symlink()
    _outside_untouched(outside)


def test_a_symlinked_file_is_named_as_the_link_not_its_target(
    project: Path, outside: Path, run_cli: Callable[..., Any]
) -> None:
    config, _ = _helmfile_linked_outside(project, outside, run_cli)
    result = run_cli("check", "-c", str(config))
    assert result.code == 1, result
    assert "D102 deployment/helmfile/helmfile.yaml is or passes through a symbolic link" in (
        result.out
    ), result
    assert str(outside) not in result.out


def test_symlinked_staging_folder_is_refused(
    project: Path, outside: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(V1, encoding="utf-8")
    output.staging_dir(project / "deployment" / "helmfile").parent.mkdir(parents=True)
    output.staging_dir(project / "deployment" / "helmfile").symlink_to(
        outside, target_is_directory=True
    )
    result = run_cli("render", "-c", str(config))
    assert result.code == 2 and "symbolic link" in result.err, result
    _outside_untouched(outside)


def test_a_name_with_dotdot_cannot_write_outside_even_with_force(
    project: Path, run_cli: Callable[..., Any]
) -> None:
    config = project / "meshgen.yaml"
    config.write_text(
        "istio: {version: 1.30.3}\n"
        "services: [{name: ../../../escaped, namespace: istio-system, chart: ./c}]\n",
        encoding="utf-8",
    )
    result = run_cli("render", "--force", "-c", str(config))
    assert result.code == 1 and "nothing written" in result.err, result
    # The writer refuses it too, whatever a caller asks (defence in depth under the checks).
    from meshgen import api

    loaded = api.load_project(config)
    with pytest.raises(api.UsageError, match="outside the output folder"):
        api.write_tree(config, loaded, force=True)
    assert not list(project.parent.rglob("escaped*"))
    assert not (project / "deployment").exists() or not list(
        (project / "deployment").rglob("*.yaml")
    ), "nothing is written when one path is refused"


@pytest.mark.parametrize(
    "rel", ["../x.yaml", "a/../../x.yaml", "/etc/x.yaml", "a//b.yaml", "./a.yaml", "a\\..\\b"]
)
def test_unsafe_relative_paths(rel: str, tmp_path: Path) -> None:
    assert output.unsafe_path(tmp_path, rel) is not None


def test_stale_removal_list_cannot_delete_outside(tmp_path: Path, outside: Path) -> None:
    """A tampered `.remove` list in a leftover staging folder deletes nothing outside."""
    out_dir = tmp_path / "deployment" / "helmfile"
    out_dir.mkdir(parents=True)
    staging = output.staging_dir(out_dir)
    staging.mkdir()
    rel = os.path.relpath(outside / "keep.yaml", out_dir)
    (staging / ".remove").write_text(rel + "\n")
    (staging / output.COMMIT_MARKER).write_text("")
    output.recover(out_dir)
    _outside_untouched(outside)
    assert not staging.exists()


def test_generated_files_are_found_in_path_order_and_never_through_a_link(tmp_path: Path) -> None:
    """The tree walk of the drift plan: `a/b` sorts before `a-b` (as `Path`s do), and a
    linked folder, a linked file and a dangling link are neither entered nor reported."""
    from meshgen.render.files import header

    tree, outside = tmp_path / "tree", tmp_path / "outside"
    for rel in ("a/b/x.yaml", "a-b/y.yaml", "c/z.yml", "top.yaml", "a/kept.yaml", "notes.txt"):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(header("meshgen.yaml", "0" * 64) + "a: 1\n")
    (tree / "hand.yaml").write_text("a: 1\n")  # not generated
    outside.mkdir()
    (outside / "o.yaml").write_text(header("meshgen.yaml", "0" * 64))
    (tree / "linked").symlink_to(outside)
    (tree / "c" / "link.yaml").symlink_to(tree / "top.yaml")
    (tree / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
    found = output._existing_generated(tree, skip={"a/kept.yaml"})
    assert list(found) == ["a/b/x.yaml", "a-b/y.yaml", "c/z.yml", "top.yaml"]
    assert found["top.yaml"] == tree / "top.yaml"


def _stale_generated(folder: Path, name: bytes) -> Path:
    """A file meshgen once generated (empty body, its checksum right) under `name`."""
    from meshgen.render.files import checksum, header

    path = Path(os.fsdecode(os.fsencode(folder) + b"/" + name))
    path.write_text(header("meshgen.yaml", "0" * 64).replace("0" * 16, checksum("")))
    return path


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (b"x\nhelmfile.yaml", "x\\nhelmfile.yaml"),
        (b"bad\xff.yaml", "bad\\udcff.yaml"),
        (b"tab\there.yaml", "tab\there.yaml"),  # a tab is safe on one line
    ],
    ids=["newline", "not-utf8", "tab"],
)
def test_a_stale_file_of_any_name_is_removed_and_nothing_else(
    name: bytes, shown: str, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """The removal list survives any file name: `x\\nhelmfile.yaml` read back as two lines
    once deleted the real `helmfile.yaml`; a name that is not UTF-8 crashed the write."""
    import shutil

    project = tmp_path / "infra"
    shutil.copytree(INFRA_CONFIG.parent, project)
    tree = project / "deployment" / "helmfile"
    before = sorted(p.relative_to(tree) for p in tree.rglob("*"))
    stale = _stale_generated(tree, name)
    result = run_cli("render", "-c", str(project / "meshgen.yaml"))
    assert result.code == 0, result
    assert not os.path.lexists(stale)
    assert sorted(p.relative_to(tree) for p in tree.rglob("*")) == before
    removed = [line for line in result.out.splitlines() if line.startswith("  removed ")]
    assert len(removed) == 1 and removed[0].endswith(f"/{shown}"), result.out


def test_a_removal_list_of_the_older_form_is_still_honoured(tmp_path: Path) -> None:
    """A render killed before an upgrade left a path per line; recovery still removes them."""
    out_dir = tmp_path / "deployment" / "helmfile"
    out_dir.mkdir(parents=True)
    (out_dir / "old.yaml").write_text("a: 1\n")
    staging = output.staging_dir(out_dir)
    staging.mkdir()
    (staging / ".remove").write_text("old.yaml\n")
    (staging / output.COMMIT_MARKER).write_text("")
    output.recover(out_dir)
    assert not (out_dir / "old.yaml").exists() and not staging.exists()
