"""H1xx: Helm and Helmfile checks: the `needs` graph, chart values, local charts.

The checks live in `helmfile` (H101, H102, H108), `values` (H103-H107) and `pods`
(H120-H122: what the services' charts really render, with `meshgen validate --charts`).
"""
