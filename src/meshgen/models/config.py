"""`MeshConfig`: the whole of `meshgen.yaml`."""

from __future__ import annotations

from typing import Literal

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
    telemetry: Telemetry = Telemetry()
    monitoring: Monitoring = Monitoring()
    services: tuple[Service, ...] = ()
    #: Istio ingress/egress gateways (`istio/gateway` releases).
    gateways: tuple[Gateway, ...] = ()
    checks: tuple[CheckSetting, ...] = ()
