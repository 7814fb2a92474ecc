"""G110 for one Telemetry that disables a metric by a CLIENT and a SERVER override (issue 14 item 16).

Istio's Service dashboard reads `istio_requests_total` on the side the user picks
(`reporter=~"$qrep"`), so a panel lost on both sides used to be reported three times: at
the CLIENT override (client side), at the SERVER override (server side) and again there
for the queries that read both. One cause (the Telemetry), one dashboard: one finding,
at the first override with the second related, each panel named once with its sides.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from meshgen import api

CONFIG = """\
istio: {version: 1.30.3}
namespaces: [{name: apps}]
telemetry:
  resources:
    - name: apps-metrics
      namespace: apps
      metrics:
        - overrides:
            - match: {metric: REQUEST_COUNT, mode: CLIENT}
              disabled: true
            - match: {metric: REQUEST_COUNT, mode: SERVER}
              disabled: true
monitoring:
  grafana:
    chartVersion: 12.11.1
    dashboards:
      - {name: istio-service, gnetId: 7636, revision: 329}
"""


def test_one_finding_names_each_panel_once_with_both_sides(tmp_path: Path) -> None:
    (tmp_path / "meshgen.yaml").write_text(CONFIG, encoding="utf-8")
    found = [
        d
        for d in api.validate_project(api.load_project(tmp_path / "meshgen.yaml"))
        if d.code == "G110"
    ]
    assert [(d.span.line, d.span.col) for d in found] == [(10, 25)]
    (finding,) = found
    assert [r.line for r in finding.related if r.file.endswith("meshgen.yaml")] == [12, 17]
    assert finding.message.startswith(
        "Telemetry apps/apps-metrics disables istio_requests_total, which 15 panels of "
    )
    assert finding.message.endswith("(client and server side)")
    panels = [item.rsplit(" (", 1)[0] for item in finding.detail[:-1]]
    assert [p for p, n in Counter(panels).items() if n > 1] == []
    assert "panel 'Client Request Volume': istio_requests_total (client and server side)" in (
        finding.detail
    )
    assert "panel 'Server Request Volume': istio_requests_total (server side)" in finding.detail
