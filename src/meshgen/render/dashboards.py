"""Dashboards meshgen generates from the telemetry model (one per service)."""

from __future__ import annotations

from meshgen.models import MeshConfig


def service_dashboards(config: MeshConfig) -> dict[str, str]:
    """Dashboard JSON text by dashboard name; empty until service dashboards are built."""
    return {}
