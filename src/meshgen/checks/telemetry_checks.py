"""T1xx: Telemetry resources and telemetry settings (the family collects its modules).

- `telemetry_spec`: spec rules the CRD and istiod enforce (T101-T107);
- `telemetry_providers`: providers that silently produce nothing (T108-T109);
- `telemetry_selectors`: which workloads a Telemetry applies to (T110-T112);
- `telemetry_tags`: tag names and CEL expressions (T113-T117);
- `telemetry_settings`: histogram buckets, sampling, Istio version (T118-T121).
"""

from __future__ import annotations

from meshgen.checks import (
    telemetry_providers,
    telemetry_selectors,
    telemetry_settings,
    telemetry_spec,
    telemetry_tags,
)
from meshgen.checks.framework import Check

CHECKS: tuple[Check, ...] = (
    *telemetry_spec.CHECKS,
    *telemetry_providers.CHECKS,
    *telemetry_selectors.CHECKS,
    *telemetry_tags.CHECKS,
    *telemetry_settings.CHECKS,
)
