"""The names of Istio's extension provider kinds, and which Istio versions have them.

Kept apart from the typed models (`meshgen.models.providers`) so that the checks and the
config model can name kinds without building fifteen pydantic models: those are imported
only when a config or a linted file has `extensionProviders` entries.
"""

import re

EXTENSION_PROVIDER_KINDS = (
    "envoyExtAuthzHttp",
    "envoyExtAuthzGrpc",
    "zipkin",
    "lightstep",
    "datadog",
    "stackdriver",
    "opencensus",
    "skywalking",
    "opentelemetry",
    "prometheus",
    "envoyFileAccessLog",
    "envoyHttpAls",
    "envoyTcpAls",
    "envoyOtelAls",
    "sds",
)

#: Provider kinds istiod no longer implements, and the minor that removed them: "Lightstep
#: and OpenCensus ... will be removed in Istio 1.27" (istio.io, 1.26 upgrade notes;
#: reference stacks.md 4). The proto keeps the fields, so only the version tells.
REMOVED_KINDS: dict[str, tuple[int, int]] = {"lightstep": (1, 27), "opencensus": (1, 27)}

#: Provider fields newer than 1.28: (kind, field) -> the minor that added it
#: (`git diff 1.28.10 1.29.6` / `1.29.6 1.30.3` of config.proto).
FIELDS_ADDED: dict[tuple[str, str], tuple[int, int]] = {
    ("zipkin", "timeout"): (1, 29),
    ("zipkin", "headers"): (1, 29),
    ("opentelemetry", "serviceAttributeEnrichment"): (1, 30),
}


def parse_minor(version: str | None) -> tuple[int, int] | None:
    """`(major, minor)` of `1.30.3`, `v1.27`; None when it is not a version."""
    match = re.match(r"v?(\d+)\.(\d+)", (version or "").strip())
    return (int(match[1]), int(match[2])) if match else None
