"""H170's reading of the istio/gateway 1.30.3 values schema, against the real helm.

Each values file is handed to `helm template` of the gateway chart source
(`../shared/charts/istio-1.30.3/gateway`, helm 3 and helm 4): helm refuses the release
exactly when meshgen's schema reading (`checks/helm/gateway_values.violations`) finds a
violation, and for "Additional property X is not allowed" names the same keys.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from meshgen.checks.helm.gateway_values import violations
from tests.realtools import harness
from tests.realtools.harness import NEEDS_TOOLS

pytestmark = NEEDS_TOOLS

CHART = harness.CHARTS / "istio-1.30.3" / "gateway"

VALUES: dict[str, dict[str, Any]] = {
    "accepted": {"service": {"type": "NodePort"}, "replicaCount": 2, "labels": {"a": "b"}},
    "replicas-instead-of-replicaCount": {"replicas": 3},
    # pegasus-idp/gitops istio/gateway-values.yaml: pre-1.22 layout under `defaults:`
    "pre-1.22-defaults-wrapper": {"defaults": {"replicaCount": 1}},
    # ranjithmani/k8s-addons-ansible istio/values.yaml: istiod's values given to the gateway
    "istiod-values": {
        "istio": {"version": "1.26.2"},
        "global": {"hub": "docker.io/istio"},
        "pilot": {"autoscaleEnabled": True},
        "meshConfig": {"defaultProviders": {"metrics": ["prometheus"]}},
    },
    "wrong-type": {"kind": "StatefulSet"},
}

#: helm 3: "Additional property X is not allowed";
#: helm 4: "additional properties 'X', 'Y' not allowed".
_ADDITIONAL = re.compile(
    r"Additional property (\S+) is not allowed|additional propert\S+ ('.*') not"
)


def _helm(helm: str, values: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    file = tmp_path / "values.yaml"
    file.write_text(yaml.safe_dump(values))
    binary = harness.TOOLS / helm / "helm"
    if not binary.is_file():
        pytest.skip(f"{binary} not installed: run `python scripts/test-tools`")
    return subprocess.run(
        [str(binary), "template", "gw", str(CHART), "-f", str(file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("helm", ["helm3", "helm4"])
@pytest.mark.parametrize("name", sorted(VALUES))
def test_helm_refuses_exactly_what_h170_reports(name: str, helm: str, tmp_path: Path) -> None:
    values = VALUES[name]
    found = violations(values)
    done = _helm(helm, values, tmp_path)
    assert (done.returncode != 0) == bool(found), (found, done.stderr)
    refused: set[str] = set()
    for one, several in _ADDITIONAL.findall(done.stderr):
        refused |= {one} if one else set(re.findall(r"'([^']+)'", several))
    assert refused == {
        str(v.path[-1]) for v in found if "not allowed" in v.message and len(v.path) == 1
    }
