"""The executable's stand-in for pydantic's plugin loader behaves as pydantic's own loader.

Each case runs in a fresh interpreter: the stand-in only ever replaces a loader that has
not been imported, and the test process has imported pydantic long since.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import importlib, importlib.util, os, sys, threading, types
os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)
from meshgen.cli import pydantic_plugins
pydantic_plugins.turn_off()
LOADER = pydantic_plugins.LOADER
import pydantic

class Recorder:  # a pydantic plugin that records the models it sees
    seen = []
    def new_schema_validator(self, schema, schema_type, *args, **kwargs):
        self.seen.append(getattr(schema_type, "__name__", str(schema_type)))
        return None, None, None
"""


def _probe(body: str) -> None:
    code = PRELUDE + textwrap.dedent(body) + "\nprint('ok')\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout.endswith("ok\n"), run.stdout + run.stderr


def test_while_plugins_are_off_nothing_is_looked_for_and_the_module_looks_imported() -> None:
    _probe("""
        class M(pydantic.BaseModel):
            x: int
        assert M(x=1).x == 1 and pydantic.TypeAdapter(list[int]).validate_python([1]) == [1]
        stand_in = sys.modules[LOADER]
        assert type(stand_in) is not types.ModuleType  # still the stand-in
        assert "importlib.metadata" not in sys.modules
        import pydantic.plugin
        assert pydantic.plugin._loader is stand_in  # set on its package, as by an import
        assert importlib.util.find_spec(LOADER).name == LOADER
        assert list(stand_in.get_plugins()) == []
        assert not any(isinstance(f, pydantic_plugins._StandInFinder) for f in sys.meta_path)
    """)


def test_a_held_reference_becomes_the_real_loader_with_what_was_written_to_it() -> None:
    """Writes made before the real code ran (a test injecting `_plugins`) stay in force."""
    _probe("""
        from pydantic.plugin import _loader as held
        held._plugins = {"recorder": Recorder()}
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = ""  # plugins on
        class Seen(pydantic.BaseModel):
            x: int
        assert Recorder.seen == ["Seen"], Recorder.seen
        assert held is sys.modules[LOADER] and type(held) is types.ModuleType
        assert held.__file__.endswith("_loader.py") and held.__spec__.origin == held.__file__
        assert held.PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"  # and off again
        class Unseen(pydantic.BaseModel):
            x: int
        assert Recorder.seen == ["Seen"]
    """)


def test_any_other_name_runs_the_real_loader_once_even_from_many_threads() -> None:
    _probe("""
        from pydantic.plugin import _loader as held
        sys.setswitchinterval(1e-6)
        errors, got = [], []
        def read():
            try:
                got.append(held.PYDANTIC_ENTRY_POINT_GROUP)
            except Exception as exc:
                errors.append(exc)
        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        assert errors == [] and got == ["pydantic"] * 8
        assert sys.modules[LOADER] is held and type(held) is types.ModuleType
        try:
            held.no_such_name
        except AttributeError:
            pass
        else:
            raise AssertionError("a missing name must raise")
    """)


def test_a_reload_before_first_use_runs_the_real_code() -> None:
    _probe("""
        import pydantic.plugin._loader as held
        importlib.reload(held)
        assert held.PYDANTIC_ENTRY_POINT_GROUP == "pydantic" and held._plugins is None
        assert held.get_plugins is vars(held)["get_plugins"]  # pydantic's own function
        assert sys.modules[LOADER] is held and held.__file__.endswith("_loader.py")
        assert not hasattr(held, "no_such_name")
        assert type(held) is types.ModuleType  # once asked for anything it lacks
    """)


def test_plugins_allowed_means_no_stand_in() -> None:
    code = (
        "import os, sys\n"
        "os.environ['PYDANTIC_DISABLE_PLUGINS'] = 'logfire'\n"
        "from meshgen.cli import pydantic_plugins\n"
        "pydantic_plugins.turn_off()\n"
        "assert os.environ['PYDANTIC_DISABLE_PLUGINS'] == 'logfire'\n"
        "assert not any(isinstance(f, pydantic_plugins._StandInFinder) for f in sys.meta_path)\n"
        "import pydantic.plugin._loader as loader, types\n"
        "assert type(loader) is types.ModuleType and 'importlib.metadata' in sys.modules\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("value", ["__all__", "1", "true", "", "false", "0", "logfire"])
def test_the_values_that_turn_every_plugin_off_are_pydantic_s_own(value: str) -> None:
    """pydantic's real loader skips the entry-point scan for exactly `ALL_OFF`."""
    code = f"""
import os
os.environ["PYDANTIC_DISABLE_PLUGINS"] = {value!r}
import pydantic.plugin._loader as real
from meshgen.cli import pydantic_plugins
scanned = []
real.entry_points = lambda **kw: scanned.append(kw) or []
list(real.get_plugins())
assert bool(scanned) == ({value!r} not in pydantic_plugins.ALL_OFF), scanned
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout == "ok\n", run.stderr
