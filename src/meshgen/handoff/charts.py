"""What a service's chart really renders: `helm template` of a chart that is on disk.

meshgen selects a service's pods by the labels the config says they carry (`podLabels`, or
`app`/`version`), and the traffic test targets `<name>.<namespace>:<port>`. Whether the
chart renders pods and a Service like that only the chart can say: a chart that is a local
folder (a local chart, or a chart of a local-folder repository) is rendered with the helm on
PATH and the rendered values of its release, with no network or cluster. A chart from a
remote repository is not fetched: what cannot be rendered is said, not guessed.

`helm template` of podinfo 6.7.1 takes about 0.05 s, so this runs in `meshgen validate`
(when helm is on PATH, or always with `--charts`), never on every `meshgen check`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from meshgen.checks.helm.pods import NO_HELM, ChartRender, summarize
from meshgen.errors import ToolError
from meshgen.handoff import runner
from meshgen.load import yaml_reader
from meshgen.models import MeshConfig, Service
from meshgen.render import naming
from meshgen.render.files import Tree

#: `helm template` of one chart: generous, the chart is local.
HELM_TEMPLATE_TIMEOUT = 120.0


def chart_folder(config_dir: Path, service: Service) -> Path | None:
    """The folder of the service's chart on disk, or None for a remote repository's chart."""
    if service.local_chart:
        return Path(os.path.normpath(config_dir / service.chart))
    if service.repository is not None and service.repository.local:
        base = config_dir / service.repository.url
        return Path(os.path.normpath(base / service.chart_name))
    return None


def _values(project: Tree, service: Service) -> Any:
    path = naming.service_values(service.name)
    for rendered in project.files:
        if rendered.path == path and rendered.documents:
            return rendered.documents[0]
    return {}


def render_service(project: Tree, config_dir: Path, service: Service) -> ChartRender:
    """`helm template` of the service's chart with its release's rendered values."""
    folder = chart_folder(config_dir, service)
    if folder is None:
        return ChartRender(
            service.chart,
            unknown=f"chart {service.chart} comes from a remote repository and is not fetched",
            remote=True,
        )
    try:
        exists = folder.exists()
    except OSError as exc:  # a path the system refuses (too long): H108/H123 say so
        return ChartRender(str(folder), unknown=exc.strerror or str(exc), missing=True)
    if not exists:
        return ChartRender(str(folder), unknown="the chart folder does not exist", missing=True)
    helm = shutil.which("helm")
    if helm is None:
        return ChartRender(str(folder), unknown=NO_HELM)
    argv = [helm, "template", service.name, str(folder), "-n", service.namespace, "-f", "-"]
    try:
        result = runner.capture(
            argv, timeout=HELM_TEMPLATE_TIMEOUT, input_text=json.dumps(_values(project, service))
        )
    except (OSError, ToolError) as exc:
        return ChartRender(str(folder), unknown=f"helm could not run: {exc}")
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit code {result.returncode}"
        return ChartRender(str(folder), unknown=f"helm template failed: {why}")
    try:
        objects = yaml_reader.helm_data(result.stdout)  # as the cluster reads helm's output
    except Exception as exc:  # helm printed something that is not YAML: say so, not crash
        return ChartRender(str(folder), unknown=f"helm printed no valid YAML: {exc}")
    return summarize(str(folder), list(objects))


def render_services(project: Tree, config: MeshConfig, config_dir: Path) -> list[ChartRender]:
    """One `ChartRender` per configured service, in config order."""
    return [render_service(project, config_dir, svc) for svc in config.services]
