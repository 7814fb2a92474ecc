"""H130: Prometheus Operator monitors the kube-prometheus-stack Prometheus does not select.

The stack's Prometheus custom resource picks PodMonitors and ServiceMonitors by label:
under the chart default `*SelectorNilUsesHelmValues: true`, only those labelled
`release: <the stack's release name>` (reference stacks.md 1). Read from a config (the
monitors meshgen renders, the stack values it renders) and from files given to
`meshgen lint` (hand-written monitors, the stack's values, the helmfile release that names it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.knowledge import kube_prometheus_stack as kps
from meshgen.load.documents import Locate, MonitorDoc
from meshgen.records import record
from meshgen.source import Span


@record
class _Stack:
    """A kube-prometheus-stack release: its name (None: not known) and values."""

    release: str | None
    values: Mapping[str, Any]
    locate: Locate | None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _helmfile_releases(ctx: CheckContext) -> list[str]:
    """Names of the kube-prometheus-stack releases of the helmfile states in `ctx.files`."""
    names: list[str] = []
    for rendered in ctx.files:
        state = rendered.data if isinstance(rendered.data, Mapping) else {}
        releases = state.get("releases")
        for release in releases if isinstance(releases, list) else ():
            chart = _mapping(release).get("chart")
            name = _mapping(release).get("name")
            if (
                isinstance(chart, str)
                and chart.rstrip("/").rsplit("/", 1)[-1] == kps.CHART
                and isinstance(name, str)
            ):
                names.append(name)
    return names


def _stacks(ctx: CheckContext) -> list[_Stack]:
    docs = [doc for doc in ctx.values if doc.chart == kps.CHART]
    config = ctx.config
    if config is not None:
        section = config.monitoring.kube_prometheus_stack
        if section is None or not config.monitoring.operator:
            return []
        return [_Stack(section.release, doc.data, doc.locate) for doc in docs[:1]]
    names = _helmfile_releases(ctx)
    release = names[0] if len(names) == 1 else None
    if docs:
        return [_Stack(release, doc.data, doc.locate) for doc in docs]
    return [_Stack(name, {}, None) for name in names]


def _describe(selector: Mapping[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in _mapping(selector.get("matchLabels")).items()]
    expressions = selector.get("matchExpressions")
    for expression in expressions if isinstance(expressions, list) else ():
        expr = _mapping(expression)
        values = expr.get("values")
        listed = f" ({', '.join(str(v) for v in values)})" if isinstance(values, list) else ""
        parts.append(f"{expr.get('key')} {expr.get('operator')}{listed}")
    return ", ".join(parts) if parts else "everything"


#: A problem: why the monitor is not picked, the hint, and the values key that decides it.
_Problem = tuple[str, str | None, tuple[str, ...]]


def _problem(
    stack: _Stack, monitor: MonitorDoc, namespaces: Mapping[str, Mapping[str, str]]
) -> _Problem | None:
    """Why the stack's Prometheus does not pick `monitor` up; None when it does (or may)."""
    found = _label_problem(stack, monitor)
    if found is not None:
        why, hint = found
        return why, hint, tuple(str(p) for p in kps.selector_source(stack.values, monitor.kind))
    return _namespace_problem(stack, monitor, namespaces)


def _namespace_problem(
    stack: _Stack, monitor: MonitorDoc, namespaces: Mapping[str, Mapping[str, str]]
) -> _Problem | None:
    """The monitor's namespace is not one `prometheusSpec.<kind>NamespaceSelector` selects.

    Judged on the namespace's labels when its Namespace object is known (linted, or a
    config's `namespaces:`), else only when the selector looks at nothing but the name label
    Kubernetes puts on every namespace.
    """
    selector = kps.monitor_namespace_selector(stack.values, monitor.kind)
    if selector is None:
        return None
    known = namespaces.get(monitor.namespace)
    if known is None and kps.selector_keys(selector) - {kps.NAMESPACE_NAME_LABEL}:
        return None  # its labels are not known
    labels = {**(known or {}), kps.NAMESPACE_NAME_LABEL: monitor.namespace}
    if kps.selector_matches(selector, labels):
        return None
    key = ("prometheus", "prometheusSpec", kps.NAMESPACE_SELECTOR_KEYS[monitor.kind])
    shown = ", ".join(f"{k}={v}" for k, v in sorted((known or {}).items())) or "none but its name"
    why = (
        f"the stack's Prometheus picks {monitor.kind}s only from namespaces matching "
        f"{key[-1]} {_describe(selector)} (set by {'.'.join(key)}); namespace "
        f"{monitor.namespace!r} has labels {shown}"
    )
    wanted = {k: v for k, v in kps.labels_for(selector).items() if k != kps.NAMESPACE_NAME_LABEL}
    hint = (
        f"label namespace {monitor.namespace} "
        + ", ".join(f"`{k}: {v}`" for k, v in wanted.items())
        if wanted
        else f"add namespace {monitor.namespace} to {'.'.join(key)}"
    )
    return why, hint, key


def _label_problem(stack: _Stack, monitor: MonitorDoc) -> tuple[str, str | None] | None:
    """(why the stack's Prometheus does not select `monitor`'s labels, hint); None when it does."""
    selector = kps.monitor_selector(stack.values, stack.release, monitor.kind)
    source = kps.selector_source(stack.values, monitor.kind)
    key = ".".join(str(part) for part in source)
    default = key.endswith("NilUsesHelmValues")
    field = kps.SELECTOR_KEYS[monitor.kind]
    if default and stack.release is None:
        # The release name is not known: only a monitor with no `release` label is certain
        # to be left out.
        if "release" in monitor.labels:
            return None
        why = (
            f"the stack's Prometheus selects {monitor.kind}s labelled `release: <its release "
            f"name>` ({key} is true, the chart default), and this one has no `release` label"
        )
        return why, "label it `release: <the kube-prometheus-stack release name>`"
    if kps.selector_matches(selector, monitor.labels):
        return None
    name = f"release {stack.release!r}" if stack.release else "release"
    labels = ", ".join(f"{k}={v}" for k, v in sorted(monitor.labels.items())) or "none"
    how = f"{key} is true, the chart default" if default else f"set by {key}"
    why = (
        f"the Prometheus of kube-prometheus-stack {name} selects {monitor.kind}s by "
        f"{field} {_describe(selector)} ({how}); the monitor's labels are {labels}"
    )
    wanted = kps.labels_for(selector)
    hint = (
        "label it " + ", ".join(f"`{k}: {v}`" for k, v in wanted.items())
        if wanted
        else f"change {key} so that it selects the monitor"
    )
    return why, hint


@check("H130", "monitor-not-selected", Severity.ERROR, needs=("monitors",))
def monitor_not_selected(ctx: CheckContext) -> Iterator[Finding]:
    """A PodMonitor or ServiceMonitor that the kube-prometheus-stack Prometheus does not select.

    Checked for the monitors meshgen renders with `monitoring.stack: kube-prometheus-stack`,
    and in `meshgen lint` for hand-written monitors together with the stack's values and the
    helmfile release that names the stack (its name is the label the chart selects by).

    Why: the stack's Prometheus custom resource only scrapes monitors matching its
    `podMonitorSelector`/`serviceMonitorSelector`; with the chart default
    `*SelectorNilUsesHelmValues: true` that is `release: <the stack's release name>`. Istio's
    own sample monitors carry `release: istio`, so they are silently never scraped and every
    Istio dashboard stays empty (prometheus-community/helm-charts#1631, #430).

    The stack's `prometheusSpec.podMonitorNamespaceSelector`/`serviceMonitorNamespaceSelector`
    picks the namespaces monitors are read from: a monitor in a namespace whose labels do
    not match is never picked up either (judged when the namespace's labels are known: a
    linted Namespace, a config's `namespaces:`, or a selector on the name label alone).

    Example: a PodMonitor labelled `release: istio` next to a kube-prometheus-stack release
    named `kps` whose values leave `podMonitorSelectorNilUsesHelmValues` at its default.

    Fix: label the monitor `release: kps` (the stack's release name), or set
    `prometheus.prometheusSpec.podMonitorSelector` to a selector the monitor matches.
    """
    stacks = [s for s in _stacks(ctx) if kps.prometheus_enabled(s.values)]
    if not stacks:
        return
    for monitor in ctx.monitors:
        problems = [_problem(stack, monitor, ctx.namespace_labels) for stack in stacks]
        if any(problem is None for problem in problems):
            continue
        why, hint, source = problems[0] or ("", None, ())
        stack = stacks[0]
        span, related = monitor.span, cast("tuple[Span, ...]", ())
        if stack.locate is not None:
            selector = stack.locate(source)
            # A config: the line to change is the selector's (meshgen wrote the monitor).
            span, related = (selector, (monitor.span,)) if ctx.config else (span, (selector,))
        yield Finding(
            f"{monitor.kind} {monitor.namespace}/{monitor.name} is never scraped: {why}",
            span=span,
            related=related,
            hint=hint,
        )
