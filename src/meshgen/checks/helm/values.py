"""H103-H107, H110-H111: chart values checked against what the charts accept.

H103-H107 read `ctx.values` (meshgen's rendered values merged with the user's pass-through
values, or values files given to `meshgen lint`), so they declare `needs=("values",)`; a key
the user wrote is located at its config line (`ValuesDoc.locate`). H110 and H111 read the
services' own values, H110 against the service's local chart as it is on disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from meshgen.checks import schemas
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity, close_matches
from meshgen.knowledge import chart_reads, charts, pod_annotations
from meshgen.load.documents import ValuesDoc
from meshgen.source import KeyPath, iter_key_paths

KPS = "kube-prometheus-stack"
GATEWAY = "gateway"
KIALI = "kiali-server"
KEYED_CHARTS = ("istiod", "base", "cni", "ztunnel", "grafana", "prometheus", KPS, GATEWAY, KIALI)
#: Charts whose pinned version `meshgen lint` checks against when no file names one (the
#: message says so); a named version without key data is reported by C015 instead.
DEFAULTED_IN_LINT = (KPS, KIALI)


def _dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def _version(ctx: CheckContext, chart: str) -> str | None:
    if chart in ("istiod", "base", "cni", "ztunnel"):
        return ctx.istio_version
    if chart == GATEWAY:
        # The gateway chart is released with Istio under Istio's version.
        return ctx.chart_versions.get(chart) or ctx.istio_version
    if ctx.config is None:
        return ctx.chart_versions.get(chart)
    if chart == KIALI and ctx.config.monitoring.kiali is not None:
        return ctx.config.monitoring.kiali.chart_version
    if chart == "grafana" and ctx.config is not None and ctx.config.monitoring.grafana:
        return ctx.config.monitoring.grafana.chart_version
    if chart == "prometheus" and ctx.config is not None and ctx.config.monitoring.prometheus:
        return ctx.config.monitoring.prometheus.chart_version
    if chart == KPS and ctx.config is not None and ctx.config.monitoring.kube_prometheus_stack:
        return ctx.config.monitoring.kube_prometheus_stack.chart_version
    return None


def _docs(ctx: CheckContext, *names: str) -> Iterator[ValuesDoc]:
    return (doc for doc in ctx.values if doc.chart in names and not doc.secondary)


def gateway_version(ctx: CheckContext) -> str | None:
    """The gateway chart's version: a linted gateway release's, else the Istio version."""
    return _version(ctx, GATEWAY)


@check("H103", "unknown-chart-value", Severity.ERROR, needs=("values",))
def unknown_chart_value(ctx: CheckContext) -> Iterator[Finding]:
    """A value key that a pinned chart meshgen knows lacks.

    Why: these charts (istiod, base, gateway, grafana, prometheus, kube-prometheus-stack,
    kiali-server) ship no values schema that closes their nested keys, so Helm silently
    ignores a misspelt key (`telemetry.v2.prometheus.enable`, `meshconfig`,
    `pilot.resource`) and the setting never takes effect. Keys are compared with what the
    chart accepts: its default values and every value its templates read (keys the
    defaults comment out, like grafana `persistence.storageClassName`, included). Linted
    kube-prometheus-stack and kiali-server values that no helmfile release gives a version
    are compared with the pinned version, which the message names.

    Example: `istio: {values: {sidecarInjectorWebhook: {enableNamespaceByDefault: true}}}`

    Fix: use the key the message suggests (here `enableNamespacesByDefault`).
    """
    for doc in _docs(ctx, *KEYED_CHARTS):
        version = _version(ctx, doc.chart)
        if doc.chart == KPS and version is None and ctx.config is not None:
            continue  # a config always names the stack's version
        keys = charts.chart_keys(doc.chart, version)
        if keys is None:
            continue  # a version meshgen has no key data for: nothing to compare with
        # Linted files that name no version of the stack or Kiali: their keys changed much
        # across majors (PSP, PDB; Kiali 2's `discovery_selectors`), so the message says
        # which version they were compared with.
        assumed = (
            " (no linted file names the chart version: the one meshgen knows is assumed)"
            if version is None and doc.chart in DEFAULTED_IN_LINT
            else ""
        )
        if ctx.config is None and doc.chart == "prometheus" and _mostly_unknown(keys, doc):
            continue  # a linted file taken for prometheus values that is another chart's
        for path, close in keys.unknown_keys(doc.data):
            if doc.chart == "istiod" and charts.istiod_special(path):
                continue  # reported by H105/H106
            if doc.chart == GATEWAY and len(path) == 1:
                continue  # the chart's schema closes its top level: H170 says helm refuses it
            message = f"{doc.chart} chart {keys.version} has no value {_dotted(path)!r}"
            hint = None
            if path[0] == charts.INTERNAL_DEFAULTS:
                hint = "set the keys at the top level; this section holds the chart's defaults"
            elif close:
                message += f" (did you mean {_dotted((*path[:-1], close))!r}?)"
            yield Finding(message + assumed, span=doc.locate(path), hint=hint)


def _mostly_unknown(keys: charts.ChartKeys, doc: ValuesDoc) -> bool:
    """Whether half the top-level keys or more are not the chart's (another chart's values)."""
    top = [key for key in doc.data if not keys.known((str(key),))]
    return len(top) * 2 >= len(doc.data)


def _mesh_configs(doc: ValuesDoc) -> Iterator[tuple[KeyPath, Mapping[str, Any]]]:
    for prefix in ((), (charts.ISTIOD_ALIAS,)):
        node: Any = doc.data
        for part in prefix:
            node = node.get(part) if isinstance(node, Mapping) else None
        mesh = node.get("meshConfig") if isinstance(node, Mapping) else None
        if isinstance(mesh, Mapping):
            yield (*prefix, "meshConfig"), mesh


@check("H104", "unknown-mesh-config-field", Severity.ERROR, needs=("values",))
def unknown_mesh_config_field(ctx: CheckContext) -> Iterator[Finding]:
    """A `meshConfig` or `meshConfig.defaultConfig` field that Istio's MeshConfig lacks.

    Why: istiod parses the mesh config leniently: an unknown field is dropped with a
    debug-level log only, so `defaultProvider` or `accessLogEncodeing` silently do nothing
    (reference: protomarshal ApplyYAML retries with AllowUnknownFields).

    Example: `istio: {meshConfig: {accessLogEncodeing: JSON}}`

    Fix: use the MeshConfig field name the message suggests (`accessLogEncoding`).
    """
    for doc in _docs(ctx, "istiod"):
        for prefix, mesh in _mesh_configs(doc):
            for path, close in charts.unknown_mesh_fields(mesh):
                full = (*prefix, *path)
                where = "meshConfig" if len(path) == 1 else _dotted((*prefix, *path[:-1]))
                message = f"{where} has no field {path[-1]!r}; istiod would silently ignore it"
                if close:
                    message += f" (did you mean {close!r}?)"
                yield Finding(message, span=doc.locate(full))


def _istiod_issue(path: KeyPath, value: Any) -> str | None:
    plain = path[1:] if path[:1] == (charts.ISTIOD_ALIAS,) else path
    if plain[:1] == (charts.ISTIOD_DEFAULTS_PREFIX,) and len(plain) == 1:
        return 'the istiod chart fails on any `defaults.` key ("Setting with .default prefix")'
    if plain in charts.ISTIOD_REMOVED:
        return f"{_dotted(plain)} is removed: the istiod chart fails to render with it"
    for prefix in charts.ISTIOD_REMOVED_PREFIXES:
        if plain == prefix:
            return f"{_dotted(plain)} is removed: the istiod chart fails to render with it"
    if plain == ("global", "pilotCertProvider") and value == "kubernetes":
        return "global.pilotCertProvider=kubernetes is no longer supported: the chart fails"
    return None


@check("H105", "istiod-value-removed", Severity.ERROR, needs=("values",))
def istiod_value_removed(ctx: CheckContext) -> Iterator[Finding]:
    """An istiod value that makes the chart fail to render.

    Why: istiod's templates `fail` on removed settings (`telemetry.v2.prometheus.
    configOverride`, `global.tracer.stackdriver.*`, `meshConfig.defaultConfig.tracing.
    stackdriver`), on any `defaults.` key and on `global.pilotCertProvider: kubernetes`;
    `helmfile apply` stops at the istiod release.

    Example: `istio: {values: {telemetry: {v2: {prometheus: {configOverride: {}}}}}}`

    Fix: remove the key; customise metrics with Telemetry resources instead.
    """
    for doc in _docs(ctx, "istiod"):
        for path in iter_key_paths(doc.data):
            issue = _istiod_issue(path, _get(doc.data, path))
            if issue:
                yield Finding(issue, span=doc.locate(path))


def _get(data: Mapping[str, Any], path: KeyPath) -> Any:
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


@check("H106", "istiod-value-deprecated", Severity.WARNING, needs=("values",))
def istiod_value_deprecated(ctx: CheckContext) -> Iterator[Finding]:
    """An istiod value the chart deprecates in favour of a meshConfig field.

    Why: istiod prints `WARNING: "<old>" is deprecated` and the setting may stop working
    in a later release; the meshConfig field is the supported way.

    Example: `istio: {values: {global: {proxy: {accessLogFile: /dev/stdout}}}}`

    Fix: set the replacement the message names (e.g. `istio.accessLogging.enabled: true`
    or `meshConfig.accessLogFile`).
    """
    for doc in _docs(ctx, "istiod"):
        for path in iter_key_paths(doc.data):
            plain = path[1:] if path[:1] == (charts.ISTIOD_ALIAS,) else path
            replacement = charts.ISTIOD_DEPRECATED.get(plain)
            if replacement:
                yield Finding(
                    f"{_dotted(plain)} is deprecated; use {replacement}",
                    span=doc.locate(path),
                )


@check("H107", "invalid-prometheus-values", Severity.ERROR, needs=("values",))
def invalid_prometheus_values(ctx: CheckContext) -> Iterator[Finding]:
    """Prometheus chart values of the wrong type.

    Why: the chart's values schema makes helm refuse the release, and some values are
    pasted into prometheus.yml: `extraScrapeConfigs` must be YAML text (a list fails),
    `server.global.scrape_interval` and `server.retention` duration strings.

    Example: `monitoring: {prometheus: {values: {server: {global: {scrape_interval: 15}}}}}`

    Fix: quote durations (`"15s"`) and write `extraScrapeConfigs: |` as a block scalar.
    """
    for doc in _docs(ctx, "prometheus"):
        for error in schemas.errors(schemas.PROMETHEUS_VALUES, doc.data):
            yield Finding(
                f"prometheus value {error.dotted or 'values'}: {error.message}",
                span=doc.locate(error.path),
            )


def _config_dir(ctx: CheckContext) -> Path:
    # As H108: the config's folder as given, symlinks kept; `..` taken lexically.
    base = ctx.memo.get("config_dir") or Path(ctx.source.file).absolute().parent
    return Path(base)


def _local_keys(ctx: CheckContext, chart: str) -> charts.ChartKeys | None:
    """The keys of a service's local chart, read from its folder once per run."""
    folder = Path(os.path.normpath(_config_dir(ctx) / chart))
    memo: dict[str, charts.ChartKeys | None] = ctx.memo.setdefault("helm.local_chart_keys", {})
    key = str(folder)
    if key not in memo:
        try:
            tree = chart_reads.local_chart_tree(folder) if folder.is_dir() else None
        except OSError:
            tree = None  # unreadable (a name too long, a loop of links): H108 says so
        memo[key] = charts.ChartKeys(chart, "local", tree) if tree is not None else None
    return memo[key]


@check("H110", "unknown-service-chart-value", Severity.ERROR)
def unknown_service_chart_value(ctx: CheckContext) -> Iterator[Finding]:
    """A service's value that its local chart neither defaults nor reads.

    Why: Helm silently ignores a value no template reads, so a misspelt key
    (`replicaCont: 2`) deploys the chart's default instead. For a service whose `chart:` is
    a local folder, meshgen reads the chart's `values.yaml` and templates (`.Values.x.y`,
    `index`, `dig`, `with` blocks; a subtree passed to `toYaml` takes anything) at check
    time. Charts that hand `.Values` on whole, or depend on an archived or missing
    subchart, are not judged.

    Example: `services: [{name: api, chart: ./charts/api, values: {replicaCont: 2}}]`

    Fix: use the key the message suggests (here `replicaCount`), or make the chart read it.
    """
    cfg = ctx.config
    assert cfg is not None
    for i, svc in enumerate(cfg.services):
        if not svc.local_chart or not svc.values:
            continue
        keys = _local_keys(ctx, svc.chart)
        if keys is None:
            continue
        for path, close in keys.unknown_keys(svc.values):
            message = f"local chart {svc.chart!r} of service {svc.name!r} has no value "
            message += repr(_dotted(path))
            if close:
                message += f" (did you mean {_dotted((*path[:-1], close))!r}?)"
            yield Finding(message, at=("services", i, "values", *path), key=True)


@check("H111", "unknown-istio-annotation", Severity.WARNING, aliases=("IST0108",))
def unknown_istio_annotation(ctx: CheckContext) -> Iterator[Finding]:
    """A key under an Istio annotation prefix in a service's values that Istio does not define.

    Why: the sidecar injector and pilot-agent read only the annotations Istio defines; a
    misspelt one (`sidecar.istio.io/statsHistogramBucket`) is ignored without a word, so
    the setting silently never applies. Any key of the service's values (`podAnnotations`,
    `podLabels`, ...) under `sidecar.istio.io/`, `proxy.istio.io/`,
    `traffic.sidecar.istio.io/` and the other Istio pod prefixes is compared with the
    annotations of istio/api 1.30.3.

    Example: `values: {podAnnotations: {sidecar.istio.io/statsHistogramBucket: "{...}"}}`

    Fix: use the annotation the message suggests (here
    `sidecar.istio.io/statsHistogramBuckets`).
    """
    cfg = ctx.config
    assert cfg is not None
    for i, svc in enumerate(cfg.services):
        for path in iter_key_paths(svc.values):
            name = str(path[-1])
            known = pod_annotations.ISTIO_POD_ANNOTATIONS
            if not pod_annotations.is_istio_key(name) or name in known:
                continue
            close = close_matches(
                name, sorted(pod_annotations.ISTIO_POD_ANNOTATIONS), cutoff=0.8
            )
            message = f"{name!r} is not an Istio annotation; the sidecar ignores it"
            if close:
                message += f" (did you mean {close[0]!r}?)"
            yield Finding(message, at=("services", i, "values", *path), key=True)
