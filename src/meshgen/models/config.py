"""`MeshConfig`: the whole of `meshgen.yaml`."""

from functools import cached_property
from typing import Literal

from pydantic import model_validator

from meshgen.models.base import Model, Text
from meshgen.models.gateways import Gateway
from meshgen.models.mesh import Istio
from meshgen.models.monitoring import Monitoring
from meshgen.models.namespaces import Namespace
from meshgen.models.services import Service
from meshgen.models.telemetry import Telemetry

Grade = Literal["error", "warning", "info", "ignore"]


class CheckSetting(Model):
    """Ignore or re-grade one diagnostic code; the reason is required."""

    code: Text
    severity: Grade
    reason: Text


class MeshConfig(Model):
    """A mesh: Istio, its namespaces, telemetry, monitoring and the services in it."""

    #: Output folder of the rendered Helmfile tree, relative to the config file.
    output: Text = "deployment/helmfile"
    istio: Istio
    namespaces: tuple[Namespace, ...] = ()
    telemetry: Telemetry = Telemetry.model_construct()
    monitoring: Monitoring = Monitoring.model_construct()
    services: tuple[Service, ...] = ()
    #: Istio ingress/egress gateways (`istio/gateway` releases).
    gateways: tuple[Gateway, ...] = ()
    checks: tuple[CheckSetting, ...] = ()

    @model_validator(mode="after")
    def _namespace_dataplanes(self) -> "MeshConfig":
        # A namespace without its own `dataplane` follows `istio.dataplane`: resolved once
        # here, so every later reader sees `sidecar` or `ambient`.
        if any(ns.dataplane is None for ns in self.namespaces):
            resolved = tuple(
                ns if ns.dataplane else ns.model_copy(update={"dataplane": self.istio.dataplane})
                for ns in self.namespaces
            )
            object.__setattr__(self, "namespaces", resolved)
        return self

    @cached_property
    def namespace_index(self) -> dict[str, Namespace]:
        """The managed namespaces by name (the first of a name, as a scan would find)."""
        index: dict[str, Namespace] = {}
        for ns in self.namespaces:
            index.setdefault(ns.name, ns)
        return index

    @property
    def ambient(self) -> bool:
        """Whether the ambient data plane (istio-cni, ztunnel) is installed.

        True when the mesh's dataplane is ambient, or one namespace of a mixed mesh is.
        """
        return self.istio.dataplane == "ambient" or any(ns.ambient for ns in self.namespaces)
