"""Schema validation results are cached by content across runs, and never trusted blindly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meshgen.checks import schemas

BAD_TELEMETRY: dict[str, Any] = {
    "apiVersion": "telemetry.istio.io/v1",
    "kind": "Telemetry",
    "metadata": {"name": "Bad_Name", "namespace": "istio-system"},
    "spec": {"tracing": [{"randomSamplingPercentage": 150}]},
}


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MESHGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MESHGEN_NO_CACHE", raising=False)
    schemas._result_cache.cache_clear()
    yield tmp_path / "schema-results"  # a sharded cache: one file per key prefix
    schemas._result_cache.cache_clear()


def _shard(folder: Path) -> Path:
    """The one shard file a single cached instance lands in."""
    (path,) = folder.glob("*.json")
    return path


def _new_run() -> None:
    """What a new process sees: the file on disk, no memory of the last one."""
    schemas._result_cache().flush()
    schemas._result_cache.cache_clear()


def test_a_repeated_instance_is_answered_from_the_cache(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    assert first, "the instance is invalid"
    _new_run()
    assert _shard(fresh_cache).is_file()

    def no_validator(name: str) -> Any:
        raise AssertionError("validated again although the result was cached")

    monkeypatch.setattr(schemas, "validator", no_validator)
    assert schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY) == first


def test_a_changed_instance_or_schema_name_is_validated_again(fresh_cache: Path) -> None:
    schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    fixed = json.loads(json.dumps(BAD_TELEMETRY))
    fixed["metadata"]["name"] = "good"
    fixed["spec"]["tracing"][0]["randomSamplingPercentage"] = 10
    assert schemas.errors(schemas.TELEMETRY, fixed) == []
    assert schemas.errors(schemas.NAMESPACE, BAD_TELEMETRY) != schemas.errors(
        schemas.TELEMETRY, BAD_TELEMETRY
    )


def test_damaged_entries_are_ignored(fresh_cache: Path) -> None:
    expected = schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    _new_run()
    shard = _shard(fresh_cache)
    data = json.loads(shard.read_text())
    for entry in data["entries"].values():
        entry["value"] = [["not", "a", "pair"]]
    shard.write_text(json.dumps(data))
    shard.chmod(0o600)
    assert schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY) == expected


def test_a_different_salt_empties_the_cache(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    _new_run()
    shard = _shard(fresh_cache)
    data = json.loads(shard.read_text())
    data["salt"] = "an older meshgen"
    shard.write_text(json.dumps(data))
    calls = _count_validations(monkeypatch)
    schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    assert calls == [schemas.TELEMETRY]


def _labelled(key: Any) -> dict[str, Any]:
    """A valid Telemetry whose one label has `key` as its key."""
    return {
        "apiVersion": "telemetry.istio.io/v1",
        "kind": "Telemetry",
        "metadata": {"name": "m", "namespace": "istio-system", "labels": {key: "x"}},
        "spec": {},
    }


@pytest.mark.parametrize("first", ["int-key", "str-key"])
def test_instances_equal_as_json_keep_their_own_verdicts(fresh_cache: Path, first: str) -> None:
    # `{1: x}` and `{"1": x}` are one canonical JSON text; a label key must be a string.
    int_key, str_key = _labelled(1), _labelled("1")
    assert json.dumps(int_key, sort_keys=True) == json.dumps(str_key, sort_keys=True)
    order = [int_key, str_key] if first == "int-key" else [str_key, int_key]
    for _ in range(2):  # computed, then answered from the cache of an earlier run
        for instance in order:
            found = schemas.errors(schemas.TELEMETRY, instance)
            assert bool(found) is (instance is int_key), (instance, found)
        _new_run()


def test_true_and_the_string_true_are_different_instances(fresh_cache: Path) -> None:
    assert schemas._cache_key(schemas.TELEMETRY, {"a": True}) != schemas._cache_key(
        schemas.TELEMETRY, {"a": "true"}
    )
    assert schemas._cache_key(schemas.TELEMETRY, {"a": 1, "b": 2}) != schemas._cache_key(
        schemas.TELEMETRY, {"b": 2, "a": 1}
    )


def test_non_json_instances_are_validated_and_keyed_exactly(fresh_cache: Path) -> None:
    import datetime

    odd = {**BAD_TELEMETRY, "metadata": {"name": "x", "labels": {"d": datetime.date(2024, 1, 1)}}}
    expected = schemas.errors(schemas.TELEMETRY, odd)
    assert expected
    _new_run()
    assert schemas.errors(schemas.TELEMETRY, odd) == expected
    as_text = {**odd, "metadata": {"name": "x", "labels": {"d": "2024-01-01"}}}
    assert schemas._cache_key(schemas.TELEMETRY, odd) != schemas._cache_key(
        schemas.TELEMETRY, as_text
    )


def test_no_cache_means_no_file(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESHGEN_NO_CACHE", "1")
    schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    _new_run()
    assert not fresh_cache.exists()


def _key_shard(folder: Path) -> Path:
    """The shard `BAD_TELEMETRY`'s result lands in, whether or not it exists yet."""
    from meshgen.cache import digest

    key = schemas._cache_key(schemas.TELEMETRY, BAD_TELEMETRY)
    return folder / f"{digest(key)[:2]}.json"


@pytest.mark.parametrize(
    "content",
    [
        b"[]",
        b"null",
        b'{"salt": 1, "entries": {}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"\xff\xfe\x00garbage",
    ],
    ids=["list", "null", "salt-number", "deep-list", "deep-object", "not-utf8"],
)
def test_a_malformed_shard_is_validated_again_not_a_crash(
    fresh_cache: Path, content: bytes
) -> None:
    expected = schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    _new_run()
    shard = _key_shard(fresh_cache)
    shard.write_bytes(content)
    shard.chmod(0o600)
    assert schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY) == expected
    _new_run()
    assert json.loads(shard.read_text())["entries"]  # replaced by a good shard


def _planted_result(fresh_cache: Path) -> tuple[Path, list[schemas.SchemaError]]:
    """A shard that says BAD_TELEMETRY is valid (a forged hit), correctly salted."""
    expected = schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    assert expected
    _new_run()
    shard = _key_shard(fresh_cache)
    data = json.loads(shard.read_text())
    for entry in data["entries"].values():
        entry["value"] = []
    shard.write_text(json.dumps(data))
    shard.chmod(0o600)
    schemas._result_cache.cache_clear()
    assert schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY) == []  # the forgery reads as a hit
    schemas._result_cache.cache_clear()
    return shard, expected


@pytest.mark.skipif(__import__("os").geteuid() != 0, reason="chown needs root")
def test_a_shard_owned_by_another_user_is_not_trusted(fresh_cache: Path) -> None:
    import os

    shard, expected = _planted_result(fresh_cache)
    os.chown(shard, 65534, 65534)
    assert schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY) == expected


def test_a_shard_symlinked_elsewhere_is_not_followed_nor_written(
    fresh_cache: Path, tmp_path: Path
) -> None:
    shard, expected = _planted_result(fresh_cache)
    target = tmp_path / "elsewhere.json"
    shard.replace(target)
    shard.symlink_to(target)
    before = target.read_bytes()
    assert schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY) == expected
    _new_run()
    assert target.read_bytes() == before
    assert not shard.is_symlink()


def test_a_new_meshgen_version_misses(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import meshgen

    _planted_result(fresh_cache)
    monkeypatch.setattr(meshgen, "__version__", "0.0.0+other")
    calls = _count_validations(monkeypatch)
    assert schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY) != []
    assert calls == [schemas.TELEMETRY]


def _count_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The schema names `schemas.validator` is asked for from now on (a miss asks for one)."""
    calls: list[str] = []
    real = schemas.validator

    def counting(name: str) -> Any:
        calls.append(name)
        return real(name)

    monkeypatch.setattr(schemas, "validator", counting)
    return calls


def test_a_result_through_a_nan_key_is_not_stored(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # JSON cannot hold a NaN key: storing the result would make its whole shard unwritable.
    stored: list[Any] = []
    cache = schemas._result_cache()
    monkeypatch.setattr(cache, "put", lambda key, value: stored.append(value))
    nan_keyed = _labelled("x")
    nan_keyed["metadata"]["labels"] = {float("nan"): [1]}  # a finding at the NaN key itself
    found = schemas.errors(schemas.TELEMETRY, nan_keyed)
    assert any(isinstance(part, float) for e in found for part in e.path), found
    assert stored == []
    assert schemas.errors(schemas.TELEMETRY, BAD_TELEMETRY)
    assert len(stored) == 1
