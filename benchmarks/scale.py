"""Write a large, valid meshgen project for the benchmarks.

    python benchmarks/scale.py --services 1000 --dashboards 500 --out DIR

DIR gets `meshgen.yaml` (N namespaces, N services, a Telemetry per service with bounded CEL
tag overrides), a shared local chart, M Grafana dashboard JSON files with many PromQL panels
over Istio's metrics, and the tree `meshgen render` writes from them, so that `meshgen check`
afterwards measures a fresh committed tree. Output is deterministic for given arguments.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

#: Bounded label values (a fixed set plus 'other'), as T116 asks for.
TIERS = ("free", "pro", "enterprise")
MODELS = ("llama-3-8b", "mistral-7b", "qwen-2-7b", "phi-3-mini", "gemma-2-9b")
CHART_DIR = "charts/app"
DASHBOARD_DIR = "dashboards"
OUTPUT_DIR = "deployment/helmfile"


@dataclass(frozen=True)
class Scale:
    """The size of a generated project."""

    services: int
    dashboards: int
    namespaces: int | None = None
    panels: int = 24
    traffic_every: int = 5

    @property
    def namespace_count(self) -> int:
        return max(1, self.namespaces if self.namespaces is not None else self.services)


def namespace_name(index: int) -> str:
    return f"team-{index:04d}"


def service_name(index: int) -> str:
    return f"svc-{index:04d}"


def dashboard_name(index: int) -> str:
    return f"board-{index:04d}"


def bounded_header(header: str, allowed: tuple[str, ...]) -> str:
    """A CEL expression that maps a request header onto a fixed set of values plus 'other'."""
    options = ", ".join(f"'{value}'" for value in allowed)
    return f"request.headers['{header}'] in [{options}] ? request.headers['{header}'] : 'other'"


def mesh_telemetry() -> dict[str, Any]:
    """The mesh-wide Telemetry: a bounded `tier` label on every metric, one label removed.

    The removed label is one neither the dashboards nor Kiali read: the project stays clean.
    """
    return {
        "name": "mesh-default",
        "metrics": [
            {
                "providers": [{"name": "prometheus"}],
                "overrides": [
                    {
                        "match": {"metric": "ALL_METRICS"},
                        "tagOverrides": {"grpc_response_status": {"operation": "REMOVE"}},
                    },
                    {
                        "match": {"metric": "REQUEST_COUNT"},
                        "tagOverrides": {"tier": {"value": bounded_header("x-tier", TIERS)}},
                    },
                    {
                        "match": {"metric": "REQUEST_DURATION"},
                        "tagOverrides": {"tier": {"value": bounded_header("x-tier", TIERS)}},
                    },
                ],
            }
        ],
    }


def service_telemetry(index: int, namespace: str) -> dict[str, Any]:
    """A workload Telemetry: a bounded `model` label on request metrics of one service."""
    # Each service serves its own subset of models, so the CEL texts differ between services.
    allowed = tuple(MODELS[(index + k) % len(MODELS)] for k in range(2 + index % 3))
    overrides: list[dict[str, Any]] = [
        {
            "match": {"metric": metric, "mode": "SERVER"},
            "tagOverrides": {"model": {"value": bounded_header("x-model", allowed)}},
        }
        for metric in ("REQUEST_COUNT", "REQUEST_DURATION")
    ]
    if index % 2:
        overrides.append({"match": {"metric": "GRPC_REQUEST_MESSAGES"}, "disabled": True})
        overrides.append({"match": {"metric": "GRPC_RESPONSE_MESSAGES"}, "disabled": True})
    return {
        "name": f"{service_name(index)}-metrics",
        "namespace": namespace,
        "selector": {"matchLabels": {"app": service_name(index)}},
        "metrics": [{"providers": [{"name": "prometheus"}], "overrides": overrides}],
    }


def service(index: int, namespace: str, scale: Scale) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": service_name(index),
        "namespace": namespace,
        "chart": f"./{CHART_DIR}",
        "port": 8080,
        "app": service_name(index),
        "appVersion": f"v{1 + index % 3}",
        "values": {
            "replicaCount": 1 + index % 3,
            "image": {"repository": f"ghcr.io/example/{service_name(index)}", "tag": "1.0.0"},
        },
    }
    if scale.traffic_every and index % scale.traffic_every == 0:
        entry["trafficTest"] = {"path": "/healthz", "qps": 10, "duration": "30s"}
    return entry


def config(scale: Scale) -> dict[str, Any]:
    """The whole meshgen.yaml as data."""
    count = scale.namespace_count
    namespaces = [
        {
            "name": namespace_name(i),
            "injection": "enabled",
            "labels": {"team": namespace_name(i), "cost-center": f"cc-{i % 17}"},
        }
        for i in range(count)
    ]
    services = [service(i, namespace_name(i % count), scale) for i in range(scale.services)]
    telemetries = [mesh_telemetry()] + [
        service_telemetry(i, namespace_name(i % count)) for i in range(scale.services)
    ]
    dashboards = [
        {
            "name": dashboard_name(i),
            "folder": f"team-{i % 8}",
            "file": f"{DASHBOARD_DIR}/{dashboard_name(i)}.json",
        }
        for i in range(scale.dashboards)
    ]
    return {
        "output": OUTPUT_DIR,
        "istio": {
            "version": "1.30.3",
            "namespace": "istio-system",
            "prometheusMerge": True,
            "accessLogging": {"enabled": True, "encoding": "JSON"},
        },
        "namespaces": namespaces,
        "telemetry": {
            "resources": telemetries,
            "histogramBuckets": {"istiocustom": [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]},
        },
        "monitoring": {
            "namespace": "monitoring",
            "prometheus": {"chartVersion": "29.27.0", "scrapeInterval": "15s"},
            "grafana": {
                "chartVersion": "12.11.1",
                "adminSecret": {"name": "grafana-admin"},
                "datasource": {"name": "Prometheus", "uid": "prometheus"},
                # At this scale the dashboards cannot ride in the grafana release's values:
                # Kubernetes (1 MiB a ConfigMap, G121) and Helm (1 MiB a release, H150)
                # refuse it. One ConfigMap each, one release per folder, is what fits.
                "dashboardDelivery": "configMaps",
                "dashboards": dashboards,
            },
        },
        "services": services,
    }


# --- dashboards -----------------------------------------------------------------------------

_SEL = (
    'reporter="destination",'
    'destination_workload_namespace=~"$namespace",destination_workload=~"$workload"'
)
_RATE = "[$__rate_interval]"

#: (title, unit, [(expr, legend)]) templates; `{sel}` and `{rate}` are filled in.
PANEL_TEMPLATES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Request rate",
        "reqps",
        (
            (
                "sum by (destination_workload) (rate(istio_requests_total{{{sel}}}{rate}))",
                "{{{{destination_workload}}}}",
            ),
        ),
    ),
    (
        "Success rate",
        "percentunit",
        (
            (
                'sum(rate(istio_requests_total{{{sel},response_code!~"5.."}}{rate}))'
                " / sum(rate(istio_requests_total{{{sel}}}{rate}))",
                "success",
            ),
        ),
    ),
    (
        "Responses by code",
        "reqps",
        (
            (
                "sum by (response_code) (rate(istio_requests_total{{{sel}}}{rate}))",
                "{{{{response_code}}}}",
            ),
        ),
    ),
    (
        "Latency",
        "ms",
        tuple(
            (
                f"histogram_quantile(0.{q}, sum by (le) "
                "(rate(istio_request_duration_milliseconds_bucket{{{sel}}}{rate})))",
                f"p{q}",
            )
            for q in ("50", "90", "99")
        ),
    ),
    (
        "Requests by tier",
        "reqps",
        (("sum by (tier) (rate(istio_requests_total{{{sel}}}{rate}))", "{{{{tier}}}}"),),
    ),
    (
        "p99 latency by tier",
        "ms",
        (
            (
                "histogram_quantile(0.99, sum by (le, tier) "
                "(rate(istio_request_duration_milliseconds_bucket{{{sel}}}{rate})))",
                "{{{{tier}}}}",
            ),
        ),
    ),
    (
        "Request size",
        "bytes",
        (
            (
                "histogram_quantile(0.9, sum by (le) "
                "(rate(istio_request_bytes_bucket{{{sel}}}{rate})))",
                "p90",
            ),
        ),
    ),
    (
        "Response size",
        "bytes",
        (
            (
                "histogram_quantile(0.9, sum by (le) "
                "(rate(istio_response_bytes_bucket{{{sel}}}{rate})))",
                "p90",
            ),
        ),
    ),
    (
        "Incoming requests by source",
        "reqps",
        (
            (
                "sum by (source_workload, source_workload_namespace) "
                "(rate(istio_requests_total{{{sel}}}{rate}))",
                "{{{{source_workload}}}}.{{{{source_workload_namespace}}}}",
            ),
        ),
    ),
    (
        "TCP bytes",
        "Bps",
        (
            ("sum(rate(istio_tcp_sent_bytes_total{{{sel}}}{rate}))", "sent"),
            ("sum(rate(istio_tcp_received_bytes_total{{{sel}}}{rate}))", "received"),
        ),
    ),
    (
        "TCP connections",
        "short",
        (
            ("sum(rate(istio_tcp_connections_opened_total{{{sel}}}{rate}))", "opened"),
            ("sum(rate(istio_tcp_connections_closed_total{{{sel}}}{rate}))", "closed"),
        ),
    ),
    (
        "Error ratio by source",
        "percentunit",
        (
            (
                'sum by (source_workload) (rate(istio_requests_total{{{sel},response_code=~"5.."}}'
                "{rate})) / sum by (source_workload) (rate(istio_requests_total{{{sel}}}{rate}))",
                "{{{{source_workload}}}}",
            ),
        ),
    ),
)


def _panel(index: int, board: int) -> dict[str, Any]:
    title, unit, targets = PANEL_TEMPLATES[(index + board) % len(PANEL_TEMPLATES)]
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": f"{title} ({index + 1})",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom"}},
        "targets": [
            {
                "refId": chr(ord("A") + k),
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": expr.format(sel=_SEL, rate=_RATE),
                "legendFormat": legend.format(),
                "interval": "",
            }
            for k, (expr, legend) in enumerate(targets)
        ],
    }


def _query_variable(name: str, query: str, label: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "query": {"query": query, "refId": f"{name}-query"},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "current": {"text": "All", "value": "$__all"},
        "sort": 1,
    }


def dashboard(index: int, panels: int) -> dict[str, Any]:
    """A Grafana dashboard model with `panels` PromQL panels and three template variables."""
    return {
        "uid": f"bench-{index:04d}",
        "title": f"Benchmark board {index}",
        "tags": ["istio", "benchmark"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {"text": "Prometheus", "value": "prometheus"},
                },
                _query_variable(
                    "namespace",
                    'label_values(istio_requests_total{reporter="destination"}, '
                    "destination_workload_namespace)",
                    "Namespace",
                ),
                _query_variable(
                    "workload",
                    'label_values(istio_requests_total{reporter="destination",'
                    'destination_workload_namespace=~"$namespace"}, destination_workload)',
                    "Workload",
                ),
            ]
        },
        "panels": [_panel(i, index) for i in range(panels)],
    }


CHART_YAML = """apiVersion: v2
name: app
description: A generic service chart for the meshgen benchmarks.
type: application
version: 0.1.0
appVersion: "1.0.0"
"""

CHART_VALUES = """replicaCount: 1
image:
  repository: ghcr.io/example/app
  tag: "1.0.0"
"""

CHART_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
    spec:
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
"""


def write_project(out: Path, scale: Scale) -> Path:
    """Write meshgen.yaml, the chart and the dashboards under `out`; return the config path."""
    out.mkdir(parents=True, exist_ok=True)
    chart = out / CHART_DIR
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(CHART_YAML, encoding="utf-8")
    (chart / "values.yaml").write_text(CHART_VALUES, encoding="utf-8")
    (chart / "templates" / "deployment.yaml").write_text(CHART_TEMPLATE, encoding="utf-8")
    boards = out / DASHBOARD_DIR
    boards.mkdir(exist_ok=True)
    for i in range(scale.dashboards):
        text = json.dumps(dashboard(i, scale.panels), indent=2) + "\n"
        (boards / f"{dashboard_name(i)}.json").write_text(text, encoding="utf-8")
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # keep each CEL expression on one line
    path = out / "meshgen.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            f"# Generated by benchmarks/scale.py: {scale.services} services, "
            f"{scale.dashboards} dashboards.\n"
        )
        yaml.dump(config(scale), handle)
    return path


def meshgen_command() -> list[str]:
    """`meshgen` next to this interpreter (the venv's console script), else `python -m`."""
    script = Path(sys.executable).with_name("meshgen")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "meshgen"]


def render(config_path: Path) -> None:
    """`meshgen render` the project once, so the tree on disk is fresh."""
    result = subprocess.run(
        [*meshgen_command(), "render", "-c", str(config_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"meshgen render failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )


def generate(out: Path, scale: Scale, *, rendered: bool = True) -> Path:
    """Write the project and (by default) render it; return the config path."""
    path = write_project(out, scale)
    if rendered:
        render(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100, help="services (default 100)")
    parser.add_argument("--dashboards", type=int, default=10, help="local dashboards (default 10)")
    parser.add_argument(
        "--namespaces", type=int, default=None, help="namespaces (default: one per service)"
    )
    parser.add_argument("--panels", type=int, default=24, help="panels per dashboard (default 24)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--no-render", action="store_true", help="do not run `meshgen render`")
    args = parser.parse_args(argv)
    scale = Scale(args.services, args.dashboards, args.namespaces, args.panels)
    path = generate(args.out, scale, rendered=not args.no_render)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
