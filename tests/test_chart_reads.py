"""The key tree of a chart from its defaults and what its templates read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from meshgen.knowledge.chart_reads import FREE, chart_tree, template_reads
from meshgen.load import files

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


def _chart(folder: Path) -> Path:
    (folder / "templates").mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: api\nversion: 0.1.0\n")
    (folder / "values.yaml").write_text("replicaCount: 1\n")
    (folder / "templates" / "deploy.yaml").write_text("replicas: {{ .Values.replicaCount }}\n")
    return folder


def _tree_in_a_child(folder: Path) -> object:
    """`local_chart_tree(folder)` in a child process: a read that blocks fails, not hangs."""
    code = (
        "import json, sys; from pathlib import Path\n"
        "from meshgen.knowledge.chart_reads import local_chart_tree\n"
        "print(json.dumps(local_chart_tree(Path(sys.argv[1]))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_local_chart_is_read_as_read_text_would() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _chart(Path(tmp) / "api")
        assert _tree_in_a_child(folder) == {"replicaCount": None, "global": FREE}
        (folder / "templates" / "deploy.yaml").write_bytes(
            b"replicas: {{ .Values.replicaCount }}\r\nimage: {{ .Values.image.tag }}\r"
        )
        assert _tree_in_a_child(folder) == {
            "replicaCount": None,
            "image": {"tag": None},
            "global": FREE,
        }


@pytest.mark.parametrize("which", ["Chart.yaml", "values.yaml", "templates/deploy.yaml"])
def test_a_fifo_or_endless_file_in_a_local_chart_is_unreadable_not_waited_on(which: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = _chart(Path(tmp) / "api")
        (folder / which).unlink()
        # No values.yaml to read means no defaults; no Chart.yaml or template, no tree.
        expected = {"replicaCount": None, "global": FREE} if which == "values.yaml" else None
        os.mkfifo(folder / which)
        assert _tree_in_a_child(folder) == expected
        (folder / which).unlink()
        (folder / which).symlink_to("/dev/zero")
        assert _tree_in_a_child(folder) == expected


def test_read_regular_refuses_what_is_not_a_small_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"12345")
    assert files.read_regular(path, 5) == b"12345"
    with pytest.raises(files.FileTooLarge):
        files.read_regular(path, 4)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(files.NotARegularFile):
        files.read_regular(tmp_path / "fifo", 5)
    with pytest.raises(IsADirectoryError):
        files.read_regular(tmp_path, 5)
    path.write_bytes(b"a\r\nb\rc\xff")
    assert files.read_regular_text(path, 9, errors="replace") == "a\nb\nc\ufffd"
    with pytest.raises(FileNotFoundError):
        files.read_regular(tmp_path / "missing", 5)
