"""Ambient mode: the `istio.dataplane` choice, Gateway API CRDs, ztunnel and istio-cni.

In ambient mode (GA since Istio 1.24) no sidecar is injected: ztunnel (a DaemonSet) carries
a namespace's traffic at L4, and a waypoint (a Gateway API `Gateway` of class
`istio-waypoint`) adds L7 for the namespaces and services that name it (reference stacks 2).
"""

from typing import Literal

from pydantic import Field

from meshgen.models.base import Model, Text, Values

Dataplane = Literal["sidecar", "ambient"]

#: The dataplane label a namespace joins the ambient mesh with (no injection label).
DATAPLANE_LABEL = "istio.io/dataplane-mode"
#: The label a namespace or Service names its waypoint with.
USE_WAYPOINT_LABEL = "istio.io/use-waypoint"
#: The Gateway label saying which traffic a waypoint serves.
WAYPOINT_FOR_LABEL = "istio.io/waypoint-for"
WAYPOINT_CLASS = "istio-waypoint"
#: The Gateway API release Istio 1.30 builds against (../upstream/gateway-api-1.5.1).
GATEWAY_API_VERSION = "v1.5.1"


def gateway_api_release_url(version: str) -> str:
    """The standard-channel install manifest of a Gateway API release (what istio.io applies)."""
    return (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/"
        f"{version}/standard-install.yaml"
    )


class GatewayApi(Model):
    """How the Kubernetes Gateway API CRDs reach the cluster (waypoints are Gateways).

    `hook`: a helmfile `presync` hook of the istio-base release runs
    `kubectl apply --server-side -f <manifest>` (the release URL of `version`, or a file
    or mirror URL for air-gapped clusters) before base is installed. `prerequisite`: the
    cluster already has them (a platform team installs them); `meshgen verify` checks.
    """

    install: Literal["hook", "prerequisite"] = "hook"
    version: Text = GATEWAY_API_VERSION
    #: Overrides the release URL of `version`: a mirror URL or a path kubectl can read.
    manifest: str | None = None

    @property
    def manifest_source(self) -> str:
        """What the hook hands to `kubectl apply -f`."""
        return self.manifest or gateway_api_release_url(self.version)


class Ambient(Model):
    """Chart values of the ambient data plane's releases (`istio/cni`, `istio/ztunnel`)."""

    #: Pass-through values for the istio/cni chart (`profile: ambient` is set by meshgen).
    cni_values: Values = Field(default_factory=dict)
    #: Pass-through values for the istio/ztunnel chart.
    ztunnel_values: Values = Field(default_factory=dict)


WaypointFor = Literal["service", "workload", "all", "none"]


class Waypoint(Model):
    """A waypoint proxy meshgen renders as a Gateway (class `istio-waypoint`)."""

    name: Text = "waypoint"
    #: `istio.io/waypoint-for`: which traffic it serves (Istio's default is `service`).
    for_: WaypointFor = Field(default="service", alias="for")
