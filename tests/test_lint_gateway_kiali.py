"""`meshgen lint` on the gateway and kiali-server charts' own values, and their layouts.

Copies of a chart's own `values.yaml` are common; the gateway's (`_internal_defaults_do_not_set`,
`networkGateway`) and kiali-server's (`auth.strategy`, snake_case `deployment:`) are read as
those charts' values, checked against their keys and schema, and pass clean. Values of the
kiali-operator chart (the Kiali CR under `cr.spec`) are not kiali-server values.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from meshgen.checks.lint import build_context, lint, values_chart

CHARTS = Path(__file__).resolve().parent.parent.parent / "shared" / "charts"


@pytest.mark.parametrize(
    ("chart", "folder"),
    [("gateway", "istio-1.30.3/gateway"), ("kiali-server", "kiali-server-2.29.0")],
)
def test_a_copy_of_the_charts_own_values_is_recognised_and_clean(
    chdir: Path, chart: str, folder: str
) -> None:
    source = CHARTS / folder / "values.yaml"
    if not source.exists():
        pytest.skip(f"chart sources absent: {source}")
    shutil.copyfile(source, chdir / "values.yaml")
    ctx, read = build_context([Path("values.yaml")])
    assert read == []
    assert [v.chart for v in ctx.values] == [chart]
    assert [(d.code, d.span.line) for d in lint([Path("values.yaml")]).diagnostics] == []


def test_kiali_operator_values_are_not_kiali_server_values() -> None:
    operator = {"replicaCount": 2, "cr": {"create": True, "spec": {"auth": {"strategy": "token"}}}}
    assert values_chart(operator) is None


@pytest.mark.parametrize(
    ("data", "chart"),
    [
        ({"auth": {"strategy": "anonymous"}}, "kiali-server"),
        ({"deployment": {"view_only_mode": True, "cluster_wide_access": True}}, "kiali-server"),
        ({"deployment": {"replicas": 2}}, None),  # no snake_case key: any chart's
        ({"auth": {"strategy": "oauth2"}}, None),  # not a Kiali strategy
        ({"networkGateway": "net1", "service": {"type": "ClusterIP"}}, "gateway"),
        (
            {"defaults": {"rbac": {"enabled": True}, "serviceAccount": {}, "kind": "Deployment"}},
            "gateway",
        ),
    ],
)
def test_layouts(data: dict[str, object], chart: str | None) -> None:
    assert values_chart(data) == chart
