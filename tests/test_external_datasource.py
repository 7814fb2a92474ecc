"""`monitoring.grafana.datasource` naming an external endpoint: input errors and the values."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from ruamel.yaml import YAML

from meshgen import api
from meshgen.render.prometheus import unescape_tpl
from tests.strategies import free_text

BASE = """\
istio: {version: 1.30.3}
monitoring:
  grafana:
    chartVersion: 12.11.1
    adminSecret: {name: grafana-admin}
    datasource:
"""


def _project(tmp_path: Path, datasource: str) -> api.Project:
    config = tmp_path / "meshgen.yaml"
    config.write_text(BASE + datasource, encoding="utf-8")
    return api.load_project(config)


def _errors(project: api.Project) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.span.line, d.span.col, d.message) for d in project.diagnostics]


def _datasource(project: api.Project) -> dict[str, object]:
    (values,) = [f for f in project.files if f.path == "values/grafana-values.yaml"]
    data = YAML(typ="safe").load(values.text)
    (source,) = data["datasources"]["datasources.yaml"]["datasources"]
    assert isinstance(source, dict)
    return {**source, "envValueFrom": data.get("envValueFrom")}


def test_a_kind_other_than_prometheus_needs_a_url(tmp_path: Path) -> None:
    project = _project(tmp_path, "      kind: mimir\n")
    assert _errors(project) == [
        (
            "C005",
            7,
            7,
            "monitoring.grafana.datasource: kind 'mimir' needs the url of its query endpoint",
        )
    ]


def test_a_header_needs_one_value_and_a_header_name(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "      url: https://prom.example.com\n"
        "      headers:\n"
        "        - {name: X-A, value: a, secret: {name: s, key: k}}\n"
        "        - {name: 'bad header', value: x}\n",
    )
    assert [e[:3] for e in _errors(project)] == [("C005", 9, 11), ("C005", 10, 18)]
    assert "exactly one of value or secret" in _errors(project)[0][3]
    assert "not an HTTP header name" in _errors(project)[1][3]


def test_headers_need_an_external_url(tmp_path: Path) -> None:
    project = _project(tmp_path, "      headers: [{name: X-A, value: a}]\n")
    assert [e[3] for e in _errors(project)] == [
        "monitoring.grafana.datasource: headers apply to an external datasource (url)"
    ]


def test_literal_values_survive_grafana_and_the_charts_tpl(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "      kind: thanos\n"
        "      url: http://thanos-query.monitoring:10902\n"
        "      headers: [{name: X-Team, value: 'a$b{{c'}]\n",
    )
    assert _errors(project) == []
    source = _datasource(project)
    # `$` doubled for Grafana's provisioning, `{{` escaped for the chart's `tpl`.
    assert source["secureJsonData"] == {"httpHeaderValue1": "a$$b{{`{{`}}c"}
    assert source["jsonData"] == {
        "timeInterval": "15s",
        "prometheusType": "Thanos",
        "httpHeaderName1": "X-Team",
    }
    assert source["envValueFrom"] is None


def test_secret_headers_are_numbered_in_config_order(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "      kind: mimir\n"
        "      url: http://mimir-nginx.mimir.svc/prometheus\n"
        "      headers:\n"
        "        - {name: X-Scope-OrgID, value: mesh}\n"
        "        - {name: Authorization, secret: {name: mimir-auth, key: header}}\n",
    )
    assert _errors(project) == []
    source = _datasource(project)
    assert source["secureJsonData"] == {
        "httpHeaderValue1": "mesh",
        "httpHeaderValue2": "${MESHGEN_DATASOURCE_HEADER_2}",
    }
    assert source["envValueFrom"] == {
        "MESHGEN_DATASOURCE_HEADER_2": {"secretKeyRef": {"name": "mimir-auth", "key": "header"}}
    }


@settings(max_examples=40, deadline=None)
@given(value=free_text.filter(lambda v: v != "" and v.isprintable()))
def test_a_literal_header_value_reaches_grafana_as_written(value: str) -> None:
    """What Grafana reads after the chart's `tpl` and its own `$` expansion is the value."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "meshgen.yaml"
        text = (
            BASE + "      url: https://prom.example.com\n      headers: [{name: X-A, value: v}]\n"
        )
        data = YAML(typ="safe").load(text)
        data["monitoring"]["grafana"]["datasource"]["headers"][0]["value"] = value
        # JSON, which is YAML: ruamel's safe dumper writes `{value: ?0}`, which no YAML
        # parser reads (a plain scalar cannot start with `?` in a flow mapping).
        config.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        project = api.load_project(config)
        assert _errors(project) == []
        secure = _datasource(project)["secureJsonData"]
    assert isinstance(secure, dict)
    written = unescape_tpl(secure["httpHeaderValue1"])
    # Grafana's provisioning (pkg/services/provisioning/values): split on `$$`, expand `$...`
    # in each part, join with `$`. No part may hold a `$` left to expand.
    parts = written.split("$$")
    assert not [p for p in parts if "$" in p]
    assert "$".join(parts) == value
