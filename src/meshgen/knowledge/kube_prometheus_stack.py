"""kube-prometheus-stack 88.5.3: what `meshgen lint` checks of its values, whom it scrapes.

How its Prometheus custom resource selects monitors is `monitor_selector` (88.5.3
`templates/prometheus/prometheus.yaml`).

Read from the chart's own values.yaml and templates (prometheus-community, 88.5.3): the chart
bundles a `grafana` subchart (grafana-community grafana 12.11.1, Chart.yaml dependencies), whose
values are the `grafana:` section; the parent chart's templates read a few keys of that section
themselves (its datasource and dashboard ConfigMaps), which the grafana chart does not know.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from meshgen.load.documents import MonitorDoc
from meshgen.load.values import merge_values
from meshgen.source import KeyPath, SourceMap

CHART = "kube-prometheus-stack"
VERSION = "88.5.3"
#: The grafana chart version kube-prometheus-stack 88.5.3 depends on (Chart.yaml).
GRAFANA_VERSION = "12.11.1"

#: Top-level keys only kube-prometheus-stack has (the prometheus chart shares `alertmanager`,
#: `kube-state-metrics` and `prometheus-node-exporter` with it).
SIGNATURE = frozenset(
    {
        "prometheusOperator",
        "defaultRules",
        "customRules",
        "additionalPrometheusRulesMap",
        "kubeApiServer",
        "kubelet",
        "kubeControllerManager",
        "coreDns",
        "kubeDns",
        "kubeEtcd",
        "kubeScheduler",
        "kubeProxy",
        "kubeStateMetrics",
        "nodeExporter",
        "thanosRuler",
        "windowsMonitoring",
        "prometheus-windows-exporter",
        "kubernetesServiceMonitors",
        "cleanPrometheusOperatorObjectNames",
    }
)

#: (section, key) pairs that only kube-prometheus-stack's CRD-based specs have.
SPEC_KEYS: tuple[tuple[str, str], ...] = (
    ("prometheus", "prometheusSpec"),
    ("alertmanager", "alertmanagerSpec"),
)

#: Keys under `grafana:` that the parent chart's templates read (`.Values.grafana.<path>`),
#: not the grafana subchart: they are not grafana chart values.
PARENT_GRAFANA_KEYS: tuple[KeyPath, ...] = (
    ("enabled",),
    ("name",),
    ("namespaceOverride",),
    ("forceDeployDatasources",),
    ("forceDeployDashboards",),
    ("defaultDashboardsEnabled",),
    ("defaultDashboardsTimezone",),
    ("defaultDashboardsEditable",),
    ("defaultDashboardsInterval",),
    ("operator",),
    ("additionalDataSources",),
    ("additionalDataSourcesString",),
    ("deleteDatasources",),
    ("prune",),
    ("serviceAccount", "autoMount"),
    ("sidecar", "dashboards", "annotations"),
    ("sidecar", "dashboards", "enableNewTablePanelSyntax"),
    ("sidecar", "dashboards", "multicluster"),
    ("sidecar", "datasources", "alertmanager"),
    ("sidecar", "datasources", "annotations"),
    ("sidecar", "datasources", "createPrometheusReplicasDatasources"),
    ("sidecar", "datasources", "customQueryParameters"),
    ("sidecar", "datasources", "defaultDatasourceEnabled"),
    ("sidecar", "datasources", "defaultDatasourceScrapeInterval"),
    ("sidecar", "datasources", "exemplarTraceIdDestinations"),
    ("sidecar", "datasources", "extraJsonData"),
    ("sidecar", "datasources", "httpMethod"),
    ("sidecar", "datasources", "isDefaultDatasource"),
    ("sidecar", "datasources", "name"),
    ("sidecar", "datasources", "prometheusServiceName"),
    ("sidecar", "datasources", "timeout"),
    ("sidecar", "datasources", "uid"),
    ("sidecar", "datasources", "url"),
)

#: What kube-prometheus-stack's values.yaml sets for its grafana subchart that changes how
#: dashboards and datasources reach Grafana: both sidecars on (the parent provisions its
#: Prometheus datasource and dashboards as labelled ConfigMaps).
GRAFANA_DEFAULTS: dict[str, object] = {
    "sidecar": {
        "dashboards": {
            "enabled": True,
            "label": "grafana_dashboard",
            "labelValue": "1",
            "searchNamespace": "ALL",
        },
        "datasources": {"enabled": True, "label": "grafana_datasource", "labelValue": "1"},
    },
}


def grafana_subchart_values(section: Mapping[str, Any]) -> dict[str, Any]:
    """The stack's `grafana:` section as the grafana subchart sees it.

    The stack's defaults for the subchart (`GRAFANA_DEFAULTS`) with the section merged
    over, without the keys only the parent's templates read.
    """
    return _without(merge_values(GRAFANA_DEFAULTS, section), PARENT_GRAFANA_KEYS)


def _without(data: Mapping[str, Any], paths: Sequence[KeyPath]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if (key,) in paths:
            continue
        inner = [p[1:] for p in paths if len(p) > 1 and p[0] == key]
        out[key] = _without(value, inner) if inner and isinstance(value, Mapping) else value
    return out


# --- the Prometheus custom resource and the monitors it selects ----------------------------

#: The Service port the stack gives its Prometheus (`prometheus.service.port`).
PROMETHEUS_PORT = 9090
#: The `prometheusSpec` selector key of each monitor kind.
SELECTOR_KEYS = {"PodMonitor": "podMonitorSelector", "ServiceMonitor": "serviceMonitorSelector"}
#: The `prometheusSpec` key selecting the namespaces each monitor kind is picked from.
NAMESPACE_SELECTOR_KEYS = {
    "PodMonitor": "podMonitorNamespaceSelector",
    "ServiceMonitor": "serviceMonitorNamespaceSelector",
}
#: The label Kubernetes (1.21+) puts on every namespace: its name, immutable.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
MONITOR_API_VERSION = "monitoring.coreos.com/v1"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def fullname(release: str, values: Mapping[str, Any]) -> str:
    """`kube-prometheus-stack.fullname` (88.5.3 `_helpers.tpl`): cut to 26 characters."""
    override = values.get("fullnameOverride")
    if isinstance(override, str) and override:
        return override[:26].rstrip("-")
    name = values.get("nameOverride") or CHART
    full = release if str(name) in release else f"{release}-{name}"
    return full[:26].rstrip("-")


def monitor_selector(values: Mapping[str, Any], release: str | None, kind: str) -> dict[str, Any]:
    """The label selector the stack's Prometheus custom resource gets for `kind` monitors.

    88.5.3 `templates/prometheus/prometheus.yaml`: `prometheusSpec.<kind>Selector` when set
    (non-empty), else `matchLabels: {release: <release>}` when
    `<kind>SelectorNilUsesHelmValues` (default true), else `{}` (every monitor). `release`
    None: the release name is not known (`{"release": None}` in the result).
    """
    spec = _mapping(_mapping(values.get("prometheus")).get("prometheusSpec"))
    key = SELECTOR_KEYS[kind]
    chosen = spec.get(key)
    if isinstance(chosen, Mapping) and chosen:
        return dict(chosen)
    if spec.get(f"{key}NilUsesHelmValues", True) is not False:
        return {"matchLabels": {"release": release}}
    return {}


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions) matches `labels`."""
    for key, value in _mapping(selector.get("matchLabels")).items():
        if labels.get(str(key)) != (None if value is None else str(value)):
            return False
    expressions = selector.get("matchExpressions")
    for expression in expressions if isinstance(expressions, list) else ():
        expr = _mapping(expression)
        key, operator = str(expr.get("key")), expr.get("operator")
        listed = expr.get("values")
        wanted = {str(v) for v in listed} if isinstance(listed, list) else set()
        present = key in labels
        if operator == "In" and not (present and labels[key] in wanted):
            return False
        if operator == "NotIn" and present and labels[key] in wanted:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def labels_for(selector: Mapping[str, Any]) -> dict[str, str]:
    """Labels that satisfy `selector` where it asks for labels (matchLabels, In, Exists)."""
    labels = {
        str(k): str(v) for k, v in _mapping(selector.get("matchLabels")).items() if v is not None
    }
    expressions = selector.get("matchExpressions")
    for expression in expressions if isinstance(expressions, list) else ():
        expr = _mapping(expression)
        key, values = str(expr.get("key")), expr.get("values")
        if expr.get("operator") == "In" and isinstance(values, list) and values:
            labels.setdefault(key, str(values[0]))
        elif expr.get("operator") == "Exists":
            labels.setdefault(key, "true")
    return labels


def monitor_namespace_selector(values: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    """The namespace selector of `kind` monitors; None: every namespace.

    88.5.3 `templates/prometheus/prometheus.yaml`: `prometheusSpec.<kind>NamespaceSelector`
    when set (non-empty), else `{}`, which the operator reads as all namespaces.
    """
    spec = _mapping(_mapping(values.get("prometheus")).get("prometheusSpec"))
    chosen = spec.get(NAMESPACE_SELECTOR_KEYS[kind])
    return dict(chosen) if isinstance(chosen, Mapping) and chosen else None


def selector_keys(selector: Mapping[str, Any]) -> set[str]:
    """The label keys a selector looks at."""
    keys = {str(k) for k in _mapping(selector.get("matchLabels"))}
    expressions = selector.get("matchExpressions")
    for expression in expressions if isinstance(expressions, list) else ():
        keys.add(str(_mapping(expression).get("key")))
    return keys


def prometheus_enabled(values: Mapping[str, Any]) -> bool:
    """The stack renders its Prometheus custom resource (`prometheus.enabled`, default true)."""
    return _mapping(values.get("prometheus")).get("enabled", True) is not False


def selector_source(values: Mapping[str, Any], kind: str) -> KeyPath:
    """The values key that decided `monitor_selector` (for messages and positions)."""
    key = SELECTOR_KEYS[kind]
    spec = _mapping(_mapping(values.get("prometheus")).get("prometheusSpec"))
    chosen = spec.get(key)
    if isinstance(chosen, Mapping) and chosen:
        return ("prometheus", "prometheusSpec", key)
    return ("prometheus", "prometheusSpec", f"{key}NilUsesHelmValues")


def monitor_doc(data: Mapping[str, Any], smap: SourceMap) -> MonitorDoc | None:
    """A PodMonitor or ServiceMonitor resource as a `MonitorDoc`; None for another kind."""
    kind = str(data.get("kind"))
    if data.get("apiVersion") != MONITOR_API_VERSION or kind not in SELECTOR_KEYS:
        return None
    meta = _mapping(data.get("metadata"))
    labels = _mapping(meta.get("labels"))
    at: KeyPath = ("metadata", "labels") if labels else ("metadata", "name")
    return MonitorDoc(
        kind=kind,
        name=str(meta.get("name") or "<unnamed>"),
        namespace=str(meta.get("namespace") or "default"),
        labels={str(k): str(v) for k, v in labels.items()},
        span=smap.lookup(at, key=bool(labels)),
    )
