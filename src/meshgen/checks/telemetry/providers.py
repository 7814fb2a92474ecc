"""T108-T109: providers that silently produce no metrics."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.telemetry.common import dig, facts, has_selector, istiod_values, provider_refs
from meshgen.diagnostics import Severity
from meshgen.load.documents import Locate, TelemetryDoc
from meshgen.source import KeyPath, Span


def _extension_providers(ctx: CheckContext) -> tuple[set[str], bool]:
    """Declared extension provider names (lower-cased), and whether the mesh config is known.

    It is known with a config, or when a linted istiod values file holds a `meshConfig`;
    a Telemetry linted alone may name extension providers defined elsewhere.
    """
    names = {name.lower() for name in ctx.extension_providers}
    known = ctx.config is not None
    for data, _locate in istiod_values(ctx):
        if isinstance(dig(data, "meshConfig"), Mapping):
            known = True
        for entry in dig(data, "meshConfig", "extensionProviders") or ():
            name = dig(entry, "name")
            if isinstance(name, str):
                names.add(name.lower())
    return names, known


ProviderUse = tuple[str, str, Span]  # (name, who names it, where)


def _telemetry_provider_uses(ctx: CheckContext) -> Iterator[ProviderUse]:
    for doc, path, ref in provider_refs(ctx):
        yield ref.name, f"telemetry {doc.name!r}", doc.locate((*path, "name"))


def _default_provider_uses(ctx: CheckContext) -> Iterator[ProviderUse]:
    """Names in meshConfig.defaultProviders (and meshgen's shortcuts for them)."""
    config = ctx.config
    if config is None:
        for data, locate in istiod_values(ctx):
            providers = dig(data, "meshConfig", "defaultProviders")
            yield from _default_lists(providers, locate, ("meshConfig", "defaultProviders"))
        return
    istio = config.istio
    if istio.default_providers is not None:
        dumped = istio.default_providers.model_dump(by_alias=True, exclude_none=True)
        yield from _default_lists(dumped, ctx.at, ("istio", "defaultProviders"))
    shortcuts = (("accessLogging", istio.access_logging.provider),
                 ("tracing", istio.tracing.provider))  # fmt: skip
    for section, provider in shortcuts:
        if provider:
            yield provider, f"istio.{section}.provider", ctx.at(("istio", section, "provider"))
    passed_through = (
        (("istio", "meshConfig"), istio.mesh_config),
        (("istio", "values", "meshConfig"), dig(istio.values, "meshConfig")),
    )
    for prefix, mesh in passed_through:
        providers = dig(mesh, "defaultProviders")
        yield from _default_lists(providers, ctx.at, (*prefix, "defaultProviders"))


def _default_lists(providers: Any, locate: Locate, base: KeyPath) -> Iterator[ProviderUse]:
    """(name, `defaultProviders.<kind>`, span) of each name in a defaultProviders mapping."""
    if not isinstance(providers, Mapping):
        return
    for kind, names in providers.items():
        if isinstance(names, (list, tuple)):
            for index, name in enumerate(names):
                if isinstance(name, str):
                    yield name, f"defaultProviders.{kind}", locate((*base, str(kind), index))


@dataclass(frozen=True, slots=True)
class _UnknownUse:
    """A provider name neither built in nor declared, and the closest known name."""

    name: str
    who: str
    span: Span
    close: str | None
    candidates: tuple[str, ...]


def _unknown_uses(ctx: CheckContext) -> tuple[list[_UnknownUse], bool]:
    """Unknown provider names, and whether the mesh config (its extension providers) is known."""
    builtins = facts(ctx).builtin_providers
    declared, known = _extension_providers(ctx)
    candidates = tuple(sorted(set(builtins) | declared))
    found = []
    for raw_name, who, span in [*_telemetry_provider_uses(ctx), *_default_provider_uses(ctx)]:
        name = raw_name.strip()
        if not name or name.lower() in builtins or name.lower() in declared:
            continue
        close = difflib.get_close_matches(name.lower(), candidates, n=1)
        found.append(_UnknownUse(name, who, span, close[0] if close else None, candidates))
    return found, known


@check("T108", "unknown-provider", Severity.ERROR, needs=())
def unknown_provider(ctx: CheckContext) -> Iterator[Finding]:
    """A provider name that is neither built in nor a declared extension provider.

    Why: istiod looks providers up by name (case-insensitively) and silently skips unknown
    ones: the Telemetry (or `meshConfig.defaultProviders` entry) applies, but no metrics,
    logs or traces come out, and nothing is logged (reference 1.5). The built-in providers
    are `prometheus`, `stackdriver` and `envoy`. Reported when the mesh config is known (a
    config, or linted istiod values with a `meshConfig`); without it, see T123.

    Example: `providers: [{name: promethues}]`

    Fix: use a built-in name, or declare the provider under `istio.extensionProviders`.
    """
    # needs=(): it reads Telemetries and istiod values, and either may be linted alone.
    uses, known = _unknown_uses(ctx)
    if not known:
        return
    for use in uses:
        yield Finding(
            f"{use.who} names provider {use.name!r}, which istiod does not know: it is "
            "silently ignored and produces nothing",
            span=use.span,
            hint=f"did you mean {use.close!r}?"
            if use.close
            else f"known providers: {', '.join(use.candidates)}",
        )


@check("T123", "provider-not-in-inputs", Severity.WARNING, needs=("telemetry",))
def provider_not_in_inputs(ctx: CheckContext) -> Iterator[Finding]:
    """Linted alone, a Telemetry names a provider close to a built-in one that is not it.

    Why: with no mesh config among the linted files (no istiod values with a `meshConfig`),
    meshgen cannot tell whether the name is an extension provider defined elsewhere (the
    usual case: `envoy-json`, `otel`) or a misspelt built-in, which istiod silently ignores.
    So it is only a warning; with the mesh config known it is T108, an error.

    Example: `meshgen lint telemetry.yaml` with `accessLogging: [{providers: [{name:
    envoy-json}]}]`.

    Fix: lint the Telemetry together with the istiod values that define
    `meshConfig.extensionProviders`, or correct the name if it meant the built-in.
    """
    uses, known = _unknown_uses(ctx)
    if known:
        return
    for use in uses:
        if use.close is None:
            continue  # nothing suggests a typo: most likely an extension provider
        yield Finding(
            f"{use.who} names provider {use.name!r}, which is not built in, and no mesh config "
            "is among the linted files: fine if it is an extension provider defined "
            f"elsewhere; if it is a misspelt {use.close!r}, istiod ignores it and it "
            "produces nothing",
            span=use.span,
            hint="lint it with the istiod values that define meshConfig.extensionProviders",
        )


def _root_lists_metric_providers(ctx: CheckContext) -> bool:
    """A mesh-wide Telemetry that names metrics providers keeps metrics on everywhere."""
    for doc in ctx.telemetries:
        mesh_wide = doc.namespace == ctx.root_namespace and not has_selector(doc)
        if mesh_wide and any(m.providers for m in doc.spec.metrics):
            return True
    return False


@check("T109", "default-providers-without-metrics", Severity.ERROR, needs=("values",))
def default_providers_without_metrics(ctx: CheckContext) -> Iterator[Finding]:
    """The istiod values set `meshConfig.defaultProviders` without `metrics`.

    Why: the istiod chart adds `defaultProviders.metrics: [prometheus]` only when no
    `defaultProviders` is given; setting any of it (e.g. only `accessLogging`) drops that,
    and every `istio_*` metric disappears mesh-wide unless a mesh-wide Telemetry names
    metrics providers (istio/istio#51384). `telemetry.v2.prometheus.enabled: false` does
    the same.

    Example: `istio: {meshConfig: {defaultProviders: {accessLogging: [envoy]}}}`

    Fix: add `metrics: [prometheus]` to `defaultProviders` (or `metrics: []` to turn metrics
    off on purpose), or set it with `istio.defaultProviders`, which always keeps it.
    """
    if _root_lists_metric_providers(ctx):
        return
    for data, locate in istiod_values(ctx):
        providers = dig(data, "meshConfig", "defaultProviders")
        if isinstance(providers, dict):
            if "metrics" not in providers:
                yield Finding(
                    "meshConfig.defaultProviders is set without `metrics`, so the chart's "
                    "`metrics: [prometheus]` is dropped and no istio_* metrics are emitted",
                    span=locate(("meshConfig", "defaultProviders")),
                    hint="add `metrics: [prometheus]` to defaultProviders",
                )
            continue
        switches = (("telemetry", "enabled"), ("telemetry", "v2", "enabled"),
                    ("telemetry", "v2", "prometheus", "enabled"))  # fmt: skip
        for keys in switches:
            if dig(data, *keys) is False:
                yield Finding(
                    f"`{'.'.join(keys)}: false` removes the chart's default "
                    "`metrics: [prometheus]` provider: no istio_* metrics are emitted",
                    span=locate(keys),
                    hint="set meshConfig.defaultProviders.metrics: [prometheus] to keep them",
                )
                break


def _mesh_config_known(ctx: CheckContext) -> bool:
    return ctx.config is not None or any(
        isinstance(dig(data, "meshConfig"), Mapping) for data, _locate in istiod_values(ctx)
    )


def _default_access_log_providers(ctx: CheckContext) -> bool:
    """meshConfig.defaultProviders.accessLogging names a provider (rendered or linted)."""
    return any(
        bool(dig(data, "meshConfig", "defaultProviders", "accessLogging"))
        for data, _locate in istiod_values(ctx)
    )


def _parent_logs(ctx: CheckContext, doc: TelemetryDoc) -> bool:
    """A Telemetry above `doc` lists accessLogging providers (an entry without inherits them).

    Above: mesh-wide, or namespace-wide for a workload Telemetry.
    """
    for parent in ctx.telemetries:
        if parent is doc or has_selector(parent):
            continue
        mesh_wide = parent.namespace == ctx.root_namespace
        namespace_wide = parent.namespace == doc.namespace and has_selector(doc)
        if (mesh_wide or namespace_wide) and any(e.providers for e in parent.spec.access_logging):
            return True
    return False


@check(
    "T124",
    "access-logging-without-provider",
    Severity.WARNING,
    aliases=("IST0157",),
    needs=("telemetry",),
)
def access_logging_without_provider(ctx: CheckContext) -> Iterator[Finding]:
    """An accessLogging entry names no providers and the mesh has no default access-log one.

    Why: an entry without `providers` uses `meshConfig.defaultProviders.accessLogging`;
    when that is empty (the istiod default) the entry turns nothing on and no access log is
    written (istioctl: IST0157 InvalidTelemetryProvider). Unlike istioctl, meshgen does not
    report `disabled: true` entries or entries that inherit providers from a mesh-wide or
    namespace-wide Telemetry, and it judges only when the mesh config is known.

    Example: `accessLogging: [{filter: {expression: "response.code >= 400"}}]` with no
    `defaultProviders.accessLogging`.

    Fix: name a provider (`providers: [{name: envoy}]`), or set
    `istio.accessLogging: {enabled: true, provider: envoy}` (defaultProviders.accessLogging).
    """
    if not _mesh_config_known(ctx) or _default_access_log_providers(ctx):
        return
    for doc in ctx.telemetries:
        for i, entry in enumerate(doc.spec.access_logging):
            if entry.providers or entry.disabled or _parent_logs(ctx, doc):
                continue
            yield Finding(
                f"telemetry {doc.name!r}: accessLogging[{i}] names no providers and "
                "meshConfig.defaultProviders.accessLogging is empty: no access log is written",
                span=doc.locate(("accessLogging", i)),
                hint="add `providers: [{name: envoy}]`",
            )
