"""Render a `MeshConfig` into the Helmfile tree, in memory.

`render_tree` is pure: it returns `RenderedFile`s (text plus parsed data) and writes nothing.
Each renderer module owns one family of output files.
"""

from __future__ import annotations

import dataclasses

from meshgen.render import (
    ambient,
    dashboard_configmaps,
    gateways,
    grafana,
    helmfile,
    istio,
    kiali,
    kube_prometheus_stack,
    namespaces,
    prometheus,
    services,
    telemetry,
    traffic,
)
from meshgen.render.context import RenderError, RenderInputs
from meshgen.render.files import RenderedFile

__all__ = ["RenderError", "RenderInputs", "RenderedFile", "render_tree"]


def render_tree(inputs: RenderInputs) -> list[RenderedFile]:
    """Every file of the output tree, sorted by path."""
    from meshgen.analysis.secrets import redact_secrets
    from meshgen.render import dashboards

    # A literal secret (C202) never reaches a rendered file, a diff or a log, even with --force.
    inputs = dataclasses.replace(inputs, config=redact_secrets(inputs.config))

    boards = dashboards.service_dashboards(inputs.config)
    generated = {name: board.text for name, board in boards.items()}
    carried = tuple(boards.items())
    files = [
        *helmfile.render(inputs),
        *istio.render(inputs),
        *prometheus.render(inputs),
        *grafana.render(inputs, generated, carried),
        *kube_prometheus_stack.render(inputs, generated, carried),
        *dashboard_configmaps.render(inputs, generated, carried),
        *namespaces.render(inputs),
        *telemetry.render(inputs),
        *services.render(inputs),
        *traffic.render(inputs),
        *ambient.render(inputs),
        *gateways.render(inputs),
        *kiali.render(inputs),
    ]
    return sorted(files, key=lambda f: f.path)
