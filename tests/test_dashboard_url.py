"""`url:` dashboards: downloaded by the grafana chart like grafana.com ones, pinned by URL."""

from __future__ import annotations

from pathlib import Path

from meshgen import api
from meshgen.knowledge.ambient import ztunnel_dashboard_url

CONFIG = """\
istio: {version: %(version)s, dataplane: ambient}
namespaces: [{name: apps}]
monitoring:
  prometheus: {chartVersion: 29.27.0}
  grafana:
    chartVersion: 12.11.1
    adminSecret: {name: grafana-admin}
    dashboards:
%(dashboards)s
"""


def _project(tmp_path: Path, dashboards: str, version: str = "1.30.3") -> api.Project:
    config = tmp_path / "meshgen.yaml"
    config.write_text(CONFIG % {"version": version, "dashboards": dashboards}, encoding="utf-8")
    return api.load_project(config)


def test_a_url_dashboard_is_a_download_entry_of_the_chart(tmp_path: Path) -> None:
    url = ztunnel_dashboard_url("1.30.3")
    project = _project(tmp_path, f"      - {{name: istio-ztunnel, url: {url}}}")
    values = next(f.data for f in project.files if f.path == "values/grafana-values.yaml")
    assert values["dashboards"]["istio"] == {"istio-ztunnel": {"url": url}}
    assert api.validate_project(project) == []  # no C142: the Ztunnel dashboard is there


def test_the_ztunnel_url_is_pinned_to_the_release_tag_and_c142_names_it(tmp_path: Path) -> None:
    assert ztunnel_dashboard_url("1.29.6") == (
        "https://raw.githubusercontent.com/istio/istio/1.29.6/"
        "manifests/addons/dashboards/ztunnel-dashboard.gen.json"
    )
    project = _project(tmp_path, "      - {name: istio-mesh, gnetId: 7639, revision: 330}")
    (finding,) = [d for d in api.validate_project(project) if d.code == "C142"]
    assert finding.hint is not None and ztunnel_dashboard_url("1.30.3") in finding.hint
