"""T150: an access-log format that writes request credentials into every log line.

Read from istiod values (a config's rendered mesh config, or linted istiod values and an
IstioOperator's `spec.meshConfig`): `meshConfig.accessLogFormat`, and each extension
provider's `envoyFileAccessLog.logFormat` / `envoyOtelAls.logFormat` (`text`, `labels`)
and `envoyHttpAls.additionalRequestHeadersToLog`. Envoy's command operators that print a
header are `%REQ(h)%`, `%RESP(h)%`, `%TRAILER(h)%` and `%REQUEST_HEADER(h)%` /
`%RESPONSE_HEADER(h)%` (`h?alt` takes an alternative header, `:N` truncates).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.source import KeyPath, Span

#: Headers that carry a credential (RFC 9110 Authorization/Proxy-Authorization, cookies).
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
)
#: Words that make a custom header a credential (`x-vault-token`, `x-amz-security-token`).
_CREDENTIAL_WORDS = r"(^|-)(token|api-?key|secret|password|passwd)(-|$)"
_HEADER_OPERATOR = (
    r"%(?:REQ|RESP|TRAILER|REQUEST_HEADER|RESPONSE_HEADER|RESPONSE_TRAILER)\(([^)]*)\)(?::\d+)?%"
)


def is_credential_header(name: str) -> bool:
    """A header whose value is a credential (case-insensitive)."""
    lowered = name.strip().lower()
    return lowered in CREDENTIAL_HEADERS or bool(re.search(_CREDENTIAL_WORDS, lowered))


def logged_credentials(text: str) -> list[str]:
    """The credential headers a format string prints, as written, in order."""
    out: list[str] = []
    for match in re.finditer(_HEADER_OPERATOR, text):
        for name in match.group(1).split("?"):
            if is_credential_header(name) and name not in out:
                out.append(name)
    return out


def _formats(mesh: Mapping[str, Any]) -> Iterator[tuple[KeyPath, list[str]]]:
    """(path under meshConfig, credential headers) of every access-log format in `mesh`."""
    text = mesh.get("accessLogFormat")
    if isinstance(text, str) and (found := logged_credentials(text)):
        yield ("accessLogFormat",), found
    providers = mesh.get("extensionProviders")
    for i, provider in enumerate(providers if isinstance(providers, list) else ()):
        if not isinstance(provider, Mapping):
            continue
        for kind in ("envoyFileAccessLog", "envoyOtelAls"):
            spec = provider.get(kind)
            fmt = spec.get("logFormat") if isinstance(spec, Mapping) else None
            if not isinstance(fmt, Mapping):
                continue
            base: KeyPath = ("extensionProviders", i, kind, "logFormat")
            if isinstance(fmt.get("text"), str) and (found := logged_credentials(fmt["text"])):
                yield (*base, "text"), found
            labels = fmt.get("labels")
            for key, value in labels.items() if isinstance(labels, Mapping) else ():
                if isinstance(value, str) and (found := logged_credentials(value)):
                    yield (*base, "labels", str(key)), found
        als = provider.get("envoyHttpAls")
        headers = als.get("additionalRequestHeadersToLog") if isinstance(als, Mapping) else None
        for j, name in enumerate(headers if isinstance(headers, list) else ()):
            if isinstance(name, str) and is_credential_header(name):
                yield (
                    ("extensionProviders", i, "envoyHttpAls", "additionalRequestHeadersToLog", j),
                    [name],
                )


#: Where a config writes what becomes these meshConfig fields.
_CONFIG_SOURCES: tuple[tuple[KeyPath, KeyPath], ...] = (
    (("accessLogFormat",), ("istio", "accessLogging", "format")),
    (("extensionProviders",), ("istio", "extensionProviders")),
)


def _config_span(ctx: CheckContext, path: KeyPath) -> Span | None:
    for mesh_prefix, config_prefix in _CONFIG_SOURCES:
        if path[: len(mesh_prefix)] != mesh_prefix:
            continue
        rest = path[len(mesh_prefix) :]
        for cut in range(len(rest), -1, -1):
            candidate = (*config_prefix, *rest[:cut])
            if ctx.source.has(candidate):
                return ctx.source.lookup(candidate)
    return None


@check("T150", "access-log-logs-credentials", Severity.WARNING, needs=("values",))
def access_log_logs_credentials(ctx: CheckContext) -> Iterator[Finding]:
    """An access-log format that writes the `Authorization` header (or another credential).

    Why: every proxy writes one access-log line per request; a format holding
    `%REQ(AUTHORIZATION)%` (or `Cookie`, `Proxy-Authorization`, an API key or token
    header) copies each caller's bearer token or session into stdout, and from there into
    the log pipeline, where anyone who can read logs can replay it (OWASP logging: never log
    session identifiers or access tokens). Checked in `meshConfig.accessLogFormat` and in
    the extension providers' log formats and header lists.

    Example: `istio: {accessLogging: {enabled: true, format: "%REQ(AUTHORIZATION)% %PATH%\\n"}}`

    Fix: drop the header from the format; to correlate requests log a non-secret such as
    `%REQ(X-REQUEST-ID)%`, or a JWT claim Istio extracts into its own header.
    """
    for doc in ctx.values:
        if doc.chart != "istiod" or doc.secondary:
            continue
        mesh = doc.data.get("meshConfig")
        if not isinstance(mesh, Mapping):
            continue
        for path, headers in _formats(mesh):
            full = ("meshConfig", *path)
            span = (_config_span(ctx, path) if ctx.config is not None else None) or doc.locate(full)
            names = ", ".join(headers)
            shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            yield Finding(
                f"meshConfig{shown} logs the {names} header: every "
                "access-log line then holds the caller's credential",
                span=span,
                hint="remove it from the format (log %REQ(X-REQUEST-ID)% to correlate requests)",
            )
