"""H130's reading of the stack's monitor namespace selectors, against the real helm.

kube-prometheus-stack 88.5.3 (assembled as in test_kube_prometheus_stack) is rendered with
`helm template --show-only templates/prometheus/prometheus.yaml`; the Prometheus custom
resource's `podMonitorNamespaceSelector`/`serviceMonitorNamespaceSelector` is what
`knowledge/kube_prometheus_stack.monitor_namespace_selector` says (None: `{}`, every
namespace), for values that leave it unset, set it empty and set it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from meshgen.knowledge import kube_prometheus_stack as kps
from tests.realtools import harness
from tests.realtools.harness import NEEDS_TOOLS
from tests.realtools.test_kube_prometheus_stack import _assemble_stack

pytestmark = NEEDS_TOOLS

VALUES: dict[str, dict[str, Any]] = {
    "unset": {},
    "empty": {"podMonitorNamespaceSelector": {}, "serviceMonitorNamespaceSelector": {}},
    "set": {
        "podMonitorNamespaceSelector": {"matchLabels": {"monitoring": "enabled"}},
        "serviceMonitorNamespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["apps"]}
            ]
        },
    },
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_the_rendered_namespace_selectors_are_what_h130_reads(name: str, tmp_path: Path) -> None:
    values = {"prometheus": {"prometheusSpec": VALUES[name]}, "grafana": {"enabled": False}}
    file = tmp_path / "values.yaml"
    file.write_text(yaml.safe_dump(values), encoding="utf-8")
    chart = _assemble_stack(tmp_path / "charts")
    helm = str(harness.TOOLS / "helm3" / "helm")
    only = "templates/prometheus/prometheus.yaml"
    done = subprocess.run(
        [helm, "template", "kps", str(chart), "-f", str(file), "--show-only", only],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (prometheus,) = [d for d in yaml.safe_load_all(done.stdout) if d]
    for kind, key in kps.NAMESPACE_SELECTOR_KEYS.items():
        expected = kps.monitor_namespace_selector(values, kind)
        assert prometheus["spec"][key] == (expected if expected is not None else {}), kind
