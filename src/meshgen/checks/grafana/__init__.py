"""G1xx: Grafana provisioning and dashboards, one module per theme.

- `provisioning`: providers, dashboard entries, datasource binding and URL;
- `dashboards`: dashboard UIDs, datasource references, PromQL syntax;
- `telemetry`: queries that read metrics or labels the Telemetry config turns off;
- `common`: the Grafana values, provisioned datasources, per-dashboard results shared by all.
"""
