"""H120-H122, H125, H126: the pods, workloads and Services the services' charts render.

meshgen selects a service's pods by the labels the config says they carry (`podLabels`,
else `app`/`version`): Telemetry selectors, `meshgen verify`, `telemetry --workload` and the
generated dashboards all rely on them, and the traffic test targets the Service
`<name>.<namespace>` on `port`. The chart decides both (podinfo 6.7.1 labels its pods
`app.kubernetes.io/name: podinfo` only and has no `app`/`version` values). In
`meshgen validate` (helm on PATH, or `--charts`) the API renders each service's chart with
helm (`ChartRender`s in `ctx.memo[CHART_RENDERS]`, input kind "charts") and these checks
compare.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.models import Service
from meshgen.records import record

#: `ctx.memo` key: one `ChartRender` per configured service, in config order.
CHART_RENDERS = "chart_renders"
#: Why a chart on disk was not rendered when there is no helm (`ChartRender.unknown`).
NO_HELM = "helm is not on PATH"
#: `ctx.memo` key: True when charts were asked for (`--charts`), so a remote chart that
#: is not fetched is worth a warning; False when they are rendered because helm is there.
REMOTE_CHARTS_ASKED = "remote_charts_asked"
#: Workload kinds whose pod template gives the labels of the pods they run.
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


@record
class ChartRender:
    """A service's chart rendered by helm: its pods' labels and its Services' ports.

    `unknown` says why the chart could not be rendered (then both are empty); `missing`:
    because its folder does not exist, which H108/H123 report.
    """

    chart: str
    pods: tuple[tuple[str, dict[str, str]], ...] = ()
    services: tuple[tuple[str, tuple[int, ...]], ...] = ()
    unknown: str | None = None
    missing: bool = False
    #: The chart comes from a remote repository (never fetched).
    remote: bool = False


def _mapping(node: Any, key: str) -> dict[Any, Any]:
    # A chart renders whatever its templates say: a key that is not a mapping reads as empty.
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def _labels(node: Any) -> dict[str, str]:
    labels = _mapping(node, "metadata").get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _ports(spec: dict[Any, Any]) -> tuple[int, ...]:
    """The Service's integer ports (a chart bug like `port: null` or `port: http` has none)."""
    ports = spec.get("ports")
    found = []
    for entry in ports if isinstance(ports, list) else ():
        port = entry.get("port") if isinstance(entry, dict) else None
        if isinstance(port, int) and not isinstance(port, bool):
            found.append(port)
        elif isinstance(port, str) and port.isdigit():
            found.append(int(port))
    return tuple(found)


def summarize(chart: str, objects: list[Any]) -> ChartRender:
    """Pods (by workload) and Services of rendered objects; helm hooks (tests) left out."""
    pods: list[tuple[str, dict[str, str]]] = []
    services: list[tuple[str, tuple[int, ...]]] = []
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        meta = _mapping(obj, "metadata")
        annotations = meta.get("annotations")
        if isinstance(annotations, dict) and "helm.sh/hook" in annotations:
            continue
        kind, name = obj.get("kind"), str(meta.get("name", ""))
        spec = _mapping(obj, "spec")
        if kind in WORKLOAD_KINDS:
            pods.append((f"{kind}/{name}", _labels(spec.get("template"))))
        elif kind == "Pod":
            pods.append((f"Pod/{name}", _labels(obj)))
        elif kind == "Service":
            services.append((name, _ports(spec)))
    return ChartRender(chart, tuple(pods), tuple(services))


def _renders(ctx: CheckContext) -> list[ChartRender]:
    renders = ctx.memo.get(CHART_RENDERS)
    return list(renders) if isinstance(renders, list) else []


def _text(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _pods_text(pods: tuple[tuple[str, dict[str, str]], ...]) -> str:
    shown = [f"{name} ({_text(labels) or 'no labels'})" for name, labels in pods[:3]]
    return "; ".join(shown) + ("; ..." if len(pods) > 3 else "")


@check("H120", "service-pods-unmatched", Severity.ERROR, needs=("charts",))
def service_pods_unmatched(ctx: CheckContext) -> Iterator[Finding]:
    """No pod the service's chart renders carries the labels meshgen selects it by.

    Why: Telemetry selectors, `meshgen verify`, `telemetry --workload` and the generated
    dashboards select the service's pods by `podLabels` (unset: `app: <app or name>` and
    `version: <appVersion>`, passed to the chart as values `app`/`version`). A chart that
    labels its pods its own way ignores those values, and everything selecting the pods
    matches nothing, silently. Runs in `meshgen validate` (helm on PATH, or `--charts`),
    which renders the chart with helm.

    Example: podinfo 6.7.1 with no `podLabels`: its pods carry only
    `app.kubernetes.io/name: podinfo`, not `app: podinfo`.

    Fix: set `podLabels` to labels the chart's pods carry (the message lists them), or make
    the chart label its pods `app`/`version` from its values.
    """
    cfg = ctx.config
    assert cfg is not None
    for i, (svc, render) in enumerate(zip(cfg.services, _renders(ctx), strict=False)):
        if render.unknown is not None:
            continue
        wanted = svc.selector_labels
        if any(wanted.items() <= labels.items() for _, labels in render.pods):
            continue
        at = ("services", i, "podLabels") if svc.pod_labels is not None else ("services", i)
        found = _pods_text(render.pods) if render.pods else "no pods at all"
        yield Finding(
            f"service {svc.name}: no pod of chart {render.chart} is labelled {_text(wanted)} "
            f"(it renders {found}); selectors, verify and dashboards would match nothing",
            at=at,
            hint="set podLabels to labels the chart's pods carry",
        )


@check("H121", "service-port-unmatched", Severity.ERROR, needs=("charts",))
def service_port_unmatched(ctx: CheckContext) -> Iterator[Finding]:
    """The service's chart renders no Service named like the release with its `port`.

    Why: the traffic test (`meshgen traffic`) targets
    `http://<name>.<namespace>.svc.cluster.local:<port>`; a chart whose Service has another
    name or port leaves the fortio Job with nothing to reach. Runs with
    `meshgen validate` (with helm on PATH, or `--charts`).

    Example: `port: 8080` for podinfo 6.7.1, whose Service `podinfo` listens on 9898.

    Fix: set `port` to the port of the chart's Service (the message lists them), or name
    the release so that the chart's Service is called like it.
    """
    cfg = ctx.config
    assert cfg is not None
    for i, (svc, render) in enumerate(zip(cfg.services, _renders(ctx), strict=False)):
        if render.unknown is not None or svc.traffic_test is None:
            continue
        ports = dict(render.services)
        if svc.port in ports.get(svc.name, ()):
            continue
        listed = ", ".join(f"{n}:{'/'.join(map(str, p))}" for n, p in render.services)
        yield Finding(
            f"service {svc.name}: chart {render.chart} renders no Service {svc.name} with "
            f"port {svc.port} (it renders {listed or 'no Service'}); the traffic test "
            "would reach nothing",
            at=("services", i, "port") if "port" in svc.model_fields_set else ("services", i),
        )


@check("H122", "service-chart-unknown", Severity.WARNING, needs=("charts",))
def service_chart_unknown(ctx: CheckContext) -> Iterator[Finding]:
    """A service's chart could not be rendered, so its pods' labels are not known.

    Why: `meshgen validate` checks the labels and Service port a service's chart really
    renders (H120, H121) whenever helm is on PATH. Without helm no chart is rendered, and
    with `--charts` a chart from a remote repository is also reported, since it is not
    fetched (no network is assumed): the labels meshgen selects the pods by are then the
    config's word only.

    Example: `chart: ./charts/api` and no helm on PATH; or, with `meshgen validate
    --charts`, `chart: podinfo/podinfo` with `repository.url: https://...`.

    Fix: mirror the chart into a folder (`helm pull podinfo/podinfo --version 6.7.1
    --untar -d charts/`) and set `repository.url: ./charts`, put helm on PATH, or ignore
    this code if `podLabels` comes from the chart's documentation.
    """
    cfg = ctx.config
    assert cfg is not None
    unrendered: list[int] = []  # services whose chart only a missing helm left unrendered
    for i, (svc, render) in enumerate(zip(cfg.services, _renders(ctx), strict=False)):
        if render.unknown is None or render.missing:
            continue
        if render.remote and not ctx.memo.get(REMOTE_CHARTS_ASKED, True):
            continue
        if render.unknown == NO_HELM:
            unrendered.append(i)
        else:
            yield _labels_unknown(svc, i, render.unknown)
    if len(unrendered) == 1:
        yield _labels_unknown(cfg.services[unrendered[0]], unrendered[0], NO_HELM)
    elif unrendered:
        # One cause, one finding: a thousand services on one chart are not a thousand lines.
        names = [cfg.services[i].name for i in unrendered]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        yield Finding(
            f"{len(names)} services ({shown}): the labels of their pods are not known "
            f"({NO_HELM}); meshgen relies on the labels the config gives each",
            at=("services", unrendered[0], "chart"),
            related=tuple(("services", i, "chart") for i in unrendered[1:4]),
        )


def _labels_unknown(svc: Service, index: int, why: str) -> Finding:
    return Finding(
        f"service {svc.name}: the labels of its pods are not known ({why}); "
        f"meshgen relies on {_text(svc.selector_labels)} as the config says",
        at=("services", index, "chart"),
    )


@check("H125", "service-workload-unmatched", Severity.ERROR, needs=("charts",))
def service_workload_unmatched(ctx: CheckContext) -> Iterator[Finding]:
    """The service's chart names its workload otherwise than the service's generated dashboard.

    Why: the dashboard meshgen generates for a service (`grafana.serviceDashboards`)
    selects `destination_workload="<name>"`; Istio reports as `destination_workload` the
    name of the Deployment (StatefulSet, DaemonSet) that runs the pods. A chart that names
    it otherwise (a `fullnameOverride`, a suffix) leaves every panel empty. Runs with
    `meshgen validate` (with helm on PATH, or `--charts`).

    Example: a chart whose Deployment is `{{ .Release.Name }}-app` for service `web`.

    Fix: name the release like the chart's workload, or set the chart's name override so
    that the workload is called like the service.
    """
    cfg = ctx.config
    assert cfg is not None
    grafana = cfg.monitoring.grafana
    if grafana is None or not grafana.service_dashboards:
        return
    for i, (svc, render) in enumerate(zip(cfg.services, _renders(ctx), strict=False)):
        if render.unknown is not None:
            continue
        wanted = svc.selector_labels
        workloads = [
            name.split("/", 1)[1]
            for name, labels in render.pods
            if name.split("/", 1)[0] in ("Deployment", "StatefulSet", "DaemonSet")
            and wanted.items() <= labels.items()
        ]
        if not workloads or svc.name in workloads:
            continue  # no pods at all is H120's finding
        yield Finding(
            f"service {svc.name}: chart {render.chart} runs its pods as "
            f"{', '.join(sorted(workloads))}, not {svc.name}; the generated dashboard's "
            f'destination_workload="{svc.name}" would match nothing',
            at=("services", i, "name"),
        )


def _config_rules_out(selector: dict[str, str], declared: dict[str, str]) -> bool:
    """Whether the labels the config declares already say `selector` cannot match."""
    return any(key in declared and declared[key] != value for key, value in selector.items())


@check("H126", "telemetry-selector-unmatched-chart", Severity.WARNING, needs=("charts",))
def telemetry_selector_unmatched_chart(ctx: CheckContext) -> Iterator[Finding]:
    """A Telemetry selector matches none of the pods the charts of its namespace render.

    Why: a workload Telemetry applies only to pods carrying every label of its selector.
    The selector checks judge only the labels the config declares for its services; with
    `meshgen validate` (helm on PATH, or `--charts`) the pods the services' charts really
    render are known, and a selector on a label they lack (`app: podinfo` for podinfo
    6.7.1, whose pods carry only `app.kubernetes.io/name`) applies to nothing. A warning:
    pods meshgen does not deploy may live in the namespace too.

    Example: `selector: {matchLabels: {app: podinfo}}` in namespace `apps`.

    Fix: select by labels the pods carry (the message lists them).
    """
    cfg = ctx.config
    assert cfg is not None
    renders = _renders(ctx)
    for doc in ctx.telemetries:
        selector = doc.spec.selector
        if selector is None or doc.spec.target_refs or not selector.match_labels:
            continue
        wanted = dict(selector.match_labels)
        here = [
            (svc, render)
            for svc, render in zip(cfg.services, renders, strict=False)
            if svc.namespace == doc.namespace
        ]
        if not here or any(render.unknown is not None for _, render in here):
            continue
        if all(_config_rules_out(wanted, svc.selector_labels) for svc, _ in here):
            continue  # the selector checks already say so (T-codes)
        pods = [pod for _, render in here for pod in render.pods]
        if any(wanted.items() <= labels.items() for _, labels in pods):
            continue
        yield Finding(
            f"selector {_text(wanted)} of telemetry {doc.name!r} matches none of the pods "
            f"the charts of namespace {doc.namespace!r} render ({_pods_text(tuple(pods))})",
            span=doc.locate(("selector", "matchLabels")),
        )
