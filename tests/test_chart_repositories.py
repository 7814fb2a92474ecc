"""Chart repositories: https, oci:// and local folders (air-gapped), and podLabels.

How each kind of repository renders into helmfile.yaml, and what a service with `podLabels`
gets as values; the real helmfile runs on these in tests/realtools/test_starter.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from meshgen import api
from tests.yaml_data import typed

BASE = """\
istio:
  version: 1.30.3
  repository: {istio}
monitoring:
  prometheus: {{chartVersion: 29.27.0, repository: {prometheus}}}
  grafana: {{chartVersion: 12.11.1, repository: {grafana}}}
namespaces: [{{name: apps}}]
services:
  - name: podinfo
    namespace: apps
    chart: podinfo/podinfo
    version: 6.7.1
    repository: {{name: podinfo, url: {podinfo}}}
    podLabels: {{app.kubernetes.io/name: podinfo}}
    port: 9898
"""
HTTPS = {
    "istio": "https://istio-release.storage.googleapis.com/charts",
    "prometheus": "https://prometheus-community.github.io/helm-charts",
    "grafana": "https://grafana-community.github.io/helm-charts",
    "podinfo": "https://stefanprodan.github.io/podinfo",
}


def _render(tmp_path: Path, **urls: str) -> tuple[dict[str, Any], dict[str, Any]]:
    config = tmp_path / "meshgen.yaml"
    config.write_text(BASE.format(**{**HTTPS, **urls}), encoding="utf-8")
    project = api.load_project(config)
    assert project.loaded.config is not None, project.diagnostics
    files = {f.path: f.documents[0] for f in project.files}
    return files["helmfile.yaml"], files["values/podinfo-values.yaml"]


def _releases(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in state["releases"]}


def test_https_repositories_are_helmfile_repositories(tmp_path: Path) -> None:
    state, _ = _render(tmp_path)
    assert [r["name"] for r in state["repositories"]] == [
        "istio", "prometheus-community", "grafana-community", "podinfo"
    ]  # fmt: skip
    release = _releases(state)["podinfo"]
    assert (release["chart"], release["version"]) == ("podinfo/podinfo", "6.7.1")


def test_an_oci_repository_is_a_helmfile_oci_repository(tmp_path: Path) -> None:
    state, _ = _render(tmp_path, podinfo="oci://ghcr.io/stefanprodan/charts")
    assert state["repositories"][-1] == {
        "name": "podinfo", "url": "ghcr.io/stefanprodan/charts", "oci": True
    }  # fmt: skip
    release = _releases(state)["podinfo"]
    assert (release["chart"], release["version"]) == ("podinfo/podinfo", "6.7.1")


def test_local_folder_repositories_are_chart_paths_with_no_repository(tmp_path: Path) -> None:
    state, _ = _render(
        tmp_path, istio="./mirror", prometheus="./mirror", grafana="/srv/charts", podinfo="../m"
    )
    assert state["repositories"] == []
    charts = {name: (r["chart"], r.get("version")) for name, r in _releases(state).items()}
    assert charts["istio-base"] == ("../../mirror/base", None)
    assert charts["istiod"] == ("../../mirror/istiod", None)
    assert charts["prometheus"] == ("../../mirror/prometheus", None)
    assert charts["grafana"] == ("/srv/charts/grafana", None)
    assert charts["podinfo"] == ("../../../m/podinfo", None)


def test_a_service_with_pod_labels_gets_no_app_version_or_port_values(tmp_path: Path) -> None:
    _, values = _render(tmp_path)
    assert values == {}


@pytest.mark.parametrize("url", ["charts.example.com", "file:///srv/charts", "ftp://x", "mirror"])
def test_a_repository_that_is_neither_url_nor_folder_is_refused(tmp_path: Path, url: str) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(BASE.format(**{**HTTPS, "istio": url}), encoding="utf-8")
    (diagnostic,) = api.load_project(config).diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.col) == ("C005", 3, 15)
    assert diagnostic.message == (
        f"istio.repository: {url!r} is not a chart repository: use an https:// URL, an oci:// "
        "registry path, or a local folder (./charts, /srv/mirror)"
    )


def test_the_rendered_helmfile_yaml_parses_back(tmp_path: Path) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(BASE.format(**{**HTTPS, "istio": "./mirror"}), encoding="utf-8")
    project = api.load_project(config)
    (helmfile,) = [f for f in project.files if f.path == "helmfile.yaml"]
    assert typed(yaml.safe_load(helmfile.text)) == typed(helmfile.documents[0])
