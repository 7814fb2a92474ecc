"""kube-prometheus-stack 88.5.3 values, as far as `meshgen lint` recognises and checks them.

Read from the chart's own values.yaml and templates (prometheus-community, 88.5.3): the chart
bundles a `grafana` subchart (grafana-community grafana 12.11.1, Chart.yaml dependencies), whose
values are the `grafana:` section; the parent chart's templates read a few keys of that section
themselves (its datasource and dashboard ConfigMaps), which the grafana chart does not know.
"""

from __future__ import annotations

from meshgen.source import KeyPath

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
