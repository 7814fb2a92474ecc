"""Write the rendered tree to disk, or compare it with what is there.

The only module (with `runner`) that touches the outside world. Writes are crash-safe:
new files are staged in a sibling folder, fsynced, marked complete, then moved into place
with atomic renames; a run killed while staging leaves the old tree as it was, and a run
killed while moving is completed by the next one (before it plans). Every target is checked
before the first rename, and a write that fails (a full disk, permission denied) removes
its staging folder and leaves the old tree as it was. A lock on the folder that holds the
output folder (a stable inode: the config can be replaced by rename) keeps two renders of
one tree from interleaving.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import field
from functools import partial
from pathlib import Path
from typing import AnyStr

from meshgen.errors import OutputLockedError, UsageError
from meshgen.records import record
from meshgen.render.files import RenderedFile, edited_by_hand, split_header

COMMIT_MARKER = ".complete"


@record(frozen=False)
class Plan:
    """What writing would change: files to create or update, generated files to remove."""

    create: list[RenderedFile] = field(default_factory=list)
    update: list[RenderedFile] = field(default_factory=list)
    remove: list[Path] = field(default_factory=list)
    unchanged: list[RenderedFile] = field(default_factory=list)
    #: Files meshgen would overwrite or delete that it did not write, or that were edited.
    conflicts: list[tuple[Path, str]] = field(default_factory=list)
    #: Paths meshgen never writes, even with --force: outside the folder, through a symlink,
    #: or not a regular file. Also listed in `conflicts`.
    blocked: list[tuple[Path, str]] = field(default_factory=list)
    #: Entries of a folder meshgen writes into that it did not render (a hand-added file).
    foreign: list[Path] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.create or self.update or self.remove or self.blocked)


#: The longest file name (one path component, in bytes) Linux, macOS and Windows accept.
_NAME_MAX = 255


def confined_output_dir(config_dir: Path, output: str) -> Path:
    """The output folder, refusing one that leaves the config's folder (by `..` or symlink)."""
    too_long = [part for part in Path(output).parts if len(os.fsencode(part)) > _NAME_MAX]
    if too_long:
        raise UsageError(
            f"output folder {output!r} has a name longer than {_NAME_MAX} bytes, "
            "which no file system accepts"
        )
    root = config_dir.resolve()
    try:
        target = (config_dir / output).resolve()
    except (RuntimeError, OSError) as exc:  # a symbolic-link loop (RuntimeError before 3.13)
        raise UsageError(f"output folder {output!r} cannot be resolved: {exc}") from None
    if Path(output).is_absolute() or (target != root and root not in target.parents):
        raise UsageError(
            f"output folder {output!r} resolves to {target}, outside the config's folder {root}"
        )
    if target == root:
        raise UsageError("the output folder cannot be the config's own folder")
    return target


def unsafe_path(output_dir: Path, rel: str, *, sound: set[str] | None = None) -> str | None:
    """Why `rel` must not be written under `output_dir`, or None when it may be.

    A relative path of plain names only (no `..`, `.`, empty or absolute parts), and no
    existing component (the file included) may be a symbolic link or, for the file, anything
    but a regular file: a write through a link could land anywhere.

    `sound` (one planning pass) remembers the folders already found to be real folders or
    absent, so a tree of thousands of files looks at each folder once.
    """
    parts = rel.split("/")
    if rel.startswith("/") or "\\" in rel or "\0" in rel or {"", ".", ".."} & set(parts):
        return "is outside the output folder"
    base = os.fspath(output_dir)
    try:
        if sound is None or "" not in sound:  # the output folder itself, once per pass
            if os.path.exists(base) and not os.path.isdir(base):
                return f"is under {output_dir}, which is not a folder"
            if sound is not None:
                sound.add("")
        # A folder is in `sound` only after its parents: with the file's folder there, every
        # component but the file itself would be skipped below.
        start = 0
        if sound is not None and rel.rpartition("/")[0] in sound:
            start = len(parts) - 1
        for index in range(start, len(parts)):
            prefix = "/".join(parts[: index + 1])
            last = index == len(parts) - 1
            if not last and sound is not None and prefix in sound:
                continue
            try:
                mode = os.lstat(f"{base}/{prefix}").st_mode
            except FileNotFoundError:
                if sound is not None:  # nothing below a missing folder exists either
                    sound.update("/".join(parts[: n + 1]) for n in range(index, len(parts) - 1))
                return None
            if stat.S_ISLNK(mode):
                return "is or passes through a symbolic link"
            if last:
                return None if stat.S_ISREG(mode) else "is not a regular file"
            if not stat.S_ISDIR(mode):
                return f"passes through {prefix}, which is not a folder"
            if sound is not None:
                sound.add(prefix)
    except OSError as exc:
        return f"cannot be looked at ({exc.strerror or exc})"
    return None


def _existing_generated(output_dir: Path, skip: Collection[str] = ()) -> dict[str, Path]:
    """Files under `output_dir` whose header says meshgen wrote them, but those in `skip`.

    Symbolic links (to files or folders) are neither read nor entered. In path order.
    """
    found: dict[str, Path] = {}
    base = os.fspath(output_dir)
    if not os.path.isdir(base):
        return found
    candidates: list[str] = []
    for folder, _, names in os.walk(base):  # never into a linked folder
        inner = os.path.relpath(folder, base).replace(os.sep, "/")
        for name in names:
            if not name.endswith((".yaml", ".yml")):
                continue
            rel = name if inner == "." else f"{inner}/{name}"
            if rel not in skip:
                candidates.append(rel)
    for rel in sorted(candidates, key=lambda r: r.split("/")):  # as `Path`s sort
        path = output_dir / rel
        if not path.is_file() or path.is_symlink():
            continue
        try:
            with path.open("rb") as handle:
                head = handle.read(64)
        except OSError:
            continue
        if split_header(head.decode("utf-8", "replace"))[0]:
            found[rel] = path
    return found


#: How much of a file `_holds` reads at a time.
_CHUNK = 1 << 20


def _holds(path: Path | str, parts: Sequence[str]) -> bool:
    """Whether a file reads as exactly the concatenation of `parts`, chunk by chunk.

    A large values file (tens of MB of dashboard JSON) is never held twice in memory, and
    a file of a thousand small parts is still read a chunk, not a part, at a time. Read as
    `read_text` would (UTF-8, universal newlines).
    """
    # The fast path, exact for what it accepts: bytes that are the text's UTF-8 decode to
    # the text, which universal newlines leave as it is when it holds no "\r". Anything
    # else (a CRLF checkout, a byte that is no UTF-8 read as U+FFFD, a read error) is
    # decided by comparing the text as read, as before.
    if _holds_bytes(path, parts):
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            if sum(map(len, parts)) <= _CHUNK:  # a small file: one read, one comparison
                return handle.read(_CHUNK + 1) == "".join(parts)
            return _reads_as(handle.read, parts)
    except OSError:
        return False


def _holds_bytes(path: Path | str, parts: Sequence[str]) -> bool:
    """Whether the joined `parts` hold no CR and the file's bytes are exactly their UTF-8."""
    try:
        # A bare descriptor: `open()`'s file objects cost more than the read of most files.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if sum(map(len, parts)) <= _CHUNK:
            joined = "".join(parts)
            if "\r" in joined:
                return False
            expected = joined.encode("utf-8")
            return os.read(fd, len(expected) + 1) == expected
        if any("\r" in part for part in parts):
            return False
        return _reads_as(partial(os.read, fd), (part.encode("utf-8") for part in parts))
    except (OSError, UnicodeError):
        return False
    finally:
        os.close(fd)


def _reads_as(read: Callable[[int], AnyStr], parts: Iterable[AnyStr]) -> bool:
    """Whether `read` (of `_CHUNK` at a time) gives exactly the concatenation of `parts`."""
    # What was read (an empty str or bytes to start with), and how much of it is matched.
    chunk, at = read(0), 0
    for part in parts:
        done = 0
        while done < len(part):
            if at == len(chunk):
                chunk, at = read(_CHUNK), 0
                if not chunk:
                    return False
            size = min(len(chunk) - at, len(part) - done)
            if size == len(part) - done:  # the rest of the part is in this chunk
                rest = part if done == 0 else part[done:]
                if not chunk.startswith(rest, at):
                    return False
            elif not part.startswith(chunk[at:] if at else chunk, done):
                return False
            done += size
            at += size
    return at == len(chunk) and not read(1)


def plan(files: Sequence[RenderedFile], output_dir: Path) -> Plan:
    """Compare the rendered files with the tree on disk (reads only).

    A file that cannot be read is a UsageError naming it.
    """
    try:
        return _plan(files, output_dir)
    except OSError as exc:
        where = exc.filename or output_dir
        raise UsageError(f"cannot read {where}: {exc.strerror or exc}") from exc


def _plan(files: Sequence[RenderedFile], output_dir: Path) -> Plan:
    result = Plan()
    wanted = {f.path for f in files}
    seen: set[str] = set()
    sound: set[str] = set()
    base = os.fspath(output_dir)
    for rendered in files:
        if rendered.path in seen:
            # Two outputs on one path: never last-writer-wins (C109 says which entries).
            problem: str | None = "is the path of two rendered files"
        else:
            seen.add(rendered.path)
            problem = unsafe_path(output_dir, rendered.path, sound=sound)
        if problem is not None:
            result.conflicts.append((output_dir / rendered.path, problem))
            result.blocked.append((output_dir / rendered.path, problem))
            continue
        name = f"{base}/{rendered.path}"
        if not os.path.exists(name):
            result.create.append(rendered)
            continue
        if _holds(name, rendered.parts):
            result.unchanged.append(rendered)
            continue
        target = output_dir / rendered.path
        current = target.read_text(encoding="utf-8", errors="replace")
        generated, _, _ = split_header(current)
        if not generated:
            result.conflicts.append((target, "was not generated by meshgen"))
        elif edited_by_hand(current):
            result.conflicts.append((target, "was edited by hand since meshgen wrote it"))
        result.update.append(rendered)
    # The files still rendered were read above; only the others' headers are needed.
    earlier = _existing_generated(output_dir, skip=wanted)
    for path in earlier.values():
        if edited_by_hand(path.read_text(encoding="utf-8", errors="replace")):
            result.conflicts.append((path, "was edited by hand and is no longer generated"))
        result.remove.append(path)
    result.foreign = _foreign(output_dir, wanted, set(earlier))
    return result


#: What helmfile itself writes beside the state file (`helmfile deps`): not foreign.
_HELMFILE_WRITES = frozenset({"helmfile.lock"})


def _foreign(output_dir: Path, wanted: set[str], generated: set[str]) -> list[Path]:
    """Entries of the folders meshgen writes into that it neither renders nor generated.

    The folders meshgen owns are the output folder and every folder holding a rendered
    file; helmfile deploys some of them whole (`manifests/telemetry` is a chart folder).
    """
    owned = {""}
    wanted = wanted | _HELMFILE_WRITES
    for rel in wanted:
        parts = rel.split("/")
        owned.update("/".join(parts[:n]) for n in range(1, len(parts)))
    found: list[Path] = []
    for folder_rel in sorted(owned):
        folder = output_dir / folder_rel if folder_rel else output_dir
        if folder.is_symlink() or not folder.is_dir():
            continue
        for name in sorted(os.listdir(folder)):  # one folder: as its `Path`s would sort
            rel = f"{folder_rel}/{name}" if folder_rel else name
            if rel in wanted or rel in generated:
                continue
            entry = folder / name
            if rel in owned and not entry.is_symlink():
                continue
            found.append(entry)
    return found


def diff(
    files: Sequence[RenderedFile],
    output_dir: Path,
    *,
    shown_dir: str,
    planned: Plan | None = None,
) -> str:
    """Unified diff from the tree on disk to the rendered tree ('' when fresh).

    `planned` is a `plan` of the same files just made (saves reading the tree again). A
    file edited by hand gets one line instead of a diff: the diff would undo the edit, and
    the edit belongs in the config (`meshgen adopt`), not reverted.
    """
    result = planned if planned is not None else plan(files, output_dir)
    if not (result.create or result.update or result.remove):
        return ""  # a fresh tree: nothing to show (and difflib not imported)
    import difflib

    chunks: list[str] = []
    for rendered in [*result.create, *result.update]:
        target = output_dir / rendered.path
        old = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else ""
        if old and edited_by_hand(old):
            chunks.append(
                f"# {shown_dir}/{rendered.path}: edited by hand; not shown (rendering would "
                "undo the edit): `meshgen adopt` moves it into the config\n"
            )
            continue
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                rendered.text.splitlines(keepends=True),
                fromfile=f"{shown_dir}/{rendered.path}" if old else "/dev/null",
                tofile=f"{shown_dir}/{rendered.path}",
            )
        )
    for path in result.remove:
        old = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(output_dir).as_posix()
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True), [], fromfile=f"{shown_dir}/{rel}", tofile="/dev/null"
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def read_tree_text(output_dir: Path, rel: str) -> str | None:
    """The text of a file of the tree on disk (None when it cannot be read)."""
    if unsafe_path(output_dir, rel) is not None:
        return None
    try:
        return (output_dir / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _default_mode() -> int:
    """What `open(..., "w")` would give a new file under the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_file(
    path: Path, text: str, *, keep_mode: bool = False, through_symlink: bool = False
) -> None:
    """Write one file atomically (a temporary file beside it, fsync, rename).

    With `keep_mode`, the file keeps its permission bits (an edited config). With
    `through_symlink`, a symbolic link (or a chain of them) is followed and its final target
    rewritten, the temporary file beside the target, so the link stays a link (an edited
    config that is a symlink). A problem (permission denied, a full disk, a path that is a
    folder) is a UsageError naming the file, and the old file is left as it was.
    """
    import tempfile

    if through_symlink and path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode & 0o777 if keep_mode and path.exists() else _default_mode()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def tree_lock(output_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder's parent while writing the tree.

    That folder holds the staging folder too, and its inode stays the same while the
    tree and the config change (an edit replaces the config by rename, so a lock on the
    config's inode would let a second render in). A lock on a folder leaves no file behind.
    """
    holder = output_dir.parent
    try:
        holder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot lock {holder}: {exc.strerror or exc}") from exc
    busy = f"another meshgen process is rendering {output_dir}; try again when it ends"
    with _folder_lock(holder, busy=busy):
        yield


@contextlib.contextmanager
def config_lock(config: Path) -> Iterator[None]:
    """Hold an exclusive lock on the folder of the config's real file while it is rewritten.

    Edits read the config, change it and write it back; two at once would lose one change.
    The writer waits for the lock (the critical section is one read and one rename) and
    then checks the file still holds what it edited (`api.write_config`).
    """
    with _folder_lock(Path(os.path.realpath(config)).parent, busy=None):
        yield


@contextlib.contextmanager
def _folder_lock(holder: Path, *, busy: str | None) -> Iterator[None]:
    """An exclusive `flock` on a folder: refused with `busy` if held, or waited for if None."""
    try:
        fd = os.open(holder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise UsageError(f"cannot lock {holder}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if busy is not None else 0))
        except BlockingIOError as exc:
            raise OutputLockedError(busy or "locked") from exc
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def staging_dir(output_dir: Path) -> Path:
    return output_dir.parent / f".{output_dir.name}.meshgen-staging"


def recover(output_dir: Path) -> None:
    """Finish an interrupted move phase, or drop an incomplete staging folder.

    Run it before planning: a plan made first would compare with a half-moved tree.
    """
    staging = staging_dir(output_dir)
    try:
        if staging.is_symlink():
            raise UsageError(f"refusing to use {staging}: it is a symbolic link")
        if not staging.exists():
            return
        if (staging / COMMIT_MARKER).exists():
            _move_into_place(staging, output_dir)
        shutil.rmtree(staging)
    except OSError as exc:
        raise UsageError(
            f"cannot finish the interrupted render left in {staging}: {exc.strerror or exc}"
        ) from exc


def write(result: Plan, output_dir: Path) -> None:
    """Apply a plan: stage, fsync, mark complete, move into place, remove stale files.

    A problem (permission denied, a full disk) is a UsageError; the staging folder is
    removed and the old tree left as it was, unless files were already moved (then the
    next render completes the move).
    """
    if result.blocked:
        path, reason = result.blocked[0]
        raise UsageError(f"refusing to write {path}: it {reason}")
    recover(output_dir)
    staging = staging_dir(output_dir)
    try:
        staging.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        raise UsageError(f"cannot write {staging}: {exc.strerror or exc}") from exc
    try:
        _stage(result, staging, output_dir)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UsageError(
                f"cannot write {exc.filename or staging}: {exc.strerror or exc}; "
                f"{output_dir} was left as it was"
            ) from exc
        raise
    _move_into_place(staging, output_dir, fresh=True)
    with contextlib.suppress(OSError):
        shutil.rmtree(staging)


def _stage(result: Plan, staging: Path, output_dir: Path) -> None:
    for rendered in [*result.create, *result.update]:
        target = staging / rendered.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(rendered.parts)
            handle.flush()
            os.fsync(handle.fileno())
    removals = staging / ".remove"
    # JSON, not a line per path: a file name may hold a line break (`x\nhelmfile.yaml` read
    # back as two lines removed the real helmfile.yaml) or bytes that are not UTF-8 (held
    # as surrogates, written as `\udcff` escapes, read back exactly).
    stale = [p.relative_to(output_dir).as_posix() for p in result.remove]
    with removals.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(stale))
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(staging)
    marker = staging / COMMIT_MARKER
    marker.write_text("", encoding="utf-8")
    _fsync_dir(staging)


def _move_into_place(staging: Path, output_dir: Path, *, fresh: bool = False) -> None:
    """Move a complete staging folder's files into the tree, then remove stale files.

    Every target is checked before the first rename (the tree may have changed since the
    plan, or since a killed run): either all files move or none does. When a rename fails,
    a `fresh` staging folder (this run's, nothing of it moved yet) is dropped; otherwise it
    is kept for the next render to complete.
    """
    sources = [
        source
        for source in sorted(staging.rglob("*"))
        if source.is_file()
        and not (source.parent == staging and source.name in (COMMIT_MARKER, ".remove"))
    ]
    for source in sources:
        rel = source.relative_to(staging).as_posix()
        problem = unsafe_path(output_dir, rel)
        if problem is not None:
            raise UsageError(
                f"refusing to write {output_dir / rel}: it {problem} "
                f"(move it away; the render waiting in {staging} then completes)"
            )
    moved = 0
    try:
        for source in sources:
            target = output_dir / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
            moved += 1
    except OSError as exc:
        if fresh and moved == 0:
            shutil.rmtree(staging, ignore_errors=True)
            left = f"{output_dir} was left as it was"
        else:
            left = f"the next `meshgen render` completes the move from {staging}"
        raise UsageError(
            f"cannot write {exc.filename or output_dir}: {exc.strerror or exc}; {left}"
        ) from exc
    removals = staging / ".remove"
    try:
        if removals.exists():
            for rel in _removal_list(removals.read_text(encoding="utf-8", errors="replace")):
                if unsafe_path(output_dir, rel) is not None:
                    continue
                stale = output_dir / rel
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()
                _prune_empty(stale.parent, output_dir)
    except OSError as exc:
        raise UsageError(
            f"cannot remove {exc.filename or output_dir}: {exc.strerror or exc}; "
            f"the next `meshgen render` completes the render waiting in {staging}"
        ) from exc
    _fsync_dir(output_dir)


def _removal_list(text: str) -> list[str]:
    """The stale files a staging folder's `.remove` names: a JSON list of relative paths.

    A list in the older form (a path per line, from a meshgen killed mid-render before the
    upgrade) is still honoured; anything else names nothing.
    """
    try:
        stale = json.loads(text)
    except ValueError:
        return text.splitlines()
    if not isinstance(stale, list):
        return []
    return [rel for rel in stale if isinstance(rel, str)]


def _prune_empty(folder: Path, root: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
