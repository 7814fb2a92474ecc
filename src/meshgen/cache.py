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


class JsonCache:
    """One cache file: `{"salt": ..., "entries": {sha256: {"input": str, "value": any}}}`."""

    def __init__(self, name: str, salt: str) -> None:
        self.name = name
        self.salt = salt
        self._entries: dict[str, Any] | None = None
        self._dirty = False

    @property
    def path(self) -> Path | None:
        folder = cache_dir()
        return folder / f"{self.name}.json" if folder else None

    def _load(self) -> dict[str, Any]:
        if self._entries is not None:
            return self._entries
        self._entries = {}
        path = self.path
        if path is None:
            return self._entries
        with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
            info = path.stat()
            if (
                not stat.S_ISREG(info.st_mode)
                or info.st_uid != os.getuid()
                or info.st_mode & 0o022
                or info.st_size > MAX_FILE_BYTES
            ):
                return self._entries
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data.get("entries") if isinstance(data, dict) else None
            if data.get("salt") == self.salt and isinstance(entries, dict):
                self._entries = entries
        return self._entries

    def get(self, key_input: str) -> Any | None:
        """The value stored for `key_input`, or None."""
        entry = self._load().get(digest(key_input))
        if not isinstance(entry, dict) or entry.get("input") != key_input:
            return None
        return entry.get("value")

    def put(self, key_input: str, value: Any) -> None:
        if self.path is None:
            return
        entries = self._load()
        if len(entries) >= MAX_ENTRIES:
            entries.clear()
        entries[digest(key_input)] = {"input": key_input, "value": value}
        if not self._dirty:
            self._dirty = True
            atexit.register(self.flush)

    def flush(self) -> None:
        """Write the file atomically (0600); failures are ignored: a cache is optional."""
        path = self.path
        if not self._dirty or path is None or self._entries is None:
            return
        self._dirty = False
        with contextlib.suppress(OSError, TypeError, ValueError):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{self.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({"salt": self.salt, "entries": self._entries}, handle)
                Path(tmp).replace(path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
