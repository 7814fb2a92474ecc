"""H1xx: Helm and Helmfile checks: the `needs` graph, chart values, local charts.

The checks live in `helmfile` (H101, H102, H108) and `values` (H103-H107).
"""
