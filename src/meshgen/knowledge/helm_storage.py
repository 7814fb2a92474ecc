"""How big Kubernetes counts a ConfigMap and how big Helm's stored release is.

Kubernetes (`pkg/apis/core/validation/validation.go`, `ValidateConfigMap`): the sum of
`len(value)` over `data` and `binaryData`, in bytes, must not exceed `MaxSecretSize`,
1 MiB (1,048,576 B); keys, labels and annotations are not part of that sum (annotations
have their own 256 KiB total, which is what `kubectl apply`'s client-side
`last-applied-configuration` annotation runs into; Helm does not write it).
`ValidateSecret` counts a Secret's `data` the same way.

Helm (`pkg/storage/driver/util.go`, `encodeRelease`, and `secrets.go`,
`newSecretsObject`): a release revision is `json.Marshal`-ed, gzip-compressed at
`gzip.BestCompression`, base64-encoded (`StdEncoding`) and stored as the `release` key of
one Secret, so that base64 text is what `ValidateSecret` counts against 1 MiB.

The release JSON follows Helm 4's `release.Release` (`helm install --dry-run=client -o
json` prints it): name, info, chart (metadata, lock, templates, values, schema, files; a
file's bytes are base64 in JSON, with its modtime), config (the values given), manifest (the
rendered text), version, namespace, apply_method. Helm 3 writes the same without the
modtimes and apply_method, a fraction of a percent smaller: counting Helm 4's never passes
a release Helm 4 cannot store. Go's `encoding/json` sorts map keys
and escapes `<`, `>`, `&`, U+2028 and U+2029; Python's zlib at level 9 stands in for Go's
`compress/flate` at `BestCompression` (both DEFLATE with lazy matching; their outputs are
not byte-identical, and differ in size by well under one percent on JSON text).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

#: gzip's fixed header (no file name, as Go's writer and `gzip.compress` write it) and its
#: trailer (CRC-32 and length) around the DEFLATE stream.
_GZIP_HEADER, _GZIP_TRAILER = 10, 8
#: `MaxSecretSize`, the limit of a ConfigMap's or a Secret's data (1 MiB).
MAX_OBJECT_DATA = 1024 * 1024
#: An RFC 3339 timestamp as Go writes `time.Time` (the length of a real one).
_TIMESTAMP = "2026-01-01T00:00:00.000000000Z"
_ZERO_TIME = "0001-01-01T00:00:00Z"
_GO_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def configmap_data_size(
    data: Mapping[str, Any] | None, binary: Mapping[str, Any] | None = None
) -> int:
    """Bytes `ValidateConfigMap` counts: every `data` value (UTF-8) and `binaryData` value.

    `binaryData` values are base64 in a manifest; the API server counts the decoded bytes.
    """
    total = sum(len(str(v).encode("utf-8")) for v in (data or {}).values())
    for value in (binary or {}).values():
        try:
            total += len(base64.b64decode(str(value), validate=False))
        except ValueError:  # not base64: the API server refuses it before counting
            total += len(str(value))
    return total


def go_json(data: Any) -> bytes:
    """`data` as Go's `json.Marshal` writes it (compact, map keys sorted, HTML escapes)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return _go_escaped(text)


def go_json_chunks(data: Any, size: int = 1 << 20) -> Iterator[bytes]:
    """`go_json(data)` in pieces of about `size` characters, never held whole.

    A release holding a thousand dashboards is tens of MB of JSON; as one text, plus its
    escaped copy and its bytes, it took a first (uncached) check 95 MB.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    pending: list[str] = []
    length = 0
    for piece in encoder.iterencode(data):
        pending.append(piece)
        length += len(piece)
        if length >= size:
            yield _go_escaped("".join(pending))
            pending, length = [], 0
    if pending:
        yield _go_escaped("".join(pending))


def _go_escaped(text: str) -> bytes:
    for char, escaped in _GO_ESCAPES.items():
        text = text.replace(char, escaped)
    return text.encode("utf-8", "surrogatepass")


def sorted_keys(data: Any) -> Any:
    """Maps with their keys sorted, as Go marshals `map[string]interface{}`."""
    if isinstance(data, Mapping):
        return {str(k): sorted_keys(data[k]) for k in sorted(data, key=str)}
    if isinstance(data, list | tuple):
        return [sorted_keys(item) for item in data]
    return data


def _file(name: str, data: bytes) -> dict[str, str]:
    return {"name": name, "data": base64.b64encode(data).decode("ascii"), "modtime": _TIMESTAMP}


def release_json_chunks(
    *,
    name: str,
    namespace: str,
    chart: Mapping[str, str],
    templates: Iterable[tuple[str, bytes]] = (),
    files: Iterable[tuple[str, bytes]] = (),
    chart_values: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    manifest: str = "",
) -> Iterator[bytes]:
    """Helm 4's JSON of the first revision of a release (field order of `release.Release`).

    In pieces (`go_json_chunks`), as `release_secret_size` measures it: the JSON of a
    release holding a thousand dashboards is tens of MB.
    """
    release = {
        "name": name,
        "info": {
            "first_deployed": _TIMESTAMP,
            "last_deployed": _TIMESTAMP,
            "deleted": "",
            "description": "Install complete",
            "status": "deployed",
        },
        "chart": {
            "metadata": dict(chart),
            "lock": None,
            "templates": [_file(n, d) for n, d in templates],
            "values": sorted_keys(dict(chart_values or {})),
            "schema": None,
            "schemamodtime": _ZERO_TIME,
            "files": [_file(n, d) for n, d in files],
            "modtime": _TIMESTAMP,
        },
        "config": sorted_keys(dict(config or {})),
        "manifest": manifest,
        "version": 1,
        "namespace": namespace,
        "apply_method": "ssa",
    }
    return go_json_chunks(release)


def release_secret_size(release: Iterable[bytes]) -> int:
    """Bytes of the `release` key Helm stores: base64 of the gzip (best) of the JSON.

    The JSON comes in pieces (`release_json_chunks`): DEFLATE's output does not depend on
    how its input is cut, so only the compressed length is kept, not the text.
    """
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    size = _GZIP_HEADER + _GZIP_TRAILER
    for chunk in release:
        size += len(deflate.compress(chunk))
    size += len(deflate.flush())
    return 4 * ((size + 2) // 3)
