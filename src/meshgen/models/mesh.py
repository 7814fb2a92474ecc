"""The `istio:` section: chart versions, revision and the mesh-wide observability settings."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from meshgen.models.base import Model, RepositoryUrl, Text, Values

ISTIO_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"

#: meshConfig.extensionProviders[] one-of keys (istio/api mesh/v1alpha1/config.proto @1.30.3).
EXTENSION_PROVIDER_KINDS = (
    "envoyExtAuthzHttp",
    "envoyExtAuthzGrpc",
    "zipkin",
    "lightstep",
    "datadog",
    "stackdriver",
    "opencensus",
    "skywalking",
    "opentelemetry",
    "prometheus",
    "envoyFileAccessLog",
    "envoyHttpAls",
    "envoyTcpAls",
    "envoyOtelAls",
    "sds",
)


class AccessLogging(Model):
    """Envoy access logs for every sidecar (meshConfig.accessLogFile/Encoding/Format)."""

    enabled: bool = False
    encoding: Literal["TEXT", "JSON"] = "TEXT"
    format: str | None = None
    file: Text = "/dev/stdout"
    #: Provider named in meshConfig.defaultProviders.accessLogging when set.
    provider: str | None = None


class Tracing(Model):
    """Trace sampling (istiod `traceSampling` / meshConfig.enableTracing) and its provider."""

    enabled: bool = False
    sampling_percentage: float = 1.0
    provider: str | None = None


class ExtensionProvider(Model):
    """One meshConfig.extensionProviders entry: a name and exactly one provider kind."""

    name: str
    envoy_ext_authz_http: dict[str, Any] | None = None
    envoy_ext_authz_grpc: dict[str, Any] | None = None
    zipkin: dict[str, Any] | None = None
    lightstep: dict[str, Any] | None = None
    datadog: dict[str, Any] | None = None
    stackdriver: dict[str, Any] | None = None
    opencensus: dict[str, Any] | None = None
    skywalking: dict[str, Any] | None = None
    opentelemetry: dict[str, Any] | None = None
    prometheus: dict[str, Any] | None = None
    envoy_file_access_log: dict[str, Any] | None = None
    envoy_http_als: dict[str, Any] | None = None
    envoy_tcp_als: dict[str, Any] | None = None
    envoy_otel_als: dict[str, Any] | None = None
    sds: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> ExtensionProvider:
        kinds = self.kinds()
        if len(kinds) != 1:
            raise ValueError(
                f"an extension provider needs exactly one of {', '.join(EXTENSION_PROVIDER_KINDS)}"
                f" (found {len(kinds)})"
            )
        return self

    def kinds(self) -> list[str]:
        dumped = self.model_dump(by_alias=True, exclude_none=True)
        return [k for k in EXTENSION_PROVIDER_KINDS if k in dumped]

    def to_mesh_config(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class DefaultProviders(Model):
    """meshConfig.defaultProviders: the providers used where no Telemetry names any."""

    metrics: tuple[str, ...] | None = None
    tracing: tuple[str, ...] | None = None
    access_logging: tuple[str, ...] | None = None


class Istio(Model):
    """The Istio control plane: `base` and `istiod` charts and mesh-wide telemetry settings."""

    version: Text
    namespace: Text = "istio-system"
    revision: str | None = None
    #: An https:// Helm repository, an oci:// registry path or a local chart folder.
    repository: RepositoryUrl = ISTIO_CHART_REPOSITORY
    prometheus_merge: bool = True
    access_logging: AccessLogging = AccessLogging()
    tracing: Tracing = Tracing()
    extension_providers: tuple[ExtensionProvider, ...] = ()
    default_providers: DefaultProviders | None = None
    #: Extra keys merged into meshConfig (checked against the MeshConfig field list).
    mesh_config: Values = Field(default_factory=dict)
    #: Pass-through values for the istiod chart (checked against its defaults).
    values: Values = Field(default_factory=dict)
    #: Pass-through values for the base chart.
    base_values: Values = Field(default_factory=dict)

    @property
    def revision_label(self) -> str:
        """The `istio.io/rev` value this control plane serves."""
        return self.revision or "default"
