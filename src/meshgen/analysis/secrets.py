"""Secrets in a config: which keys and values hold one, and the config with them redacted.

meshgen writes a tree that is committed and handed to helm, so a password, token or key in
the config would end up in git and in CI logs. The C2xx checks (`meshgen.checks.secrets`)
report what this module finds; the renderer writes `redact_secrets`' copy of the config.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from meshgen.load import yaml_reader
from meshgen.models import MeshConfig
from meshgen.source import KeyPath

#: A word of a key that, on its own, names a secret (`adminPassword`, `client_secret`).
SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "token", "credential", "credentials"}
)


#: `<word> key` pairs that name key material (`apiKey`, `secret_key`, `AWS_SECRET_ACCESS_KEY`).
KEY_MATERIAL = frozenset(
    {"api", "private", "access", "secret", "signing", "encryption", "client", "license", "auth"}
)


#: A last word that makes the key describe a secret rather than hold one
#: (`bearerTokenFile`, `passwordKey`, `tokenAudience`, `secretName`).
DESCRIBES = frozenset(
    {
        "file", "files", "path", "paths", "dir", "name", "names", "ref", "refs", "reference",
        "keys", "mount", "mounts", "env", "audience", "aud", "ttl", "lifetime", "expiry",
        "expiration", "timeout", "interval", "period", "enabled", "enable", "type", "policy",
        "mode", "length", "size", "limit", "max", "min", "count", "header", "field", "url",
        "uri", "endpoint", "provider", "issuer", "namespace", "selector", "label", "annotation",
        "format", "version", "volume", "template", "prefix", "suffix", "from", "source",
    }
)  # fmt: skip


#: A value that points at a secret instead of holding one (Grafana, shell and k8s env refs).
REFERENCE = re.compile(
    r"^(?:\$__(?:env|file|vault)\{[^}]*\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\))$"
)


#: Values that are secrets whatever their key: (description, pattern).
SECRET_VALUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key (PEM block)", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("a bearer token", re.compile(r"(?i:\bbearer)\s+[A-Za-z0-9._~+/-]{8,}=*")),
    ("a password in a URL", re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@$]+@")),
    ("a JSON Web Token", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("a GitLab token", re.compile(r"\bglpat-[\w-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("an AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("a Grafana service account token", re.compile(r"\bglsa_\w{32,}")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("an API key (sk-...)", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
)
#: Any of `SECRET_VALUES`: one search per string decides the common case, "none of them".
_ANY_SECRET_VALUE = re.compile("|".join(f"(?:{p.pattern})" for _, p in SECRET_VALUES))


GRAFANA_ADMIN_KEYS = frozenset(
    {
        ("adminPassword",),
        ("grafana.ini", "security", "admin_password"),
        ("env", "GF_SECURITY_ADMIN_PASSWORD"),
    }
)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def key_words(key: str) -> list[str]:
    """`adminPassword` -> [admin, password]; `AWS_SECRET_ACCESS_KEY` -> [aws, secret, ...]."""
    return [w for w in re.split(r"[^a-z0-9]+", _CAMEL.sub(" ", key).lower()) if w]


def secret_key_kind(key: str) -> str | None:
    """What secret a key of this name holds (`password`, `api key`, ...), or None."""
    words = key_words(key)
    if not words or "existing" in words:
        return None
    last = words[-1]
    if last == "key":
        before = words[-2] if len(words) > 1 else ""
        # `passwordKey`, `userKey`: the name of an entry inside a Secret, not the secret.
        return f"{before} key" if before in KEY_MATERIAL else None
    if last in DESCRIBES:
        return None
    return next((w for w in words if w in SECRET_WORDS), None)


def secret_value_kind(value: str) -> str | None:
    """What kind of secret a string is by its shape alone, or None."""
    if _ANY_SECRET_VALUE.search(value) is None:
        return None
    return next((kind for kind, pattern in SECRET_VALUES if pattern.search(value)), None)


def dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def pass_through_roots(config: MeshConfig) -> Iterator[tuple[KeyPath, Any]]:
    """Free-form mappings the config hands to a chart or to meshConfig unchecked."""
    istio = config.istio
    yield ("istio", "values"), istio.values
    yield ("istio", "baseValues"), istio.base_values
    yield ("istio", "meshConfig"), istio.mesh_config
    for i, provider in enumerate(istio.extension_providers):
        yield ("istio", "extensionProviders", i), provider.to_mesh_config()
    if config.monitoring.prometheus:
        yield ("monitoring", "prometheus", "values"), config.monitoring.prometheus.values
    if config.monitoring.grafana:
        yield ("monitoring", "grafana", "values"), config.monitoring.grafana.values
    if config.monitoring.kube_prometheus_stack:
        stack = config.monitoring.kube_prometheus_stack
        yield ("monitoring", "kubePrometheusStack", "values"), stack.values
    for i, svc in enumerate(config.services):
        yield ("services", i, "values"), svc.values


def _leaves(node: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Any, bool]]:
    """(path, scalar, inside a `kind: Secret` data block) of every scalar under `node`."""
    stack: list[tuple[KeyPath, Any, bool]] = [(path, node, False)]
    while stack:
        where, current, in_secret = stack.pop()
        kind = type(current)
        if kind is str or kind is int or kind is bool or kind is float or current is None:
            yield where, current, in_secret  # the common case first: a plain scalar
        elif kind is dict or isinstance(current, Mapping):
            secret_object = current.get("kind") == "Secret"
            for key, value in current.items():
                data = secret_object and key in ("data", "stringData")
                stack.append(((*where, str(key)), value, in_secret or data))
        elif isinstance(current, list | tuple):
            stack.extend(((*where, i), v, in_secret) for i, v in enumerate(current))
        else:
            yield where, current, in_secret


def _embedded(text: str) -> Any:
    """A multi-line string that is itself YAML (`extraScrapeConfigs: |`), parsed; else None."""
    if "\n" not in text or ":" not in text:
        return None
    try:
        # As the program the string is for reads it (Prometheus, Grafana: Go YAML 1.1).
        return yaml_reader.helm_data(text)
    except Exception:  # not YAML: an ordinary multi-line string
        return None


def _keyed_secrets(node: Any, root: KeyPath) -> Iterator[tuple[KeyPath, str, KeyPath]]:
    """(path, kind, path inside an embedded YAML string) of secrets found by key name."""
    for path, value, in_secret in _leaves(node, root):
        if isinstance(value, bool) or not isinstance(value, str | int):
            continue
        text = str(value)
        if not text or REFERENCE.match(text):
            continue
        last = path[-1]
        kind: str | None = "Secret data value" if in_secret else None
        if kind is None and isinstance(last, str):
            kind = secret_key_kind(last)
        if kind is not None:
            yield path, kind, ()
        elif isinstance(value, str) and (inner := _embedded(value)) is not None:
            for inner_path, inner_kind, _ in _keyed_secrets(inner, ()):
                yield path, inner_kind, inner_path[1:]  # [1:]: the document index


def literal_secrets(config: MeshConfig) -> Iterator[tuple[KeyPath, str, bool]]:
    """(key path, what it is, found by its key name) of every literal secret in the config.

    Rendering (to redact) and C202 (to report) both ask for the same config; the answer for
    the last config asked about is kept (configs are immutable).
    """
    last = _LAST_SECRETS.get("config")
    if last is not None and last[0] is config:
        return iter(last[1])
    found = tuple(_find_literal_secrets(config))
    _LAST_SECRETS["config"] = (config, found)
    return iter(found)


_LAST_SECRETS: dict[str, tuple[MeshConfig, tuple[tuple[KeyPath, str, bool], ...]]] = {}


def _find_literal_secrets(config: MeshConfig) -> Iterator[tuple[KeyPath, str, bool]]:
    seen: set[KeyPath] = set()
    for root, values in pass_through_roots(config):
        for path, kind, inner in _keyed_secrets(values, root):
            seen.add(path)
            where = f" (at {dotted(inner)} in the embedded YAML)" if inner else ""
            yield path, kind + where, True
    dumped = config.model_dump(by_alias=True, exclude_none=True)
    # A config repeats its strings (`SERVER`, chart names, label values): one search each,
    # and the key paths of the leaves are only built when some string is a secret.
    shapes = {value: secret_value_kind(value) for value in _strings(dumped)}
    if not any(shapes.values()):
        return
    for path, value, _ in _leaves(dumped, ()):
        if path in seen or not isinstance(value, str):
            continue
        shape = shapes[value]
        if shape is not None:
            yield path, shape, False


def _strings(node: Any) -> set[str]:
    """Every distinct string value under `node` (keys excluded), as `_leaves` visits them."""
    found: set[str] = set()
    add = found.add
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        # A dump is exact dicts, lists and strings: those are told by their type, and a
        # container's strings are taken as they are met (most leaves are strings).
        if kind is dict or kind is list or kind is tuple:
            for item in current.values() if kind is dict else current:
                if type(item) is str:
                    add(item)
                else:
                    stack.append(item)  # a container, or a scalar the loop passes over
        elif isinstance(current, str):
            add(current)
        elif isinstance(current, Mapping):
            stack.extend(current.values())
        elif isinstance(current, list | tuple):
            stack.extend(current)
    return found


#: What a rendered file holds in place of a literal secret.
REDACTED = "<redacted by meshgen: C202 literal-secret>"


def redact_secrets(config: MeshConfig) -> MeshConfig:
    """The config with every literal secret replaced by `REDACTED` (itself when none).

    Rendering uses this, so a secret never reaches a rendered file, a `--check` diff or a
    log, even with `render --force`. A config that ignores C202 in `checks:` (a false
    positive, with its reason) renders its values as written.
    """
    if any(s.code.upper() == "C202" and s.severity == "ignore" for s in config.checks):
        return config
    paths = [path for path, _, _ in literal_secrets(config)]
    if not paths:
        return config
    data: Any = config.model_dump(by_alias=True)
    for path in paths:
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = REDACTED
    return MeshConfig.model_validate(data)
