"""Which value keys the charts meshgen knows accept, per pinned version.

The key trees in `data/` are derived by `scripts/derive_chart_keys.py` from each chart's
source (istiod, base, cni, ztunnel and gateway 1.30.3, grafana-community 12.11.1,
prometheus-community 29.27.0 with its subcharts, kube-prometheus-stack 88.5.3, kiali-server
2.29.0): its default values and every value its templates read
(`meshgen.knowledge.chart_reads`). In a tree a mapping lists known keys, `"*"` marks a
free-form map (any key allowed) and `None` a leaf.

istiod facts (reference istio 1.1-1.4): the 1.28 and 1.29 istiod values are identical to each
other and differ from 1.30 only by `taint.name`; base 1.30 adds `global.enableReaderRBAC`.
Everything under `pilot.` is an alias of the top level. `meshConfig` is copied into the mesh
config, which istiod parses leniently, so its fields are checked against MeshConfig's own field
list (`MESH_CONFIG_FIELDS`, `PROXY_CONFIG_FIELDS`).

kiali-server copies its values into Kiali's ConfigMap: the chart's own `deployment:` section
and the top-level sections are checked, the sections Kiali parses itself (`external_services`,
`auth`, `server`, ...) are free-form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from meshgen.diagnostics import close_matches
from meshgen.knowledge.chart_reads import ENTRY, FREE
from meshgen.records import record
from meshgen.source import KeyPath

DATA_DIR = Path(__file__).resolve().parent / "data"

DEFAULT_ISTIO_VERSION = "1.30.3"
DEFAULT_GRAFANA_VERSION = "12.11.1"
DEFAULT_PROMETHEUS_VERSION = "29.27.0"
#: Charts keyed by their own chart version (data for one minor each).
_PINNED = {
    "grafana": DEFAULT_GRAFANA_VERSION,
    "prometheus": DEFAULT_PROMETHEUS_VERSION,
    "kube-prometheus-stack": "88.5.3",
    "kiali-server": "2.29.0",
}
#: Istio's gateway chart: its version is Istio's; keys known for 1.30 only.
GATEWAY_CHART = "gateway"

#: Istio minors whose istiod/base keys are known: 1.30 as derived, 1.28/1.29 without the
#: keys added in 1.30.
_ISTIO_MINORS = frozenset({"1.28", "1.29", "1.30"})
_ADDED_IN_1_30: dict[str, tuple[KeyPath, ...]] = {
    "istiod": (("taint", "name"),),
    "base": (("global", "enableReaderRBAC"),),
}

#: The ambient data plane's charts (istio/cni, istio/ztunnel): keys of 1.30.3 only.
_AMBIENT_CHARTS = frozenset({"cni", "ztunnel"})

#: The istiod value alias: `pilot.X` is merged over `X` (templates/zzy_descope_legacy.yaml).
ISTIOD_ALIAS = "pilot"
INTERNAL_DEFAULTS = "_internal_defaults_do_not_set"


@record
class ChartKeys:
    """The key tree of one chart version."""

    chart: str
    version: str
    tree: Mapping[str, Any]

    def unknown_keys(self, values: Mapping[str, Any]) -> Iterator[tuple[KeyPath, str | None]]:
        """(key path, closest known key) of every key in `values` the chart does not know."""
        for key, value in values.items():
            if self.chart == "istiod" and key == ISTIOD_ALIAS and isinstance(value, Mapping):
                yield from _walk(self.tree, value, (ISTIOD_ALIAS,))
            else:
                yield from _walk(self.tree, {key: value}, ())

    def has(self, path: KeyPath) -> bool:
        """True when `path` is a key of the chart or sits under a free-form map (not a leaf)."""
        node: Any = self.tree
        for part in path:
            if node == FREE:
                return True
            if isinstance(node, Mapping) and part not in node and ENTRY in node:
                part = ENTRY
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return True

    def known(self, path: KeyPath) -> bool:
        """True when `path` is a known key or sits under a free-form map or a leaf."""
        node: Any = self.tree
        for part in path:
            if node == FREE or node is None:
                return True
            if isinstance(node, Mapping) and part not in node and ENTRY in node:
                part = ENTRY
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return True


def _walk(
    tree: Mapping[str, Any], values: Mapping[str, Any], prefix: KeyPath
) -> Iterator[tuple[KeyPath, str | None]]:
    for key, value in values.items():
        path = (*prefix, str(key))
        if key not in tree and ENTRY in tree:
            # A named entry (a route, a listener set): any name, but it must be a map.
            if isinstance(value, Mapping):
                node = tree[ENTRY]
                if isinstance(node, Mapping):
                    yield from _walk(node, value, path)
            elif value is not None:
                yield path, None
            continue
        if key not in tree:
            close = close_matches(str(key), sorted(tree), cutoff=0.6)
            yield path, close[0] if close else None
            continue
        node = tree[key]
        if isinstance(node, Mapping) and isinstance(value, Mapping):
            yield from _walk(node, value, path)


@cache
def _load(chart: str, version: str) -> dict[str, Any]:
    data = json.loads((DATA_DIR / f"{chart}-{version}.json").read_text(encoding="utf-8"))
    keys = data["keys"]
    assert isinstance(keys, dict)
    return keys


def _without(tree: Mapping[str, Any], paths: tuple[KeyPath, ...]) -> dict[str, Any]:
    out = {
        k: (
            _without(v, tuple(p[1:] for p in paths if p[:1] == (k,) and len(p) > 1))
            if isinstance(v, Mapping)
            else v
        )
        for k, v in tree.items()
    }
    for path in paths:
        if len(path) == 1:
            out.pop(str(path[0]), None)
    return out


def _minor(version: str) -> str | None:
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$", version.strip())
    return f"{match.group(1)}.{match.group(2)}" if match else None


@cache
def values_schema(chart: str) -> dict[str, Any] | None:
    """The `values.schema.json` a chart ships at its pinned version (gateway 1.30.3), or None."""
    if chart != GATEWAY_CHART:
        return None
    data = json.loads((DATA_DIR / f"{chart}-{DEFAULT_ISTIO_VERSION}.json").read_text("utf-8"))
    schema = data.get("schema")
    return schema if isinstance(schema, dict) else None


def istio_minor(version: str | None) -> str | None:
    """`1.30` of `1.30.3` (None for a version that is not one)."""
    return _minor(version) if version else None


@cache
def chart_keys(chart: str, version: str | None = None) -> ChartKeys | None:
    """The keys of `chart` at `version` (default: the pinned version), None when unknown."""
    if chart in ("istiod", "base"):
        minor = _minor(version or DEFAULT_ISTIO_VERSION)
        if minor not in _ISTIO_MINORS:
            return None
        tree = _load(chart, DEFAULT_ISTIO_VERSION)
        if minor != "1.30":
            tree = _without(tree, _ADDED_IN_1_30[chart])
        return ChartKeys(chart, version or DEFAULT_ISTIO_VERSION, tree)
    if chart in _AMBIENT_CHARTS:
        if _minor(version or DEFAULT_ISTIO_VERSION) != "1.30":
            return None  # derived from 1.30.3 only: other minors are not judged
        return ChartKeys(chart, version or DEFAULT_ISTIO_VERSION, _load(chart, "1.30.3"))
    if chart == GATEWAY_CHART:
        if _minor(version or DEFAULT_ISTIO_VERSION) != "1.30":
            return None
        return ChartKeys(
            chart, version or DEFAULT_ISTIO_VERSION, _load(chart, DEFAULT_ISTIO_VERSION)
        )
    pinned = _PINNED.get(chart)
    if pinned is not None:
        if _minor(version or pinned) != _minor(pinned):
            return None
        return ChartKeys(chart, version or pinned, _load(chart, pinned))
    return None


# --- istiod values the chart fails on or deprecates (reference istio 1.2, NOTES.txt 1.30.3) ---

#: Keys whose presence makes `helm template` fail with "<key> is removed".
ISTIOD_REMOVED: tuple[KeyPath, ...] = (
    ("telemetry", "v2", "prometheus", "configOverride"),
    ("telemetry", "v2", "stackdriver", "disableOutbound"),
    ("global", "tracer", "stackdriver", "debug"),
    ("global", "tracer", "stackdriver", "maxNumberOfAttributes"),
    ("global", "tracer", "stackdriver", "maxNumberOfAnnotations"),
    ("global", "tracer", "stackdriver", "maxNumberOfMessageEvents"),
)
#: Prefixes under which any key fails rendering.
ISTIOD_REMOVED_PREFIXES: tuple[KeyPath, ...] = (
    ("meshConfig", "defaultConfig", "tracing", "stackdriver"),
)
#: `defaults.*` fails: "Setting with .default prefix found" (templates/zzz_profile.yaml).
ISTIOD_DEFAULTS_PREFIX = "defaults"

#: Deprecated key -> its replacement (NOTES.txt prints a WARNING).
ISTIOD_DEPRECATED: dict[KeyPath, str] = {
    ("global", "proxy", "accessLogFile"): "meshConfig.accessLogFile",
    ("global", "proxy", "accessLogFormat"): "meshConfig.accessLogFormat",
    ("global", "enableTracing"): "meshConfig.enableTracing",
    ("global", "tracer", "zipkin", "address"): "meshConfig.defaultConfig.tracing.zipkin.address",
}


def istiod_special(path: KeyPath) -> bool:
    """True for a key the removed/deprecated checks report (not an unknown-key finding)."""
    plain = path[1:] if path[:1] == (ISTIOD_ALIAS,) else path
    if plain[:1] == (ISTIOD_DEFAULTS_PREFIX,):
        return True
    for known in (*ISTIOD_REMOVED, *ISTIOD_DEPRECATED):
        if plain == known[: len(plain)]:
            return True
    return any(plain[: len(p)] == p or p[: len(plain)] == plain for p in ISTIOD_REMOVED_PREFIXES)


# --- MeshConfig / ProxyConfig fields (reference istio 1.4, istio/api @1.30.3 json names) ---

MESH_CONFIG_FIELDS: frozenset[str] = frozenset(
    {
        "proxyListenPort",
        "proxyInboundListenPort",
        "proxyHttpPort",
        "connectTimeout",
        "hboneIdleTimeout",
        "protocolDetectionTimeout",
        "tcpKeepalive",
        "ingressClass",
        "ingressService",
        "ingressControllerMode",
        "ingressSelector",
        "enableTracing",
        "accessLogFile",
        "accessLogFormat",
        "accessLogEncoding",
        "enableEnvoyAccessLogService",
        "disableEnvoyListenerLog",
        "defaultConfig",
        "outboundTrafficPolicy",
        "inboundTrafficPolicy",
        "configSources",
        "enableAutoMtls",
        "trustDomain",
        "trustDomainAliases",
        "caCertificates",
        "defaultServiceExportTo",
        "defaultVirtualServiceExportTo",
        "defaultDestinationRuleExportTo",
        "rootNamespace",
        "localityLbSetting",
        "dnsRefreshRate",
        "h2UpgradePolicy",
        "inboundClusterStatName",
        "outboundClusterStatName",
        "certificates",
        "serviceSettings",
        "serviceScopeConfigs",
        "enablePrometheusMerge",
        "verifyCertificateAtClient",
        "ca",
        "extensionProviders",
        "defaultProviders",
        "discoverySelectors",
        "pathNormalization",
        "defaultHttpRetryPolicy",
        "meshMTLS",
        "tlsDefaults",
    }
)

PROXY_CONFIG_FIELDS: frozenset[str] = frozenset(
    {
        "configPath",
        "binaryPath",
        "serviceCluster",
        "tracingServiceName",
        "drainDuration",
        "discoveryAddress",
        "discoveryRefreshDelay",
        "zipkinAddress",
        "statsdUdpAddress",
        "envoyMetricsServiceAddress",
        "proxyAdminPort",
        "availabilityZone",
        "controlPlaneAuthPolicy",
        "customConfigFile",
        "statNameLength",
        "concurrency",
        "proxyBootstrapTemplatePath",
        "interceptionMode",
        "tracing",
        "sds",
        "envoyAccessLogService",
        "envoyMetricsService",
        "proxyMetadata",
        "runtimeValues",
        "statusPort",
        "extraStatTags",
        "gatewayTopology",
        "terminationDrainDuration",
        "meshId",
        "readinessProbe",
        "proxyStatsMatcher",
        "holdApplicationUntilProxyStarts",
        "caCertificatesPem",
        "image",
        "privateKeyProvider",
        "proxyHeaders",
        "fileFlushInterval",
        "fileFlushMinSizeKb",
        "statsCompression",
    }
)

#: meshConfig.defaultProviders (lists of provider names).
DEFAULT_PROVIDERS_FIELDS: frozenset[str] = frozenset({"metrics", "tracing", "accessLogging"})
#: meshConfig.defaultConfig.proxyStatsMatcher.
PROXY_STATS_MATCHER_FIELDS: frozenset[str] = frozenset(
    {"inclusionPrefixes", "inclusionSuffixes", "inclusionRegexps"}
)

#: Closed messages inside meshConfig: key path -> its field names.
MESH_MESSAGES: dict[KeyPath, frozenset[str]] = {
    (): MESH_CONFIG_FIELDS,
    ("defaultConfig",): PROXY_CONFIG_FIELDS,
    ("defaultProviders",): DEFAULT_PROVIDERS_FIELDS,
    ("defaultConfig", "proxyStatsMatcher"): PROXY_STATS_MATCHER_FIELDS,
}


def snake_case(name: str) -> str:
    """The proto field name of a json name (jsonpb accepts both)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def field_known(fields: frozenset[str], name: str) -> bool:
    return name in fields or name in {snake_case(f) for f in fields}


def unknown_mesh_fields(mesh: Mapping[str, Any]) -> Iterator[tuple[KeyPath, str | None]]:
    """(path under meshConfig, closest field) of every field istiod would silently drop."""
    for message, fields in MESH_MESSAGES.items():
        node: Any = mesh
        for part in message:
            node = node.get(part) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping):
            continue
        for key in node:
            if not field_known(fields, str(key)):
                close = close_matches(str(key), sorted(fields), cutoff=0.6)
                yield (*message, str(key)), close[0] if close else None
