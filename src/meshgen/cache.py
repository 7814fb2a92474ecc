"""A small on-disk cache of pure analysis results, shared by runs of meshgen.

Building cel-python's parser costs more than the rest of `meshgen check` together, yet the
CEL expressions of a config rarely change between commits. So results of pure functions of
an input string (today: CEL analysis) are kept in a JSON file under the user's cache folder.

Safety, since the cache is read on every commit:
- entries are keyed by a SHA-256 of the input and store the input itself; a hit whose
  stored input differs is ignored;
- the file records the versions of meshgen and of the libraries the results depend on; any
  change empties it;
- a file not owned by the current user, writable by others, malformed or too large is
  ignored (never an error);
- only JSON is read back (no pickle), and writes are atomic;
- `MESHGEN_NO_CACHE=1` turns it off; `MESHGEN_CACHE_DIR` moves it.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

MAX_ENTRIES = 10_000
MAX_FILE_BYTES = 16 * 1024 * 1024


def cache_dir() -> Path | None:
    """Where caches live, or None when caching is off."""
    if os.environ.get("MESHGEN_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("MESHGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "meshgen"


def module_fingerprint(*modules: str) -> str:
    """Identify installed modules by path, size and mtime of their entry file.

    Cheap enough for every run (what `importlib.metadata` would tell costs more than the
    cache lookups it guards); a reinstall or upgrade changes it.
    """
    from importlib.util import find_spec

    parts = []
    for module in modules:
        try:
            spec = find_spec(module)
        except (ImportError, ValueError):
            spec = None
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin is None or not origin.exists():
            parts.append(f"{module}=?")
            continue
        info = origin.stat()
        parts.append(f"{module}={origin}:{info.st_size}:{info.st_mtime_ns}")
    return ";".join(parts)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


#: Entries one shard of a sharded cache may hold before it starts over.
MAX_SHARD_ENTRIES = 2_000


class JsonCache:
    """A cache file: `{"salt": ..., "entries": {sha256: {"input": str, "value": any}}}`.

    `sharded` splits it into 256 files by the first two hex digits of the key's SHA-256
    (`<name>/<xx>.json`). Caches shared by every project checked on a machine (a thousand
    services' schema results) are sharded, so a small project reads only the few shards
    its own keys fall in, never the whole store.
    """

    def __init__(self, name: str, salt: str, *, sharded: bool = False) -> None:
        self.name = name
        self.salt = salt
        self.sharded = sharded
        self._shards: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self._registered = False

    def _file(self, shard: str) -> Path | None:
        folder = cache_dir()
        if folder is None:
            return None
        return (
            folder / self.name / f"{shard}.json" if self.sharded else folder / f"{self.name}.json"
        )

    def _load(self, shard: str) -> dict[str, Any]:
        if shard in self._shards:
            return self._shards[shard]
        entries: dict[str, Any] = {}
        self._shards[shard] = entries
        path = self._file(shard)
        if path is None:
            return entries
        with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
            info = path.stat()
            if (
                not stat.S_ISREG(info.st_mode)
                or info.st_uid != os.getuid()
                or info.st_mode & 0o022
                or info.st_size > MAX_FILE_BYTES
            ):
                return entries
            data = json.loads(path.read_text(encoding="utf-8"))
            stored = data.get("entries") if isinstance(data, dict) else None
            if data.get("salt") == self.salt and isinstance(stored, dict):
                self._shards[shard] = stored
        return self._shards[shard]

    def _shard(self, key: str) -> str:
        return key[:2] if self.sharded else ""

    def get(self, key_input: str) -> Any | None:
        """The value stored for `key_input`, or None."""
        key = digest(key_input)
        entry = self._load(self._shard(key)).get(key)
        if not isinstance(entry, dict) or entry.get("input") != key_input:
            return None
        return entry.get("value")

    def put(self, key_input: str, value: Any) -> None:
        if cache_dir() is None:
            return
        key = digest(key_input)
        shard = self._shard(key)
        entries = self._load(shard)
        if len(entries) >= (MAX_SHARD_ENTRIES if self.sharded else MAX_ENTRIES):
            entries.clear()
        entries[key] = {"input": key_input, "value": value}
        self._dirty.add(shard)
        if not self._registered:
            self._registered = True
            atexit.register(self.flush)

    def flush(self) -> None:
        """Write changed files atomically (0600); failures are ignored: a cache is optional."""
        dirty, self._dirty = self._dirty, set()
        for shard in sorted(dirty):
            path = self._file(shard)
            if path is not None:
                self._write(path, self._shards[shard])

    def _write(self, path: Path, entries: dict[str, Any]) -> None:
        with contextlib.suppress(OSError, TypeError, ValueError):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({"salt": self.salt, "entries": entries}, handle)
                Path(tmp).replace(path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
