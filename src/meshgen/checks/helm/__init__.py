"""H1xx: Helm and Helmfile checks: the `needs` graph, chart values, local charts.

The checks live in `helmfile` (H101, H102, H108), `values` (H103-H107), `pods`
(H120-H122, H125, H126: what the services' charts really render, with
`meshgen validate` when helm is on PATH), `mirror` (H123, H124: the charts of local-folder
repositories), `templating` (H109), `prometheus_operator` (H130) and `gateway_values`
(H170, H171). Checks whose codes span families (gateways, Kiali, dashboard delivery) sit
beside the C, K and D checks in `meshgen.checks`.
"""
