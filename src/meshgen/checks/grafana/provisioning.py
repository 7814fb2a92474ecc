"""G101-G105, G108: how the Grafana chart values provision dashboards and the datasource.

These read the Grafana values as rendered (meshgen's own plus anything passed through
`monitoring.grafana.values`, deep-merged), so a pass-through key that breaks provisioning is
reported at the line that wrote it (reference helmfile-grafana-prometheus.md 2.2-2.4).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.grafana.common import (
    PROVIDERS_KEY,
    dashboard_entries,
    datasource_names,
    entry_span,
    grafana_values,
    mapping,
    provisioned_datasources,
)
from meshgen.diagnostics import Severity
from meshgen.knowledge.dashboard_datasources import ISTIO_GRAFANA_COM, DatasourceRefs
from meshgen.render import naming
from meshgen.render.datasource import provisioning_read
from meshgen.render.prometheus import unescape_tpl
from meshgen.source import KeyPath


def _providers(data: Mapping[str, Any]) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    """(providers file key, index, provider) of every dashboard provider."""
    for file, content in mapping(data.get("dashboardProviders")).items():
        providers = mapping(content).get("providers")
        for index, provider in enumerate(providers if isinstance(providers, list) else ()):
            if isinstance(provider, Mapping):
                yield str(file), index, provider


@check("G101", "duplicate-dashboard-provider", Severity.ERROR, needs=("values",))
def duplicate_dashboard_provider(ctx: CheckContext) -> Iterator[Finding]:
    """Two Grafana dashboard providers share a name.

    Why: Grafana identifies a file provider by its name; a second provider with the same
    name is refused or shadows the first, so one folder of dashboards never loads
    (grafana/grafana#20421).

    Example: `monitoring.grafana.values: {dashboardProviders: {dashboardproviders.yaml:
    {providers: [{name: istio, ...}, {name: istio, ...}]}}}`

    Fix: give every provider its own name, equal to its `dashboards` key.
    """
    values = grafana_values(ctx)
    if values is None:
        return
    first: dict[str, KeyPath] = {}
    for file, index, provider in _providers(values.data):
        name = provider.get("name")
        if not isinstance(name, str):
            continue
        path: KeyPath = ("dashboardProviders", file, "providers", index, "name")
        if name in first:
            yield Finding(
                f"dashboard provider {name!r} is defined twice",
                span=values.locate(path),
                related=(values.locate(first[name]),),
            )
        else:
            first[name] = path


@check("G102", "dashboard-provider-missing", Severity.ERROR, needs=("values",))
def dashboard_provider_missing(ctx: CheckContext) -> Iterator[Finding]:
    """A `dashboards` key names no provider under `dashboardProviders.dashboardproviders.yaml`.

    Why: the chart writes `dashboards.<key>.*` to `/var/lib/grafana/dashboards/<key>`, but
    Grafana only loads folders a provider declares; without a provider of that exact name
    the dashboards are silently absent. The download script only reads providers under the
    `dashboardproviders.yaml` key (other keys break rendering of grafana.com dashboards).

    Example: `dashboards: {mesh: {...}}` with only a provider named `istio`.

    Fix: add a provider named like the `dashboards` key (meshgen does this for
    `monitoring.grafana.dashboards`; check pass-through `values`).
    """
    values = grafana_values(ctx)
    if values is None:
        return
    standard = {
        str(p.get("name")): (file, index)
        for file, index, p in _providers(values.data)
        if file == PROVIDERS_KEY
    }
    elsewhere = {
        str(p.get("name")): file for file, _, p in _providers(values.data) if file != PROVIDERS_KEY
    }
    for provider in mapping(values.data.get("dashboards")):
        if provider in standard:
            continue
        span = values.locate(("dashboards", provider))
        if provider in elsewhere:
            yield Finding(
                f"dashboards folder {provider!r} has its provider under dashboardProviders."
                f"{elsewhere[provider]}; the chart reads providers from {PROVIDERS_KEY} only",
                span=span,
                hint=f"move the provider under `dashboardProviders.{PROVIDERS_KEY}.providers`",
            )
        else:
            yield Finding(
                f"dashboards folder {provider!r} has no dashboard provider named {provider!r}: "
                "Grafana will not load these dashboards",
                span=span,
            )


@check("G103", "dashboard-provider-path", Severity.ERROR, needs=("values",))
def dashboard_provider_path(ctx: CheckContext) -> Iterator[Finding]:
    """A dashboard provider's `options.path` is not `/var/lib/grafana/dashboards/<name>`.

    Why: the chart mounts `dashboards.<name>.*` at `/var/lib/grafana/dashboards/<name>`
    whatever the provider says; a provider looking elsewhere finds an empty folder.

    Example: `{name: istio, options: {path: /var/lib/grafana/dashboards/default}}`

    Fix: `options.path: /var/lib/grafana/dashboards/istio` (the provider's own name).
    """
    values = grafana_values(ctx)
    if values is None:
        return
    folders = set(mapping(values.data.get("dashboards")))
    for file, index, provider in _providers(values.data):
        name = provider.get("name")
        if not isinstance(name, str) or name not in folders:
            continue
        path = mapping(provider.get("options")).get("path")
        expected = naming.dashboard_provider_path(name)
        if isinstance(path, str) and path.rstrip("/") == expected:
            continue
        at: KeyPath = ("dashboardProviders", file, "providers", index, "options", "path")
        yield Finding(
            f"dashboard provider {name!r} reads {path!r}, but the chart puts its dashboards "
            f"in {expected}",
            span=values.locate(at),
            hint=f"set options.path to {expected}",
        )


@check("G104", "unpinned-dashboard-revision", Severity.WARNING, needs=("values",))
def unpinned_dashboard_revision(ctx: CheckContext) -> Iterator[Finding]:
    """A grafana.com dashboard has no pinned `revision`.

    Why: without `revision` the chart downloads revision 1, the oldest export (for Istio's
    dashboards years out of date); Istio publishes one revision per release.

    Example: `dashboards: [{name: istio-mesh, gnetId: 7639}]`

    Fix: add the revision whose description names your Istio version, e.g. `revision: 330`.
    """
    values = grafana_values(ctx)
    if values is None:
        return
    for provider, name, entry in dashboard_entries(values):
        if entry.get("gnetId") is None or entry.get("revision") is not None:
            continue
        yield Finding(
            f"grafana.com dashboard {name!r} (gnetId {entry['gnetId']}) has no revision: the "
            "chart downloads revision 1",
            span=entry_span(ctx, values, provider, name),
        )


@check("G105", "dashboard-datasource-binding", Severity.ERROR, needs=("values",))
def dashboard_datasource_binding(ctx: CheckContext) -> Iterator[Finding]:
    """A grafana.com dashboard's datasource binding does not fit what its JSON references.

    Why: the chart rewrites a downloaded dashboard in one of two ways. The list form
    `datasource: [{name: DS_PROMETHEUS, value: <datasource>}]` substitutes the
    `${DS_PROMETHEUS}` input of a grafana.com export (string and object references); the
    string form `datasource: <name>` is a `sed` that rewrites every `"datasource": "...",`
    line, i.e. string references only (`"Prometheus"`, `"${DS_PROMETHEUS}"`), never an
    object reference's `uid`. Which one a dashboard needs depends on what it references:
    Istio's own dashboards (7639, 7636, 7630, 11829, 7645) read through their `datasource`
    template variable and need neither. Of an export meshgen has no record of, only a
    missing binding is reported (exports reference `${DS_PROMETHEUS}`): whether the string
    form reaches its references depends on JSON meshgen cannot see. Either form must name a
    provisioned datasource.

    Example: `{gnetId: 1860, revision: 37}` (no binding), or `datasource: Thanos` with no
    datasource named Thanos.

    Fix: for an export with `${DS_PROMETHEUS}`, `datasource: [{name: DS_PROMETHEUS, value:
    Prometheus}]`; for a dashboard with literal `"datasource": "<name>"` strings, the string
    form naming the provisioned datasource.
    """
    values = grafana_values(ctx)
    if values is None:
        return
    datasources = provisioned_datasources(values)
    known = datasource_names(datasources) if datasources is not None else None
    for provider, name, entry in dashboard_entries(values):
        gnet_id = entry.get("gnetId")
        if gnet_id is None:
            continue
        record = ISTIO_GRAFANA_COM.get(gnet_id) if isinstance(gnet_id, int) else None
        refs = record if record is not None else _UNKNOWN_EXPORT
        binding = entry.get("datasource")
        at = ("dashboards", provider, name, "datasource")
        if binding is None:
            if refs.inputs:
                yield Finding(
                    f"grafana.com dashboard {name!r} does not bind DS_PROMETHEUS: its panels "
                    "reference ${DS_PROMETHEUS}, which stays unresolved",
                    span=entry_span(ctx, values, provider, name),
                    hint=_LIST_FORM,
                )
            continue
        if not isinstance(binding, list):
            if known is not None and str(binding) not in known:
                yield Finding(
                    f"grafana.com dashboard {name!r} is bound to {binding!r}, which no "
                    "provisioned datasource is named",
                    span=values.locate(at),
                    hint=f"provisioned: {', '.join(sorted(known)) or 'none'}",
                )
            elif record is not None and refs.input_uids:
                yield Finding(
                    f"grafana.com dashboard {name!r} uses the string form of `datasource`, a "
                    "sed over string references; its ${DS_PROMETHEUS} object references stay "
                    "unresolved",
                    span=values.locate(at),
                    hint=_LIST_FORM,
                )
            continue
        items = [mapping(i) for i in binding]
        bound = next((i for i in items if i.get("name") == "DS_PROMETHEUS"), None)
        literal = sorted(r for r in refs.strings if not r.startswith("$"))
        if literal and (known is None or not set(literal) <= known):
            yield Finding(
                f"grafana.com dashboard {name!r} references datasource {literal[0]!r} by name; "
                "the list form only substitutes ${...} inputs",
                span=values.locate(at),
                hint="use the string form: datasource: <provisioned datasource name>",
            )
        elif bound is None and refs.inputs:
            yield Finding(
                f"grafana.com dashboard {name!r} binds no DS_PROMETHEUS input",
                span=values.locate(at),
            )
        elif bound is not None and known is not None and bound.get("value") not in known:
            yield Finding(
                f"grafana.com dashboard {name!r} binds DS_PROMETHEUS to "
                f"{bound.get('value')!r}, which no provisioned datasource is named",
                span=values.locate(at),
                hint=f"provisioned: {', '.join(sorted(known)) or 'none'}",
            )


_LIST_FORM = "datasource: [{name: DS_PROMETHEUS, value: Prometheus}]"
#: A grafana.com export meshgen has no record of: Grafana's exporter writes
#: `${DS_PROMETHEUS}` in strings and object references alike.
_UNKNOWN_EXPORT = DatasourceRefs(
    strings=frozenset({"${DS_PROMETHEUS}"}), input_uids=frozenset({"${DS_PROMETHEUS}"})
)


@check("G108", "datasource-url-mismatch", Severity.ERROR)
def datasource_url_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    """The Grafana Prometheus datasource does not point at the Prometheus server Service.

    Why: the prometheus chart names its server Service `<release>-server` (release names
    containing "prometheus") or `<release>-prometheus-server`, or `server.fullnameOverride`,
    on port `server.service.servicePort` (80) in its release namespace; any other URL leaves
    every panel with "bad gateway".

    Example: `values: {datasources: {datasources.yaml: {datasources: [{name: Prometheus,
    url: "http://prometheus:9090"}]}}}` (Istio's sample addon URL).

    Fix: drop the override and let meshgen write the URL, or use
    `http://prometheus-server.monitoring.svc.cluster.local:80`; for a query endpoint
    other than the rendered Prometheus (Thanos, Mimir), set
    `monitoring.grafana.datasource.url` instead.
    """
    config = ctx.config
    assert config is not None
    prometheus = config.monitoring.prometheus
    values = grafana_values(ctx)
    if values is None:
        return
    datasources = provisioned_datasources(values) or []
    if config.monitoring.operator:
        from meshgen.render import stack_names

        service, namespace, port = stack_names.prometheus_service(config)
        settings: tuple[str, ...] = ("monitoring", "kubePrometheusStack", "values")
    elif prometheus is not None:
        service, namespace, port = naming.prometheus_server(
            prometheus.release, config.monitoring.namespace, prometheus.values
        )
        settings = ("monitoring", "prometheus", "values")
    else:
        return
    expected = f"http://{service}.{namespace}.svc.cluster.local:{port}"
    grafana = config.monitoring.grafana
    # `datasource.url` names an external endpoint on purpose (checked by G130-G135).
    external = grafana.datasource.url if grafana is not None else None
    for source in datasources:
        if source.type != "prometheus" or source.url is None:
            continue
        if external is not None and provisioning_read(unescape_tpl(source.url)) == external:
            continue
        problem = _url_problem(source.url, service, namespace, port, config.monitoring.namespace)
        if problem is None:
            continue
        related: tuple[KeyPath, ...] = ()
        if ctx.source.has(settings):
            related = (settings,)
        yield Finding(
            f"datasource {source.name!r} points at {source.url!r}: {problem}; the Prometheus "
            f"release serves {expected}",
            span=values.locate((*source.path, "url")),
            related=related,
        )


def _url_problem(
    url: str, service: str, namespace: str, port: int, grafana_namespace: str
) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    labels = parts.hostname.split(".")
    host_namespace = labels[1] if len(labels) > 1 else grafana_namespace
    if labels[0] != service:
        return f"no Service {labels[0]!r} is created by the Prometheus release"
    if host_namespace != namespace or (len(labels) > 2 and labels[2] != "svc"):
        return f"the Service lives in namespace {namespace!r}"
    try:
        actual = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the port is not a number"
    if actual != port:
        return f"the Service listens on port {port}"
    return None
