"""A private temporary folder for every helmfile run, removed when the run ends.

helmfile 0.166 turns a release whose chart is a folder of plain manifests (the rendered
manifests/telemetry, manifests/namespaces, dashboard folders, waypoints) into a chart in a
new `chartify<digits>` folder of the system temp folder and never removes it
(helmfile/helmfile#1799, fixed only by helmfile/helmfile#2668 in 2026): every `helmfile
template|diff|apply|sync|lint|build|list` of a rendered tree leaves one such folder per
release. helmfile writes its temporary values files under `$HELMFILE_TEMPDIR` and chartify its
charts under `$CHARTIFY_TEMPDIR` (roboll/helmfile#1622); helm, its plugins and hooks use
`$TMPDIR`. meshgen points each of the three that the user has not set at one folder of its
own (mode 0700) and removes that folder when helmfile ends, however it ends. A variable the
user set (to a non-empty value) is passed on as they set it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from meshgen.errors import ToolError

#: Where helmfile, chartify and helm (with its plugins) put their temporary files.
VARIABLES = ("HELMFILE_TEMPDIR", "CHARTIFY_TEMPDIR", "TMPDIR")
#: The name of meshgen's folder in the system temp folder: `meshgen-helmfile-<random>`.
PREFIX = "meshgen-helmfile-"


def child_env(environ: Mapping[str, str], folder: str | None) -> dict[str, str]:
    """The environment of a helmfile process: `environ`, each unset `VARIABLES` -> `folder`.

    A variable set to a non-empty value is the user's choice and kept; an empty one counts as
    unset (helmfile would fall back to the system temp folder).
    """
    env = dict(environ)
    if folder is not None:
        for name in VARIABLES:
            if not env.get(name):
                env[name] = folder
    return env


@contextmanager
def helmfile_env(environ: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """The environment to start helmfile with (from `environ`, default `os.environ`).

    The private folder is created in the system temp folder (`tempfile.gettempdir()`, which
    honours the user's `TMPDIR`) when at least one variable is unset, and removed when the
    block ends: normally, by an exception, a timeout or Ctrl-C. A folder that cannot be
    created is a ToolError (exit 2).
    """
    base = os.environ if environ is None else environ
    if all(base.get(name) for name in VARIABLES):
        yield dict(base)
        return
    folder: str | None = None
    try:
        with _uninterrupted():
            try:
                folder = tempfile.mkdtemp(prefix=PREFIX)
            except OSError as exc:
                raise ToolError(
                    f"cannot create a temporary folder for helmfile in "
                    f"{tempfile.gettempdir()}: {exc.strerror or exc}; set TMPDIR to a "
                    "writable folder"
                ) from exc
        yield child_env(base, folder)
    finally:
        if folder is not None:
            with _uninterrupted():
                remove(folder)


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends (where the system can hold signals).

    Creating the folder and removing it are never cut in half: a signal that arrives
    meanwhile is delivered when the block ends, with the folder recorded or gone.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def remove(folder: str) -> None:
    """Remove a folder meshgen created, never following a symbolic link planted in it.

    `shutil.rmtree` unlinks a link instead of following it (it works on open folder
    descriptors where the system has them, `rmtree.avoids_symlink_attacks`), and refuses a
    `folder` that has itself been replaced by a link. What cannot be removed (a program
    still writing there) is said in one line on stderr, never raised.
    """
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.lexists(folder):
        sys.stderr.write(
            f"meshgen: warning: could not remove helmfile's temporary folder {folder}\n"
        )
        sys.stderr.flush()
