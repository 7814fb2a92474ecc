"""The `monitoring:` section: the Prometheus and Grafana releases that watch the mesh."""

from __future__ import annotations

from pydantic import Field, model_validator

from meshgen.models.base import Model, RepositoryUrl, Text, Values
from meshgen.models.kiali import Kiali

PROMETHEUS_CHART_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
GRAFANA_CHART_REPOSITORY = "https://grafana-community.github.io/helm-charts"


class IstioScraping(Model):
    """Extra Prometheus jobs for Istio beyond the chart's `kubernetes-pods` job."""

    #: Scrape istiod's `http-monitoring` port (pilot_* metrics for the control-plane dashboard).
    istiod: bool = True
    #: Scrape Envoy's `:15090` directly; needed only when metrics merging is off.
    envoy_stats: bool = False


class Prometheus(Model):
    """The prometheus-community `prometheus` chart."""

    release: Text = "prometheus"
    chart_version: Text
    #: An https:// Helm repository, an oci:// registry path or a local chart folder.
    repository: RepositoryUrl = PROMETHEUS_CHART_REPOSITORY
    scrape_interval: Text = "15s"
    retention: Text = "15d"
    istio_scraping: IstioScraping = IstioScraping()
    values: Values = Field(default_factory=dict)


class SecretRef(Model):
    """An existing Secret holding the Grafana admin user and password."""

    name: Text
    user_key: Text = "admin-user"
    password_key: Text = "admin-password"  # noqa: S105 - the name of a key, not a password


class Datasource(Model):
    """The Prometheus datasource Grafana is provisioned with."""

    name: Text = "Prometheus"
    uid: Text = "prometheus"


class Dashboard(Model):
    """A dashboard: from grafana.com (`gnetId` + pinned `revision`) or a local JSON file."""

    name: Text
    folder: Text = "istio"
    gnet_id: int | None = None
    revision: int | None = None
    #: Path of a dashboard JSON file, relative to the config file.
    file: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Dashboard:
        if (self.gnet_id is None) == (self.file is None):
            raise ValueError("a dashboard needs exactly one of gnetId or file")
        if self.file is not None and self.revision is not None:
            raise ValueError("revision applies to grafana.com dashboards (gnetId) only")
        return self


class Grafana(Model):
    """The grafana-community `grafana` chart with its datasource and dashboards."""

    release: Text = "grafana"
    chart_version: Text
    #: An https:// Helm repository, an oci:// registry path or a local chart folder.
    repository: RepositoryUrl = GRAFANA_CHART_REPOSITORY
    admin_secret: SecretRef | None = None
    datasource: Datasource = Datasource()
    dashboards: tuple[Dashboard, ...] = ()
    #: Render a dashboard per service from its telemetry (see `meshgen telemetry`).
    service_dashboards: bool = True
    values: Values = Field(default_factory=dict)


class Monitoring(Model):
    """Prometheus and Grafana, both in one namespace."""

    namespace: Text = "monitoring"
    prometheus: Prometheus | None = None
    grafana: Grafana | None = None
    #: Kiali, reading the Prometheus and Grafana above.
    kiali: Kiali | None = None
