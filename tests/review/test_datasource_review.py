"""Review of the external Grafana datasource (`monitoring.grafana.datasource`).

Found in the session-20 review:
- G130 let through a URL holding a line break or tab (`urllib.parse.urlsplit` silently
  drops them before parsing), a leading space or a space in the host: Go's `url.Parse`, which
  Grafana reads the URL with, refuses each one;
- a literal header value with a line break was accepted and rendered; Go's HTTP client
  refuses to send such a header, so every dashboard query would fail;
- (fixed: written `$$`, literal like header values) `$` in the datasource `url` or `name` is expanded by Grafana's
  provisioning like any value, while header values are written `$$`-escaped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from meshgen import api
from meshgen.render.prometheus import unescape_tpl
from tests.grafana_reads import grafana_reads

BASE = """\
istio: {version: 1.30.3}
monitoring:
  prometheus: {chartVersion: 29.27.0}
  grafana:
    chartVersion: 12.11.1
    adminSecret: {name: grafana-admin}
    datasource:
      kind: mimir
"""


def _findings(tmp_path: Path, datasource: str) -> list[tuple[str, int, int, str]]:
    config = tmp_path / "meshgen.yaml"
    config.write_text(BASE + datasource, encoding="utf-8")
    project = api.load_project(config)
    found = api.validate_project(project, charts=False)
    return [(d.code, d.span.line, d.span.col, d.message) for d in found]


@pytest.mark.parametrize(
    "url",
    [
        "http://mimir.example.com\\n/prometheus",
        "http://mimir.example.com/prom\\tetheus",
        "http://mimir example.com/prometheus",
        " http://mimir.example.com/prometheus",
        "http://mimir.example.com/prometheus\\r",
    ],
)
def test_g130_refuses_whitespace_and_control_characters(tmp_path: Path, url: str) -> None:
    found = _findings(
        tmp_path, f'      url: "{url}"\n      headers: [{{name: X-Scope-OrgID, value: t}}]\n'
    )
    shown = json.loads(f'"{url}"')
    assert found == [
        (
            "G130",
            9,
            12,
            f"datasource url {shown!r} is unusable: it holds whitespace or a control "
            "character, which Go's URL parser refuses",
        )
    ]


def test_g130_still_passes_a_clean_url(tmp_path: Path) -> None:
    found = _findings(
        tmp_path,
        "      url: http://mimir-nginx.mimir.svc/prometheus\n"
        "      headers: [{name: X-Scope-OrgID, value: t}]\n",
    )
    assert found == []


@pytest.mark.parametrize("value", ["line1\\nline2", "a\\rb", "a\\r\\nX-Injected: 1"])
def test_a_header_value_with_a_control_character_is_refused(tmp_path: Path, value: str) -> None:
    found = _findings(
        tmp_path,
        "      url: http://mimir-nginx.mimir.svc/prometheus\n"
        f'      headers: [{{name: X-Scope-OrgID, value: "{value}"}}]\n',
    )
    assert found == [
        (
            "C005",
            10,
            46,
            "monitoring.grafana.datasource.headers[0].value: an HTTP header value cannot hold "
            "a line break or another control character (Grafana's HTTP client refuses the "
            "header)",
        )
    ]


def test_a_header_value_with_a_tab_and_unicode_is_kept(tmp_path: Path) -> None:
    found = _findings(
        tmp_path,
        "      url: http://mimir-nginx.mimir.svc/prometheus\n"
        '      headers: [{name: X-Scope-OrgID, value: "te\\tnant ü"}]\n',
    )
    assert found == []


def test_a_dollar_in_the_url_and_name_reaches_grafana_as_written(tmp_path: Path) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(
        BASE.replace("      kind: mimir\n", "      kind: thanos\n")
        + "      name: Metrics $TEAM\n"
        + "      url: http://thanos-query.monitoring:10902/$TEAM\n",
        encoding="utf-8",
    )
    project = api.load_project(config)
    assert [d.code for d in project.diagnostics] == []
    (values,) = [f for f in project.files if f.path == "values/grafana-values.yaml"]
    (source,) = YAML(typ="safe").load(values.text)["datasources"]["datasources.yaml"]["datasources"]
    assert grafana_reads(unescape_tpl(source["name"])) == "Metrics $TEAM"
    assert (
        grafana_reads(unescape_tpl(source["url"])) == "http://thanos-query.monitoring:10902/$TEAM"
    )
