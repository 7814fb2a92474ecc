"""The key tree of a chart from its defaults and what its templates read."""

from __future__ import annotations

from meshgen.knowledge.chart_reads import FREE, chart_tree, template_reads

TEMPLATE = """
{{- $sts := .Values.persistence }}
storageClassName: {{ $sts.storageClassName }}
{{- with .Values.sidecar.dashboards }}
interval: {{ .provider.updateIntervalSeconds | default 30 }}
{{ include "x.labels" . }} {{ .Release.Name }}
{{- end }}
port: {{ index .Values "grafana.ini" "server" "http_port" }}
for: {{ dig "Rule" "for" "5m" .Values.customRules }}
{{- with .Values.podLabels }}{{ toYaml . | nindent 4 }}{{ end }}
{{- range $name, $route := .Values.route }}{{ $route.x }}{{ end }}
extra: {{ toYaml .Values.extra.objects }}
{{- /* {{ .Values.commented.out }} */}}
{{ $.Values.service.nodePort }} {{ $root.Values.image.tag }}
"""


def test_template_reads_follow_references_index_dig_with_and_variables() -> None:
    reads = template_reads([TEMPLATE])
    assert reads.paths >= {
        ("persistence", "storageClassName"),
        ("sidecar", "dashboards", "provider", "updateIntervalSeconds"),
        ("grafana.ini", "server", "http_port"),
        ("customRules", "Rule", "for"),
        ("service", "nodePort"),
        ("image", "tag"),
    }
    assert ("sidecar", "dashboards", "Release", "Name") not in reads.paths
    assert ("commented", "out") not in reads.paths
    assert reads.free == {("podLabels",), ("extra", "objects")}
    assert reads.entries == {("route",)}
    assert ("route", "<entry>", "x") in reads.paths


def test_chart_tree_merges_reads_into_the_defaults() -> None:
    defaults = {"persistence": {"enabled": False}, "service": {"type": "ClusterIP"}, "env": {}}
    tree = chart_tree(defaults, [TEMPLATE])
    assert tree["persistence"] == {"enabled": None, "storageClassName": None}
    assert tree["service"] == {"type": None, "nodePort": None}
    assert tree["env"] == FREE
    assert tree["podLabels"] == FREE
    assert tree["extra"] == {"objects": FREE}
    assert tree["sidecar"] == {"dashboards": {"provider": {"updateIntervalSeconds": None}}}
    assert tree["route"] == FREE  # no default entry to learn an entry's keys from
    with_default = chart_tree({"route": {"main": {"enabled": True}}}, [TEMPLATE])
    assert with_default is not None
    assert with_default["route"] == {"<entry>": {"enabled": None, "x": None}}


def test_values_handed_on_whole_accept_any_key() -> None:
    assert chart_tree({}, ['{{ include "x.env" .Values }}']) is None
    assert chart_tree({}, ["{{ toYaml .Values | nindent 2 }}"]) is None
    assert chart_tree({}, ['{{ $v := .Values }}{{ $v.a }}{{ index .Values "b" }}']) == {
        "a": None,
        "b": None,
        "global": FREE,
    }
