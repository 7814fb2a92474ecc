"""T118-T122: histogram buckets, sampling, a tracing backend and the Istio version of the config."""

from __future__ import annotations

import math
from collections.abc import Iterator

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.telemetry.common import dig
from meshgen.diagnostics import Severity, close_matches
from meshgen.knowledge.istio import (
    ISTIO_HISTOGRAM_STATS,
    STATS_NAMESPACE,
    facts_for,
    newest,
    supported_versions,
)
from meshgen.source import KeyPath

HistogramSetting = tuple[KeyPath, dict[str, tuple[float, ...]]]


def _histogram_settings(ctx: CheckContext) -> Iterator[HistogramSetting]:
    """(config key path, prefix -> bounds) of the mesh-wide and per-service buckets."""
    config = ctx.config
    assert config is not None
    yield ("telemetry", "histogramBuckets"), config.telemetry.histogram_buckets
    for i, svc in enumerate(config.services):
        if svc.histogram_buckets is not None:
            yield ("services", i, "histogramBuckets"), svc.histogram_buckets


@check("T118", "invalid-histogram-buckets", Severity.ERROR)
def invalid_histogram_buckets(ctx: CheckContext) -> Iterator[Finding]:
    """Histogram bucket bounds that are empty, not positive, or not strictly increasing.

    Why: the bounds become the `sidecar.istio.io/statsHistogramBuckets` annotation, the
    upper bounds of consecutive buckets, so they must be finite, positive and increasing.
    The annotation is read only at proxy start, and one pilot-agent cannot parse (e.g. an
    infinite bound, which is not JSON) is dropped with a warning in the proxy log.

    Example: `histogramBuckets: {istiocustom: [10, 5, 100]}`

    Fix: list positive bounds in increasing order, e.g. `[1, 5, 10, 50, 100]`.
    """
    for base, buckets in _histogram_settings(ctx):
        for prefix, bounds in buckets.items():
            path = (*base, prefix)
            if not bounds:
                yield Finding(f"histogram buckets of {prefix!r} are empty", at=path)
                continue
            for index, bound in enumerate(bounds):
                if not math.isfinite(bound) or bound <= 0:
                    yield Finding(
                        f"bucket bound {bound:g} of {prefix!r} is not a positive number",
                        at=(*path, index),
                    )
                elif index and bound <= bounds[index - 1]:
                    yield Finding(
                        f"bucket bound {bound:g} of {prefix!r} does not increase "
                        f"(previous: {bounds[index - 1]:g})",
                        at=(*path, index),
                    )


@check("T119", "unknown-histogram-prefix", Severity.WARNING)
def unknown_histogram_prefix(ctx: CheckContext) -> Iterator[Finding]:
    """A histogram bucket prefix that looks like Istio's but matches none of its histograms.

    Why: the prefix is matched against Envoy stat names, where Istio's histograms are
    `istiocustom.istio_request_duration_milliseconds` (and `_request_bytes`,
    `_response_bytes`). A Prometheus name such as `istio_request_duration_milliseconds`,
    or a misspelt `istiocustom`, matches nothing and the default buckets stay. Envoy's own
    stats (e.g. `cluster.xds-grpc`) are not judged.

    Example: `histogramBuckets: {istio_request_duration_milliseconds: [1, 5, 10]}`

    Fix: use `istiocustom` (every Istio histogram) or a full Istio stat name prefix.
    """
    for base, buckets in _histogram_settings(ctx):
        for prefix in buckets:
            if any(stat.startswith(prefix) for stat in ISTIO_HISTOGRAM_STATS):
                continue
            looks_istio = prefix.lower().startswith("istio") or close_matches(
                prefix, [STATS_NAMESPACE]
            )
            if not looks_istio:
                continue
            fix = next(
                (s for s in ISTIO_HISTOGRAM_STATS if s.endswith("." + prefix)), STATS_NAMESPACE
            )
            yield Finding(
                f"histogram prefix {prefix!r} matches none of Istio's histograms "
                f"({', '.join(ISTIO_HISTOGRAM_STATS)})",
                at=(*base, prefix),
                key=True,
                hint=f"use {fix!r}",
            )


@check("T120", "sampling-percentage-out-of-range", Severity.ERROR, needs=("telemetry",))
def sampling_percentage_out_of_range(ctx: CheckContext) -> Iterator[Finding]:
    """A trace sampling percentage outside 0-100.

    Why: `istio.tracing.samplingPercentage` becomes istiod's `traceSampling` and the
    Telemetry `tracing[].randomSamplingPercentage` is limited to 0-100 by the CRD and
    istiod's webhook; they are percentages, not fractions.

    Example: `randomSamplingPercentage: 150`

    Fix: a percentage between 0 and 100, e.g. `1.0` for one request in a hundred.
    """
    if ctx.config is not None:
        value = ctx.config.istio.tracing.sampling_percentage
        if not 0 <= value <= 100:
            yield Finding(
                f"samplingPercentage {value} is outside 0-100",
                at=("istio", "tracing", "samplingPercentage"),
            )
    for doc in ctx.telemetries:
        for i, entry in enumerate(doc.spec.tracing):
            rate = entry.random_sampling_percentage
            if rate is not None and not 0 <= rate <= 100:
                yield Finding(
                    f"randomSamplingPercentage {rate} of telemetry {doc.name!r} is outside 0-100",
                    span=doc.locate(("tracing", i, "randomSamplingPercentage")),
                )


@check("T121", "unknown-istio-version", Severity.WARNING)
def unknown_istio_version(ctx: CheckContext) -> Iterator[Finding]:
    """`istio.version` is not a minor version meshgen has facts for.

    Why: meshgen checks Telemetry fields, metrics and labels against the facts of one Istio
    minor; for an unknown one it falls back to the newest it knows, which may be wrong.

    Example: `istio: {version: 1.31.0}`

    Fix: use a supported version (1.28, 1.29 or 1.30 patch releases), or upgrade meshgen.
    """
    config = ctx.config
    assert config is not None
    if facts_for(config.istio.version) is None:
        yield Finding(
            f"Istio {config.istio.version} is not a version meshgen knows "
            f"(supported: {', '.join(supported_versions())}); checking against "
            f"{newest().version}",
            at=("istio", "version"),
        )


#: ProxyConfig tracers (`meshConfig.defaultConfig.tracing.<kind>`, proxy.proto @1.30.3).
_PROXY_TRACERS = ("zipkin", "lightstep", "datadog", "stackdriver", "openCensusAgent")


def _tracing_backends(ctx: CheckContext) -> Iterator[str]:
    """Where a tracing provider could come from, described; nothing: traces go nowhere."""
    config = ctx.config
    assert config is not None
    istio = config.istio
    if istio.tracing.provider:
        yield f"istio.tracing.provider {istio.tracing.provider!r}"
    if istio.default_providers is not None and istio.default_providers.tracing:
        yield "istio.defaultProviders.tracing"
    for doc in ctx.telemetries:
        if any(entry.providers for entry in doc.spec.tracing):
            yield f"telemetry {doc.name!r}"
    if dig(istio.mesh_config, "defaultProviders", "tracing"):
        yield "istio.meshConfig.defaultProviders.tracing"
    tracer = dig(istio.mesh_config, "defaultConfig", "tracing")
    if isinstance(tracer, dict) and any(kind in tracer for kind in _PROXY_TRACERS):
        yield "istio.meshConfig.defaultConfig.tracing"
    if dig(istio.values, "global", "proxy", "tracer") not in (None, "", "none"):
        yield "istio.values.global.proxy.tracer"


@check("T122", "tracing-without-backend", Severity.WARNING, needs=("telemetry",))
def tracing_without_backend(ctx: CheckContext) -> Iterator[Finding]:
    """Tracing is on, but no tracing provider is configured anywhere: spans go nowhere.

    Why: `istio.tracing.enabled` renders `meshConfig.enableTracing: true` and a sampling
    rate, but the proxies send spans only to a provider: one named in
    `defaultProviders.tracing` or a Telemetry's `tracing[].providers` (an extension
    provider such as `opentelemetry` or `zipkin`), or a ProxyConfig tracer. The istiod
    chart's default tracer is `none`, so without one of them the sampled requests cost
    work and produce no trace.

    Example: `istio: {tracing: {enabled: true, samplingPercentage: 5}}` and nothing else
    (what `meshgen telemetry tracing sample 5` writes into a starter config).

    Fix: add an extension provider (`istio.extensionProviders: [{name: otel,
    opentelemetry: {service: ..., port: 4317}}]`) and name it in `istio.tracing.provider`
    (or in a Telemetry's `tracing[].providers`); or set `tracing.enabled: false`.
    """
    config = ctx.config
    if config is None or not config.istio.tracing.enabled:
        return
    if next(_tracing_backends(ctx), None) is None:
        yield Finding(
            f"tracing is enabled ({config.istio.tracing.sampling_percentage:g}% sampled) but "
            "no tracing provider is configured: spans are sent nowhere",
            at=("istio", "tracing", "enabled"),
            hint="name an extension provider in istio.tracing.provider",
        )
