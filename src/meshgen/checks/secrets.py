"""C2xx: secrets and strings that would become code.

meshgen writes a tree that is committed and handed to helm, so a password, token or key in
the config would end up in git and in CI logs. These checks name the key path of such a
value and never echo the value itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
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
    ("a bearer token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{8,}=*")),
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
    return next((kind for kind, pattern in SECRET_VALUES if pattern.search(value)), None)


def _dotted(path: KeyPath) -> str:
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
    for i, svc in enumerate(config.services):
        yield ("services", i, "values"), svc.values


def _leaves(node: Any, path: KeyPath) -> Iterator[tuple[KeyPath, Any, bool]]:
    """(path, scalar, inside a `kind: Secret` data block) of every scalar under `node`."""
    stack: list[tuple[KeyPath, Any, bool]] = [(path, node, False)]
    while stack:
        where, current, in_secret = stack.pop()
        if isinstance(current, Mapping):
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
        return yaml_reader.load_all_safe(text)
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
            where = f" (at {_dotted(inner)} in the embedded YAML)" if inner else ""
            yield path, kind + where, True
    dumped = config.model_dump(by_alias=True, exclude_none=True)
    for path, value, _ in _leaves(dumped, ()):
        if path in seen or not isinstance(value, str):
            continue
        shape = secret_value_kind(value)
        if shape is not None:
            yield path, shape, False


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


@check("C201", "grafana-admin-secret-missing", Severity.WARNING)
def grafana_admin_secret_missing(ctx: CheckContext) -> Iterator[Finding]:
    """Grafana is deployed without `adminSecret`: the chart invents the admin password.

    Why: without an existing Secret the grafana chart generates a random admin password
    into a Secret of its own; under `helm template`/helm-diff it changes on every run (a
    perpetual `helmfile diff`) and nobody outside the cluster knows it (reference 2.5).

    Example: `grafana: {chartVersion: 12.11.1}` with no `adminSecret`.

    Fix: `kubectl -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin
    --from-literal=admin-password=...`, then `adminSecret: {name: grafana-admin}`.
    """
    cfg = ctx.config
    assert cfg is not None
    grafana = cfg.monitoring.grafana
    if grafana is None or grafana.admin_secret is not None:
        return
    admin = grafana.values.get("admin")
    if isinstance(admin, Mapping) and admin.get("existingSecret"):
        return
    yield Finding(
        "Grafana has no adminSecret: the chart generates a random admin password on every "
        "render (a perpetual helmfile diff)",
        at=("monitoring", "grafana"),
        key=True,
        hint="create a Secret with admin-user/admin-password and set "
        "monitoring.grafana.adminSecret.name",
    )


@check("C202", "literal-secret", Severity.ERROR)
def literal_secret(ctx: CheckContext) -> Iterator[Finding]:
    """A password, token or key is written in the config instead of referenced from a Secret.

    Why: meshgen renders the config into files that are committed and shown in CI logs; a
    literal secret there leaks. Found by key name in pass-through values (`adminPassword`,
    `*password*`, `*token*`, `*secret*`, `apiKey`, `privateKey`, `kind: Secret` data) and by
    shape anywhere (PEM private keys, bearer tokens, passwords in URLs, well-known token
    formats). The message names the key path, never the value.

    Example: `grafana: {values: {adminPassword: hunter2}}`

    Fix: keep the value in a Kubernetes Secret and reference it: `adminSecret` for Grafana's
    admin, the chart's `existingSecret`/`secretKeyRef` options, or Grafana's `$__file{...}`.
    """
    cfg = ctx.config
    assert cfg is not None
    for path, kind, by_key in literal_secrets(cfg):
        grafana_root = path[:3] == ("monitoring", "grafana", "values")
        admin = grafana_root and tuple(path[3:]) in GRAFANA_ADMIN_KEYS
        hint = (
            "reference an existing Secret with monitoring.grafana.adminSecret"
            if admin
            else "keep it in a Kubernetes Secret and reference it (existingSecret, "
            "secretKeyRef, $__file{...})"
        )
        what = f"holds a literal {kind}" if by_key else f"contains {kind}"
        yield Finding(
            f"{_dotted(path)} {what}; meshgen never writes secrets into the rendered tree",
            at=path,
            key=by_key,
            hint=hint,
        )


SECRET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


@check("C203", "invalid-secret-reference", Severity.ERROR)
def invalid_secret_reference(ctx: CheckContext) -> Iterator[Finding]:
    """`adminSecret` names a Secret or key that Kubernetes cannot have.

    Why: a Secret name is a DNS-1123 subdomain (at most 253 characters) and a data key is
    letters, digits, `-`, `_` and `.`; any other name can never exist, so Grafana's pod
    fails to start with CreateContainerConfigError.

    Example: `adminSecret: {name: Grafana Admin}`

    Fix: `adminSecret: {name: grafana-admin, passwordKey: admin-password}`.
    """
    cfg = ctx.config
    assert cfg is not None
    grafana = cfg.monitoring.grafana
    if grafana is None or grafana.admin_secret is None:
        return
    ref = grafana.admin_secret
    base = ("monitoring", "grafana", "adminSecret")
    if len(ref.name) > 253 or not SECRET_NAME.match(ref.name):
        yield Finding(f"Secret name {ref.name!r} is not a DNS-1123 subdomain", at=(*base, "name"))
    for field, key in (("userKey", ref.user_key), ("passwordKey", ref.password_key)):
        if len(key) > 253 or not SECRET_KEY.match(key):
            yield Finding(
                f"Secret key {key!r} may hold only letters, digits, '-', '_' and '.'",
                at=(*base, field),
            )


#: What the grafana chart's download script can carry inside its `sed '...'` replacement.
SCRIPT_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:()-]*$")


@check("C204", "unsafe-script-string", Severity.ERROR)
def unsafe_script_string(ctx: CheckContext) -> Iterator[Finding]:
    """The datasource name would be pasted into the grafana chart's download shell script.

    Why: for grafana.com dashboards (`gnetId`) the chart writes `download_dashboards.sh`
    and puts the datasource name, unquoted for the shell, inside `sed '...'` (reference
    2.3); a quote, `/`, `&`, `\\` or a line break there breaks the script or runs as shell
    code in Grafana's init container.

    Example: `datasource: {name: "Prom's"}` with a `gnetId` dashboard.

    Fix: letters, digits, spaces and `_ . : ( ) -` only, e.g. `name: Prometheus`.
    """
    cfg = ctx.config
    assert cfg is not None
    grafana = cfg.monitoring.grafana
    if grafana is None or not any(d.gnet_id is not None for d in grafana.dashboards):
        return
    name = grafana.datasource.name
    if not SCRIPT_SAFE.match(name):
        yield Finding(
            f"datasource name {name!r} is not safe in the chart's dashboard download script",
            at=("monitoring", "grafana", "datasource", "name"),
        )
