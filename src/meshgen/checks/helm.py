"""H1xx: Helm and Helmfile checks: the `needs` graph, chart values, local charts.

The checks live in `helm_helmfile` (H101, H102, H108) and `helm_values` (H103-H107).
"""

from __future__ import annotations

from meshgen.checks import helm_helmfile, helm_values
from meshgen.checks.framework import Check

CHECKS: tuple[Check, ...] = (*helm_helmfile.CHECKS, *helm_values.CHECKS)
