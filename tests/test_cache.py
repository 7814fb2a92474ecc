"""The on-disk result cache: hits, the salt recipe, and refusal of every untrusted entry.

The cache is read on every commit from a folder an attacker (or a crash) may have touched:
whatever is there, a lookup is a hit of the value stored under the input's SHA-256 or a
miss, never an error, never a write through a symlink, never code run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from meshgen import cache as cache_module
from meshgen.cache import JsonCache, digest, salt

from .conftest import INFRA_CONFIG

REPO = Path(__file__).resolve().parent.parent
OTHER_UID = 65534  # nobody

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(folder))
    monkeypatch.delenv("MESHGEN_NO_CACHE", raising=False)
    return folder


def _shard_path(folder: Path, name: str, key_input: str) -> Path:
    return folder / name / f"{digest(key_input)[:2]}.json"


def _stored(cache: JsonCache, key_input: str, value: Any) -> dict[str, Any]:
    """The file content a cache holding just this entry writes."""
    entry = {"value": value}
    return {"salt": cache.salt, "entries": {digest(key_input): entry}}


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --- what a cache does -------------------------------------------------------------------------


def test_round_trip_and_salt(cache_dir: Path) -> None:
    cache = JsonCache("t", "v1")
    cache.put("expr", {"x": 1})
    cache.flush()
    assert JsonCache("t", "v1").get("expr") == {"x": 1}
    assert JsonCache("t", "v2").get("expr") is None
    assert (cache_dir / "t.json").stat().st_mode & 0o777 == 0o600
    assert cache_dir.stat().st_mode & 0o777 == 0o700


def test_a_sharded_cache_is_owner_only(cache_dir: Path) -> None:
    os.umask(old := os.umask(0o000))  # the most permissive umask: modes must not depend on it
    try:
        cache = JsonCache("s", "v1", sharded=True)
        cache.put("k", 1)
        cache.flush()
    finally:
        os.umask(old)
    shard = _shard_path(cache_dir, "s", "k")
    assert shard.stat().st_mode & 0o777 == 0o600
    assert shard.parent.stat().st_mode & 0o777 == 0o700
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in shard.parent.iterdir()] == [shard.name]  # no temporary left


def test_an_existing_loose_folder_of_ours_is_made_owner_only(cache_dir: Path) -> None:
    cache_dir.mkdir(mode=0o755)
    cache_dir.chmod(0o755)
    cache = JsonCache("t", "v1")
    cache.put("k", 1)
    cache.flush()
    assert cache_dir.stat().st_mode & 0o777 == 0o700


def test_an_entry_holds_only_its_value_under_the_inputs_digest(cache_dir: Path) -> None:
    cache = JsonCache("t", "v1")
    big = "x" * 10_000
    cache.put(big, 1)
    cache.flush()
    path = cache_dir / "t.json"
    data = json.loads(path.read_text())
    assert data["entries"] == {digest(big): {"value": 1}}
    assert len(path.read_bytes()) < 200  # the input is not copied into the cache
    # Moved under another key (another input's digest), it is that input's entry only.
    data["entries"] = {digest("other"): {"value": 1}}
    path.write_text(json.dumps(data))
    assert JsonCache("t", "v1").get(big) is None
    assert JsonCache("t", "v1").get("other") == 1


def test_files_writable_by_others_are_ignored(cache_dir: Path) -> None:
    cache = JsonCache("t", "v1")
    cache.put("expr", 1)
    cache.flush()
    path = cache_dir / "t.json"
    path.chmod(0o666)
    assert JsonCache("t", "v1").get("expr") is None
    path.chmod(0o600)
    cache_dir.chmod(0o777)
    assert JsonCache("t", "v1").get("expr") is None  # nor is a folder others can write to


def test_disabled(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    monkeypatch.setenv("MESHGEN_NO_CACHE", "1")
    cache = JsonCache("t", "v1")
    cache.put("expr", 1)
    cache.flush()
    assert not cache_dir.exists()


def test_a_salt_of_none_is_no_cache(cache_dir: Path) -> None:
    cache = JsonCache("t", None)
    cache.put("expr", 1)
    cache.flush()
    assert cache.get("expr") is None
    assert not cache_dir.exists()


def test_cel_analysis_comes_back_identical_from_disk(cache_dir: Path) -> None:
    from meshgen.analysis import cel

    expr = "request.headers['x-t'] in ['a', 'b'] ? request.headers['x-t'] : 'o'"
    fresh = cel._analyze(expr)
    cel._disk_cache().put(expr, cel._to_json(fresh))
    assert cel._from_json(expr, cel._to_json(fresh)) == fresh
    broken = cel._analyze("request.method ==")
    assert cel._from_json("request.method ==", cel._to_json(broken)) == broken
    assert cel._from_json(expr, {"attributes": "x"}) is None


def test_a_sharded_cache_reads_only_the_shards_of_its_keys(cache_dir: Path) -> None:
    cache = JsonCache("s", "v1", sharded=True)
    for index in range(300):
        cache.put(f"key-{index}", index)
    cache.flush()
    files = list((cache_dir / "s").glob("*.json"))
    assert 100 < len(files) <= 256  # 300 keys over 256 prefixes
    fresh = JsonCache("s", "v1", sharded=True)
    assert fresh.get("key-7") == 7 and fresh.get("key-299") == 299
    assert fresh.get("key-300") is None
    assert len(fresh._shards) <= 3  # only the shards those keys fall in were read
    assert JsonCache("s", "v2", sharded=True).get("key-7") is None


# --- the salt recipe ---------------------------------------------------------------------------


def test_the_salt_changes_with_meshgen_sources_and_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import meshgen

    source = tmp_path / "module.py"
    source.write_text("x = 1\n")
    base = salt(sources=[source], distributions=["jinja2"])
    assert base is not None and base == salt(sources=[source], distributions=["jinja2"])

    os.utime(source, (1, 1))  # size and time are no part of it: only content
    assert salt(sources=[source], distributions=["jinja2"]) == base
    source.write_text("x = 2\n")
    assert salt(sources=[source], distributions=["jinja2"]) != base
    source.write_text("x = 1\n")

    with monkeypatch.context() as patch:
        patch.setattr(meshgen, "__version__", "99.0")
        assert salt(sources=[source], distributions=["jinja2"]) != base

    real = cache_module.installed_version
    with monkeypatch.context() as patch:  # an upgraded library
        patch.setattr(
            cache_module,
            "installed_version",
            lambda name: "0.0.1" if name.lower() == "jinja2" else real(name),
        )
        assert salt(sources=[source], distributions=["jinja2"]) != base
    assert salt(sources=[source], distributions=["jinja2"]) == base

    assert salt(sources=[source], distributions=["jinja2", "no-such-dist-xyz"]) != base
    assert salt(sources=[source], distributions=["jinja2"], extra=["libyaml=0.2.5"]) != base
    assert salt(sources=[tmp_path / "missing.py"], distributions=[]) is None


def test_installed_version_agrees_with_importlib_metadata_on_every_installed_distribution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The salt's own lookup gives `importlib.metadata.version` for every distribution here,
    under any spelling of its name, without falling back to importlib.metadata."""
    import importlib.metadata

    asked: list[str] = []
    monkeypatch.setattr(cache_module, "_version_from_importlib", asked.append)
    names = sorted({d.metadata["Name"] for d in importlib.metadata.distributions()})
    named = {"jinja2", "pyyaml", "cel-python", "lark", "jsonschema", "jsonschema-specifications"}
    assert named <= {name.lower() for name in names}  # what the caches' salts name
    for name in names:
        expected = importlib.metadata.version(name)
        for spelling in (name, name.upper(), name.replace("-", "_"), name.replace("-", ".")):
            assert cache_module.installed_version(spelling) == expected, spelling
    assert asked == []


def _dist_info(folder: Path, child: str, metadata: str | None) -> None:
    (folder / child).mkdir(parents=True)
    if metadata is not None:
        (folder / child / "METADATA").write_text(metadata)


def test_installed_version_follows_sys_path_order_and_defers_what_it_cannot_settle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First folder on sys.path wins, as importlib.metadata's path finder rules; eggs, zip
    files, METADATA without a Version header and absent names are importlib.metadata's."""
    import importlib.metadata
    import zipfile

    first, second = tmp_path / "first", tmp_path / "second"
    header = "Metadata-Version: 2.1\nName: {}\nVersion: {}\n\nVersion: 9.9 (the body)\n"
    _dist_info(first, "Meshgen_Probe-2.0.dist-info", header.format("Meshgen_Probe", "2.0"))
    _dist_info(second, "meshgen_probe-1.0.dist-info", header.format("meshgen-probe", "1.0"))
    _dist_info(second, "probe_other-3.0.dist-info", header.format("probe-other", "3.0"))
    _dist_info(first, "no_header-1.0.dist-info", "Name: no-header\nversion: 4.5\n")
    _dist_info(first, "legacy_probe-1.5.egg-info", None)
    (first / "legacy_probe-1.5.egg-info" / "PKG-INFO").write_text(
        header.format("legacy-probe", "1.5")
    )
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("zipped_probe-7.1.dist-info/METADATA", header.format("zipped-probe", "7.1"))
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])

    def both(name: str) -> tuple[str, str]:
        try:
            expected = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            expected = "absent"
        return cache_module.installed_version(name), expected

    assert both("meshgen.probe") == ("2.0", "2.0")
    assert both("PROBE_OTHER") == ("3.0", "3.0")
    assert both("no-header") == ("4.5", "4.5")  # header names are case-insensitive there
    assert both("legacy-probe") == ("1.5", "1.5")
    assert both("not-installed-anywhere") == ("absent", "absent")
    odd = tmp_path / "odd"  # headers the email parser reads its own way: importlib.metadata's
    for index, headers in enumerate(
        [
            "Name: odd\nVersion: 1.0 \n",  # trailing white space is kept there
            "Name: odd\nVersion: 1.0\n  .post1\n",  # folded
            "\ufeffName: odd\nVersion: 1.0\n",  # a BOM: no headers at all
            "Name: odd\nnot a header\nVersion: 1.0\n",  # the headers end before Version
            "Name: odd\nversion: 2.0\nVersion: 1.0\n",  # the first, in any case
            "Name: odd\r\nVersion: 1.0\r\n",
        ]
    ):
        shutil.rmtree(odd, ignore_errors=True)
        _dist_info(odd, "odd-1.0.dist-info", headers + "\nVersion: 9.9 (the body)\n")
        monkeypatch.setattr(sys, "path", [str(odd)])
        mine, theirs = both("odd")
        assert mine == (theirs if theirs is not None else "unknown"), (index, mine, theirs)
    _dist_info(odd, "late-1.0.dist-info", None)
    (odd / "late-1.0.dist-info" / "METADATA").write_bytes(
        b"Name: late\nVersion: 1.0\n\n" + b"x" * 20_000 + b"caf\xe9\n"
    )
    with pytest.raises(UnicodeDecodeError):  # as importlib.metadata raises
        cache_module.installed_version("late")

    monkeypatch.setattr(sys, "path", [str(archive), str(second)])
    assert both("zipped-probe") == ("7.1", "7.1")
    assert both("meshgen-probe") == ("1.0", "1.0")

    class OtherFinder:  # a finder that can hold distributions of its own
        def find_spec(self, *args: object) -> None:
            return None

        def find_distributions(self, *args: object) -> list[object]:
            return []

    asked: list[str] = []
    monkeypatch.setattr(cache_module, "_version_from_importlib", lambda n: asked.append(n) or "x")
    monkeypatch.setattr(sys, "meta_path", [OtherFinder(), *sys.meta_path])
    assert cache_module.installed_version("meshgen-probe") == "x" and asked == ["meshgen-probe"]


def test_a_stale_salt_is_a_miss_and_is_rewritten(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry written by another meshgen version is never returned."""
    import meshgen

    source = Path(cache_module.__file__)
    old = JsonCache("t", salt(sources=[source], distributions=["jinja2"]))
    old.put("expr", "from the old version")
    old.flush()
    monkeypatch.setattr(meshgen, "__version__", "99.0")
    new = JsonCache("t", salt(sources=[source], distributions=["jinja2"]))
    assert new.salt != old.salt
    assert new.get("expr") is None
    new.put("expr", "new")
    new.flush()
    data = json.loads((cache_dir / "t.json").read_text())
    assert data["salt"] == new.salt and len(data["entries"]) == 1


def test_each_result_cache_uses_the_recipe() -> None:
    from meshgen.analysis import cel
    from meshgen.checks import schemas
    from meshgen.render import context

    for factory in (cel._disk_cache, schemas._result_cache, context._verified):
        factory.cache_clear()
        try:
            made = factory()
            assert made.salt is not None and len(made.salt) == 64
        finally:
            factory.cache_clear()
    assert not hasattr(cache_module, "module_fingerprint")  # no size/mtime identity any more


# --- malformed entries -------------------------------------------------------------------------

DEEP = 100_000

MALFORMED: dict[str, bytes] = {
    "a list": b"[]",
    "a string": b'"entries"',
    "a number": b"1",
    "null": b"null",
    "entries a list": b'{"salt": "S", "entries": []}',
    "entry a list": b'{"salt": "S", "entries": {"K": []}}',
    "entry without a value": b'{"salt": "S", "entries": {"K": {"input": "k", "val": 1}}}',
    "salt a list": b'{"salt": ["S"], "entries": {}}',
    "deep list": b"[" * DEEP + b"]" * DEEP,
    "deep object": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "deep value": b'{"salt": "S", "entries": {"K": {"input": "k", "value": '
    + b"[" * DEEP
    + b"]" * DEEP
    + b"}}}",
    "invalid UTF-8": b'{"salt": "S", "entries": {"\xff\xfe": 1}}',
    "UTF-16": '{"salt": "S", "entries": {}}'.encode("utf-16"),
    "not JSON": b"{not json",
    "truncated": b'{"salt": "S", "entries": {"K": {"input": "k", "val',
    "empty": b"",
    "NUL bytes": b"\x00" * 64,
    "a huge integer": b'{"salt": "S", "entries": {"K": {"input": "k", "value": '
    + b"9" * 50_000
    + b"}}}",
    "NaN": b'{"salt": "S", "entries": {"K": {"input": "k", "value": NaN}}}',
    "a pickle": b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94"
    b"\x93\x94\x8c\x05touch\x94\x85\x94R\x94.",
}


@pytest.mark.parametrize("sharded", [False, True], ids=["single", "sharded"])
@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_file_is_a_miss_then_replaced(
    cache_dir: Path, kind: str, sharded: bool
) -> None:
    cache = JsonCache("t", "S", sharded=sharded)
    path = _shard_path(cache_dir, "t", "k") if sharded else cache_dir / "t.json"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(MALFORMED[kind].replace(b'"K"', f'"{digest("k")}"'.encode()))
    path.chmod(0o600)
    assert cache.get("k") is None
    cache.put("k", "fresh")
    cache.flush()
    assert JsonCache("t", "S", sharded=sharded).get("k") == "fresh"


def test_a_huge_file_is_not_read(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache_dir.mkdir(mode=0o700)
    path = cache_dir / "t.json"
    entry = _stored(JsonCache("t", "S"), "k", 1)
    path.write_text(json.dumps(entry))
    with path.open("r+b") as handle:  # sparse: past the limit without writing 16 MB
        handle.truncate(cache_module.MAX_FILE_BYTES + 1)
    path.chmod(0o600)
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    assert JsonCache("t", "S").get("k") is None
    assert reads == []  # refused from its size alone


@pytest.mark.parametrize("kind", ["a folder", "a FIFO"])
def test_a_shard_that_is_not_a_regular_file_is_ignored(cache_dir: Path, kind: str) -> None:
    cache_dir.mkdir(mode=0o700)
    path = cache_dir / "t.json"
    if kind == "a folder":
        path.mkdir()
    else:
        os.mkfifo(path, 0o600)  # an open for reading must not block
    cache = JsonCache("t", "S")
    assert cache.get("k") is None
    cache.put("k", 1)
    cache.flush()  # cannot replace a folder: no cache, no error
    assert not list(cache_dir.glob(".t.json.*"))


def test_a_cache_folder_that_is_a_file_is_no_cache(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    cache_dir.write_text("not a folder")
    cache = JsonCache("t", "S", sharded=True)
    assert cache.get("k") is None
    cache.put("k", 1)
    cache.flush()
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(cache_dir / "below"))
    cache = JsonCache("t", "S")
    cache.put("k", 1)
    cache.flush()
    assert cache_dir.read_text() == "not a folder"


def test_a_check_with_a_hostile_cache_folder_is_clean(tmp_path: Path) -> None:
    """The crash this guards against: `[]` or deep nesting in a shard gave X001 or exit 3."""
    folder = tmp_path / "hostile"
    for name in ("schema-results", "render-verified"):
        (folder / name).mkdir(parents=True, mode=0o700)
        for index in range(256):
            body = MALFORMED["deep list"] if index % 2 else MALFORMED["a list"]
            (folder / name / f"{index:02x}.json").write_bytes(body)
    (folder / "cel-analysis.json").write_bytes(MALFORMED["deep object"])
    for path in folder.rglob("*.json"):
        path.chmod(0o600)
    env = {**os.environ, "MESHGEN_CACHE_DIR": str(folder)}
    env.pop("MESHGEN_NO_CACHE", None)
    for _ in range(2):  # the second run reads the cache the first one left behind
        result = subprocess.run(
            [sys.executable, "-m", "meshgen", "check", "-c", str(INFRA_CONFIG)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "X0" not in result.stdout


# --- ownership ---------------------------------------------------------------------------------


@as_root
def test_an_entry_owned_by_another_user_is_ignored(cache_dir: Path) -> None:
    cache = JsonCache("t", "S", sharded=True)
    cache.put("k", "mine")
    cache.flush()
    shard = _shard_path(cache_dir, "t", "k")
    os.chown(shard, OTHER_UID, OTHER_UID)
    assert JsonCache("t", "S", sharded=True).get("k") is None
    replacing = JsonCache("t", "S", sharded=True)
    replacing.put("k", "new")
    replacing.flush()  # our folder: the foreign file is replaced, not trusted
    assert shard.stat().st_uid == os.geteuid()
    assert JsonCache("t", "S", sharded=True).get("k") == "new"


@as_root
@pytest.mark.parametrize("which", ["cache folder", "shard folder"])
def test_a_folder_owned_by_another_user_is_neither_read_nor_written(
    cache_dir: Path, which: str
) -> None:
    cache = JsonCache("t", "S", sharded=True)
    cache.put("k", "planted")
    cache.flush()
    folder = cache_dir if which == "cache folder" else cache_dir / "t"
    os.chown(folder, OTHER_UID, OTHER_UID)
    before = _tree(cache_dir)
    fresh = JsonCache("t", "S", sharded=True)
    assert fresh.get("k") is None
    fresh.put("k", "new")
    fresh.put("other", "new")
    fresh.flush()
    assert _tree(cache_dir) == before


# --- symbolic links ----------------------------------------------------------------------------


@pytest.mark.parametrize("sharded", [False, True], ids=["single", "sharded"])
def test_a_symlinked_shard_is_not_followed_and_is_replaced(
    cache_dir: Path, tmp_path: Path, sharded: bool
) -> None:
    cache = JsonCache("t", "S", sharded=sharded)
    target = tmp_path / "elsewhere.json"
    planted = json.dumps(_stored(cache, "k", "planted")).encode()
    target.write_bytes(planted)
    target.chmod(0o600)
    link = _shard_path(cache_dir, "t", "k") if sharded else cache_dir / "t.json"
    link.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    link.symlink_to(target)
    assert cache.get("k") is None  # a valid entry, but behind a link
    cache.put("k", "mine")
    cache.flush()
    assert not link.is_symlink() and link.is_file()
    assert target.read_bytes() == planted  # never written through
    assert JsonCache("t", "S", sharded=sharded).get("k") == "mine"


@pytest.mark.parametrize("which", ["cache folder", "shard folder"])
def test_a_symlinked_folder_is_neither_read_nor_written(
    cache_dir: Path, tmp_path: Path, which: str
) -> None:
    target = tmp_path / "target"
    real = JsonCache("t", "S", sharded=True)
    shard_name = _shard_path(Path(), "t", "k").name
    (target / "t").mkdir(parents=True, mode=0o700)
    (target / "t" / shard_name).write_text(json.dumps(_stored(real, "k", "planted")))
    (target / "t" / shard_name).chmod(0o600)
    target.chmod(0o700)
    if which == "cache folder":
        cache_dir.symlink_to(target)
    else:
        cache_dir.mkdir(mode=0o700)
        (cache_dir / "t").symlink_to(target / "t")
    before = _tree(target)
    cache = JsonCache("t", "S", sharded=True)
    assert cache.get("k") is None
    cache.put("k", "mine")
    cache.put("other", "mine")
    cache.flush()
    assert _tree(target) == before


# --- writes that fail --------------------------------------------------------------------------


def test_a_read_only_folder_is_no_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    cache = JsonCache("t", "S")
    cache.put("k", 1)
    cache.flush()
    before = _tree(cache_dir)
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", read_only)
        cache.put("k", 2)
        cache.flush()
    assert _tree(cache_dir) == before
    if os.geteuid() != 0:  # root writes into a 0500 folder anyway
        cache_dir.chmod(0o500)
        try:
            cache.put("k", 3)
            cache.flush()
        finally:
            cache_dir.chmod(0o700)
        assert _tree(cache_dir) == before


def test_a_full_disk_is_no_cache_and_leaves_the_old_file(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    cache = JsonCache("t", "S", sharded=True)
    cache.put("k", 1)
    cache.flush()
    before = _tree(cache_dir)

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", full)
        cache.put("k", 2)
        cache.flush()
    assert _tree(cache_dir) == before  # the temporary file is gone too
    assert JsonCache("t", "S", sharded=True).get("k") == 1


def test_a_value_that_is_not_json_is_not_written(cache_dir: Path) -> None:
    cache = JsonCache("t", "S")
    cache.put("k", {1, 2})
    cache.flush()
    assert not (cache_dir / "t.json").exists()


WRITER = """
import sys
from meshgen.cache import JsonCache
writer, rounds = sys.argv[1], int(sys.argv[2])
for round in range(rounds):
    cache = JsonCache("c", "S", sharded=True)
    for index in range(50):
        cache.put(f"key-{index}", [writer, round, "x" * 2000])
    cache.flush()
"""


def test_concurrent_writers_never_corrupt_a_shard(cache_dir: Path) -> None:
    env = {**os.environ, "MESHGEN_CACHE_DIR": str(cache_dir)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(n), "15"], env=env) for n in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    folder = cache_dir / "c"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary left
    reader = JsonCache("c", "S", sharded=True)
    for index in range(50):
        value = reader.get(f"key-{index}")
        assert isinstance(value, list) and value[1:] == [14, "x" * 2000], index  # whole entries


# --- no code from the cache --------------------------------------------------------------------

AUDITED_CHECK = """
import json, sys
events = []
importers = {}

def caller():
    frame = sys._getframe(2)
    while frame and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "?") if frame else "?"

def hook(event, args):
    if event in ("pickle.find_class", "marshal.load", "marshal.loads"):
        where = caller()
        if event != "marshal.loads" or not sys._getframe(1).f_code.co_filename.startswith(
            "<frozen importlib"
        ):
            events.append([event, where])
    elif event == "import" and args[0] in ("pickle", "_pickle", "marshal", "shelve", "dill"):
        importers.setdefault(args[0], []).append(caller())

sys.addaudithook(hook)
import contextlib, io
from meshgen.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(["check", "-c", sys.argv[1]])
from meshgen.render.environment import environment
print(json.dumps({
    "code": code,
    "events": events,
    "importers": importers,
    "bytecode_cache": environment().bytecode_cache is not None,
}))
"""


class _Exploit:
    """Unpickled, this runs a shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (self.command,)


def _jinja_payload(marker: Path) -> bytes:
    """A bytecode cache file as Jinja's FileSystemBytecodeCache reads it: magic, then pickle."""
    import pickle

    import jinja2

    return jinja2.bccache.bc_magic + pickle.dumps(_Exploit(f"touch {marker}"))


def _plant_jinja_bytecode(folder: Path, marker: Path) -> int:
    """Where the old bytecode cache looked, one file per template: a pickle that runs code."""
    import jinja2

    from meshgen.resources import templates_dir

    payload = _jinja_payload(marker)
    store = jinja2.FileSystemBytecodeCache(str(folder / "templates"))
    (folder / "templates").mkdir(parents=True, mode=0o700)
    root = templates_dir()
    count = 0
    for template in root.rglob("*"):
        if template.is_file():
            name = template.relative_to(root).as_posix()
            key = store.get_cache_key(name, os.path.normpath(template))
            (folder / "templates" / f"__jinja2_{key}.cache").write_bytes(payload)
            count += 1
    return count


def test_the_planted_bytecode_is_live(tmp_path: Path) -> None:
    """The plant below is real: Jinja's own bytecode cache would run it."""
    import io

    import jinja2

    marker = tmp_path / "ran"
    bucket = jinja2.bccache.Bucket(jinja2.Environment(autoescape=True), "k", "checksum")
    bucket.load_bytecode(io.BytesIO(_jinja_payload(marker)))  # the "checksum" is the command
    assert marker.exists()


def test_a_crafted_cache_entry_is_never_executed(tmp_path: Path) -> None:
    """No cache entry is unpickled or unmarshalled: there is no such code path any more.

    `pickle` itself is still in `sys.modules` after a check (jinja2 imports it for its
    bytecode cache, lark for its grammar cache, both at import); what must hold is that
    meshgen imports neither pickle nor marshal and that nothing is ever loaded with them.
    """
    folder = tmp_path / "cache"
    marker = tmp_path / "pwned"
    assert _plant_jinja_bytecode(folder, marker) > 5
    for name in ("cel-analysis.json", "schema-results/00.json", "render-verified/00.json"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        (folder / name).write_bytes(MALFORMED["a pickle"])
    project = tmp_path / "infra"
    shutil.copytree(INFRA_CONFIG.parent, project)
    env = {**os.environ, "MESHGEN_CACHE_DIR": str(folder)}
    env.pop("MESHGEN_NO_CACHE", None)
    for _ in range(2):  # cold, then with the caches the first run wrote
        out = subprocess.run(
            [sys.executable, "-c", AUDITED_CHECK, str(project / "meshgen.yaml")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=tmp_path,
        )
        report = json.loads(out.stdout.splitlines()[-1])
        assert report["code"] == 0
        assert report["events"] == []  # nothing unpickled, nothing unmarshalled but .pyc files
        assert not report["bytecode_cache"]
        for module, importers in report["importers"].items():
            assert not [m for m in importers if m.startswith("meshgen")], (module, importers)
        assert not marker.exists()


def test_meshgen_source_never_imports_pickle_or_marshal() -> None:
    import ast

    forbidden = {"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle"}
    found = []
    for path in sorted((REPO / "src" / "meshgen").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in forbidden]
            if isinstance(node, ast.Attribute) and node.attr in ("BytecodeCache", "bytecode_cache"):
                found.append(f"{path.name}: {node.attr}")
            if isinstance(node, ast.keyword) and node.arg == "bytecode_cache":
                found.append(f"{path.name}: bytecode_cache=")
    assert found == []
