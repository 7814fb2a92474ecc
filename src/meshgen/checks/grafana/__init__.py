"""G1xx: Grafana provisioning and dashboards (the family collects its modules' checks).

- `grafana_provisioning`: providers, dashboard entries, datasource binding and URL;
- `grafana_dashboards`: dashboard UIDs, datasource references, PromQL syntax;
- `grafana_telemetry`: queries that read metrics or labels the Telemetry config turns off.
"""
