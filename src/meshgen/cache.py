"""The one on-disk cache of pure results, shared by runs of meshgen.

Four results are worth keeping between commits, and each is a pure function of its key:
CEL analyses (`analysis/cel.py`), JSON Schema results (`checks/schemas.py`), parse-back
proofs of rendered files (`render/context.py`) and Helm's stored size of a release holding
dashboards (`checks/dashboard_delivery.py`). Each lives in a `JsonCache` under
`cache_dir()`, salted by `salt()`, the one recipe:

    the entry format (`ENTRY_FORMAT`), meshgen's version, Python's version, the SHA-256 of
    every meshgen file that computes the result (its module, the shipped schemas it
    applies), and the installed version of every library involved (`installed_version`,
    as `importlib.metadata` finds it), plus any extra facts the caller names.

Change any of them and every entry of that cache misses (the shard is rewritten whole).

Safety, since the cache is read on every commit and only ever holds data:
- JSON only (`json.loads` into dicts, lists and scalars; nothing is unpickled or run);
- entries are keyed by the SHA-256 of the whole input and store only the value (a copy of
  the input would make the schema cache hold every rendered document: 35 MB, read on
  every run, at a thousand services);
- a folder or file that is a symbolic link, not owned by the current user, writable by
  others, not a regular file, larger than `MAX_FILE_BYTES`, not UTF-8, not JSON, nested
  too deep for the decoder, or of the wrong shape is ignored (never an error); files are
  opened with `O_NOFOLLOW` relative to a folder opened with `O_NOFOLLOW`;
- writes happen at exit: a temporary file (0600, `O_EXCL | O_NOFOLLOW`) in the same folder
  (0700) is renamed over the shard, so concurrent writers never mix their bytes and a
  planted symlink is replaced, never written through; any failure (read-only folder, full
  disk) means no cache, silently;
- `MESHGEN_NO_CACHE=1` turns it off; `MESHGEN_CACHE_DIR` moves it (default
  `$XDG_CACHE_HOME/meshgen`, else `~/.cache/meshgen`).

The writes stay here rather than in `output.py` (which writes what meshgen renders): the
cache is private state outside the project, written with its own rules (owner-only,
silent on failure) that must match the rules it is read with, and its flush runs at exit
from this bottom-floor module without any higher layer having to register it.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: The shape of an entry; part of every salt, so files in an older shape are rewritten.
ENTRY_FORMAT = "2: {sha256 of the input: {value}}"
MAX_ENTRIES = 10_000
#: Entries one shard of a sharded cache may hold before it starts over.
MAX_SHARD_ENTRIES = 2_000
MAX_FILE_BYTES = 16 * 1024 * 1024

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
#: O_NONBLOCK: a FIFO planted as a shard must not block the open (fstat then refuses it).
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def cache_dir() -> Path | None:
    """Where caches live, or None when caching is off."""
    get = os.environ.get
    return _cache_dir(
        get("MESHGEN_NO_CACHE"), get("MESHGEN_CACHE_DIR"), get("XDG_CACHE_HOME"), get("HOME")
    )


@functools.lru_cache(maxsize=16)
def _cache_dir(
    no_cache: str | None, explicit: str | None, xdg: str | None, home: str | None
) -> Path | None:
    """`cache_dir` from the variables it reads (remembered: it is asked once per shard)."""
    if (no_cache or "") not in ("", "0"):
        return None
    if explicit:
        return Path(explicit)
    # Without HOME, `Path.home()` asks the password database (the same all run long).
    base = xdg or str((Path(home) if home else Path.home()) / ".cache")
    return Path(base) / "meshgen"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def salt(
    *, sources: Iterable[Path], distributions: Iterable[str], extra: Iterable[str] = ()
) -> str | None:
    """The salt of a cache: see the module docstring. None (no cache) if a source is unreadable.

    `sources` are the files whose code or data computes the results (hashed by content,
    never by size or time); `distributions` the installed libraries that do (by version,
    `absent` when not installed).
    With caching off, None and nothing is read.
    """
    if cache_dir() is None:
        return None
    from meshgen import __version__

    python = "{}.{}.{}".format(*sys.version_info[:3])
    parts = [f"format {ENTRY_FORMAT}", f"meshgen=={__version__}", f"python=={python}"]
    for path in sources:
        try:
            parts.append(f"{path.name}:{hashlib.sha256(path.read_bytes()).hexdigest()}")
        except OSError:
            return None
    parts.extend(f"{name}=={installed_version(name)}" for name in distributions)
    parts.extend(extra)
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def installed_version(name: str) -> str:
    """The version of distribution `name` that `importlib.metadata.version` reports, or `absent`.

    Importing `importlib.metadata` (email, socket, zipfile, csv) cost a warm `meshgen check`
    about a twentieth of its time, for a few version lookups. Its path finder's rule is
    simple where it matters: the first folder on `sys.path` that holds a `.dist-info` or
    `.egg-info` folder of that normalized name decides, in listing order. This follows that
    rule for a `.dist-info` folder and reads the `Version:` header of its METADATA when the
    headers are plainly written. Whatever it cannot settle so is asked of
    `importlib.metadata`, which then answers (or raises) as it always does: an `.egg-info`
    or egg, a zip file, a finder other than the standard path finder, a METADATA that is
    not UTF-8 or whose headers are unusual (folded, oddly spaced, not headers), a name
    installed nowhere, an empty name.
    """
    from importlib.machinery import PathFinder

    finders = sys.meta_path
    if (
        not name
        or PathFinder not in finders
        or any(
            finder is not PathFinder and hasattr(finder, "find_distributions") for finder in finders
        )
    ):
        return _version_from_importlib(name)
    wanted = _normalized(name)
    for entry in sys.path:
        root = Path(entry)  # `Path("")` is ".", as importlib.metadata reads ""
        if root.name.lower().endswith(".egg"):  # an egg's EGG-INFO
            return _version_from_importlib(name)
        try:
            info = root.stat()
            if not stat.S_ISDIR(info.st_mode):
                return _version_from_importlib(name)  # a zip file may hold distributions
            infos = _infos(str(root), info.st_mtime_ns)
        except OSError:  # missing or unreadable: importlib.metadata skips it too
            continue
        for normalized, child in infos:
            if normalized != wanted:
                continue
            if child.lower().endswith(".dist-info"):
                version = _version_header(root / child / "METADATA")
                if version is not None:
                    return version
            return _version_from_importlib(name)
    return _version_from_importlib(name)  # absent here: let importlib.metadata say so


_INFO_SUFFIXES = (".dist-info", ".egg-info")


@functools.cache  # one entry per sys.path folder and modification time
def _infos(folder: str, mtime_ns: int) -> tuple[tuple[str, str], ...]:
    """(normalized project name, entry) of a folder's `.dist-info` and `.egg-info` entries.

    In listing order; the project is the part of the name before the first `-`.

    Remembered by the folder's modification time, as importlib.metadata's path finder
    remembers its listings: each salt looks up a few libraries, through the same folders.
    """
    children = os.listdir(folder)  # noqa: PTH208 (names only: `iterdir` makes a path of each)
    return tuple(
        (_normalized(child.lower().rpartition(".")[0].partition("-")[0]), child)
        for child in children
        if child.lower().endswith(_INFO_SUFFIXES)
    )


def _normalized(name: str) -> str:
    """A project name as importlib.metadata compares them (`Prepared.normalize`, PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _version_header(metadata_file: Path) -> str | None:
    """The first `Version:` header of a METADATA file, or None when that is not plain.

    Plain: the file is UTF-8 (importlib.metadata reads it so, and raises otherwise), every
    header line before it is `Name: value` with a printable ASCII name, and the header
    itself is `Version: <value>` (any case) on one line, its value without surrounding
    white space. Anything else is left to the email parser importlib.metadata uses.
    """
    try:
        text = metadata_file.read_bytes().decode("utf-8")
    except (OSError, UnicodeError):
        return None
    lines = re.split(r"\r\n|\r|\n", text)
    for index, line in enumerate(lines):
        if not line:
            return None  # the end of the headers: no Version
        if line[0] in " \t":
            continue  # the folded rest of the header before
        field, colon, value = line.partition(":")
        if not colon or not field.isascii() or not field.isprintable() or " " in field:
            return None  # no header: the email parser decides where the headers end
        if field.lower() == "version":
            folded = index + 1 < len(lines) and lines[index + 1][:1] in (" ", "\t")
            value = value.removeprefix(" ")
            return value if value and value == value.strip() and not folded else None
    return None


def _version_from_importlib(name: str) -> str:
    from importlib import metadata

    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"
    return "unknown" if version is None else str(version)


def _trusted(info: os.stat_result) -> bool:
    """Owned by the current user and writable by nobody else."""
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _open_dir(name: str, parent_fd: int | None = None, *, create: bool = False) -> int | None:
    """A descriptor of a trusted real folder (never a symlink), or None.

    With `create`, a missing folder is made (0700) and a trusted one made owner-only.
    """
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except FileNotFoundError:
        if not create:
            return None
        try:
            os.mkdir(name, 0o700, dir_fd=parent_fd)
        except FileExistsError:
            pass  # a concurrent run made it; it is checked like any other below
        except OSError:
            return None
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        except OSError:
            return None
    except OSError:  # ELOOP or ENOTDIR: a symlink or a file; EACCES
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISDIR(info.st_mode) or not _trusted(info):
            os.close(fd)
            return None
        if create and info.st_mode & 0o077:
            os.fchmod(fd, 0o700)
    except OSError:
        os.close(fd)
        return None
    return fd


def _read_json(dir_fd: int, name: str) -> Any:
    """The JSON data of a trusted regular file in the folder, or None for anything else."""
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
    except OSError:  # missing, a symlink (ELOOP), unreadable
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _trusted(info):
            return None
        if info.st_size > MAX_FILE_BYTES:
            return None
        chunks = []
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:  # it grew past the limit while being read
            return None
        return json.loads(b"".join(chunks).decode("utf-8"), parse_constant=_refuse_constant)
    except (OSError, ValueError, RecursionError, MemoryError):
        # ValueError covers invalid UTF-8, invalid JSON, NaN and over-long integers;
        # RecursionError a file nested deeper than the decoder goes.
        return None
    finally:
        os.close(fd)


def _refuse_constant(name: str) -> Any:
    """`NaN`, `Infinity`: not JSON (and never written: `allow_nan=False`)."""
    raise ValueError(f"{name} is not JSON")


def _replace_file(dir_fd: int, name: str, data: bytes) -> None:
    """Write `data` as `name` in the folder: a private temporary file renamed over it.

    The rename replaces whatever `name` was (a symlink included) without following it.
    Raises OSError on failure, after removing the temporary file.
    """
    tmp = f".{name}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    fd = os.open(tmp, _CREATE_FLAGS, 0o600, dir_fd=dir_fd)
    try:
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


class JsonCache:
    """A cache file: `{"salt": ..., "entries": {sha256 of the input: {"value": any}}}`.

    `sharded` splits it into 256 files by the first two hex digits of the key's SHA-256
    (`<name>/<xx>.json`). Caches shared by every project checked on a machine (a thousand
    services' schema results) are sharded, so a small project reads only the few shards
    its own keys fall in, never the whole store. A `salt` of None means no cache.
    """

    def __init__(self, name: str, salt: str | None, *, sharded: bool = False) -> None:
        self.name = name
        self.salt = salt
        self.sharded = sharded
        self._shards: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self._registered = False
        #: The folder shards are read from, opened once per cache folder (`cache_dir()`),
        #: not once per shard: (that folder, its descriptor).
        self._reading: tuple[str, int] | None = None

    def _filename(self, shard: str) -> str:
        return f"{shard}.json" if self.sharded else f"{self.name}.json"

    def _folder(self, *, create: bool) -> int | None:
        """A descriptor of the folder this cache's files are in, or None (no cache)."""
        root = cache_dir()
        if root is None or self.salt is None:
            return None
        if create:
            with contextlib.suppress(OSError):
                root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = _open_dir(str(root), create=create)
        if fd is None or not self.sharded:
            return fd
        try:
            return _open_dir(self.name, fd, create=create)
        finally:
            os.close(fd)

    def _load(self, shard: str) -> dict[str, Any]:
        if shard in self._shards:
            return self._shards[shard]
        entries: dict[str, Any] = {}
        self._shards[shard] = entries
        folder = self._read_folder()
        if folder is None:
            return entries
        data = _read_json(folder, self._filename(shard))
        if isinstance(data, dict) and data.get("salt") == self.salt:
            stored = data.get("entries")
            if isinstance(stored, dict):
                self._shards[shard] = stored
        return self._shards[shard]

    def _read_folder(self) -> int | None:
        """`_folder(create=False)`, kept open while `cache_dir()` names the same folder."""
        root = str(cache_dir())
        if self._reading is not None and self._reading[0] == root:
            return self._reading[1]
        if self._reading is not None:
            os.close(self._reading[1])
            self._reading = None
        folder = self._folder(create=False)
        if folder is not None:  # a missing folder is looked for again at the next shard
            self._reading = (root, folder)
        return folder

    def _shard(self, key: str) -> str:
        return key[:2] if self.sharded else ""

    def get(self, key_input: str) -> Any | None:
        """The value stored for `key_input`, or None."""
        key = digest(key_input)
        entry = self._load(self._shard(key)).get(key)
        if not isinstance(entry, dict):
            return None
        return entry.get("value")

    def put(self, key_input: str, value: Any) -> None:
        """Remember `value` (JSON data) for `key_input`; written by `flush`, at exit."""
        if self.salt is None or cache_dir() is None:
            return
        key = digest(key_input)
        shard = self._shard(key)
        entries = self._load(shard)
        if len(entries) >= (MAX_SHARD_ENTRIES if self.sharded else MAX_ENTRIES):
            entries.clear()
        entries[key] = {"value": value}
        self._dirty.add(shard)
        if not self._registered:
            self._registered = True
            atexit.register(self.flush)

    def flush(self) -> None:
        """Write the changed files; any failure is ignored: a cache is optional."""
        dirty, self._dirty = self._dirty, set()
        if not dirty:
            return
        folder = self._folder(create=True)
        if folder is None:
            return
        try:
            for shard in sorted(dirty):
                try:
                    text = json.dumps(
                        {"salt": self.salt, "entries": self._shards[shard]},
                        separators=(",", ":"),
                        allow_nan=False,
                    )
                    _replace_file(folder, self._filename(shard), text.encode("utf-8"))
                except (OSError, TypeError, ValueError, RecursionError):
                    continue
        finally:
            os.close(folder)
