"""G1xx: Grafana provisioning and dashboards (the family collects its modules' checks).

- `grafana_provisioning`: providers, dashboard entries, datasource binding and URL;
- `grafana_dashboards`: dashboard UIDs, datasource references, PromQL syntax;
- `grafana_telemetry`: queries that read metrics or labels the Telemetry config turns off.
"""

from __future__ import annotations

from meshgen.checks import grafana_dashboards, grafana_provisioning, grafana_telemetry
from meshgen.checks.framework import Check

CHECKS: tuple[Check, ...] = (
    grafana_provisioning.duplicate_dashboard_provider,
    grafana_provisioning.dashboard_provider_missing,
    grafana_provisioning.dashboard_provider_path,
    grafana_provisioning.unpinned_dashboard_revision,
    grafana_provisioning.dashboard_datasource_binding,
    grafana_dashboards.duplicate_dashboard_uid,
    grafana_dashboards.unresolved_datasource,
    grafana_provisioning.datasource_url_mismatch,
    grafana_dashboards.promql_syntax_error,
    grafana_telemetry.dashboard_metric_disabled,
    grafana_telemetry.dashboard_label_removed,
)
