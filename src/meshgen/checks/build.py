"""Build a `CheckContext` from a loaded project (config + rendered tree)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from meshgen.checks.context import CheckContext
from meshgen.load.documents import DashboardDoc, Locate, TelemetryDoc, ValuesDoc
from meshgen.render import naming
from meshgen.render.telemetry import resource_namespace
from meshgen.source import KeyPath, Span

if TYPE_CHECKING:
    from meshgen.load.config import LoadResult
    from meshgen.render import RenderedFile, RenderInputs
    from meshgen.render.files import Carried, ServiceDashboard


#: `ctx.memo` key of the config's folder as given (`meshgen.load.config.config_folder`):
#: what relative paths in the config (local charts) are relative to.
CONFIG_DIR = "config_dir"


class LoadedProject(Protocol):
    """What a check context is built from (`meshgen.api.Project` is one)."""

    @property
    def config_path(self) -> Path: ...

    @property
    def loaded(self) -> LoadResult: ...

    @property
    def inputs(self) -> RenderInputs | None: ...

    @property
    def files(self) -> Sequence[RenderedFile]: ...

    @property
    def dashboard_data(self) -> Mapping[str, dict[str, Any] | None]: ...

    @property
    def rendered(self) -> bool: ...

    @property
    def shown_output_dir(self) -> str: ...


def from_project(project: LoadedProject) -> CheckContext:
    """The check context of a loaded config and its rendered tree."""
    config = project.loaded.config
    ctx = CheckContext(
        config=config,
        source=project.loaded.source,
        files=project.files,
        output_dir=project.shown_output_dir,
    )
    if config is None:
        return ctx
    from meshgen.load.config import config_folder

    ctx.memo[CONFIG_DIR] = config_folder(project.config_path)
    ctx.kinds.update({"config", "telemetry", "values"})
    if project.rendered:
        ctx.kinds.add("rendered")
    ctx.root_namespace = config.istio.namespace
    ctx.istio_version = config.istio.version
    for namespace in config.namespaces:
        ctx.namespace_labels[namespace.name] = {**namespace.labels, **namespace.injection_labels()}
    ctx.extension_providers = tuple(p.name for p in config.istio.extension_providers)
    for index, resource in enumerate(config.telemetry.resources):
        base: KeyPath = ("telemetry", "resources", index)
        ctx.telemetries.append(
            TelemetryDoc(
                name=resource.name,
                namespace=resource_namespace(config, resource),
                spec=resource,
                locate=_config_locator(ctx, base),
                locate_key=_config_locator(ctx, base, key=True),
            )
        )
    _add_dashboards(ctx, project)
    if ctx.dashboards:
        ctx.kinds.add("dashboards")
    _add_values(ctx)
    return ctx


def _config_locator(ctx: CheckContext, base: KeyPath, *, key: bool = False) -> Locate:
    def locate(path: KeyPath) -> Span:
        return ctx.key_at((*base, *path)) if key else ctx.at((*base, *path))

    return locate


def _add_dashboards(ctx: CheckContext, project: LoadedProject) -> None:
    config = ctx.config
    assert config is not None
    grafana = config.monitoring.grafana
    if grafana is None:
        return
    files = project.inputs.dashboard_files if project.inputs else {}
    for index, dash in enumerate(grafana.dashboards):
        declared = ctx.at(("monitoring", "grafana", "dashboards", index))
        if dash.gnet_id is not None:
            ctx.dashboards.append(
                DashboardDoc(
                    dash.name, declared.file, None, declared=declared, gnet_id=dash.gnet_id
                )
            )
            continue
        text = files.get(dash.name)
        if text is None or dash.file is None:
            continue
        shown = str((project.config_path.parent / dash.file).as_posix())
        # Parsed and reduced when the file was read (`api.read_dashboard`).
        data = project.dashboard_data.get(dash.name)
        ctx.dashboards.append(DashboardDoc(dash.name, shown, data, text, declared=declared))
    if grafana.config_maps:
        _add_configmap_dashboards(ctx)
        return
    path, data = _grafana_values(ctx)
    if data is None:
        return
    rendered = ctx.rendered(path)
    carried = _by_text(rendered.dashboards if rendered is not None else ())
    boards = data.get("dashboards", {})
    from meshgen.render.grafana import SERVICE_DASHBOARD_FOLDER

    shown = f"{ctx.output_dir}/{path}" if ctx.output_dir else path
    services = {svc.name: index for index, svc in enumerate(config.services)}
    for name, entry in (boards.get(SERVICE_DASHBOARD_FOLDER) or {}).items():
        text = entry.get("json", "")
        # A generated dashboard is declared by its service: point there, the line to change.
        declared = ctx.at(("services", services[name])) if name in services else Span(shown)
        ctx.dashboards.append(_generated_doc(name, shown, text, carried, declared))


def _add_configmap_dashboards(ctx: CheckContext) -> None:
    """The generated dashboards under `dashboardDelivery: configMaps`, from their ConfigMaps.

    The file dashboards were read from their files (`_add_dashboards`).
    """
    from meshgen.render import dashboard_configmaps as dcm

    assert ctx.config is not None
    services = ctx.config.services
    for rendered in ctx.files:
        origin = rendered.origin
        if not rendered.path.startswith(f"{dcm.DIR}/") or origin[:1] != ("services",):
            continue
        data = rendered.data if isinstance(rendered.data, dict) else {}
        entries = data.get("data")
        index = origin[1]
        if not isinstance(entries, dict) or not isinstance(index, int) or not entries:
            continue
        text = str(next(iter(entries.values())))
        shown = f"{ctx.output_dir}/{rendered.path}" if ctx.output_dir else rendered.path
        carried = _by_text(rendered.dashboards)
        declared = ctx.at(("services", index))
        ctx.dashboards.append(_generated_doc(services[index].name, shown, text, carried, declared))


def _grafana_values(ctx: CheckContext) -> tuple[str, dict[str, Any] | None]:
    """(file, rendered grafana chart values): the grafana release's, or the stack's.

    With kube-prometheus-stack, the `grafana:` section of its values (its grafana subchart).
    """
    from meshgen.render import kube_prometheus_stack as kps_render

    rendered = ctx.rendered(naming.GRAFANA_VALUES)
    if rendered is not None:
        data = rendered.data if isinstance(rendered.data, dict) else None
        return naming.GRAFANA_VALUES, data
    stack = ctx.rendered(kps_render.VALUES)
    data = stack.data if stack is not None and isinstance(stack.data, dict) else {}
    section = data.get("grafana")
    if isinstance(section, dict) and section.get("enabled", True) is not False:
        return kps_render.VALUES, section
    return kps_render.VALUES, None


def _by_text(entries: Carried) -> dict[str, ServiceDashboard]:
    """The generated dashboards a rendered file carries, by their JSON text."""
    return {board.text: board for _, board in entries}


def _generated_doc(
    name: str, shown: str, text: str, carried: Mapping[str, ServiceDashboard], declared: Span
) -> DashboardDoc:
    """A generated dashboard as the checks read it: its JSON reduced to what they read.

    The renderer's own data (and its queries' analysis, when it has one) when the file
    holds the very text written from it: no second parse. Otherwise (a user's values
    replaced it, say) the text is parsed and analysed as written. Generated boards differ
    by service in nearly every string, so they are not shared like file dashboards are
    (`analysis.dashboards.shared`): that walk would cost more than it saves.
    """
    board = carried.get(text)
    if board is not None:
        return DashboardDoc(
            name, shown, board.checked, text, declared=declared, queries=board.queries
        )
    return DashboardDoc(name, shown, _parsed(text), text, declared=declared)


def _parsed(text: str) -> dict[str, Any] | None:
    from meshgen.analysis.dashboards import essentials

    try:
        data = json.loads(text)
    except ValueError:
        return None
    return essentials(data) if isinstance(data, dict) else None


def _add_values(ctx: CheckContext) -> None:
    """Rendered chart values; a key the user passed through points at the config line."""
    from meshgen.render import ambient as ambient_render

    config = ctx.config
    assert config is not None
    sources: list[tuple[str, str, KeyPath]] = [
        ("istiod", naming.ISTIO_VALUES, ("istio", "values")),
        ("base", naming.ISTIO_BASE_VALUES, ("istio", "baseValues")),
        ("grafana", naming.GRAFANA_VALUES, ("monitoring", "grafana", "values")),
        ("prometheus", naming.PROMETHEUS_VALUES, ("monitoring", "prometheus", "values")),
        ("cni", ambient_render.CNI_VALUES, ("istio", "ambient", "cniValues")),
        ("ztunnel", ambient_render.ZTUNNEL_VALUES, ("istio", "ambient", "ztunnelValues")),
    ]
    for chart, path, user_prefix in sources:
        rendered = ctx.rendered(path)
        if rendered is None or not isinstance(rendered.data, dict):
            continue
        ctx.values.append(ValuesDoc(chart, rendered.data, _values_locator(ctx, path, user_prefix)))
    _add_stack(ctx)
    _add_gateways_and_kiali(ctx)


def _add_gateways_and_kiali(ctx: CheckContext) -> None:
    """Each gateway's and Kiali's rendered values (keys the user passed point at the config)."""
    from meshgen.render import gateways as gateway_render
    from meshgen.render import kiali as kiali_render

    config = ctx.config
    assert config is not None
    sources: list[tuple[str, str, KeyPath]] = [
        ("gateway", gateway_render.values_path(gateway), ("gateways", index, "values"))
        for index, gateway in enumerate(config.gateways)
    ]
    if config.monitoring.kiali is not None:
        sources.append(
            ("kiali-server", kiali_render.KIALI_VALUES, ("monitoring", "kiali", "values"))
        )
    for chart, path, user_prefix in sources:
        rendered = ctx.rendered(path)
        if rendered is not None and isinstance(rendered.data, dict):
            locate = _values_locator(ctx, path, user_prefix)
            ctx.values.append(ValuesDoc(chart, rendered.data, locate))


def _add_stack(ctx: CheckContext) -> None:
    """kube-prometheus-stack's rendered values and the Istio monitors rendered beside it.

    Its `grafana:` section becomes grafana values: what the grafana checks read.
    """
    from meshgen.knowledge import kube_prometheus_stack as kps
    from meshgen.render import kube_prometheus_stack as kps_render

    rendered = ctx.rendered(kps_render.VALUES)
    if rendered is None or not isinstance(rendered.data, dict):
        return
    path = kps_render.VALUES
    inner = _values_locator(ctx, path, ("monitoring", "kubePrometheusStack", "values"))
    sections = {"prometheus": "prometheus", "grafana": "grafana"}

    def locate_stack(keys: KeyPath) -> Span:
        # `monitoring.prometheus.values` and `monitoring.grafana.values` are the stack's
        # `prometheus:` and `grafana:` sections.
        if keys and keys[0] in sections:
            user = ("monitoring", sections[str(keys[0])], "values", *keys[1:])
            if ctx.source.has(user):
                return ctx.source.lookup(user, key=True)
        return inner(keys)

    ctx.values.append(ValuesDoc(kps.CHART, rendered.data, locate_stack))
    _, section = _grafana_values(ctx)
    if section is not None:

        def locate(keys: KeyPath) -> Span:
            return locate_stack(("grafana", *keys))

        ctx.values.append(ValuesDoc("grafana", kps.grafana_subchart_values(section), locate))
    for monitor_path in kps_render.MONITOR_FILES:
        monitor = ctx.rendered(monitor_path)
        if monitor is None or not isinstance(monitor.data, dict):
            continue
        smap = ctx.rendered_source_map(monitor.path)
        doc = kps.monitor_doc(monitor.data, smap)
        if doc is not None:
            ctx.monitors.append(doc)
            ctx.kinds.add("monitors")


def _values_locator(ctx: CheckContext, path: str, user_prefix: KeyPath) -> Locate:
    def locate(keys: KeyPath) -> Span:
        if ctx.source.has((*user_prefix, *keys)):
            return ctx.source.lookup((*user_prefix, *keys), key=True)
        if keys[:1] == ("meshConfig",) and ctx.source.has(("istio", "meshConfig", *keys[1:])):
            return ctx.source.lookup(("istio", "meshConfig", *keys[1:]), key=True)
        return ctx.rendered_span(path, keys)

    return locate
