"""The JSON Schemas meshgen checks rendered files and chart values with.

Schemas live in the shipped `schemas/` folder (`meshgen.resources.schemas_dir()`); they refer
to each other by relative `$ref` (e.g. `k8s-meta.schema.json#/$defs/labels`), resolved
through one registry. Each validator is built once per process with an explicit draft class.

A schema may carry `x-messages: {keyword: text}` next to a keyword: when that keyword fails,
`text` replaces jsonschema's generic message (a regex dump says little to a user).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meshgen.cache import JsonCache, salt
from meshgen.diagnostics import close_matches
from meshgen.records import record
from meshgen.resources import schemas_dir
from meshgen.source import KeyPath

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
    from jsonschema.protocols import Validator  # type: ignore[import-untyped]
    from referencing import Registry


@cache
def _drafts() -> dict[str, tuple[type[Validator], Any]]:
    """The draft each `$schema` URI means; anything else is refused rather than guessed."""
    # Imported on first use: with every result cached, a run never loads jsonschema.
    from jsonschema import Draft7Validator, Draft202012Validator  # type: ignore[import-untyped]
    from referencing.jsonschema import DRAFT7, DRAFT202012

    return {
        "https://json-schema.org/draft/2020-12/schema": (Draft202012Validator, DRAFT202012),
        "http://json-schema.org/draft-07/schema#": (Draft7Validator, DRAFT7),
    }


TELEMETRY = "telemetry.schema.json"
NAMESPACE = "namespace.schema.json"
JOB = "job.schema.json"
CONFIGMAP = "configmap.schema.json"
PROMETHEUS_VALUES = "prometheus-values.schema.json"


@record(slots=True)
class SchemaError:
    """One violation: where in the instance (key path) and what is wrong."""

    path: KeyPath
    message: str

    @property
    def dotted(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema from the shipped folder, parsed once."""
    data = json.loads((schemas_dir() / name).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"schema {name} is not a JSON object")
    return data


def _draft(schema: dict[str, Any], name: str) -> tuple[type[Validator], Any]:
    uri = schema.get("$schema")
    drafts = _drafts()
    if uri not in drafts:
        raise ValueError(f"schema {name} declares an unsupported $schema {uri!r}")
    return drafts[uri]


@cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource

    resources = []
    for path in sorted(schemas_dir().glob("*.schema.json")):
        schema = load_schema(path.name)
        if "$id" in schema:
            spec = _draft(schema, path.name)[1]
            resource = Resource.from_contents(schema, default_specification=spec)
            resources.append((schema["$id"], resource))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Validator:
    """The validator of a shipped schema, built once per process."""
    schema = load_schema(name)
    cls = _draft(schema, name)[0]
    # Meta-validation is done by the test suite (tests/test_docs.py), not on every run.
    return cls(schema, registry=_registry())


def errors(name: str, instance: Any, *, data_sha256: str = "") -> list[SchemaError]:
    """Every violation of `instance` against the named schema, in path order.

    Results are cached across runs by the instance's content (`_result_cache`): a rendered
    manifest that did not change is not validated again. `data_sha256`, when given, is a
    digest of exactly `instance` (`RenderedFile.data_sha256`), and keys the result instead
    of a serialisation of it (a dashboard ConfigMap is tens of kB of JSON text).
    """
    key = f"{name}\ndata-sha256:{data_sha256}" if data_sha256 else _cache_key(name, instance)
    stored = _result_cache().get(key)
    decoded = _decode(stored) if stored is not None else None
    if decoded is not None:
        return decoded
    found = {e for error in validator(name).iter_errors(instance) for e in _explain(error)}
    result = sorted(found, key=lambda e: (tuple(str(p) for p in e.path), e.message))
    if all(_storable(e.path) for e in result):
        _result_cache().put(key, [[list(e.path), e.message] for e in result])
    return result


def _cache_key(name: str, instance: Any) -> str:
    """The schema name plus a type-exact digest of the instance.

    Type-exact (`data_digest`): `{1: x}` and `{"1": x}`, `true` and `"true"`, or two key
    orders are different instances with possibly different verdicts, which canonical JSON
    would have given one entry.
    """
    from meshgen.render.context import data_digest

    return f"{name}\ninstance-sha256:{data_digest([instance])}"


def _storable(path: Any) -> bool:
    """Whether an error path is one the cache holds: keys and indexes (str, int) only.

    A path through a NaN or float key is not stored: JSON cannot hold it, and one such
    entry would make its whole shard unwritable.
    """
    return all(type(part) in (str, int) for part in path)


def _decode(stored: Any) -> list[SchemaError] | None:
    """Cached errors back into `SchemaError`s; None for anything not in the stored shape."""
    if not isinstance(stored, list):
        return None
    out = []
    for item in stored:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], str)):
            return None
        path, message = item
        if not isinstance(path, list) or not _storable(path):
            return None
        out.append(SchemaError(tuple(path), message))
    return out


@functools.cache
def _result_cache() -> JsonCache:
    """Validation results, salted with this file, the schemas and the jsonschema libraries."""
    sources = [Path(__file__), *sorted(schemas_dir().glob("*.schema.json"))]
    libraries = ["jsonschema", "referencing", "jsonschema-specifications"]
    return JsonCache("schema-results", salt(sources=sources, distributions=libraries), sharded=True)


def _explain(error: ValidationError) -> Iterator[SchemaError]:
    path: KeyPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(schema.get("properties", {}))
        for key in error.instance:
            if key in known:
                continue
            message = f"unknown field {key!r}"
            close = close_matches(str(key), known, cutoff=0.6)
            if close:
                message += f" (did you mean {close[0]!r}?)"
            elif known:
                message += f"; allowed: {', '.join(known)}"
            yield SchemaError((*path, str(key)), message)
        if known or schema.get("additionalProperties") is False:
            return
    custom = schema.get("x-messages", {})
    text = custom.get(error.validator) if isinstance(custom, dict) else None
    if _from_property_names(error) and isinstance(error.instance, str):
        # jsonschema reports a bad key at the map's path; point at the key itself
        key = error.instance
        yield SchemaError((*path, key), f"key {key!r}: {text or error.message}")
        return
    yield SchemaError(path, str(text) if text else error.message)


def _from_property_names(error: ValidationError) -> bool:
    schema_path = list(error.absolute_schema_path)
    if "propertyNames" not in schema_path:
        return False
    last = len(schema_path) - 1 - schema_path[::-1].index("propertyNames")
    descents = {"properties", "items", "additionalProperties", "patternProperties", "prefixItems"}
    return not descents.intersection(str(p) for p in schema_path[last + 1 :])
