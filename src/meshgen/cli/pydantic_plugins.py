"""Pydantic plugins in the `meshgen` executable: off unless asked for, and then not looked for.

`turn_off()` sets PYDANTIC_DISABLE_PLUGINS=__all__ unless the variable is set (set it
empty to allow plugins): meshgen's models are its own, and a plugin installed for another
program (an observability hook, say) would see every config value, secrets included. The
programs meshgen starts (helmfile, helm, kubectl) inherit the setting.

While every plugin is off, nothing looks for them either. pydantic imports its plugin
loader (`pydantic.plugin._loader`) as it builds its first validator, and that module's
`from importlib.metadata import entry_points` imports email, socket, zipfile and csv
(about a twentieth of a warm `meshgen check`) for a function that is then never called.
`turn_off()` puts a finder first on `sys.meta_path` that takes part in that one import
only: the loader is found by the other finders and run by its own loader as usual, except
that this one statement binds `entry_points` to a function that imports
`importlib.metadata` on its first call and calls the real one. Everything else about the
module is pydantic's: its file, spec, code, globals and errors. Visible differences:
`_loader.entry_points` is meshgen's function, and `__loader__` (also `__spec__.loader`)
is a wrapper that hands every other attribute to the real loader.
"""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import types
    from importlib.machinery import ModuleSpec

VARIABLE = "PYDANTIC_DISABLE_PLUGINS"
LOADER = "pydantic.plugin._loader"
#: The values of the variable that turn every plugin off, as pydantic reads them.
ALL_OFF = ("__all__", "1", "true")


def turn_off() -> None:
    """Turn plugins off unless the variable says otherwise; then defer the metadata import."""
    os.environ.setdefault(VARIABLE, "__all__")
    if (
        _all_off()
        and LOADER not in sys.modules
        and "importlib.metadata" not in sys.modules
        and not any(isinstance(finder, _LoaderFinder) for finder in sys.meta_path)
    ):
        sys.meta_path.insert(0, _LoaderFinder())


def _all_off() -> bool:
    return os.environ.get(VARIABLE) in ALL_OFF


def entry_points(**params: Any) -> Any:
    """`importlib.metadata.entry_points`, imported when first called (plugins turned on)."""
    from importlib.metadata import entry_points as real

    return real(**params)


class _LoaderFinder:
    """Finds pydantic's plugin loader through the finders after it, the first time only.

    It stays on `sys.meta_path` (removing a finder while the import system walks the list
    would skip the next one) and declines everything after that first time.
    """

    done = False

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != LOADER or self.done:
            return None
        self.done = True
        if not _all_off():
            return None  # plugins were turned on meanwhile: nothing to defer
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _DeferringLoader(spec.loader)
                return spec  # type: ignore[no-any-return]
        return None


class _DeferringLoader:
    """The loader's own loader, running the module with one import deferred."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_code, get_filename, ...
        return getattr(self.loader, name)

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: types.ModuleType) -> None:
        # The module's code runs with its own `__builtins__`: only its import statements
        # see `_import`, no other module does. Its functions keep that mapping.
        module.__dict__["__builtins__"] = {**builtins.__dict__, "__import__": _import}
        try:
            self.loader.exec_module(module)
        finally:
            module.__dict__["__builtins__"] = builtins.__dict__


def _import(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    fromlist: Sequence[str] | None = (),
    level: int = 0,
) -> Any:
    """`__import__`, but `from importlib.metadata import entry_points` is deferred."""
    if (
        name == "importlib.metadata"
        and level == 0
        and fromlist
        and set(fromlist) == {"entry_points"}
        and "importlib.metadata" not in sys.modules
    ):
        return _DEFERRED_METADATA
    return builtins.__import__(name, globals, locals, fromlist or (), level)


class _DeferredMetadata:
    """What the deferred import gives: `entry_points`, imported on first call."""

    entry_points = staticmethod(entry_points)


_DEFERRED_METADATA = _DeferredMetadata()
