"""T1xx: Telemetry resources and telemetry settings, one module per theme.

- `spec`: spec rules the CRD and istiod enforce (T101-T107);
- `providers`: providers that silently produce nothing or istiod refuses (T108-T109,
  T123-T127);
- `selectors`: which workloads a Telemetry applies to (T110-T112);
- `tags`: tag names and CEL expressions (T113-T117, T128-T129);
- `settings`: histogram buckets, sampling, Istio version (T118-T121);
- `common`: walkers the others share.
"""
