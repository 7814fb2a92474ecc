"""The Grafana dashboards sidecar: what meshgen sets, and what the rendered sidecar watches.

The grafana chart (12.x `_pod.tpl`) passes `sidecar.dashboards.label` as the container's
`LABEL`, `labelValue` as `LABEL_VALUE` (only when set: without it any value of the label
matches) and `folderAnnotation` as `FOLDER_ANNOTATION`; kube-prometheus-stack turns the
sidecar on with `grafana_dashboard: "1"` (`meshgen.knowledge.kube_prometheus_stack`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meshgen.records import record

#: The grafana chart's default label (`sidecar.dashboards.label`) and the value
#: kube-prometheus-stack sets; meshgen sets the same on the plain grafana chart.
LABEL = "grafana_dashboard"
LABEL_VALUE = "1"
#: The annotation naming the Grafana folder (`sidecar.dashboards.folderAnnotation`).
FOLDER_ANNOTATION = "grafana_folder"


def sidecar_values() -> dict[str, Any]:
    """The `sidecar:` values meshgen sets for the grafana chart under ConfigMap delivery."""
    return {
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": LABEL,
                "labelValue": LABEL_VALUE,
                "folderAnnotation": FOLDER_ANNOTATION,
                "provider": {"foldersFromFilesStructure": True},
            }
        }
    }


@record(slots=True)
class Watch:
    """What the dashboards sidecar selects and reads: `LABEL`, `LABEL_VALUE`, folder annotation."""

    label: str
    #: None: the chart sets no LABEL_VALUE and the sidecar takes any value of the label.
    label_value: str | None
    folder_annotation: str | None
    #: `sidecar.dashboards.enabled` as rendered.
    enabled: bool


def watch(grafana_values: Mapping[str, Any]) -> Watch:
    """The sidecar settings the grafana chart renders from `grafana_values`.

    `grafana_values` as the chart sees them: under kube-prometheus-stack, the stack's
    `grafana:` section over its defaults for the subchart.
    """
    sidecar = _mapping(_mapping(grafana_values.get("sidecar")).get("dashboards"))
    label = sidecar.get("label")
    value = sidecar.get("labelValue")
    folder = sidecar.get("folderAnnotation")
    return Watch(
        label=str(label) if label else LABEL,
        label_value=str(value) if value not in (None, "") else None,
        folder_annotation=str(folder) if folder else None,
        enabled=sidecar.get("enabled") is True,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
