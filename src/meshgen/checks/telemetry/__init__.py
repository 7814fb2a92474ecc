"""T1xx: Telemetry resources and telemetry settings (the family collects its modules).

- `telemetry_spec`: spec rules the CRD and istiod enforce (T101-T107);
- `telemetry_providers`: providers that silently produce nothing (T108-T109);
- `telemetry_selectors`: which workloads a Telemetry applies to (T110-T112);
- `telemetry_tags`: tag names and CEL expressions (T113-T117);
- `telemetry_settings`: histogram buckets, sampling, Istio version (T118-T121).
"""
