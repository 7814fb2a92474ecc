"""C204 against the real grafana chart's dashboard download script.

For a grafana.com dashboard with `datasource: NAME` the chart writes a `sed '...'` into
`download_dashboards.sh`. Here the real chart (helm template) writes that script for each
name of a corpus, its sed pipeline runs under /bin/sh on a dashboard line, and meshgen's
C204 must fire exactly for the names the script does not carry through intact.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from meshgen.checks.secrets import SCRIPT_UNSAFE

REPO = Path(__file__).resolve().parent.parent.parent
HELM = REPO / ".tools" / "helm3" / "helm"
CHART = REPO.parent / "shared" / "charts" / "grafana-12.11.1"

pytestmark = [
    pytest.mark.skipif(not HELM.is_file(), reason="run `python scripts/test-tools` for helm"),
    pytest.mark.skipif(not CHART.is_dir(), reason=f"the grafana chart is not at {CHART}"),
]

NAMES = [
    "Prometheus", "Thanos (EU)", "prom.monitoring:9090", "Prom $HOME", "Prom `id`",
    "Prom {{z}}", "Prométhée", "a_b-c", "Prom's", "a/b", "a&b", "back\\slash",
]  # fmt: skip
LINE = '    "datasource": "${DS_PROMETHEUS}",\n'


def _sed_of_script(name: str, tmp_path: Path) -> str:
    values = {
        "dashboardProviders": {"dashboardproviders.yaml": {"apiVersion": 1, "providers": [
            {"name": "istio", "type": "file", "options": {"path": "/var/lib/grafana/dashboards/istio"}}
        ]}},
        "dashboards": {"istio": {"mesh": {"gnetId": 7639, "revision": 330, "datasource": name}}},
    }  # fmt: skip
    file = tmp_path / "values.yaml"
    file.write_text(yaml.safe_dump(values))
    out = subprocess.run(
        [str(HELM), "template", "g", str(CHART), "-f", str(file)],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    script = next(
        d["data"]["download_dashboards.sh"]
        for d in yaml.safe_load_all(out)
        if d and d.get("kind") == "ConfigMap" and "download_dashboards.sh" in d.get("data", {})
    )
    (sed,) = re.findall(r"^\s*\| (sed .*) \\$", script, re.M)
    return sed


@pytest.mark.parametrize("name", NAMES)
def test_c204_fires_exactly_when_the_real_script_breaks(name: str, tmp_path: Path) -> None:
    sed = _sed_of_script(name, tmp_path)
    run = subprocess.run(["/bin/sh", "-c", sed], input=LINE, capture_output=True, text=True, check=False)
    intact = run.returncode == 0 and run.stdout == f'    "datasource": "{name}",\n'
    assert bool(SCRIPT_UNSAFE.search(name)) is (not intact), (name, run.stdout, run.stderr)
