"""G111 against a real PromQL engine: the panels it says a label removal breaks, break.

From the effective telemetry of a config, the series the sidecars would emit are generated
(every standard metric each side keeps, its labels kept/removed/added, both reporters, for
each service called by a load generator), loaded into a real Prometheus (Debian's 2.42:
`promtool tsdb create-blocks-from openmetrics`), and every query of Istio's Service and
Workload dashboards (the real JSON in ../shared/upstream/) runs with its Grafana variables
substituted. A panel is broken by a change when a query that returned data for the
repository's mesh returns other series or values once the change is made (no data, a lost
`by` label, a success rate of 100%); meshgen's G111 (a removed label) and G110 (a disabled
metric) must name exactly those panels.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from meshgen import api
from meshgen.analysis.effective import effective_metrics
from meshgen.checks.build import from_project
from meshgen.checks.grafana import telemetry as grafana_telemetry
from meshgen.knowledge.istio import STANDARD_METRICS, MetricKind

REPO = Path(__file__).resolve().parent.parent.parent
DASHBOARDS = REPO.parent / "shared" / "upstream" / "istio-1.30.3" / "dashboards"
FILES = {"istio-service": "istio-service-dashboard.json", "istio-workload": "istio-workload-dashboard.json"}

pytestmark = [
    pytest.mark.skipif(
        shutil.which("prometheus") is None or shutil.which("promtool") is None,
        reason="Prometheus is not installed (scripts/test-tools installs Debian's `prometheus`)",
    ),
    pytest.mark.skipif(not DASHBOARDS.is_dir(), reason=f"Istio's dashboards not found at {DASHBOARDS}"),
]

NOW = 1_800_000_000
STEPS = 40  # one sample every 15 s for ten minutes
BUCKETS = (1, 5, 10, 50, 100, 500, 1000)


@dataclass(frozen=True)
class _Workload:
    name: str
    namespace: str
    app: str
    version: str = "v1"


def _labels(side: str, src: _Workload, dst: _Workload, state: Any, code: str) -> dict[str, str]:
    values = {
        "reporter": "destination" if side == "SERVER" else "source",
        "source_workload": src.name, "source_workload_namespace": src.namespace,
        "source_principal": f"spiffe://cluster.local/ns/{src.namespace}/sa/{src.name}",
        "source_app": src.app, "source_version": src.version, "source_canonical_service": src.app,
        "source_canonical_revision": src.version, "source_cluster": "Kubernetes",
        "destination_workload": dst.name, "destination_workload_namespace": dst.namespace,
        "destination_principal": f"spiffe://cluster.local/ns/{dst.namespace}/sa/{dst.name}",
        "destination_app": dst.app, "destination_version": dst.version,
        "destination_service": f"{dst.name}.{dst.namespace}.svc.cluster.local",
        "destination_service_name": dst.name, "destination_service_namespace": dst.namespace,
        "destination_canonical_service": dst.app, "destination_canonical_revision": dst.version,
        "destination_cluster": "Kubernetes", "request_protocol": "http", "response_flags": "-",
        "connection_security_policy": "mutual_tls" if side == "SERVER" else "unknown",
        "response_code": code, "grpc_response_status": "",
    }  # fmt: skip
    kept = {k: v for k, v in values.items() if state.has_label(k)}
    kept.update({k: "x" for k in state.added_labels})
    return kept


def _openmetrics(config_path: Path) -> str:
    """The sidecars' series as OpenMetrics: requests split 3:1 into 200 and 503 responses.

    Where a side drops `response_code`, both kinds of response land in one series (what
    Envoy does when a label is removed).
    """
    project = api.load_project(config_path)
    ctx = from_project(project)
    config = project.loaded.config
    assert config is not None
    series: dict[tuple[str, str], list[float]] = {}
    kinds: dict[str, str] = {}
    for svc in config.services:
        ns = svc.namespace
        service = _Workload(svc.name, ns, svc.app_label, svc.app_version)
        # A load generator calls the service, and the service calls a backend of its own.
        for src, dst in ((_Workload("loadgen", ns, "loadgen"), service), (service, _Workload("backend", ns, "backend"))):
            for side, workload in (("CLIENT", src), ("SERVER", dst)):
                states = effective_metrics(
                    ctx.telemetries, root_namespace=config.istio.namespace, namespace=ns,
                    workload_labels={"app": workload.app, "version": workload.version}, mode=side,
                )  # fmt: skip
                for facts in STANDARD_METRICS:
                    state = states[str(facts.metric)]
                    if not state.enabled:
                        continue
                    for code, share in (("200", 3), ("503", 1)):
                        labels = _labels(side, src, dst, state, code)
                        labels = {k: v for k, v in labels.items() if k in facts.labels or k in state.added_labels}
                        _add(series, kinds, facts, labels, share)
    lines = []
    for family, kind in kinds.items():
        lines.append(f"# TYPE {family} {kind}")
        for (name, labels), values in series.items():
            if _family(name) != family:
                continue
            for step, value in enumerate(values):
                lines.append(f"{name}{{{labels}}} {value} {NOW - 15 * (STEPS - step)}")
    return "\n".join(lines) + "\n# EOF\n"


def _family(name: str) -> str:
    for suffix in ("_total", "_bucket", "_count", "_sum"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _add(
    series: dict[tuple[str, str], list[float]], kinds: dict[str, str], facts: Any,
    labels: dict[str, str], share: int,
) -> None:  # fmt: skip
    def bump(name: str, extra: dict[str, str], per_step: float) -> None:
        text = ",".join(f'{k}="{v}"' for k, v in sorted({**labels, **extra}.items()))
        values = series.setdefault((name, text), [0.0] * STEPS)
        for step in range(STEPS):
            values[step] += per_step * (step + 1)

    if facts.kind is MetricKind.COUNTER:
        family = facts.name.removesuffix("_total")
        kinds[family] = "counter"
        bump(f"{family}_total", {}, 10 * share)
        return
    kinds[facts.name] = "histogram"
    for bound in BUCKETS:
        bump(f"{facts.name}_bucket", {"le": str(float(bound))}, (10 if bound >= 10 else 5) * share)
    bump(f"{facts.name}_bucket", {"le": "+Inf"}, 10 * share)
    bump(f"{facts.name}_count", {}, 10 * share)
    bump(f"{facts.name}_sum", {}, 200 * share)


class _Prometheus:
    def __init__(self, folder: Path, metrics: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / "tsdb"
        source = folder / "series.om"
        source.write_text(metrics)
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)],
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        config = folder / "prometheus.yml"
        config.write_text("global: {}\n")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=100y"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("prometheus did not start")

    def query(self, expr: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": NOW - 15})
        with urllib.request.urlopen(url, timeout=30) as reply:
            body = json.load(reply)
        assert body["status"] == "success", (expr, body)
        return [r for r in body["data"]["result"] if r["value"][1] not in ("NaN",)]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _panels(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in data.get("panels", []):
        yield panel
        yield from _panels(panel)


def _substitute(expr: str, values: dict[str, str]) -> str:
    expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "5m")
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", values[name]).replace("[[" + name + "]]", values[name])
        expr = re.sub(rf"\${name}\b", values[name], expr)
    return expr


Outcome = frozenset[tuple[frozenset[tuple[str, str]], float]]


def _outcomes(prometheus: _Prometheus, dashboard: str, svc: Any) -> dict[str, list[Outcome]]:
    """Panel title -> per query (and `$qrep`): the series it returns, labels and value."""
    data = json.loads((DASHBOARDS / FILES[dashboard]).read_text())
    out: dict[str, list[Outcome]] = {}
    for qrep in ("destination", "source"):
        values = {v["name"]: ".*" for v in data.get("templating", {}).get("list", [])}
        values.update({
            "service": f"{svc.name}.{svc.namespace}.svc.cluster.local", "namespace": svc.namespace,
            "workload": svc.name, "qrep": qrep,
        })  # fmt: skip
        for panel in _panels(data):
            for target in panel.get("targets", []):
                if not target.get("expr"):
                    continue
                result = prometheus.query(_substitute(target["expr"], values))
                outcome = frozenset(
                    (frozenset(r["metric"].items()), round(float(r["value"][1]), 6)) for r in result
                )
                out.setdefault(panel.get("title", ""), []).append(outcome)
    return out


def _broken(before: dict[str, list[Outcome]], after: dict[str, list[Outcome]]) -> set[str]:
    """Panels with a query that returned data before and returns other series or values."""
    return {
        title
        for title, queries in before.items()
        for was, now in zip(queries, after[title], strict=True)
        if was and was != now
    }


def _flagged(config_path: Path, labels: bool = True) -> dict[str, set[str]]:
    project = api.load_project(config_path)
    ctx = from_project(project)
    analysis = grafana_telemetry._analysis(ctx)
    found: dict[str, set[str]] = {}
    for usage in analysis.flagged_usages(labels=labels):
        dashboard = re.search(r"'([^']+)'", usage.dashboard)
        panel = re.fullmatch(r"panel '(.*)'", usage.panel)
        assert dashboard and panel, (usage.dashboard, usage.panel)
        found.setdefault(dashboard.group(1), set()).add(panel.group(1))
    return found


#: (what the change does to the repository's config, whether G111 (labels) or G110 judges it)
_MESH_DEFAULT = "    - name: mesh-default\n      metrics:\n        - providers:\n            - name: prometheus\n"

CHANGES = {
    "remove response_code": (
        (
            _MESH_DEFAULT,
            _MESH_DEFAULT + "          overrides:\n            - match:\n"
            "                metric: ALL_METRICS\n              tagOverrides:\n"
            "                response_code:\n                  operation: REMOVE\n",
        ),
        True,
    ),
    "disable REQUEST_DURATION": (
        (
            _MESH_DEFAULT,
            _MESH_DEFAULT + "          overrides:\n            - match:\n"
            "                metric: REQUEST_DURATION\n              disabled: true\n",
        ),
        False,
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_g110_and_g111_name_exactly_the_panels_a_real_prometheus_loses(
    tmp_path: Path, change: str
) -> None:
    (edit, labels) = CHANGES[change]
    project = tmp_path / "infrastructure"
    shutil.copytree(REPO / "infrastructure", project)
    config = project / "meshgen.yaml"
    base = config.read_text()
    assert edit[0] in base, "the repository's config no longer declares mesh-default this way"
    changed = tmp_path / "changed" / "meshgen.yaml"
    shutil.copytree(project, changed.parent)
    changed.write_text(base.replace(*edit, 1))
    svc = api.load_project(config).loaded.config.services[0]  # type: ignore[union-attr]
    servers = [
        _Prometheus(tmp_path / name, _openmetrics(path))
        for name, path in (("before", config), ("after", changed))
    ]
    try:
        before_flags, after_flags = _flagged(config, labels), _flagged(changed, labels)
        for dashboard in FILES:
            real = _broken(_outcomes(servers[0], dashboard, svc), _outcomes(servers[1], dashboard, svc))
            claimed = after_flags.get(dashboard, set()) - before_flags.get(dashboard, set())
            assert real, f"{dashboard}: the change broke nothing in Prometheus"
            assert claimed == real, (dashboard, sorted(claimed - real), sorted(real - claimed))
    finally:
        for server in servers:
            server.close()
