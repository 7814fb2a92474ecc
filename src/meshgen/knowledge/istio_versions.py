"""Which Istio versions meshgen has facts for, and the facts that differ between versions.

meshgen's telemetry and chart facts are recorded for the minors in
`meshgen.knowledge.istio.SUPPORTED_MINORS` (1.28, 1.29, 1.30; reference istio-telemetry.md).
Older minors are still installed by many repositories; for those meshgen knows only the few
facts below, each keyed by the version it changed in, and says so instead of applying the
newest facts silently. (The provider kinds removed in 1.27 are in
`meshgen.models.providers.REMOVED_KINDS`: the config model refuses them.)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from meshgen.knowledge.istio import SUPPORTED_MINORS, parse_minor, supported_versions

#: API versions of Istio's Telemetry resource, and the first minor serving each. v1alpha1
#: exists since the Telemetry API (1.11); v1 came with the API's promotion in 1.22 (Istio
#: 1.22 release notes, as cited by issue 14); 1.28-1.30 serve both with one schema
#: (reference istio-telemetry.md 2.1).
TELEMETRY_API_SINCE: Mapping[str, tuple[int, int]] = MappingProxyType(
    {"telemetry.istio.io/v1alpha1": (1, 11), "telemetry.istio.io/v1": (1, 22)}
)

def has_facts(version: str | None) -> bool:
    """True when `version` is a minor meshgen has its full facts for."""
    return parse_minor(version) in SUPPORTED_MINORS


def describe_supported() -> str:
    """`1.28, 1.29, 1.30` for messages."""
    return ", ".join(supported_versions())


def telemetry_api_served(api_version: str, version: str | None) -> bool | None:
    """Whether Istio `version` serves the Telemetry `api_version`; None when undecidable."""
    minor = parse_minor(version)
    since = TELEMETRY_API_SINCE.get(api_version)
    if minor is None or since is None:
        return None
    return minor >= since
