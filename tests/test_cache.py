"""The on-disk analysis cache: hits, version salt, and refusal of untrusted files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshgen.cache import JsonCache


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(folder))
    monkeypatch.delenv("MESHGEN_NO_CACHE", raising=False)
    return folder


def test_round_trip_and_salt(cache_dir: Path) -> None:
    cache = JsonCache("t", "v1")
    cache.put("expr", {"x": 1})
    cache.flush()
    assert JsonCache("t", "v1").get("expr") == {"x": 1}
    assert JsonCache("t", "v2").get("expr") is None
    assert (cache_dir / "t.json").stat().st_mode & 0o077 == 0


def test_a_colliding_or_tampered_entry_is_a_miss(cache_dir: Path) -> None:
    cache = JsonCache("t", "v1")
    cache.put("expr", 1)
    cache.flush()
    path = cache_dir / "t.json"
    data = json.loads(path.read_text())
    [key] = data["entries"]
    data["entries"][key]["input"] = "other"
    path.write_text(json.dumps(data))
    assert JsonCache("t", "v1").get("expr") is None


def test_files_writable_by_others_are_ignored(cache_dir: Path) -> None:
    cache = JsonCache("t", "v1")
    cache.put("expr", 1)
    cache.flush()
    path = cache_dir / "t.json"
    path.chmod(0o666)
    assert JsonCache("t", "v1").get("expr") is None


def test_garbage_is_ignored(cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / "t.json").write_text("{not json")
    assert JsonCache("t", "v1").get("expr") is None


def test_disabled(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    monkeypatch.setenv("MESHGEN_NO_CACHE", "1")
    cache = JsonCache("t", "v1")
    cache.put("expr", 1)
    cache.flush()
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
