"""Replay `meshgen check` when nothing it reads has changed since it last ran.

`meshgen check` is a pure function of: meshgen's own code, templates and schemas; the
libraries it uses; the Python version; the command line, working folder and MESHGEN_*
environment; and the files it reads — the config, the local dashboard files and chart
folders it names, and the rendered tree on disk. A run records a fingerprint of all of
them with its output; the next run with the same fingerprint prints that output without
loading the config at all.

Nothing is trusted on its word: every recorded file is hashed again (content, not mtime)
on every run, the output tree is re-listed so an added or removed file is seen, and any
difference, read error or malformed entry is a miss. The entry store is `meshgen.cache`
(owner-only JSON). `MESHGEN_NO_CACHE=1` turns it off (with the analysis cache);
`MESHGEN_NO_RUN_CACHE=1` turns off only this one.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Iterable, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from meshgen import __version__
from meshgen.cache import JsonCache

#: Libraries whose behaviour shapes the output (their installed files are fingerprinted).
LIBRARIES = (
    "click",
    "pydantic",
    "pydantic_core",
    "ruamel.yaml",
    "jinja2",
    "jsonschema",
    "referencing",
    "jsonschema_specifications",
    "yaml",
    "celpy",
    "lark",
    "promql_parser",
)
_PACKAGE = Path(__file__).resolve().parent


def _hash_file(path: Path, *, follow: bool = True) -> str:
    """Content hash of a file; a symlink is followed unless `follow` is False."""
    try:
        info = path.stat() if follow else path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return "link:" + str(path.readlink())
        if not stat.S_ISREG(info.st_mode):
            return f"other:{stat.S_IFMT(info.st_mode)}"
        with path.open("rb") as handle:  # streamed: a large values file is not read whole
            return "file:" + hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"error:{exc.errno}"


def _hash_tree(root: Path) -> str:
    """Every entry below `root` (names, kinds, contents); symlinks are not followed."""
    if not root.is_dir() or root.is_symlink():
        return _hash_file(root, follow=False)
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            path = Path(folder) / name
            entry = _hash_file(path, follow=False)
            digest.update(f"{path.relative_to(root).as_posix()}\0{entry}\n".encode())
    return "tree:" + digest.hexdigest()


def _stat_tree(root: Path, prefix: str = "") -> Iterable[str]:
    """Cheap fingerprint of installed code: relative path, size and mtime of each file."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir():
                if entry.name != "__pycache__":
                    yield from _stat_tree(Path(entry.path), f"{prefix}{entry.name}/")
                continue
            info = entry.stat()
        except OSError:
            continue
        yield f"{prefix}{entry.name}:{info.st_size}:{info.st_mtime_ns}"


def code_fingerprint() -> str:
    """Fingerprint of meshgen (code, templates, schemas), its libraries, and Python."""
    from meshgen.resources import schemas_dir, templates_dir

    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0{sys.executable}".encode())
    for root in (_PACKAGE, templates_dir(), schemas_dir()):
        for line in _stat_tree(root):
            digest.update(line.encode())
    for name in LIBRARIES:
        spec = find_spec(name)
        origin = spec.origin if spec and spec.origin else None
        if origin is None:
            digest.update(f"{name}:absent".encode())
            continue
        info = Path(origin).stat()
        digest.update(f"{name}:{origin}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


def run_key(command: Sequence[str], config_path: Path) -> str:
    """The inputs known before anything is read: code, command line, folder, environment."""
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("MESHGEN_"))
    parts = [code_fingerprint(), repr(list(command)), str(Path.cwd()), repr(env)]
    parts.append(str(config_path.resolve()))
    return "\0".join(parts)


def dependencies(project: Any) -> dict[str, str]:
    """Every file or folder a check of `project` read, with its current fingerprint."""
    deps: dict[str, Path] = {"config": project.config_path}
    config = project.loaded.config
    base = project.config_path.parent
    if config is not None:
        grafana = config.monitoring.grafana
        for dash in grafana.dashboards if grafana else ():
            if dash.file is not None:
                deps[f"dashboard:{dash.file}"] = base / dash.file
        for svc in config.services:
            if svc.local_chart:
                deps[f"chart:{svc.chart}"] = base / svc.chart / "Chart.yaml"
                deps[f"chart-dir:{svc.chart}"] = base / svc.chart
    out: dict[str, str] = {}
    for name, path in deps.items():
        out[f"{name}={path}"] = (
            _hash_tree(path) if name.startswith("chart-dir:") else _hash_file(path)
        )
    if project.output_dir is not None:
        out[f"tree={project.output_dir}"] = _hash_tree(project.output_dir)
    return out


def _current(name: str) -> str:
    kind, _, path = name.partition("=")
    if kind == "tree" or kind.startswith("chart-dir:"):
        return _hash_tree(Path(path))
    return _hash_file(Path(path))


class RunCache:
    """Recorded runs of one command, keyed by `run_key`.

    `MESHGEN_NO_RUN_CACHE=1` turns off replay (and recording) only, keeping the analysis
    cache: what a commit that changed something costs.
    """

    def __init__(self) -> None:
        self._store = JsonCache("check-runs", f"meshgen={__version__}", sharded=True)
        self.enabled = os.environ.get("MESHGEN_NO_RUN_CACHE", "") in ("", "0")

    def replay(self, key: str) -> tuple[int, str, str] | None:
        """(exit code, stdout, stderr) of an identical earlier run, or None."""
        if not self.enabled:
            return None
        entry = self._store.get(key)
        if not isinstance(entry, dict):
            return None
        deps, code = entry.get("deps"), entry.get("code")
        out, err = entry.get("stdout"), entry.get("stderr")
        if not (
            isinstance(deps, dict)
            and isinstance(code, int)
            and isinstance(out, str)
            and isinstance(err, str)
        ):
            return None
        for name, recorded in deps.items():
            if not isinstance(recorded, str) or _current(name) != recorded:
                return None
        return code, out, err

    def record(self, key: str, deps: dict[str, str], code: int, out: str, err: str) -> None:
        if not self.enabled:
            return
        self._store.put(key, {"deps": deps, "code": code, "stdout": out, "stderr": err})
        self._store.flush()
