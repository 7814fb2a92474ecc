"""T108-T109, T123-T127: providers that silently produce nothing, or that istiod refuses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.telemetry.common import dig, facts, has_selector, istiod_values, provider_refs
from meshgen.diagnostics import Severity, close_matches
from meshgen.knowledge.istio import BUILTIN_PROVIDER_KINDS, PROVIDER_KIND_SECTIONS
from meshgen.load.config import allowed_keys
from meshgen.load.documents import Locate, TelemetryDoc
from meshgen.models.provider_kinds import (
    EXTENSION_PROVIDER_KINDS,
    FIELDS_ADDED,
    REMOVED_KINDS,
    parse_minor,
)
from meshgen.records import record
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


@record(slots=True)
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
        close = close_matches(name.lower(), candidates)
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
    """Access logs are on mesh-wide without a Telemetry (rendered or linted istiod values).

    `defaultProviders.accessLogging` names a provider, or the legacy `accessLogFile` is set
    (whether an entry without providers still logs to it is not settled here, so no claim).
    """
    return any(
        bool(dig(data, "meshConfig", "defaultProviders", "accessLogging"))
        or bool(dig(data, "meshConfig", "accessLogFile"))
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
    report `disabled: true` entries, entries that inherit providers from a mesh-wide or
    namespace-wide Telemetry, or meshes with the legacy `accessLogFile` set, and it judges
    only when the mesh config is known.

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


# --- extension provider entries (istiod values, rendered or linted) ------------------------


@record(slots=True)
class _Entry:
    """One meshConfig.extensionProviders entry, and where its keys are written."""

    index: int
    data: Any
    where: Locate


def _provider_entries(ctx: CheckContext) -> Iterator[_Entry]:
    """Every extensionProviders entry istiod is given, where it is written.

    A config's typed providers point at `istio.extensionProviders` (their rendered copy
    would point into the output tree).
    """
    typed: dict[str, int] = {}
    if ctx.config is not None:
        typed = {p.name: i for i, p in enumerate(ctx.config.istio.extension_providers)}
    for data, locate in istiod_values(ctx):
        entries = dig(data, "meshConfig", "extensionProviders")
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            base: KeyPath = ("meshConfig", "extensionProviders", index)
            name = dig(entry, "name")
            where = _entry_locator(locate, base)
            if isinstance(name, str) and name in typed and not _passed_through(ctx, index):
                where = _entry_locator(ctx.key_at, ("istio", "extensionProviders", typed[name]))
            yield _Entry(index, entry, where)


def _entry_locator(locate: Locate, base: KeyPath) -> Locate:
    def where(path: KeyPath) -> Span:
        return locate((*base, *path))

    return where


def _passed_through(ctx: CheckContext, index: int) -> bool:
    prefixes = (("istio", "meshConfig"), ("istio", "values", "meshConfig"))
    return any(ctx.source.has((*p, "extensionProviders", index)) for p in prefixes)


def _entry_kind(entry: Any) -> str | None:
    if not isinstance(entry, Mapping):
        return None
    return next((kind for kind in EXTENSION_PROVIDER_KINDS if kind in entry), None)


def _version(ctx: CheckContext) -> tuple[str, tuple[int, int]]:
    """The Istio version checked against (the configured one, else the facts' newest)."""
    minor = parse_minor(ctx.istio_version)
    if minor is not None and ctx.istio_version:
        return ctx.istio_version, minor
    known = facts(ctx)
    return known.version, known.minor


def _error_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """The data keys of a pydantic error location (union and validator tags dropped)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif isinstance(node, Mapping) and isinstance(part, str) and "[" not in part:
            path.append(part)  # a key the data lacks (a missing field)
            node = None
    return tuple(path)


def _model_problems(entry: Any) -> Iterator[tuple[KeyPath, str]]:
    """(path in the entry, message) of what the typed ExtensionProvider model refuses."""
    from meshgen.models.providers import ExtensionProvider

    try:
        ExtensionProvider.model_validate(entry)
    except ValidationError as exc:
        seen: set[KeyPath] = set()
        for error in exc.errors(include_url=False, include_input=False):
            loc = tuple(error["loc"])
            path = _error_path(loc, entry)
            if path in seen:
                continue
            seen.add(path)
            kind = error["type"]
            if kind == "extra_forbidden":
                key = str(loc[-1])
                allowed = sorted(allowed_keys(ExtensionProvider, path[:-1]))
                close = close_matches(key, allowed, cutoff=0.6)
                where = ".".join(str(p) for p in path[:-1]) or "the entry"
                message = f"unknown field {key!r} in {where}"
                message += f" (did you mean {close[0]!r}?)" if close else ""
            elif kind == "missing":
                message = f"missing required field {str(loc[-1])!r}"
            else:
                msg = str(error["msg"]).removeprefix("Value error, ")
                message = f"{'.'.join(str(p) for p in path) or 'entry'}: {msg}"
            yield path, message


@check("T125", "invalid-extension-provider", Severity.ERROR, needs=("values",))
def invalid_extension_provider(ctx: CheckContext) -> Iterator[Finding]:
    """A meshConfig.extensionProviders entry istiod cannot use as written.

    Why: istiod reads meshConfig leniently: a misspelt field (`servce`) is dropped without a
    word (it retries the parse with unknown fields allowed, logging only at debug level),
    so the provider points at no collector; a value of the wrong type (`port: "9411x"`)
    makes the mesh config fail to parse. Each provider kind Istio 1.28-1.30 defines is
    checked field by field (config.proto). `lightstep` and `opencensus` were removed in
    Istio 1.27, and some fields are newer than the configured version (`zipkin.timeout`
    and `zipkin.headers` 1.29, `opentelemetry.serviceAttributeEnrichment` 1.30).

    Example: `extensionProviders: [{name: otel, opentelemetry: {servce: otel-collector,
    port: 4317}}]`

    Fix: spell the field as the provider kind defines it (`service`), give integers as
    numbers, durations as seconds (`10s`), and use `opentelemetry` instead of the removed
    kinds.
    """
    version, minor = _version(ctx)
    for data, locate in istiod_values(ctx):
        entries = dig(data, "meshConfig", "extensionProviders")
        if entries is not None and not isinstance(entries, list):
            yield Finding(
                "meshConfig.extensionProviders must be a list of providers "
                "(`- name: ...`), not a mapping: istiod fails to parse the mesh config",
                span=locate(("meshConfig", "extensionProviders")),
            )
    for entry in _provider_entries(ctx):
        name = dig(entry.data, "name")
        who = f"extension provider {name!r}" if isinstance(name, str) else "an extension provider"
        if not isinstance(entry.data, Mapping):
            yield Finding(f"{who} is not a mapping", span=entry.where(()))
            continue
        for path, message in _model_problems(entry.data):
            yield Finding(f"{who}: {message}", span=entry.where(path))
        kind = _entry_kind(entry.data)
        removed = REMOVED_KINDS.get(kind or "")
        if kind is not None and removed is not None and minor >= removed:
            yield Finding(
                f"{who}: the {kind} provider was removed in Istio "
                f"{'.'.join(map(str, removed))}; Istio {version} no longer supports it",
                span=entry.where((kind,)),
                hint="use an opentelemetry provider",
            )
        body = entry.data.get(kind) if kind is not None else None
        if not isinstance(body, Mapping):
            continue
        for field, added in FIELDS_ADDED.items():
            if field[0] == kind and field[1] in body and minor < added:
                yield Finding(
                    f"{who}: `{kind}.{field[1]}` needs Istio {'.'.join(map(str, added))}+, "
                    f"but the Istio version is {version}: istiod ignores it",
                    span=entry.where((kind, field[1])),
                )


# --- provider kinds and sections -----------------------------------------------------------


def _provider_kinds(ctx: CheckContext) -> dict[str, str]:
    """Provider name (lower-cased) -> kind: built-ins, then the declared ones (same name wins)."""
    kinds = dict(BUILTIN_PROVIDER_KINDS)
    if ctx.config is not None:
        for provider in ctx.config.istio.extension_providers:
            kinds[provider.name.lower()] = provider.kind
    for entry in _provider_entries(ctx):
        name, kind = dig(entry.data, "name"), _entry_kind(entry.data)
        if isinstance(name, str) and kind is not None:
            kinds[name.lower()] = kind
    return kinds


SectionUse = tuple[str, str, str, Span]  # (section, name, who names it, where)


def _section_uses(ctx: CheckContext) -> Iterator[SectionUse]:
    for doc, path, ref in provider_refs(ctx):
        yield str(path[0]), ref.name, f"telemetry {doc.name!r}", doc.locate((*path, "name"))
    for name, who, span in _default_provider_uses(ctx):
        if who.startswith("defaultProviders."):
            yield who.removeprefix("defaultProviders."), name, who, span
        elif who.startswith("istio.") and who.endswith(".provider"):
            yield who.split(".")[1], name, who, span


_PRODUCES = {"metrics": "metrics", "tracing": "traces", "accessLogging": "access logs"}
_SUGGEST = {
    "metrics": "a prometheus provider (the built-in `prometheus`)",
    "tracing": "a tracing provider (opentelemetry, zipkin, datadog, skywalking)",
    "accessLogging": "an access-log provider (the built-in `envoy`, envoyFileAccessLog, "
    "envoyHttpAls, envoyTcpAls, or envoyOtelAls for OpenTelemetry logs)",
}


@check("T126", "provider-kind-mismatch", Severity.ERROR, needs=())
def provider_kind_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    """A provider is named for telemetry its kind cannot produce.

    Why: istiod builds metrics only from `prometheus` providers, traces only from tracing
    kinds (zipkin, datadog, skywalking, opentelemetry, ...) and access logs only from the
    four Envoy access-log kinds; any other provider in that list is skipped and nothing is
    produced. An `opentelemetry` provider is a *tracing* provider: OpenTelemetry access logs
    need an `envoyOtelAls` provider (reference 1.4; pilot/pkg/model/telemetry_logging.go).

    Example: `accessLogging: [{providers: [{name: otel}]}]` where `otel` is
    `opentelemetry: {service: ..., port: 4317}`; or `tracing: [{providers: [{name:
    prometheus}]}]`.

    Fix: name a provider of the right kind, e.g. declare `{name: otel-logs, envoyOtelAls:
    {service: ..., port: 4317}}` for access logs.
    """
    kinds = _provider_kinds(ctx)
    for section, raw_name, who, span in _section_uses(ctx):
        allowed = PROVIDER_KIND_SECTIONS.get(section)
        kind = kinds.get(raw_name.strip().lower())
        if allowed is None or kind is None or kind in allowed:
            continue
        where = "" if who.startswith("defaultProviders.") else f" in {section}"
        yield Finding(
            f"{who} names {raw_name.strip()!r}{where}, a provider of kind {kind}, which "
            f"produces no {_PRODUCES[section]}: istiod skips it",
            span=span,
            hint=f"use {_SUGGEST[section]}",
        )


@check("T127", "default-providers-not-lists", Severity.ERROR, needs=("values",))
def default_providers_not_lists(ctx: CheckContext) -> Iterator[Finding]:
    """`meshConfig.defaultProviders.<kind>` is not a list of provider names.

    Why: `defaultProviders` has three lists of names (`metrics`, `tracing`,
    `accessLogging`); a mapping or a single string there (`tracing: {name: otel}`) is a
    type error, which even istiod's lenient parse refuses: istiod fails to parse the mesh
    config, and no default provider applies.

    Example: `defaultProviders: {tracing: {otel: {}}}`

    Fix: write a list: `defaultProviders: {tracing: [otel]}`.
    """
    for data, locate in istiod_values(ctx):
        providers = dig(data, "meshConfig", "defaultProviders")
        base: KeyPath = ("meshConfig", "defaultProviders")
        if providers is None:
            continue
        if not isinstance(providers, Mapping):
            yield Finding(
                "meshConfig.defaultProviders must be a mapping of provider lists "
                f"(metrics, tracing, accessLogging), not {_shape(providers)}: istiod fails "
                "to parse the mesh config",
                span=locate(base),
            )
            continue
        for kind, names in providers.items():
            if names is None:
                continue
            good = isinstance(names, list) and all(isinstance(n, str) for n in names)
            if good:
                continue
            example = ", ".join(str(k) for k in names) if isinstance(names, Mapping) else "..."
            yield Finding(
                f"meshConfig.defaultProviders.{kind} must be a list of provider names, not "
                f"{_shape(names)}: istiod fails to parse the mesh config",
                span=locate((*base, str(kind))),
                hint=f"write `{kind}: [{example}]`",
            )


def _shape(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list holding something other than names"
    return f"a {type(value).__name__}"
