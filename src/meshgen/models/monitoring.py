"""The `monitoring:` section: the Prometheus and Grafana releases that watch the mesh."""


import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

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
    #: Ambient: scrape ztunnel's `ztunnel-stats` port (:15020/metrics, the L4 metrics).
    ztunnel: bool = True


class Prometheus(Model):
    """The prometheus-community `prometheus` chart."""

    release: Text = "prometheus"
    #: Required with `stack: prometheus`; with kube-prometheus-stack the stack's chart is
    #: pinned in `monitoring.kubePrometheusStack` instead.
    chart_version: Text | None = None
    #: An https:// Helm repository, an oci:// registry path or a local chart folder.
    repository: RepositoryUrl = PROMETHEUS_CHART_REPOSITORY
    scrape_interval: Text = "15s"
    retention: Text = "15d"
    istio_scraping: IstioScraping = IstioScraping.model_construct()
    values: Values = Field(default_factory=dict)


class SecretRef(Model):
    """An existing Secret holding the Grafana admin user and password."""

    name: Text
    user_key: Text = "admin-user"
    password_key: Text = "admin-password"  # noqa: S105 - the name of a key, not a password


#: What serves the datasource's Prometheus query API: the rendered (or another) Prometheus,
#: or a Prometheus-compatible store fed by it (remote_write, a Thanos sidecar).
DatasourceKind = Literal["prometheus", "thanos", "mimir", "victoriametrics"]


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: What an HTTP field value cannot hold (RFC 9110 5.5: no control character but HTAB); Go's
#: HTTP client, Grafana's, refuses such a header ("invalid header field value").
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class HeaderSecretRef(Model):
    """A key of an existing Secret in the monitoring namespace (Grafana's namespace)."""

    name: Text
    key: Text


class DatasourceHeader(Model):
    """An HTTP header Grafana sends with every query (Mimir's `X-Scope-OrgID` tenant).

    The value is either written here (`value`: a tenant ID is an identifier, not a
    credential) or read from a Secret (`secret`): Grafana gets it from an environment
    variable the chart fills from the Secret, so the rendered tree never holds it.
    """

    name: Text
    value: Text | None = None
    secret: HeaderSecretRef | None = None

    @field_validator("name")
    @classmethod
    def _token(cls, name: str) -> str:
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(
                "not an HTTP header name (RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~)"
            )
        return name

    @field_validator("value")
    @classmethod
    def _field_value(cls, value: str | None) -> str | None:
        if value is not None and _HEADER_VALUE_FORBIDDEN.search(value):
            raise ValueError(
                "an HTTP header value cannot hold a line break or another control character "
                "(Grafana's HTTP client refuses the header)"
            )
        return value

    @model_validator(mode="after")
    def _one_value(self) -> "DatasourceHeader":
        if (self.value is None) == (self.secret is None):
            raise ValueError("a header needs exactly one of value or secret")
        return self


class Datasource(Model):
    """The Prometheus datasource Grafana is provisioned with.

    Unset `url`: the rendered Prometheus Service. Set: an external Prometheus-compatible
    query endpoint (`kind` says which, for Grafana's `prometheusType`); the rendered
    Prometheus, if any, keeps scraping and feeds it.
    """

    name: Text = "Prometheus"
    uid: Text = "prometheus"
    kind: DatasourceKind = "prometheus"
    #: The query endpoint Grafana appends `/api/v1/...` to (http:// or https://).
    url: str | None = Field(default=None, min_length=1)
    #: The server's version, for Grafana's `prometheusVersion` (which API features it uses).
    version: Text | None = None
    headers: tuple[DatasourceHeader, ...] = ()

    @model_validator(mode="after")
    def _external_needs_url(self) -> "Datasource":
        if self.kind != "prometheus" and self.url is None:
            raise ValueError(f"kind {self.kind!r} needs the url of its query endpoint")
        if self.url is None and self.headers:
            raise ValueError("headers apply to an external datasource (url)")
        return self

    @property
    def external(self) -> bool:
        """True when Grafana reads an endpoint other than the rendered Prometheus."""
        return self.url is not None


#: A URL the grafana chart's download script can fetch: http(s), a host, and none of the
#: characters that mean something inside the script's double-quoted `curl "<url>"`.
_DASHBOARD_URL = re.compile(r"^https?://[^\s\"$`\\]+$")


def _dashboard_url(url: str) -> str:
    host = urlsplit(url).hostname if _DASHBOARD_URL.match(url) else None
    if not host:
        raise ValueError(
            f"{url!r} is not a dashboard URL: an http(s) URL with a host, without spaces, "
            "quotes, '$', '`' or '\\' (the chart's download script quotes it for the shell)"
        )
    return url


class Dashboard(Model):
    """A dashboard: from grafana.com (`gnetId` + pinned `revision`), a URL, or a local file."""

    name: Text
    folder: Text = "istio"
    gnet_id: int | None = None
    revision: int | None = None
    #: Path of a dashboard JSON file, relative to the config file.
    file: str | None = None
    #: A dashboard JSON the grafana chart downloads at pod start, like a grafana.com one:
    #: pin it (Istio's: raw.githubusercontent.com/istio/istio/<version>/manifests/addons/...).
    url: Annotated[str, AfterValidator(_dashboard_url)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "Dashboard":
        if sum(source is not None for source in (self.gnet_id, self.file, self.url)) != 1:
            raise ValueError("a dashboard needs exactly one of gnetId, file or url")
        if self.gnet_id is None and self.revision is not None:
            raise ValueError("revision applies to grafana.com dashboards (gnetId) only")
        return self


#: How dashboards reach Grafana. `values`: in the chart's `dashboards:` values (grafana.com
#: dashboards downloaded at pod start). `configMaps`: one ConfigMap per dashboard, in one
#: `grafana-dashboards-<folder>` release per folder, loaded by the dashboards sidecar; nothing is
#: downloaded, for clusters that cannot reach grafana.com (local `file:` dashboards only).
DashboardDelivery = Literal["values", "configMaps"]
CONFIG_MAPS_DELIVERY: DashboardDelivery = "configMaps"


class Grafana(Model):
    """The grafana-community `grafana` chart with its datasource and dashboards."""

    release: Text = "grafana"
    #: Required with `stack: prometheus`; kube-prometheus-stack brings its own grafana subchart.
    chart_version: Text | None = None
    #: An https:// Helm repository, an oci:// registry path or a local chart folder.
    repository: RepositoryUrl = GRAFANA_CHART_REPOSITORY
    admin_secret: SecretRef | None = None
    datasource: Datasource = Datasource.model_construct()
    dashboards: tuple[Dashboard, ...] = ()
    #: Render a dashboard per service from its telemetry (see `meshgen telemetry`).
    service_dashboards: bool = True
    dashboard_delivery: DashboardDelivery = "values"
    values: Values = Field(default_factory=dict)

    @property
    def config_maps(self) -> bool:
        """True when dashboards are delivered as sidecar-loaded ConfigMaps."""
        return self.dashboard_delivery == CONFIG_MAPS_DELIVERY


class _PinnedPrometheus(Prometheus):
    """`Prometheus` as `stack: prometheus` requires it: the chart version is pinned."""

    chart_version: Text


class _PinnedGrafana(Grafana):
    """`Grafana` as `stack: prometheus` requires it: the chart version is pinned."""

    chart_version: Text


Stack = Literal["prometheus", "kube-prometheus-stack"]
KUBE_PROMETHEUS_STACK: Stack = "kube-prometheus-stack"

#: Keys of `monitoring.prometheus`/`monitoring.grafana` that name their own chart release,
#: which kube-prometheus-stack replaces by its one release: (YAML key, field name).
_OWN_RELEASE_KEYS = (
    ("release", "release"),
    ("chartVersion", "chart_version"),
    ("repository", "repository"),
)


class KubePrometheusStack(Model):
    """The prometheus-community `kube-prometheus-stack` chart (Prometheus Operator).

    One release holds the operator and its CRDs, the Prometheus custom resource that
    `monitoring.prometheus` configures and the grafana subchart `monitoring.grafana`
    configures; Istio's PodMonitor and ServiceMonitor go in a release that needs it.
    """

    release: Text = "kube-prometheus-stack"
    chart_version: Text
    #: An https:// Helm repository, an oci:// registry path or a local chart folder.
    repository: RepositoryUrl = PROMETHEUS_CHART_REPOSITORY
    #: The stack's own values (alertmanager, prometheusOperator, ...), merged over the
    #: values meshgen renders; `prometheus:` and `grafana:` are better set through
    #: `monitoring.prometheus.values` and `monitoring.grafana.values`.
    values: Values = Field(default_factory=dict)


class Monitoring(Model):
    """Prometheus and Grafana, both in one namespace."""

    #: `prometheus`: the prometheus and grafana charts, one release each. `kube-prometheus-stack`:
    #: one kube-prometheus-stack release (`kubePrometheusStack`), Istio scraped by
    #: Prometheus Operator monitors.
    stack: Stack = "prometheus"
    namespace: Text = "monitoring"
    prometheus: Prometheus | None = None
    grafana: Grafana | None = None
    kube_prometheus_stack: KubePrometheusStack | None = None
    #: Kiali, reading the Prometheus and Grafana above.
    kiali: Kiali | None = None

    @model_validator(mode="before")
    @classmethod
    def _stack_needs_section(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("stack") == KUBE_PROMETHEUS_STACK
            and "kubePrometheusStack" not in data
        ):
            missing = InitErrorDetails(type="missing", loc=("kubePrometheusStack",), input=data)
            raise ValidationError.from_exception_data("Monitoring", [missing])
        return data

    @field_validator("prometheus", "grafana", mode="wrap")
    @classmethod
    def _per_stack(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        stack = info.data.get("stack")
        if stack == "prometheus" and isinstance(value, dict):
            if value.get("chartVersion") is None:
                # The pinned model reports every error of the section, `chartVersion` missing
                # among them, at its key path; a section that pins never builds it.
                pinned = _PinnedPrometheus if info.field_name == "prometheus" else _PinnedGrafana
                pinned.model_validate(value)
        elif stack == KUBE_PROMETHEUS_STACK and isinstance(value, dict):
            own = Prometheus if info.field_name == "prometheus" else Grafana
            # A key at its default says nothing (a dumped config holds every key).
            errors = [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "stack_key",
                        "does not apply with `stack: kube-prometheus-stack`: the stack's one "
                        "release is set in monitoring.kubePrometheusStack",
                    ),
                    loc=(alias,),
                    input=value[alias],
                )
                for alias, name in _OWN_RELEASE_KEYS
                if alias in value and value[alias] != own.model_fields[name].default
            ]
            if errors:
                raise ValidationError.from_exception_data(str(info.field_name), errors)
        return handler(value)

    @field_validator("kube_prometheus_stack", mode="wrap")
    @classmethod
    def _stack_section(cls, value: Any, handler: Any, info: ValidationInfo) -> Any:
        if info.data.get("stack") == "prometheus" and value is not None:
            raise ValueError("applies only with `stack: kube-prometheus-stack`")
        return handler(value)

    @property
    def operator(self) -> bool:
        """True when the stack is kube-prometheus-stack (Prometheus Operator)."""
        return self.stack == KUBE_PROMETHEUS_STACK
