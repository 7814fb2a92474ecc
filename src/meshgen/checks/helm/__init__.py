"""H1xx: Helm and Helmfile checks: the `needs` graph, chart values, local charts.

The checks live in `helm_helmfile` (H101, H102, H108) and `helm_values` (H103-H107).
"""
