"""Pydantic plugins in the `meshgen` executable: off unless asked for, and then not looked for.

`turn_off()` sets PYDANTIC_DISABLE_PLUGINS=__all__ unless the variable is set (set it
empty to allow plugins): meshgen's models are its own, and a plugin installed for another
program (an observability hook, say) would see every config value, secrets included. The
programs meshgen starts (helmfile, helm, kubectl) inherit the setting.

While every plugin is off, pydantic's plugin loader (`pydantic.plugin._loader`) is not
run either: pydantic imports it as it builds its first validator, and the loader imports
`importlib.metadata` (email, socket, zipfile, csv: about a twentieth of a warm `meshgen
check`) only to look for the plugins the variable then says not to load. A finder gives
the import system a stand-in for that module instead, with the module's real name, parent
and place in `sys.modules`. It answers `get_plugins()` with no plugins while every plugin
is off. On first need of anything else (plugins turned on, any other name, a reload), the
loader's own code runs in that same module object, so references already taken stay
right, and from then on the module is pydantic's, attributes written before included.
Like any lazily loaded module, that first need imports modules (`importlib.metadata`).
"""

from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

VARIABLE = "PYDANTIC_DISABLE_PLUGINS"
LOADER = "pydantic.plugin._loader"
#: The values of the variable that turn every plugin off, as pydantic reads them.
ALL_OFF = ("__all__", "1", "true")

_RUN_LOCK = threading.Lock()


def turn_off() -> None:
    """Turn plugins off unless the variable says otherwise; then defer the loader."""
    os.environ.setdefault(VARIABLE, "__all__")
    if (
        os.environ[VARIABLE] in ALL_OFF
        and LOADER not in sys.modules
        and not any(isinstance(finder, _StandInFinder) for finder in sys.meta_path)
    ):
        sys.meta_path.insert(0, _StandInFinder())


def all_off() -> bool:
    return os.environ.get(VARIABLE) in ALL_OFF


class _StandInFinder:
    """Finds the stand-in for the loader's first import while every plugin is off, once."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: object = None
    ) -> ModuleSpec | None:
        if name != LOADER:
            return None
        from importlib.machinery import ModuleSpec  # not for `--help`: only at this import

        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]
        if not all_off():
            return None  # plugins were turned on meanwhile: the real loader
        return ModuleSpec(name, cast(Any, _StandInLoader()))


class _StandInLoader:
    """Makes the stand-in module, whose code runs later (`_run_real_loader`)."""

    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        return _LoaderStandIn(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run at import (a reload finds the real loader: the finder is gone)."""


class _LoaderStandIn(types.ModuleType):
    """`pydantic.plugin._loader` before its code has run."""

    def get_plugins(self) -> Any:
        """No plugins while every plugin is off; else the real loader's answer."""
        if all_off():
            return ()
        return _run_real_loader(self).get_plugins()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # the import system probing (`__path__`, ...)
        module = _run_real_loader(self)
        try:
            return module.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {LOADER!r} has no attribute {name!r}") from None


def _run_real_loader(module: types.ModuleType) -> types.ModuleType:
    """Run the loader's own code in `module`, once; it becomes an ordinary module."""
    with _RUN_LOCK:
        if type(module) is not _LoaderStandIn:
            return module  # another thread ran it
        if not isinstance(module.__spec__.loader, _StandInLoader):  # type: ignore[union-attr]
            cast(Any, module).__class__ = types.ModuleType  # reloaded: the real code ran in it
            return module
        import importlib
        from importlib.machinery import PathFinder

        package = importlib.import_module("pydantic.plugin")
        spec = PathFinder.find_spec(LOADER, package.__path__)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot find {LOADER}", name=LOADER)
        written = {
            key: value
            for key, value in vars(module).items()
            if not (key.startswith("__") and key.endswith("__"))
        }
        module.__spec__ = spec
        module.__loader__ = spec.loader
        module.__package__ = spec.parent
        if spec.has_location:
            module.__file__ = spec.origin
            module.__cached__ = spec.cached  # type: ignore[attr-defined]
        spec.loader.exec_module(module)
        vars(module).update(written)  # what was set on it before stays set, as after an import
        cast(Any, module).__class__ = types.ModuleType
        return module
