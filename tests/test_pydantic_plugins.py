"""The executable's deferral of `importlib.metadata` leaves pydantic's plugin loader its own.

Each case runs in a fresh interpreter: the finder only takes part in a first import of the
loader, and the test process imported pydantic long since.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PRELUDE = """
import importlib, importlib.util, inspect, os, sys, types
os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)
from meshgen.cli import pydantic_plugins
LOADER = pydantic_plugins.LOADER
"""


def _probe(body: str, *, path: Path | None = None) -> None:
    code = PRELUDE + textwrap.dedent(body) + "\nprint('ok')\n"
    env_path = [str(path)] if path else []
    code = f"import sys\nsys.path[:0] = {env_path!r}\n" + code
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout.endswith("ok\n"), run.stdout + run.stderr


@pytest.fixture
def plugin_dist(tmp_path: Path) -> Path:
    """A folder holding an installed pydantic plugin (an entry point), as one on sys.path."""
    info = tmp_path / "fake_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nfake = fake_plugin_module:plugin\n")
    (tmp_path / "fake_plugin_module.py").write_text(
        "seen = []\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, schema, schema_type, *args, **kwargs):\n"
        "        seen.append(getattr(schema_type, '__name__', str(schema_type)))\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    return tmp_path


def test_while_plugins_are_off_the_loader_is_pydantic_s_and_metadata_is_not_imported(
    plugin_dist: Path,
) -> None:
    _probe(
        """
        pydantic_plugins.turn_off()
        import pydantic
        class M(pydantic.BaseModel):
            x: int
        assert M(x=1).x == 1 and pydantic.TypeAdapter(list[int]).validate_python([1]) == [1]
        assert "importlib.metadata" not in sys.modules and "email" not in sys.modules
        loader = sys.modules[LOADER]
        import pydantic.plugin
        assert pydantic.plugin._loader is loader and type(loader) is types.ModuleType
        assert loader.__file__.endswith("_loader.py")
        assert importlib.util.find_spec(LOADER).origin == loader.__file__
        assert "def get_plugins" in inspect.getsource(loader)
        assert loader.get_plugins.__module__ == LOADER and list(loader.get_plugins()) == []
        assert loader.entry_points is pydantic_plugins.entry_points
        assert "fake_plugin_module" not in sys.modules  # installed, never looked for
        """,
        path=plugin_dist,
    )


def test_plugins_turned_on_later_are_found_and_called(plugin_dist: Path) -> None:
    _probe(
        """
        pydantic_plugins.turn_off()
        import pydantic
        class Before(pydantic.BaseModel):
            x: int
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = ""  # plugins on
        class After(pydantic.BaseModel):
            x: int
        import fake_plugin_module
        assert fake_plugin_module.seen == ["After"], fake_plugin_module.seen
        assert "importlib.metadata" in sys.modules
        """,
        path=plugin_dist,
    )


def test_plugins_allowed_from_the_start_leave_the_import_alone(plugin_dist: Path) -> None:
    _probe(
        """
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = ""
        pydantic_plugins.turn_off()
        assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == ""
        assert not any(isinstance(f, pydantic_plugins._LoaderFinder) for f in sys.meta_path)
        import pydantic
        class M(pydantic.BaseModel):
            x: int
        import fake_plugin_module
        assert fake_plugin_module.seen == ["M"]
        from importlib.metadata import entry_points
        assert sys.modules[LOADER].entry_points is entry_points
        """,
        path=plugin_dist,
    )


def test_another_import_hook_for_the_loader_still_serves_it() -> None:
    """An instrumenting hook placed before (typeguard, beartype) runs the module its way."""
    _probe("""
        from importlib.machinery import PathFinder
        class Marking:
            def __init__(self, loader): self.loader = loader
            def create_module(self, spec): return None
            def exec_module(self, module):
                module.instrumented = True
                self.loader.exec_module(module)
        class Hook:
            def find_spec(self, name, path=None, target=None):
                if name != LOADER:
                    return None
                spec = PathFinder.find_spec(name, path)
                spec.loader = Marking(spec.loader)
                return spec
        sys.meta_path.insert(0, Hook())
        pydantic_plugins.turn_off()
        pydantic_plugins.turn_off()  # twice: one finder
        assert sum(isinstance(f, pydantic_plugins._LoaderFinder) for f in sys.meta_path) == 1
        import pydantic
        class M(pydantic.BaseModel):
            x: int
        loader = sys.modules[LOADER]
        assert loader.instrumented and "importlib.metadata" not in sys.modules
        importlib.reload(loader)  # a reload is an ordinary import of the module
        assert loader.entry_points is not pydantic_plugins.entry_points
        assert "importlib.metadata" in sys.modules
    """)


def test_only_the_loader_s_own_statement_is_deferred() -> None:
    _probe("""
        pydantic_plugins.turn_off()
        import pydantic
        class M(pydantic.BaseModel):
            x: int
        assert "importlib.metadata" not in sys.modules
        from importlib.metadata import entry_points, version  # anyone else: the real module
        assert version("pydantic") == pydantic.VERSION
        assert sys.modules["importlib.metadata"].entry_points is entry_points
        assert __builtins__.__import__ is not pydantic_plugins._import
    """)


@pytest.mark.parametrize("value", ["__all__", "1", "true", "", "false", "0", "logfire"])
def test_the_values_that_turn_every_plugin_off_are_pydantic_s_own(value: str) -> None:
    """pydantic's real loader skips the entry-point scan for exactly `ALL_OFF`."""
    _probe(f"""
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = {value!r}
        import pydantic.plugin._loader as real
        scanned = []
        real.entry_points = lambda **kw: scanned.append(kw) or []
        list(real.get_plugins())
        assert bool(scanned) == ({value!r} not in pydantic_plugins.ALL_OFF), scanned
    """)
