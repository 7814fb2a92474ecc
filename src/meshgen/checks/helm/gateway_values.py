"""H170-H171: gateway values against the `values.schema.json` of Istio's gateway chart.

The istio/gateway chart is the one Istio chart that ships a values schema (1.30.3: the top
level and `service`, `autoscaling`, `podAnnotations`... closed by `additionalProperties:
false`, types of the common keys). Helm validates the values against it before rendering and
refuses the release on a violation. meshgen has the 1.30.3 schema (derived with the key
tables, `knowledge/charts.values_schema`): at 1.30 a violation is an error (H170); values
pinned to another gateway version are judged by it as an upgrade hazard (H171).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, NamedTuple

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.checks.helm.values import GATEWAY, gateway_version
from meshgen.diagnostics import Severity
from meshgen.knowledge import charts
from meshgen.load.documents import ValuesDoc
from meshgen.source import KeyPath

SCHEMA_VERSION = charts.DEFAULT_ISTIO_VERSION


class _Violation(NamedTuple):
    path: KeyPath
    message: str


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "values"


@cache
def _validator() -> Any:
    # Imported on first use: a run without gateway values never loads jsonschema.
    from jsonschema import Draft7Validator  # type: ignore[import-untyped]

    schema = charts.values_schema(GATEWAY)
    return Draft7Validator(schema) if schema is not None else None


def violations(data: Mapping[str, Any]) -> list[_Violation]:
    """What the gateway chart's schema refuses in `data`, one entry per offending key."""
    validator = _validator()
    if validator is None:
        return []
    out: list[_Violation] = []
    for error in validator.iter_errors(dict(data)):
        path: KeyPath = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            allowed = error.schema.get("properties", {})
            for key in error.instance:
                if key not in allowed:
                    out.append(_Violation((*path, str(key)), "is not allowed"))
        else:
            out.append(_Violation(path, error.message))
    return sorted(out, key=lambda v: [str(p) for p in v.path])


def _hint(path: KeyPath) -> str | None:
    if path == ("defaults",):
        return (
            "set the keys at the top level: `defaults:` is the pre-1.22 layout; the 1.26 and 1.30 "
            "charts also fail on it (zzz_profile.yaml: 'Setting with .default prefix found')"
        )
    return None


def _gateway_docs(ctx: CheckContext) -> Iterator[ValuesDoc]:
    return (doc for doc in ctx.values if doc.chart == GATEWAY)


def _at_schema_version(ctx: CheckContext) -> bool | None:
    """True at gateway 1.30, False at another version, None when it is not a version."""
    version = gateway_version(ctx) or SCHEMA_VERSION
    minor = charts.istio_minor(version)
    if minor is None:
        return None
    return minor == charts.istio_minor(SCHEMA_VERSION)


@check("H170", "gateway-values-refused", Severity.ERROR, needs=("values",))
def gateway_values_refused(ctx: CheckContext) -> Iterator[Finding]:
    """Gateway values that the istio/gateway 1.30 chart's values schema refuses.

    Checked for each `gateways[].values` of a config and, in `meshgen lint`, for values files
    an `istio/gateway` release names (also a file it shares with istiod and base releases)
    when the gateway's version is 1.30 (the release's `version:`, else the Istio version).

    Why: the chart ships a `values.schema.json` whose top level (and `service`,
    `autoscaling`, ...) admits only its own keys; helm validates the values before rendering,
    so `helm template`/`helmfile apply` stops with "Additional property ... is not allowed"
    and the gateway is not installed. Copies of pre-1.22 values that wrap the defaults in
    `defaults:`, and istiod values passed to the gateway release, fail this way.

    Example: `gateways: [{name: istio-ingressgateway, values: {replicas: 3}}]`

    Fix: use the chart's key (`replicaCount`), drop keys of other charts, and set values at
    the top level (not under `defaults:`).
    """
    if _at_schema_version(ctx) is not True:
        return
    for doc in _gateway_docs(ctx):
        for problem in violations(doc.data):
            yield Finding(
                f"istio/gateway {SCHEMA_VERSION} refuses these values: "
                f"{_dotted(problem.path)} {problem.message} by the chart's values.schema.json "
                "(helm stops before rendering)",
                span=doc.locate(problem.path),
                hint=_hint(problem.path),
            )


@check("H171", "gateway-values-refused-after-upgrade", Severity.WARNING, needs=("values",))
def gateway_values_refused_after_upgrade(ctx: CheckContext) -> Iterator[Finding]:
    """Gateway values pinned to another gateway version that the 1.30 schema would refuse.

    Why: meshgen has the values schema of istio/gateway 1.30.3 only. Values a release pins
    to another version (say 1.26.2) may render there and make helm refuse the release once
    the gateway is upgraded to 1.30; the message names both versions, since at the pinned
    version this is not proven to fail.

    Example: an `istio/gateway` release at `version: 1.26.2` whose values file also holds
    istiod's `meshConfig:` and `pilot:` sections.

    Fix: keep only gateway keys in the gateway release's values (give it a file of its
    own), then upgrade.
    """
    if _at_schema_version(ctx) is not False:
        return
    version = gateway_version(ctx)
    for doc in _gateway_docs(ctx):
        for problem in violations(doc.data):
            yield Finding(
                f"istio/gateway {SCHEMA_VERSION} would refuse these values: "
                f"{_dotted(problem.path)} {problem.message} by its values.schema.json; the "
                f"release pins {version}, "
                f"whose schema meshgen does not have: they may render at {version} and make "
                f"helm refuse the release after an upgrade to {SCHEMA_VERSION}",
                span=doc.locate(problem.path),
                hint=_hint(problem.path),
            )
