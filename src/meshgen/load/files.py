"""Reading input files: find the config, read a file within bounds, show a path.

Every file meshgen reads as input (the config, a dashboard JSON, a linted file) is read by
`read_text`: a regular file only (a FIFO or /dev/zero is refused, not waited on), at most
`MAX_CONFIG_BYTES`, UTF-8, a BOM dropped; each problem is a coded diagnostic.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from meshgen.diagnostics import Diagnostic, diagnostic
from meshgen.errors import UsageError
from meshgen.source import Span

CONFIG_CANDIDATES = ("meshgen.yaml", "infrastructure/meshgen.yaml")

#: A config larger than this is refused before parsing.
MAX_CONFIG_BYTES = 2 * 1024 * 1024


def discover_config(explicit: Path | None = None, *, cwd: Path | None = None) -> Path:
    """`--config`, else ./meshgen.yaml, else ./infrastructure/meshgen.yaml."""
    if explicit is not None:
        return explicit
    base = cwd or Path.cwd()
    for candidate in CONFIG_CANDIDATES:
        if (base / candidate).is_file():
            return base / candidate
    raise UsageError(
        "no config found: pass --config FILE, or run where meshgen.yaml or "
        "infrastructure/meshgen.yaml exists (`meshgen init` writes one)"
    )


def display_path(path: Path) -> str:
    """A path as shown in diagnostics: relative to the working directory when inside it.

    Only its folder is resolved: a file that is a symbolic link is named as the link, not
    as its target (which may be anywhere).
    """
    try:
        return str((path.absolute().parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def read_text(
    path: Path, shown: str, *, what: str = "config file"
) -> tuple[str | None, Diagnostic | None]:
    """Read a UTF-8 file, or say precisely why it cannot be read (`what` names it)."""
    start = Span(shown, 1, 1)

    def directory() -> Diagnostic:
        return diagnostic("C001", f"{shown} is a directory, not a {what}", start)

    try:
        raw = read_regular(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return None, diagnostic("C001", f"{what} {shown} does not exist", start)
    except IsADirectoryError:
        return None, directory()
    except NotARegularFile:
        return None, diagnostic("C001", f"{shown} is not a regular file", start)
    except FileTooLarge:
        return None, diagnostic(
            "C001", f"{shown} is larger than {MAX_CONFIG_BYTES} bytes, a config's limit", start
        )
    except OSError as exc:
        if path.is_dir():
            return None, directory()
        return None, diagnostic("C001", f"cannot read {shown}: {exc.strerror or exc}", start)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, diagnostic(
            "C002", f"invalid UTF-8 byte 0x{raw[exc.start]:02x}", Span(shown, line, col)
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`, if it holds at most `limit` of them.

    Every file meshgen reads from the user's folders is read so: a non-blocking open (a FIFO
    would block forever), a regular file only (/dev/zero never ends), never past the limit.
    Raises FileNotFoundError, IsADirectoryError, `NotARegularFile`, `FileTooLarge` or
    another OSError.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(errno.EINVAL, "not a regular file", str(path))
        raw = _read_at_most(fd, limit + 1, info.st_size)
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise FileTooLarge(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return raw


def read_regular_text(path: Path, limit: int, *, errors: str = "strict") -> str:
    """`read_regular` decoded as `Path.read_text` would (UTF-8, universal newlines).

    Raises what `read_regular` raises, or UnicodeDecodeError (with `errors="strict"`).
    """
    text = read_regular(path, limit).decode("utf-8", errors)
    return text.replace("\r\n", "\n").replace("\r", "\n")


class NotARegularFile(OSError):
    """A FIFO, device or socket where a file is read (`read_regular`)."""


class FileTooLarge(OSError):
    """A file larger than its reader's limit (`read_regular`)."""


def _read_at_most(fd: int, limit: int, size: int) -> bytes:
    """Up to `limit` bytes of an open file, read in as few calls as its `size` allows.

    A buffered `read(limit)` sets aside the whole limit (2 MB) for every file, however
    small: reading 500 dashboards took four times as long. The file may grow or shrink
    after `size` was read, so reading goes on to the end (or the limit).
    """
    parts: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(limit - total, max(size - total + 1, 1 << 16)))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)
