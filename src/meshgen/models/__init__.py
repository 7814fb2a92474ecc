"""Typed models of `meshgen.yaml` (pydantic v2, frozen, unknown keys refused). No I/O here.

These modules, unlike the rest of meshgen, do not use `from __future__ import annotations`:
pydantic would evaluate every string annotation when each class is created (about 0.2 ms a
model, a few percent of `meshgen check`); only a method returning its own class quotes it.
"""

from meshgen.models.config import CheckSetting, MeshConfig
from meshgen.models.gateways import Gateway
from meshgen.models.kiali import Kiali
from meshgen.models.mesh import Istio
from meshgen.models.monitoring import Dashboard, Grafana, Monitoring, Prometheus
from meshgen.models.namespaces import Namespace, RevisionInjection
from meshgen.models.services import Service, TrafficTest
from meshgen.models.telemetry import Telemetry, TelemetryResource, TelemetrySpec

__all__ = [
    "CheckSetting",
    "Dashboard",
    "Gateway",
    "Grafana",
    "Istio",
    "Kiali",
    "MeshConfig",
    "Monitoring",
    "Namespace",
    "Prometheus",
    "RevisionInjection",
    "Service",
    "Telemetry",
    "TelemetryResource",
    "TelemetrySpec",
    "TrafficTest",
]
