"""C2xx: secrets and strings that would become code.

meshgen writes a tree that is committed and handed to helm, so a password, token or key in
the config would end up in git and in CI logs. These checks name the key path of such a
value and never echo the value itself (what holds a secret: `meshgen.analysis.secrets`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from meshgen.analysis.secrets import GRAFANA_ADMIN_KEYS, dotted, literal_secrets
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity


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
            f"{dotted(path)} {what}; meshgen never writes secrets into the rendered tree",
            at=path,
            key=by_key,
            hint=hint,
        )


#: A Secret's name (a DNS-1123 subdomain) and a key of its data (Kubernetes' IsConfigMapKey);
#: `re` compiles each when first used (most configs name no Secret).
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
CONFIG_KEY = r"^[-._a-zA-Z0-9]+$"


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
    if len(ref.name) > 253 or not re.match(DNS1123_SUBDOMAIN, ref.name):
        yield Finding(f"Secret name {ref.name!r} is not a DNS-1123 subdomain", at=(*base, "name"))
    for field, key in (("userKey", ref.user_key), ("passwordKey", ref.password_key)):
        if len(key) > 253 or not re.match(CONFIG_KEY, key):
            yield Finding(
                f"Secret key {key!r} may hold only letters, digits, '-', '_' and '.'",
                at=(*base, field),
            )


#: What breaks the grafana chart's download script inside its `sed '...'` replacement: the
#: quote ends the shell word, `/` the sed expression, `&` and `\\` mean something to sed,
#: a line break ends the command (checked against the real chart's script in
#: tests/realtools/test_grafana_script.py).
SCRIPT_UNSAFE = re.compile(r"['/&\\]|[^\S ]|[\x00-\x1f\x7f]")


@check("C204", "unsafe-script-string", Severity.ERROR)
def unsafe_script_string(ctx: CheckContext) -> Iterator[Finding]:
    """The datasource name would be pasted into the grafana chart's download shell script.

    Why: for grafana.com dashboards (`gnetId`) the chart writes `download_dashboards.sh`
    and puts the datasource name inside `sed '...'` (reference 2.3); a single quote, `/`,
    `&`, `\\` or a line break there breaks the script or runs as shell code in Grafana's
    init container. Other characters (`$`, backquotes, `{{ }}`, non-ASCII) pass through it.

    Example: `datasource: {name: "Prom's"}` with a `gnetId` dashboard.

    Fix: a name without `' / & \\` or line breaks, e.g. `name: Prometheus`.
    """
    cfg = ctx.config
    assert cfg is not None
    grafana = cfg.monitoring.grafana
    if grafana is None or not any(d.gnet_id is not None for d in grafana.dashboards):
        return
    name = grafana.datasource.name
    if SCRIPT_UNSAFE.search(name):
        yield Finding(
            f"datasource name {name!r} is not safe in the chart's dashboard download script",
            at=("monitoring", "grafana", "datasource", "name"),
        )
