"""C1xx: checks of the config's own consistency (names, namespaces, injection, pinning)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.models import RevisionInjection
from meshgen.source import KeyPath

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _named_things(ctx: CheckContext) -> Iterator[tuple[str, str, KeyPath]]:
    """(what, name, key path) of every name that becomes a Kubernetes object name."""
    cfg = ctx.config
    assert cfg is not None
    yield "namespace", cfg.istio.namespace, ("istio", "namespace")
    yield "namespace", cfg.monitoring.namespace, ("monitoring", "namespace")
    for i, ns in enumerate(cfg.namespaces):
        yield "namespace", ns.name, ("namespaces", i, "name")
    for i, svc in enumerate(cfg.services):
        yield "service", svc.name, ("services", i, "name")
        yield "namespace", svc.namespace, ("services", i, "namespace")
    for i, res in enumerate(cfg.telemetry.resources):
        yield "telemetry", res.name, ("telemetry", "resources", i, "name")
        if res.namespace is not None:
            yield "namespace", res.namespace, ("telemetry", "resources", i, "namespace")
    if cfg.istio.revision:
        yield "revision", cfg.istio.revision, ("istio", "revision")
    if cfg.monitoring.kube_prometheus_stack:
        stack = ("monitoring", "kubePrometheusStack", "release")
        yield "release", cfg.monitoring.kube_prometheus_stack.release, stack
    if cfg.monitoring.prometheus:
        yield "release", cfg.monitoring.prometheus.release, ("monitoring", "prometheus", "release")
    if cfg.monitoring.grafana:
        yield "release", cfg.monitoring.grafana.release, ("monitoring", "grafana", "release")
        for i, dash in enumerate(cfg.monitoring.grafana.dashboards):
            yield "dashboard", dash.name, ("monitoring", "grafana", "dashboards", i, "name")
            yield (
                "dashboard folder",
                dash.folder,
                ("monitoring", "grafana", "dashboards", i, "folder"),
            )


@check("C101", "invalid-kubernetes-name", Severity.ERROR)
def invalid_kubernetes_name(ctx: CheckContext) -> Iterator[Finding]:
    """A name that becomes a Kubernetes object or label is not a DNS-1123 label.

    Why: namespaces, releases, services and Telemetry names must be lower-case alphanumerics
    and `-`, at most 63 characters; the API server rejects anything else at apply time.

    Example: `name: Inference_Balancer`

    Fix: use lower case and dashes, e.g. `inference-balancer`.
    """
    for what, name, path in _named_things(ctx):
        if len(name) > 63:
            yield Finding(f"{what} name {name!r} is longer than 63 characters", at=path)
        elif not DNS1123_LABEL.match(name):
            yield Finding(
                f"{what} name {name!r} is not a DNS-1123 label (lower-case letters, digits, '-')",
                at=path,
            )


@check("C102", "invalid-label", Severity.ERROR)
def invalid_label(ctx: CheckContext) -> Iterator[Finding]:
    """A label key or value that Kubernetes rejects.

    Why: label values are at most 63 characters of alphanumerics, `-`, `_` and `.`,
    starting and ending alphanumeric; the namespace or pod would be refused.

    Example: `labels: {team: "wave speed"}`

    Fix: `labels: {team: wave-speed}`.
    """
    cfg = ctx.config
    assert cfg is not None
    for i, ns in enumerate(cfg.namespaces):
        for key, value in ns.labels.items():
            path = ("namespaces", i, "labels", key)
            if len(value) > 63 or not LABEL_VALUE.match(value):
                yield Finding(f"label {key}={value!r} has an invalid value", at=path)
            name = key.rsplit("/", 1)[-1]
            if not name or len(name) > 63 or not LABEL_VALUE.match(name):
                yield Finding(f"label key {key!r} is invalid", at=path, key=True)
    for i, svc in enumerate(cfg.services):
        for attr, value in (("app", svc.app_label), ("appVersion", svc.app_version)):
            if len(value) > 63 or not LABEL_VALUE.match(value):
                yield Finding(
                    f"pod label {attr} {value!r} is not a valid label value",
                    at=("services", i, attr),
                )


@check("C103", "duplicate-name", Severity.ERROR)
def duplicate_name(ctx: CheckContext) -> Iterator[Finding]:
    """Two entries share a name where names must be unique.

    Why: two namespaces, services (releases), Telemetries in one namespace or dashboards
    with one name render to the same object or file; one silently replaces the other.

    Example: two `namespaces` entries named `inference`.

    Fix: remove or rename one of them.
    """
    cfg = ctx.config
    assert cfg is not None
    groups: list[tuple[str, list[tuple[str, KeyPath]]]] = [
        (
            "namespace",
            [(ns.name, ("namespaces", i, "name")) for i, ns in enumerate(cfg.namespaces)],
        ),
        ("service", [(s.name, ("services", i, "name")) for i, s in enumerate(cfg.services)]),
        (
            "telemetry",
            [
                (
                    f"{t.namespace or cfg.istio.namespace}/{t.name}",
                    ("telemetry", "resources", i, "name"),
                )
                for i, t in enumerate(cfg.telemetry.resources)
            ],
        ),
    ]
    if cfg.monitoring.grafana:
        groups.append(
            (
                "dashboard",
                [
                    (d.name, ("monitoring", "grafana", "dashboards", i, "name"))
                    for i, d in enumerate(cfg.monitoring.grafana.dashboards)
                ],
            )
        )
    for what, entries in groups:
        first: dict[str, KeyPath] = {}
        for name, path in entries:
            if name in first:
                yield Finding(f"{what} {name!r} is defined twice", at=path, related=(first[name],))
            else:
                first[name] = path


@check("C104", "undeclared-namespace", Severity.ERROR)
def undeclared_namespace(ctx: CheckContext) -> Iterator[Finding]:
    """A service or Telemetry sits in a namespace the config does not declare.

    Why: meshgen creates and labels only declared namespaces; helm would create an
    unlabelled one, so its pods get no sidecar and emit no Istio metrics.

    Example: `services: [{name: api, namespace: apps}]` with no `apps` in `namespaces`.

    Fix: add `- name: apps` (with `injection: enabled`) under `namespaces`.
    """
    cfg = ctx.config
    assert cfg is not None
    declared = {ns.name for ns in cfg.namespaces} | {cfg.istio.namespace}
    for i, svc in enumerate(cfg.services):
        if svc.namespace not in declared:
            yield Finding(
                f"service {svc.name!r} is in namespace {svc.namespace!r}, which is not declared "
                "under `namespaces`",
                at=("services", i, "namespace"),
            )
    # A gateway's namespace holds the gateway's pods, which a Telemetry may select.
    gateway_namespaces = {g.namespace for g in cfg.gateways}
    telemetry_namespaces = declared | {cfg.monitoring.namespace} | gateway_namespaces
    for i, res in enumerate(cfg.telemetry.resources):
        if res.namespace is not None and res.namespace not in telemetry_namespaces:
            yield Finding(
                f"telemetry {res.name!r} is in namespace {res.namespace!r}, which is not declared",
                at=("telemetry", "resources", i, "namespace"),
            )


@check("C105", "namespace-not-injected", Severity.WARNING, aliases=("IST0102",))
def namespace_not_injected(ctx: CheckContext) -> Iterator[Finding]:
    """A service's namespace has sidecar injection disabled.

    Why: without a sidecar the service emits no `istio_*` metrics; every Istio dashboard
    panel for it stays empty (istioctl: IST0102 NamespaceNotInjected).

    Example: `namespaces: [{name: inference, injection: disabled}]` with a service in it.

    Fix: `injection: enabled` (or `injection: {revision: <rev>}`).
    """
    cfg = ctx.config
    assert cfg is not None
    by_name = {ns.name: (i, ns) for i, ns in enumerate(cfg.namespaces)}
    for i, svc in enumerate(cfg.services):
        found = by_name.get(svc.namespace)
        # An ambient namespace is in the mesh without sidecars (ztunnel reports for it).
        if found and not found[1].in_mesh:
            yield Finding(
                f"service {svc.name!r} runs in namespace {svc.namespace!r}, where sidecar "
                "injection is disabled: it will emit no Istio metrics",
                at=("namespaces", found[0], "injection"),
                related=(("services", i, "namespace"),),
            )


INJECTION_KEYS = ("istio-injection", "istio.io/rev", "istio.io/dataplane-mode")


@check("C106", "conflicting-injection-labels", Severity.ERROR, aliases=("IST0123",))
def conflicting_injection_labels(ctx: CheckContext) -> Iterator[Finding]:
    """A namespace's extra labels set injection labels of their own.

    Why: `istio-injection` wins over `istio.io/rev` (reference 6.3), so a second injection
    label silently picks another revision or disables injection (IST0123).

    Example: `injection: enabled` plus `labels: {istio.io/rev: canary}`.

    Fix: express injection only with `injection:`.
    """
    cfg = ctx.config
    assert cfg is not None
    for i, ns in enumerate(cfg.namespaces):
        for key in INJECTION_KEYS:
            if key in ns.labels:
                yield Finding(
                    f"namespace {ns.name!r} sets {key!r} in labels; injection is set by "
                    f"`injection:` and this label would conflict with it",
                    at=("namespaces", i, "labels", key),
                    key=True,
                    related=(("namespaces", i, "injection"),),
                )


@check("C107", "unserved-revision", Severity.ERROR)
def unserved_revision(ctx: CheckContext) -> Iterator[Finding]:
    """A namespace asks for a control-plane revision that this config does not install.

    Why: the injector webhook of a revision only matches its own `istio.io/rev` value; no
    webhook matches an unknown one, so pods start without sidecars.

    Example: `injection: {revision: canary}` while `istio.revision` is unset.

    Fix: use the installed revision (or `default` when `istio.revision` is unset).
    """
    cfg = ctx.config
    assert cfg is not None
    served = {cfg.istio.revision_label}
    tags = cfg.istio.values.get("revisionTags")
    if isinstance(tags, list):
        served.update(str(t) for t in tags)
    for i, ns in enumerate(cfg.namespaces):
        if isinstance(ns.injection, RevisionInjection) and ns.injection.revision not in served:
            yield Finding(
                f"namespace {ns.name!r} asks for revision {ns.injection.revision!r}, but the "
                f"installed control plane serves {', '.join(sorted(served))}",
                at=("namespaces", i, "injection", "revision"),
                related=(("istio", "revision"),) if cfg.istio.revision else (),
            )
        elif ns.injection == "enabled" and cfg.istio.revision:
            yield Finding(
                f"namespace {ns.name!r} uses istio-injection=enabled, which only the default "
                f"revision serves; this config installs revision {cfg.istio.revision!r}",
                at=("namespaces", i, "injection"),
                hint=f"use `injection: {{revision: {cfg.istio.revision}}}`",
            )


@check("C108", "unpinned-chart-version", Severity.WARNING, needs=())
def unpinned_chart_version(ctx: CheckContext) -> Iterator[Finding]:
    """A chart version is a range or missing instead of an exact version.

    Checked in the config, and in the releases of a helmfile state given to `meshgen lint`
    (local charts, whose version helm ignores, and versions written as templates are skipped).

    Why: a range makes `helmfile apply` pick whatever is newest that day; the rendered
    values were checked against one version's keys only.

    Example: `chartVersion: ~29.0`

    Fix: pin the exact version, e.g. `chartVersion: 29.27.0`.
    """
    cfg = ctx.config
    if cfg is None:
        yield from _unpinned_releases(ctx)
        return
    pinned: list[tuple[str, str | None, KeyPath]] = [
        ("istio", cfg.istio.version, ("istio", "version"))
    ]
    stack = cfg.monitoring.kube_prometheus_stack
    if stack is not None:
        pinned.append(
            (
                "kube-prometheus-stack",
                stack.chart_version,
                ("monitoring", "kubePrometheusStack", "chartVersion"),
            )
        )
    if cfg.monitoring.prometheus and stack is None:
        pinned.append(
            (
                "prometheus",
                cfg.monitoring.prometheus.chart_version,
                ("monitoring", "prometheus", "chartVersion"),
            )
        )
    if cfg.monitoring.grafana and stack is None:
        pinned.append(
            (
                "grafana",
                cfg.monitoring.grafana.chart_version,
                ("monitoring", "grafana", "chartVersion"),
            )
        )
    for i, svc in enumerate(cfg.services):
        if not svc.local_chart:
            pinned.append((svc.name, svc.version, ("services", i, "version")))
    for what, version, path in pinned:
        if version is None:
            yield Finding(f"chart of {what!r} has no version; pin one", at=path)
        elif not EXACT_VERSION.match(version):
            yield Finding(f"chart version {version!r} of {what!r} is not an exact version", at=path)


def _is_repository_chart(chart: str) -> bool:
    """`repo/name` or `oci://...`; a bare name or a path is a local chart (helmfile 1.2)."""
    if chart.startswith("oci://"):
        return True
    return "/" in chart and not chart.startswith((".", "/", "~"))


def _unpinned_releases(ctx: CheckContext) -> Iterator[Finding]:
    """C108 for the releases of helmfile states `meshgen lint` reads."""
    from meshgen.checks.helm.helmfile import helmfiles
    from meshgen.load.lint_inputs import is_templated

    for state in helmfiles(ctx):
        rels = state.data.get("releases") if isinstance(state.data, dict) else None
        for i, rel in enumerate(rels if isinstance(rels, list) else ()):
            if not isinstance(rel, dict):
                continue
            chart, version = rel.get("chart"), rel.get("version")
            if not isinstance(chart, str) or is_templated(chart) or not _is_repository_chart(chart):
                continue  # helm ignores --version for a chart directory
            name = rel.get("name", f"releases[{i}]")
            if version is None:
                yield Finding(
                    f"release {name!r} (chart {chart}) has no version; pin one",
                    span=ctx.rendered_span(state.path, ("releases", i, "chart")),
                )
            elif (
                version is not None
                and not is_templated(version)
                and not EXACT_VERSION.match(str(version))
            ):
                yield Finding(
                    f"chart version {str(version)!r} of release {name!r} is not an exact version",
                    span=ctx.rendered_span(state.path, ("releases", i, "version")),
                )


def _entry_key(origin: KeyPath) -> KeyPath:
    """Where a rendered file's entry is named: `services[0]` -> `services[0].name`."""
    return (*origin, "name") if origin and isinstance(origin[-1], int) else origin


def _shown_key(origin: KeyPath) -> str:
    shown = ""
    for part in origin:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else part)
    return shown or "the config"


@check("C109", "colliding-output-path", Severity.ERROR, needs=("rendered",))
def colliding_output_path(ctx: CheckContext) -> Iterator[Finding]:
    """Two entries of the config render to the same file of the output tree.

    File names join names with `-` (`values/<service>-values.yaml`,
    `manifests/telemetry/<namespace>-<name>.yaml`), so different names can meet on one path;
    meshgen refuses to write such a tree instead of letting one file replace the other.

    Why: the file written last wins: a release would deploy another release's values, or a
    Telemetry would silently vanish.

    Example: a service named `istio` (its values file is istiod's `values/istio-values.yaml`),
    or Telemetry `c` in namespace `a-b` and `b-c` in namespace `a` (both
    `manifests/telemetry/a-b-c.yaml`).

    Fix: rename one of the entries.
    """
    by_path: dict[str, list[KeyPath]] = {}
    for rendered in ctx.files:
        by_path.setdefault(rendered.path, []).append(rendered.origin)
    for path, origins in by_path.items():
        if len(origins) < 2:
            continue
        for index, origin in enumerate(origins):
            others = [o for i, o in enumerate(origins) if i != index]
            yield Finding(
                f"renders {path}, as does {', '.join(_shown_key(o) for o in others)}; "
                "one file would replace the other",
                at=_entry_key(origin),
                related=tuple(_entry_key(o) for o in others),
            )
