"""The `services:` section: application releases in the mesh and their traffic tests."""

from __future__ import annotations

from pydantic import Field

from meshgen.models.base import Model, Text, Values
from meshgen.models.telemetry import HistogramBuckets


def is_local_chart(chart: str) -> bool:
    """A chart reference that is a folder or file path, not `repo/chart`."""
    return chart.startswith(("./", "../", "/")) or chart in (".", "..")


class TrafficTest(Model):
    """A fortio load run against the service (`meshgen traffic`, `make run-istio-test`)."""

    path: Text = "/"
    qps: int = Field(default=10, ge=1, le=100_000)
    duration: Text = "30s"
    connections: int = Field(default=4, ge=1, le=1_000)
    image: Text = "fortio/fortio:1.69.1"


class ChartRepository(Model):
    """A Helm repository for a service chart that is not local."""

    name: Text
    url: Text


class Service(Model):
    """An application release whose pods join the mesh."""

    name: Text
    namespace: Text
    #: `repo/chart` (with `repository`) or a local chart path relative to the config file.
    chart: Text
    version: str | None = None
    repository: ChartRepository | None = None
    port: int = Field(default=8080, ge=1, le=65535)
    #: The pod label `app` that Istio reports as source_app/destination_app.
    app: str | None = None
    #: The pod label `version` (source_version/destination_version).
    app_version: Text = "v1"
    histogram_buckets: HistogramBuckets | None = None
    values: Values = Field(default_factory=dict)
    traffic_test: TrafficTest | None = None

    @property
    def local_chart(self) -> bool:
        """Whether `chart` is a path (relative to the config file) rather than `repo/chart`."""
        return is_local_chart(self.chart)

    @property
    def app_label(self) -> str:
        return self.app or self.name
