"""`values/prometheus-values.yaml`: the prometheus-community chart, scraping Istio."""

from __future__ import annotations

import textwrap
from typing import Any

from meshgen.load.values import merge_values
from meshgen.models import MeshConfig, Prometheus
from meshgen.render import ambient, naming, yaml_writer
from meshgen.render.context import RenderInputs, build_file
from meshgen.render.files import RenderedFile


def escape_tpl(text: str) -> str:
    """Escape Go-template braces in a value the chart passes through `tpl`.

    Each `{{` becomes an action printing `{{` from a raw (backquoted) string: unlike a
    double-quoted one it survives the chart's `toYaml` in any quoting style, and it has no
    spaces for a YAML line fold to split. `}}` outside an action is plain text to Go.
    """
    return TPL_ESCAPED_BRACES.join(text.split("{{"))


#: What `escape_tpl` writes for each `{{`.
TPL_ESCAPED_BRACES = "{{`{{`}}"


def unescape_tpl(text: str) -> str:
    """What the chart's `tpl` makes of an `escape_tpl`-ed value: the original text."""
    return "{{".join(text.split(TPL_ESCAPED_BRACES))


def istiod_service(config: MeshConfig) -> str:
    """The istiod chart's Service: `istiod`, or `istiod-<revision>` for a revision."""
    return f"istiod-{config.istio.revision}" if config.istio.revision else "istiod"


def istio_scrape_jobs(config: MeshConfig, prometheus: Prometheus) -> list[dict[str, Any]]:
    """Extra jobs: istiod's monitoring port and, when asked, Envoy's :15090 (istio.io docs)."""
    jobs: list[dict[str, Any]] = []
    if prometheus.istio_scraping.istiod:
        jobs.append(
            {
                "job_name": "istiod",
                "kubernetes_sd_configs": [
                    {"role": "endpoints", "namespaces": {"names": [config.istio.namespace]}}
                ],
                "relabel_configs": [
                    {
                        "source_labels": [
                            "__meta_kubernetes_service_name",
                            "__meta_kubernetes_endpoint_port_name",
                        ],
                        "action": "keep",
                        "regex": f"{istiod_service(config)};http-monitoring",
                    }
                ],
            }
        )
    if prometheus.istio_scraping.envoy_stats:
        jobs.append(
            {
                "job_name": "envoy-stats",
                "metrics_path": "/stats/prometheus",
                "kubernetes_sd_configs": [{"role": "pod"}],
                "relabel_configs": [
                    {
                        "source_labels": ["__meta_kubernetes_pod_container_port_name"],
                        "action": "keep",
                        "regex": ".*-envoy-prom",
                    }
                ],
            }
        )
    return jobs


def prometheus_values(config: MeshConfig, prometheus: Prometheus) -> dict[str, Any]:
    values: dict[str, Any] = {
        "server": {
            "global": {"scrape_interval": prometheus.scrape_interval},
            "retention": prometheus.retention,
            # Keep Prometheus out of the mesh even if its namespace is ever labelled.
            "podLabels": {"sidecar.istio.io/inject": "false"},
        },
    }
    jobs = istio_scrape_jobs(config, prometheus) + ambient.scrape_jobs(config)
    if jobs:
        # A plain YAML list at column 0: the chart pastes it under scrape_configs with `tpl`.
        values["extraScrapeConfigs"] = escape_tpl(textwrap.dedent(yaml_writer.dump(jobs)))
    return merge_values(values, prometheus.values)


def service_url(config: MeshConfig) -> str | None:
    """The in-cluster URL of the Prometheus server Service the chart creates."""
    if config.monitoring.operator:
        from meshgen.render import stack_names

        return stack_names.service_url(config)
    prometheus = config.monitoring.prometheus
    if prometheus is None:
        return None
    name, namespace, port = naming.prometheus_server(
        prometheus.release, config.monitoring.namespace, prometheus.values
    )
    return f"http://{name}.{namespace}.svc.cluster.local:{port}"


def render(inputs: RenderInputs) -> list[RenderedFile]:
    prometheus = inputs.config.monitoring.prometheus
    if prometheus is None or inputs.config.monitoring.operator:
        return []
    return [
        build_file(
            inputs,
            naming.PROMETHEUS_VALUES,
            "values/prometheus-values.yaml.j2",
            [prometheus_values(inputs.config, prometheus)],
            origin=("monitoring", "prometheus"),
        )
    ]
