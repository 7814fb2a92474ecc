"""`meshgen dashboards add`: an Istio grafana.com dashboard in `monitoring.grafana.dashboards`."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from meshgen.errors import UsageError


def add(doc: Any, name: str, gnet_id: int, revision: int, folder: str | None) -> None:
    """Add the dashboard, or re-pin the entry of the same name or gnetId.

    A new entry is written in the style of the list's last entry (flow `{...}` or block).
    """
    monitoring = doc.get("monitoring") if isinstance(doc, dict) else None
    grafana = monitoring.get("grafana") if isinstance(monitoring, dict) else None
    if not isinstance(grafana, CommentedMap):
        raise UsageError(
            "the config has no `monitoring.grafana` section; add Grafana (chartVersion) first"
        )
    if grafana.get("dashboards") is None:
        grafana["dashboards"] = CommentedSeq()
    entries = grafana["dashboards"]
    if not isinstance(entries, CommentedSeq):
        raise UsageError("`monitoring.grafana.dashboards` in the config is not a list")
    for entry in entries:
        if isinstance(entry, CommentedMap) and (
            entry.get("name") == name or entry.get("gnetId") == gnet_id
        ):
            entry["gnetId"] = gnet_id
            entry["revision"] = revision
            if folder is not None:
                entry["folder"] = folder
            return
    entry = CommentedMap(name=name, gnetId=gnet_id, revision=revision)
    if folder is not None:
        entry["folder"] = folder
    last = entries[-1] if entries else None
    if isinstance(last, CommentedMap) and last.fa.flow_style():
        entry.fa.set_flow_style()
    entries.append(entry)
