"""`monitoring.kiali`: the kiali-server release, wired to the rendered Prometheus and Grafana."""

from pydantic import Field

from meshgen.models.base import Model, RepositoryUrl, Text, Values

KIALI_CHART_REPOSITORY = "https://kiali.org/helm-charts"


class Kiali(Model):
    """The `kiali/kiali-server` chart.

    meshgen sets `external_services.prometheus.url` to the rendered Prometheus server,
    `external_services.grafana` to the rendered Grafana (with the titles of the Istio
    dashboards it provisions) and `external_services.istio.root_namespace` to Istio's.
    """

    release: Text = "kiali-server"
    chart_version: Text
    #: An https:// Helm repository, an oci:// registry path or a local chart folder.
    repository: RepositoryUrl = KIALI_CHART_REPOSITORY
    #: Where Kiali runs; unset: `monitoring.namespace`.
    namespace: str | None = Field(
        default=None, min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    )
    #: The Prometheus Kiali queries when this config renders none (e.g. a central one).
    prometheus_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    #: The Grafana address browsers open for Kiali's dashboard links; unset: the in-cluster one.
    grafana_external_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    #: Pass-through values for the kiali-server chart (merged over what meshgen sets).
    values: Values = Field(default_factory=dict)
