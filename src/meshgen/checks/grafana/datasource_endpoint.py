"""G130-G136, C153-C154: an external datasource (Thanos, Mimir, VictoriaMetrics), its headers.

`monitoring.grafana.datasource.url` points Grafana at a Prometheus-compatible query endpoint
other than the rendered Prometheus. These checks read the URL with `urllib.parse` at its
config line: what every such endpoint needs (G130), each kind's known pitfall (G131-G133,
G135), a URL that is in fact the rendered Prometheus (G134), and the headers that carry a
tenant or a credential (C153, C154). G136 reads the Grafana values as rendered: two default
datasources stop Grafana's provisioning, whichever produced them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from urllib.parse import SplitResult, urlsplit

from meshgen.analysis.secrets import secret_key_kind, secret_value_kind
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.grafana.common import grafana_values, mapping
from meshgen.checks.secrets import CONFIG_KEY, DNS1123_SUBDOMAIN
from meshgen.diagnostics import Severity
from meshgen.load.documents import ValuesDoc
from meshgen.models import MeshConfig
from meshgen.models.monitoring import Datasource
from meshgen.render import naming
from meshgen.source import KeyPath

DATASOURCE: KeyPath = ("monitoring", "grafana", "datasource")
URL: KeyPath = (*DATASOURCE, "url")

#: Thanos' default ports (`thanos query --help`: `--grpc-address` 0.0.0.0:10901,
#: `--http-address` 0.0.0.0:10902).
THANOS_GRPC_PORT = 10901
THANOS_HTTP_PORT = 10902
#: vmselect's default HTTP port (VictoriaMetrics cluster docs).
VMSELECT_PORT = 8481
#: `accountID` or `accountID:projectID`, each a 32-bit integer (VictoriaMetrics cluster
#: docs, "Multitenancy"); `multitenant` reads across tenants (vmselect's
#: `/select/multitenant/<suffix>`, VictoriaMetrics/VictoriaLogs#492).
VM_TENANT = re.compile(r"^(?:\d{1,10}(?::\d{1,10})?|multitenant)$")
MIMIR_TENANT_HEADER = "x-scope-orgid"
#: Headers that carry a credential whatever their words say.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
#: Bytes Go's `url.Parse` refuses anywhere in a URL ("invalid control character in URL").
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _external(ctx: CheckContext) -> tuple[MeshConfig, Datasource, str] | None:
    """(config, datasource, url) when the datasource names an external endpoint."""
    cfg = ctx.config
    if cfg is None or cfg.monitoring.grafana is None:
        return None
    source = cfg.monitoring.grafana.datasource
    return (cfg, source, source.url) if source.url is not None else None


def _port(parts: SplitResult) -> int | None:
    """The URL's port (the scheme's default when none is written); None when not a number."""
    try:
        port = parts.port
    except ValueError:
        return None
    return port if port is not None else (443 if parts.scheme == "https" else 80)


@check("G130", "datasource-url-invalid", Severity.ERROR)
def datasource_url_invalid(ctx: CheckContext) -> Iterator[Finding]:
    """`datasource.url` is not a URL Grafana can put its Prometheus API paths under.

    Why: Grafana's Prometheus datasource sends `<url>/api/v1/query`, `<url>/api/v1/labels`
    and so on: the URL must be http(s) with a host and a numeric port, and end where the
    Prometheus API's `/api/v1` starts. A URL that already ends in `/api/v1` is doubled
    (`/api/v1/api/v1/query`, 404); a query string or fragment ends up in the middle of
    every request (custom parameters belong in `jsonData.customQueryParameters`); a
    `user:password@` part writes a credential into the rendered tree (Grafana docs,
    https://grafana.com/docs/grafana/latest/datasources/prometheus/configure/).

    Example: `datasource: {kind: thanos, url: "thanos-query:10902/api/v1"}`

    Fix: `url: http://thanos-query.monitoring.svc.cluster.local:10902`.
    """
    found = _external(ctx)
    if found is None:
        return
    _, _, url = found
    parts = urlsplit(url)  # which drops tabs and line breaks: looked for before
    problem: str | None = None
    if _CONTROL.search(url) or url != url.strip() or " " in parts.netloc:
        problem = "it holds whitespace or a control character, which Go's URL parser refuses"
    elif parts.scheme not in ("http", "https"):
        problem = "it is not an http:// or https:// URL"
    elif not parts.hostname:
        problem = "it names no host"
    elif _port(parts) is None:
        problem = "its port is not a number"
    elif parts.username is not None or parts.password is not None:
        problem = "it carries credentials (user@ or user:password@), which land in the tree"
    elif parts.query or parts.fragment:
        problem = "it has a query string or fragment; Grafana appends /api/v1/... to the path"
    elif re.search(r"/api/v1(?:/[a-z_]*)?/?$", parts.path):
        problem = "its path already holds /api/v1; Grafana appends /api/v1/... itself"
    if problem is not None:
        yield Finding(f"datasource url {url!r} is unusable: {problem}", at=URL)


@check("G131", "mimir-prometheus-prefix", Severity.WARNING)
def mimir_prometheus_prefix(ctx: CheckContext) -> Iterator[Finding]:
    """A Mimir datasource URL does not end in `/prometheus`, Mimir's Prometheus API prefix.

    Why: Mimir serves the Prometheus query API under its HTTP prefix, `/prometheus` by
    default (`-http.prometheus-http-prefix`); Grafana appends `/api/v1/...` to the URL,
    so `http://mimir-nginx.mimir.svc` alone asks `/api/v1/query`, which Mimir does not
    serve (404). Mimir's docs give `http://<release>-nginx.<namespace>.svc/prometheus`
    (https://grafana.com/docs/mimir/latest/visualize/). A warning: the prefix can be
    changed (`api.prometheus_http_prefix`).

    Example: `datasource: {kind: mimir, url: "http://mimir-nginx.mimir.svc.cluster.local"}`

    Fix: `url: http://mimir-nginx.mimir.svc.cluster.local/prometheus`.
    """
    found = _external(ctx)
    if found is None or found[1].kind != "mimir":
        return
    url = found[2]
    path = urlsplit(url).path.rstrip("/")
    if not path.endswith("/prometheus"):
        yield Finding(
            f"Mimir datasource url {url!r} does not end in /prometheus, where Mimir serves "
            "the Prometheus API (Grafana appends /api/v1/... to it)",
            at=URL,
            hint=f"url: {url.rstrip('/')}/prometheus",
        )


@check("G132", "thanos-grpc-port", Severity.ERROR)
def thanos_grpc_port(ctx: CheckContext) -> Iterator[Finding]:
    """A Thanos datasource URL names port 10901, Thanos' gRPC StoreAPI port.

    Why: Thanos components listen for gRPC (the StoreAPI other components use) on
    `--grpc-address`, default 0.0.0.0:10901, and for HTTP (the Prometheus query API
    Grafana needs) on `--http-address`, default 0.0.0.0:10902 (`thanos query --help`,
    https://thanos.io/tip/components/query.md/#flags). Grafana speaking HTTP/1.1 to the
    gRPC port gets no Prometheus API answer.

    Example: `datasource: {kind: thanos, url: "http://thanos-query.monitoring:10901"}`

    Fix: `url: http://thanos-query.monitoring.svc.cluster.local:10902` (or the port the
    query Service maps to `--http-address`).
    """
    found = _external(ctx)
    if found is None or found[1].kind != "thanos":
        return
    url = found[2]
    if _port(urlsplit(url)) == THANOS_GRPC_PORT:
        yield Finding(
            f"Thanos datasource url {url!r} names port {THANOS_GRPC_PORT}, Thanos' gRPC "
            f"StoreAPI port; the HTTP query API listens on {THANOS_HTTP_PORT}",
            at=URL,
        )


@check("G133", "victoriametrics-cluster-path", Severity.ERROR)
def victoriametrics_cluster_path(ctx: CheckContext) -> Iterator[Finding]:
    """A VictoriaMetrics cluster (vmselect) URL lacks `/select/<accountID>/prometheus`.

    Why: the cluster version serves queries on vmselect (port 8481) under
    `/select/<accountID>/prometheus` or `/select/<accountID>:<projectID>/prometheus`,
    tenant IDs being 32-bit integers; Grafana appends `/api/v1/...` to that. Without the
    tenant and `/prometheus` parts vmselect answers 400 to every query
    (https://docs.victoriametrics.com/victoriametrics/integrations/grafana/,
    https://docs.victoriametrics.com/victoriametrics/cluster-victoriametrics/). A URL on
    another port without `/select/` is taken for single-node VictoriaMetrics (`:8428`),
    which needs no path.

    Example: `datasource: {kind: victoriametrics, url: "http://vmselect.vm:8481"}`

    Fix: `url: http://vmselect.vm.svc.cluster.local:8481/select/0/prometheus`.
    """
    found = _external(ctx)
    if found is None or found[1].kind != "victoriametrics":
        return
    url = found[2]
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    cluster = _port(parts) == VMSELECT_PORT or (segments[:1] == ["select"])
    if not cluster:
        return
    if (
        len(segments) == 3
        and segments[0] == "select"
        and VM_TENANT.match(segments[1])
        and segments[2] == "prometheus"
    ):
        return
    yield Finding(
        f"VictoriaMetrics cluster datasource url {url!r} does not end in "
        "/select/<accountID>/prometheus, where vmselect serves the Prometheus API",
        at=URL,
        hint=f"e.g. {parts.scheme}://{parts.netloc}/select/0/prometheus",
    )


def _rendered_prometheus(cfg: MeshConfig) -> tuple[str, str, int] | None:
    """(Service, namespace, port) of the Prometheus this config renders, if any."""
    if cfg.monitoring.operator:
        from meshgen.render import stack_names

        return stack_names.prometheus_service(cfg)
    prometheus = cfg.monitoring.prometheus
    if prometheus is None:
        return None
    return naming.prometheus_server(prometheus.release, cfg.monitoring.namespace, prometheus.values)


@check("G134", "datasource-kind-mismatch", Severity.WARNING)
def datasource_kind_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    """A Thanos/Mimir/VictoriaMetrics datasource's URL is the rendered Prometheus Service.

    Why: `kind` sets Grafana's `prometheusType`, which decides which API features Grafana
    uses (Mimir's and Thanos' own endpoints, the label values API); the rendered
    Prometheus Service is a plain Prometheus. Either the URL is a leftover and the
    dashboards never read the long-term store, or `kind` is wrong.

    Example: `datasource: {kind: thanos, url:
    "http://prometheus-server.monitoring.svc.cluster.local:80"}`

    Fix: the URL of the Thanos Query / Mimir / vmselect Service, or drop `kind` and `url`
    to read the rendered Prometheus.
    """
    found = _external(ctx)
    if found is None or found[1].kind == "prometheus":
        return
    cfg, source, url = found
    rendered = _rendered_prometheus(cfg)
    if rendered is None:
        return
    service, namespace, port = rendered
    parts = urlsplit(url)
    labels = (parts.hostname or "").split(".")
    host_namespace = labels[1] if len(labels) > 1 else cfg.monitoring.namespace
    if labels[0] == service and host_namespace == namespace and _port(parts) == port:
        yield Finding(
            f"datasource kind {source.kind!r} but url {url!r} is the rendered Prometheus "
            f"Service {service}.{namespace}",
            at=URL,
            related=((*DATASOURCE, "kind"),) if ctx.source.has((*DATASOURCE, "kind")) else (),
        )


@check("G135", "mimir-tenant-header-missing", Severity.WARNING)
def mimir_tenant_header_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A Mimir datasource sends no `X-Scope-OrgID` tenant header.

    Why: Mimir is multi-tenant; a query takes its tenant from the `X-Scope-OrgID` HTTP
    header, and with multi-tenancy on (the default) a request without it is refused
    ("no org id"), so every panel is empty
    (https://grafana.com/docs/mimir/latest/manage/secure/authentication-and-authorization/).
    A warning: an authenticating proxy in front of Mimir may set the header itself, or
    multi-tenancy may be off (`anonymous`).

    Example: `datasource: {kind: mimir, url: "http://mimir-nginx.mimir.svc/prometheus"}`

    Fix: `headers: [{name: X-Scope-OrgID, value: <tenant>}]`, or
    `secret: {name: mimir-tenant, key: tenant}` to keep the tenant out of the tree.
    """
    found = _external(ctx)
    if found is None or found[1].kind != "mimir":
        return
    if any(h.name.lower() == MIMIR_TENANT_HEADER for h in found[1].headers):
        return
    yield Finding(
        "Mimir datasource sends no X-Scope-OrgID header: with multi-tenancy on, Mimir "
        "refuses queries without a tenant",
        at=DATASOURCE,
        key=True,
        hint="headers: [{name: X-Scope-OrgID, secret: {name: <Secret>, key: <key>}}]",
    )


@check("G136", "two-default-datasources", Severity.ERROR, needs=("values",))
def two_default_datasources(ctx: CheckContext) -> Iterator[Finding]:
    """More than one datasource is marked default in Grafana's provisioning.

    Why: Grafana refuses the whole datasource provisioning with "datasource.yaml config is
    invalid. Only one datasource per organization can be marked as default"
    (grafana/grafana pkg/services/provisioning/datasources) and does not start. Under
    kube-prometheus-stack the stack's datasource sidecar adds its own default Prometheus
    datasource (`sidecar.datasources.isDefaultDatasource: true`) beside meshgen's,
    which is why meshgen turns that sidecar off.

    Example: `monitoring.grafana.values: {sidecar: {datasources: {enabled: true}}}` under
    `stack: kube-prometheus-stack`, or a pass-through datasource with `isDefault: true`.

    Fix: keep one default datasource: set `isDefault: false` on the others, or leave the
    stack's datasource sidecar off.
    """
    values = grafana_values(ctx)
    if values is None:
        return
    # (document, key path) of each default; located only when reported (locating a rendered
    # value parses its file with positions, which `meshgen check` otherwise never needs).
    defaults: list[tuple[ValuesDoc, KeyPath]] = []
    for file, content in mapping(values.data.get("datasources")).items():
        entries = mapping(content).get("datasources")
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            if isinstance(entry, Mapping) and entry.get("isDefault") is True:
                defaults.append((values, ("datasources", file, "datasources", index, "isDefault")))
    stack = next((v for v in ctx.values if v.chart == "kube-prometheus-stack"), None)
    section = mapping(stack.data.get("grafana")) if stack is not None else {}
    sidecar = mapping(mapping(section.get("sidecar")).get("datasources"))
    # The stack's own datasource ConfigMap, which its datasource sidecar loads
    # (templates/grafana/configmaps-datasources.yaml of kube-prometheus-stack 88.5.3).
    if stack is not None and sidecar.get("enabled") is True:
        at: KeyPath = ("grafana", "sidecar", "datasources")
        if (
            sidecar.get("defaultDatasourceEnabled", True) is True
            and sidecar.get("isDefaultDatasource", True) is True
        ):
            defaults.append((stack, (*at, "enabled")))
        extra = section.get("additionalDataSources")
        for index, entry in enumerate(extra if isinstance(extra, list) else ()):
            if isinstance(entry, Mapping) and entry.get("isDefault") is True:
                defaults.append((stack, ("grafana", "additionalDataSources", index)))
    if len(defaults) < 2:
        return
    (first_doc, first), (second_doc, second) = defaults[:2]
    yield Finding(
        f"{len(defaults)} datasources are marked default; Grafana's provisioning accepts one "
        "per organization and stops",
        span=second_doc.locate(second),
        related=(first_doc.locate(first),),
    )


@check("C153", "literal-credential-header", Severity.ERROR)
def literal_credential_header(ctx: CheckContext) -> Iterator[Finding]:
    """A datasource header that carries a credential is written as a literal `value`.

    Why: header values are rendered into Grafana's values, which are committed and shown
    in CI logs. A tenant ID (`X-Scope-OrgID`) is an identifier, but `Authorization`,
    `Cookie` or an `*-Api-Key`/`*-Token` header holds a credential; so does any value
    shaped like one (a bearer token, a JWT).

    Example: `headers: [{name: Authorization, value: "Bearer eyJ..."}]`

    Fix: `headers: [{name: Authorization, secret: {name: mimir-auth, key: header}}]`
    (Grafana reads it from an environment variable the chart fills from the Secret).
    """
    found = _external(ctx)
    if found is None:
        return
    for index, header in enumerate(found[1].headers):
        if header.value is None:
            continue
        name = header.name.lower()
        kind = (
            "a credential header"
            if name in CREDENTIAL_HEADERS or secret_key_kind(header.name)
            else None
        )
        shape = secret_value_kind(header.value)
        if kind is None and shape is None:
            continue
        what = kind or f"a value shaped like {shape}"
        yield Finding(
            f"datasource header {header.name!r} is {what} written as a literal value; "
            "meshgen never writes secrets into the rendered tree",
            at=(*DATASOURCE, "headers", index, "value"),
            hint="take it from a Secret: secret: {name: <Secret>, key: <key>}",
        )


@check("C154", "invalid-header-secret-reference", Severity.ERROR)
def invalid_header_secret_reference(ctx: CheckContext) -> Iterator[Finding]:
    """A datasource header's `secret` names a Secret or key Kubernetes cannot have.

    Why: a Secret name is a DNS-1123 subdomain (at most 253 characters) and a data key is
    letters, digits, `-`, `_` and `.`; any other name can never exist, so the Grafana pod
    (whose environment reads it) fails with CreateContainerConfigError.

    Example: `headers: [{name: X-Scope-OrgID, secret: {name: Mimir Tenant, key: id}}]`

    Fix: `secret: {name: mimir-tenant, key: tenant}`, a Secret in the monitoring namespace.
    """
    found = _external(ctx)
    if found is None:
        return
    for index, header in enumerate(found[1].headers):
        ref = header.secret
        if ref is None:
            continue
        base = (*DATASOURCE, "headers", index, "secret")
        if len(ref.name) > 253 or not re.match(DNS1123_SUBDOMAIN, ref.name):
            yield Finding(
                f"Secret name {ref.name!r} is not a DNS-1123 subdomain", at=(*base, "name")
            )
        if len(ref.key) > 253 or not re.match(CONFIG_KEY, ref.key):
            yield Finding(
                f"Secret key {ref.key!r} may hold only letters, digits, '-', '_' and '.'",
                at=(*base, "key"),
            )
