"""Istio's pod annotations (istio/api `annotation/annotations.yaml` @1.30.3).

The sidecar injector and pilot-agent read these from the pod template; any other key under an
Istio prefix is ignored without a word (istioctl analyze reports it as IST0108
UnknownAnnotation). Labels with the same prefixes (`sidecar.istio.io/inject`) are included.
"""

from __future__ import annotations

#: Annotation prefixes Istio owns on pods.
ISTIO_PREFIXES: tuple[str, ...] = (
    "sidecar.istio.io/",
    "status.sidecar.istio.io/",
    "readiness.status.sidecar.istio.io/",
    "traffic.sidecar.istio.io/",
    "proxy.istio.io/",
    "prometheus.istio.io/",
    "inject.istio.io/",
    "ambient.istio.io/",
)

#: Every annotation (and label) Istio 1.30.3 defines under those prefixes.
ISTIO_POD_ANNOTATIONS: frozenset[str] = frozenset(
    {
        "prometheus.istio.io/merge-metrics",
        "sidecar.istio.io/inject",
        "sidecar.istio.io/status",
        "sidecar.istio.io/rewriteAppHTTPProbers",
        "sidecar.istio.io/discoveryAddress",
        "sidecar.istio.io/proxyImage",
        "sidecar.istio.io/proxyImageType",
        "sidecar.istio.io/proxyCPU",
        "sidecar.istio.io/proxyCPULimit",
        "sidecar.istio.io/proxyMemory",
        "sidecar.istio.io/proxyMemoryLimit",
        "sidecar.istio.io/interceptionMode",
        "sidecar.istio.io/bootstrapOverride",
        "sidecar.istio.io/statsInclusionPrefixes",
        "sidecar.istio.io/statsInclusionSuffixes",
        "sidecar.istio.io/statsInclusionRegexps",
        "sidecar.istio.io/statsHistogramBuckets",
        "sidecar.istio.io/statsFlushInterval",
        "sidecar.istio.io/statsEvictionInterval",
        "sidecar.istio.io/statsHistogramBins",
        "sidecar.istio.io/userVolume",
        "sidecar.istio.io/userVolumeMount",
        "status.sidecar.istio.io/port",
        "sidecar.istio.io/logLevel",
        "sidecar.istio.io/componentLogLevel",
        "sidecar.istio.io/agentLogLevel",
        "sidecar.istio.io/nativeSidecar",
        "readiness.status.sidecar.istio.io/initialDelaySeconds",
        "readiness.status.sidecar.istio.io/periodSeconds",
        "readiness.status.sidecar.istio.io/failureThreshold",
        "readiness.status.sidecar.istio.io/applicationPorts",
        "traffic.sidecar.istio.io/includeOutboundIPRanges",
        "traffic.sidecar.istio.io/excludeOutboundIPRanges",
        "traffic.sidecar.istio.io/includeInboundPorts",
        "traffic.sidecar.istio.io/excludeInboundPorts",
        "traffic.sidecar.istio.io/excludeInterfaces",
        "traffic.sidecar.istio.io/includeOutboundPorts",
        "traffic.sidecar.istio.io/excludeOutboundPorts",
        "traffic.sidecar.istio.io/kubevirtInterfaces",
        "proxy.istio.io/config",
        "proxy.istio.io/overrides",
        "inject.istio.io/templates",
        "sidecar.istio.io/extraStatTags",
        "ambient.istio.io/redirection",
        "ambient.istio.io/waypoint-inbound-binding",
        "ambient.istio.io/bypass-inbound-capture",
        "ambient.istio.io/dns-capture",
        "sidecar.istio.io/statsCompression",
    }
)


def is_istio_key(key: str) -> bool:
    """Whether an annotation or label key sits under a prefix Istio owns on pods."""
    return key.startswith(ISTIO_PREFIXES)
