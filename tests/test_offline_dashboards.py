"""`dashboardDelivery: configMaps`: the ConfigMaps, the sidecar settings, and the same G checks.

The real-tool side (helmfile template with the real charts, Istio's dashboards, helm's own
release JSON) is tests/realtools/test_offline_dashboards.py.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from meshgen import api
from meshgen.checks import build
from meshgen.knowledge import helm_storage
from meshgen.render import dashboard_configmaps as dcm

BROKEN = {
    "title": "Broken",
    "uid": "broken",
    "schemaVersion": 39,
    "templating": {"list": []},
    "panels": [
        {
            "id": 1,
            "type": "timeseries",
            "title": "unbalanced",
            "datasource": {"type": "prometheus", "uid": "prometheus"},
            "targets": [{"refId": "A", "expr": "sum(rate(istio_requests_total[5m])"}],
        },
        {
            "id": 2,
            "type": "timeseries",
            "title": "nowhere",
            "datasource": {"type": "prometheus", "uid": "thanos"},
            "targets": [{"refId": "A", "expr": "sum(rate(istio_requests_total[5m]))"}],
        },
        {
            "id": 3,
            "type": "timeseries",
            "title": "connections",
            "datasource": {"type": "prometheus", "uid": "prometheus"},
            "targets": [
                {"refId": "A", "expr": "sum(rate(istio_tcp_connections_opened_total[5m]))"}
            ],
        },
    ],
}

CONFIG = """\
istio: {version: 1.30.3}
namespaces:
  - {name: shop, injection: enabled}
telemetry:
  resources:
    - name: mesh-default
      metrics:
        - overrides:
            - match: {metric: TCP_OPENED_CONNECTIONS}
              disabled: true
monitoring:
%(monitoring)s
    adminSecret: {name: grafana-admin}
%(delivery)s
    dashboards:
      - {name: broken, folder: team, file: broken.json}
%(values)s
services:
  - name: cart
    namespace: shop
    chart: shop/cart
    version: 1.0.0
    repository: {name: shop, url: "https://charts.example.com/shop"}
    port: 8080
"""
PLAIN = "  prometheus: {chartVersion: 29.27.0}\n  grafana:\n    chartVersion: 12.11.1"
STACK = (
    "  stack: kube-prometheus-stack\n"
    "  kubePrometheusStack: {chartVersion: 88.5.3%(stack_values)s}\n"
    "  grafana:"
)


def _project(
    tmp_path: Path,
    *,
    delivery: str | None,
    stack: bool = False,
    values: str = "",
    stack_values: str = "",
    board: dict[str, Any] | None = None,
) -> api.Project:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "broken.json").write_text(json.dumps(board or BROKEN, indent=2), encoding="utf-8")
    monitoring = STACK % {"stack_values": stack_values} if stack else PLAIN
    text = CONFIG % {
        "monitoring": monitoring,
        "delivery": f"    dashboardDelivery: {delivery}" if delivery else "",
        "values": values,
    }
    config = tmp_path / "meshgen.yaml"
    config.write_text(text, encoding="utf-8")
    return api.load_project(config)


def _dashboard_findings(project: api.Project) -> list[tuple[str, int, int, str]]:
    return sorted(
        (d.code, d.span.line, d.span.col, Path(d.span.file).name)
        for d in api.validate_project(project)
        if d.code.startswith("G1") and d.code not in ("G120", "G121", "G122", "G123")
    )


@pytest.mark.parametrize("stack", [False, True], ids=["prometheus", "kube-prometheus-stack"])
def test_a_broken_file_dashboard_is_found_the_same_under_either_delivery(
    tmp_path: Path, stack: bool
) -> None:
    under_values = _dashboard_findings(_project(tmp_path / "v", delivery=None, stack=stack))
    under_configmaps = _dashboard_findings(
        _project(tmp_path / "c", delivery="configMaps", stack=stack)
    )
    # G109 the unbalanced query and G107 the datasource uid nothing provisions, in the
    # dashboard file; G110 at the Telemetry override that turns its metric off.
    assert under_configmaps == [
        ("G107", 30, 17, "broken.json"),
        ("G109", 20, 20, "broken.json"),
        ("G110", 10, 25, "meshgen.yaml"),
    ]
    assert under_configmaps == under_values


def test_generated_dashboards_are_read_from_their_configmaps(tmp_path: Path) -> None:
    project = _project(tmp_path, delivery="configMaps")
    ctx = build.from_project(project)
    docs = {d.name: d for d in ctx.dashboards}
    assert set(docs) == {"broken", "cart"}
    cart = docs["cart"]
    assert cart.file.endswith("manifests/dashboards/services/dashboard-services-cart.yaml")
    assert cart.declared is not None and (cart.declared.line, cart.declared.col) == (21, 5)
    assert cart.data is not None and cart.data["uid"] == "meshgen-shop-cart"


def _configmaps(project: api.Project) -> dict[str, dict[str, Any]]:
    return {f.path: f.data for f in project.files if f.path.startswith(f"{dcm.DIR}/")}


def test_one_configmap_per_dashboard_with_the_sidecar_label_and_folder(tmp_path: Path) -> None:
    project = _project(tmp_path, delivery="configMaps")
    maps = _configmaps(project)
    assert sorted(maps) == [
        "manifests/dashboards/services/dashboard-services-cart.yaml",
        "manifests/dashboards/team/dashboard-team-broken.yaml",
    ]
    broken = maps["manifests/dashboards/team/dashboard-team-broken.yaml"]
    assert broken["metadata"] == {
        "name": "dashboard-team-broken",
        "namespace": "monitoring",
        "labels": {"grafana_dashboard": "1"},
        "annotations": {"grafana_folder": "team"},
    }
    assert broken["data"] == {"broken.json": (tmp_path / "broken.json").read_text()}
    values = next(f.data for f in project.files if f.path == "values/grafana-values.yaml")
    assert "dashboards" not in values and "dashboardProviders" not in values
    assert values["sidecar"] == {
        "dashboards": {
            "enabled": True,
            "label": "grafana_dashboard",
            "labelValue": "1",
            "folderAnnotation": "grafana_folder",
            "provider": {"foldersFromFilesStructure": True},
        }
    }
    helmfile = next(f.data for f in project.files if f.path == "helmfile.yaml")
    # One release per Grafana folder, in config order, the generated service folder last.
    releases = [r for r in helmfile["releases"] if r["name"].startswith(dcm.RELEASE)]
    assert releases == [
        {
            "name": f"grafana-dashboards-{folder}",
            "namespace": "monitoring",
            "chart": f"./manifests/dashboards/{folder}",
            "labels": {"tier": "monitoring", "component": "grafana-dashboards"},
        }
        for folder in ("team", "services")
    ]


def test_the_labels_follow_what_the_values_make_the_sidecar_watch(tmp_path: Path) -> None:
    values = (
        "    values:\n      sidecar:\n        dashboards:\n"
        "          label: team_dashboard\n          labelValue: shop\n"
        "          folderAnnotation: team-folder\n"
    )
    maps = _configmaps(_project(tmp_path, delivery="configMaps", values=values))
    for manifest in maps.values():
        assert manifest["metadata"]["labels"] == {"team_dashboard": "shop"}
        assert set(manifest["metadata"]["annotations"]) == {"team-folder"}


def test_under_the_stack_its_values_decide_the_label(tmp_path: Path) -> None:
    stack_values = ", values: {grafana: {sidecar: {dashboards: {labelValue: mesh}}}}"
    project = _project(tmp_path, delivery="configMaps", stack=True, stack_values=stack_values)
    for manifest in _configmaps(project).values():
        assert manifest["metadata"]["labels"] == {"grafana_dashboard": "mesh"}
    stack = next(
        f.data for f in project.files if f.path.endswith("kube-prometheus-stack-values.yaml")
    )
    assert stack["grafana"]["sidecar"]["dashboards"]["folderAnnotation"] == "grafana_folder"
    assert "dashboards" not in stack["grafana"]


def test_values_delivery_renders_no_configmaps(tmp_path: Path) -> None:
    project = _project(tmp_path, delivery="values")
    assert _configmaps(project) == {}
    helmfile = next(f.data for f in project.files if f.path == "helmfile.yaml")
    assert not [r for r in helmfile["releases"] if r["name"].startswith(dcm.RELEASE)]


def test_no_release_when_there_is_nothing_to_deliver(tmp_path: Path) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(
        "istio: {version: 1.30.3}\nmonitoring:\n  prometheus: {chartVersion: 29.27.0}\n"
        "  grafana:\n    chartVersion: 12.11.1\n    adminSecret: {name: a}\n"
        "    dashboardDelivery: configMaps\n",
        encoding="utf-8",
    )
    project = api.load_project(config)
    helmfile = next(f.data for f in project.files if f.path == "helmfile.yaml")
    assert not [r for r in helmfile["releases"] if r["name"].startswith(dcm.RELEASE)]
    assert api.validate_project(project) == []


def test_names_are_kubernetes_names() -> None:
    assert dcm.configmap_name("istio", "mesh") == "dashboard-istio-mesh"
    long = dcm.configmap_name("a" * 40, "b" * 40)
    assert len(long) <= 63 and long.startswith("dashboard-aaaa") and long[-9] == "-"
    assert dcm.configmap_name("Team X", "m") != dcm.configmap_name("team-x", "m")
    assert dcm.data_key("mesh") == "mesh.json"


# --- what is counted, and how Helm encodes ------------------------------------------------


def test_configmap_data_is_counted_in_utf8_bytes_of_the_values() -> None:
    assert helm_storage.configmap_data_size({"a.json": "é" * 10, "long-key" * 20: "x"}) == 21
    binary = base64.b64encode(b"\x00" * 7).decode()
    assert helm_storage.configmap_data_size({}, {"b": binary}) == 7


def test_release_secret_size_is_base64_of_best_gzip() -> None:
    release = b"".join(
        helm_storage.release_json_chunks(
            name="r", namespace="n", chart={"name": "c"}, config={"b": 1, "a": "<&>"}
        )
    )
    assert b'"config":{"a":"\\u003c\\u0026\\u003e","b":1}' in release
    expected = len(base64.b64encode(gzip.compress(release, compresslevel=9, mtime=0)))
    assert helm_storage.release_secret_size([release]) == expected


@pytest.mark.parametrize("size", [1, 4096, 1 << 20])
def test_a_release_measured_in_pieces_has_the_size_of_the_whole(size: int) -> None:
    panels = [{"expr": f"sum(rate(x_{i}[5m])) > 0 & <b>", "id": i} for i in range(3000)]
    parts = dict(
        name="r",
        namespace="n",
        chart={"name": "c"},
        config={"dashboards": {"json": json.dumps({"panels": panels}, indent=2)}},
        manifest="\u2028".join(f"line {i}" for i in range(5000)),
    )
    whole = b"".join(helm_storage.release_json_chunks(**parts))
    chunks = list(helm_storage.go_json_chunks(json.loads(whole), size))
    assert b"".join(chunks) == helm_storage.go_json(json.loads(whole))
    expected = len(base64.b64encode(gzip.compress(whole, compresslevel=9, mtime=0)))
    assert helm_storage.release_secret_size([whole]) == expected
    assert helm_storage.release_secret_size(iter(chunks)) == expected
    assert helm_storage.release_secret_size(helm_storage.release_json_chunks(**parts)) == expected


def test_the_generated_dashboards_configmap_points_at_their_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One service's dashboard (about 9 kB) against a limit lowered to 4 kB: under `values`
    # delivery the chart's `services` ConfigMap is reported at `serviceDashboards`, the
    # switch that puts the generated dashboards there, when the config writes it.
    monkeypatch.setattr(helm_storage, "MAX_OBJECT_DATA", 4096)
    values = "    serviceDashboards: true"
    project = _project(tmp_path, delivery=None, values=values, board={"title": "t", "uid": "u"})
    found = [d for d in api.validate_project(project) if d.code == "G121"]
    assert [(d.span.line, d.span.col) for d in found] == [(19, 24)], found
    assert found[0].message.startswith("ConfigMap grafana-dashboards-services would hold ")
    assert found[0].detail[0].startswith("cart: ")
