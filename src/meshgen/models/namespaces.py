"""The `namespaces:` section: which namespaces meshgen manages and how sidecars are injected."""

from typing import Literal

from pydantic import Field

from meshgen.models.ambient import (
    DATAPLANE_LABEL,
    USE_WAYPOINT_LABEL,
    Dataplane,
    Waypoint,
)
from meshgen.models.base import Model, Text


class RevisionInjection(Model):
    """Inject sidecars from a named control-plane revision (label `istio.io/rev`)."""

    revision: Text


Injection = Literal["enabled", "disabled"] | RevisionInjection


class Namespace(Model):
    """A namespace with its data plane (sidecar injection mode, or ambient) and extra labels."""

    name: Text
    injection: Injection = "enabled"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    #: `sidecar` or `ambient`; unset, the namespace follows `istio.dataplane` (MeshConfig
    #: fills it in, so after loading it is always set).
    dataplane: Dataplane | None = None
    #: Ambient: the waypoint this namespace's traffic goes through (`istio.io/use-waypoint`);
    #: meshgen renders it as a Gateway of class `istio-waypoint` in this namespace.
    waypoint: Waypoint | None = None

    def injection_labels(self) -> dict[str, str]:
        """The namespace's data-plane labels.

        Sidecar: exactly one of `istio-injection` or `istio.io/rev` (reference 6.3).
        Ambient: `istio.io/dataplane-mode: ambient` and never an injection label, plus
        `istio.io/use-waypoint` when the namespace names a waypoint (reference stacks 2).
        """
        if self.ambient:
            labels = {DATAPLANE_LABEL: "ambient"}
            if self.waypoint is not None:
                labels[USE_WAYPOINT_LABEL] = self.waypoint.name
            return labels
        if isinstance(self.injection, RevisionInjection):
            return {"istio.io/rev": self.injection.revision}
        return {"istio-injection": self.injection}

    @property
    def ambient(self) -> bool:
        """Whether the namespace is in the ambient data plane (ztunnel, no sidecars)."""
        return self.dataplane == "ambient"

    @property
    def injected(self) -> bool:
        """Whether pods of this namespace get a sidecar."""
        return not self.ambient and self.injection != "disabled"

    @property
    def in_mesh(self) -> bool:
        """Whether pods of this namespace are in the mesh at all (sidecar or ambient)."""
        return self.ambient or self.injected
