"""The record of how Istio's grafana.com dashboards name their datasource is what their JSON says."""

from __future__ import annotations

import json
from pathlib import Path

from meshgen.analysis.dashboards import GRAFANA_COM_EXPORT, datasource_references
from meshgen.knowledge.dashboard_datasources import ISTIO_GRAFANA_COM, DatasourceRefs
from meshgen.knowledge.dashboards import BY_GNET_ID


def test_the_record_matches_the_exported_upstream_json(upstream: Path) -> None:
    folder = upstream / "istio-1.30.3" / "dashboards"
    for gnet_id, refs in ISTIO_GRAFANA_COM.items():
        data = json.loads((folder / BY_GNET_ID[gnet_id].file).read_text(encoding="utf-8"))
        assert datasource_references(data, GRAFANA_COM_EXPORT) == refs, gnet_id


def test_references_of_an_export_with_inputs_and_literal_names() -> None:
    data = {
        "templating": {"list": [{"name": "qrep", "type": "custom", "datasource": "Prometheus"}]},
        "panels": [
            {"datasource": "Prometheus", "targets": [{"datasource": "-- Grafana --"}]},
            {"title": "row", "panels": [{"datasource": {"uid": "${DS_PROMETHEUS}"}}]},
        ],
    }
    refs = datasource_references(data)
    assert refs == DatasourceRefs(frozenset({"Prometheus"}), frozenset({"${DS_PROMETHEUS}"}))
    assert refs.inputs == {"DS_PROMETHEUS"}
    exported = datasource_references(data, GRAFANA_COM_EXPORT)
    assert exported.strings == {"${DS_PROMETHEUS}"}
