"""The `services:` section: application releases in the mesh and their traffic tests."""

from pydantic import Field

from meshgen.models.ambient import Waypoint
from meshgen.models.base import Model, RepositoryUrl, Text, Values, is_local_repository
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
    #: An https:// Helm repository, an oci:// registry path, or a local folder holding
    #: the chart unpacked under its name (relative to the config file).
    url: RepositoryUrl

    @property
    def local(self) -> bool:
        """Whether `url` is a folder on disk (an air-gapped mirror), not a URL."""
        return is_local_repository(self.url)


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
    #: The labels the chart gives the service's pods, which meshgen selects them by
    #: (verify, Telemetry `--workload`, the checks, generated dashboards). Unset: `app`
    #: and `version` above, which meshgen passes to the chart as values `app`/`version`
    #: (a chart that follows that convention). Set it for a chart that labels its pods
    #: its own way; meshgen then writes no `app`/`version`/`service.port` values.
    pod_labels: dict[str, str] | None = None
    histogram_buckets: HistogramBuckets | None = None
    #: Ambient: a waypoint for this service alone (`istio.io/use-waypoint` on its Service,
    #: passed to the chart as `service.labels`); meshgen renders the Gateway.
    waypoint: Waypoint | None = None
    values: Values = Field(default_factory=dict)
    traffic_test: TrafficTest | None = None

    @property
    def local_chart(self) -> bool:
        """Whether `chart` is a path (relative to the config file) rather than `repo/chart`."""
        return is_local_chart(self.chart)

    @property
    def app_label(self) -> str:
        return self.app or self.name

    @property
    def selector_labels(self) -> dict[str, str]:
        """The labels the service's pods carry, as the config says (`podLabels` or app/version)."""
        if self.pod_labels is not None:
            return dict(self.pod_labels)
        return {"app": self.app_label, "version": self.app_version}

    @property
    def chart_name(self) -> str:
        """The chart's own name: the part after `repo/` (or the local folder's last part)."""
        return self.chart.rstrip("/").rsplit("/", 1)[-1]
