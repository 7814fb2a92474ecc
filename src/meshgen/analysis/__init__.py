"""Pure domain logic over models and knowledge: no files, no checks, no output.

- `effective`: Istio's Telemetry precedence, what each workload really emits;
- `promql`: what a dashboard query reads (a real PromQL parser underneath);
- `cel`: what an Istio tag expression reads and which values it can take;
- `cel_tables`: the CEL parser (cel-python's grammar, LALR tables shipped as JSON);
- `dashboards`: the queries, panels and variables of a Grafana dashboard;
- `secrets`: literal secrets in pass-through values, and their redaction;
- `telemetry_view`: `meshgen telemetry show`'s per-metric view of a scope.
"""
