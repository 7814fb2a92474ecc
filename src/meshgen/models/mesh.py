"""The `istio:` section: chart versions, revision and the mesh-wide observability settings."""

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from meshgen.models.ambient import Ambient, Dataplane, GatewayApi
from meshgen.models.base import DeferredTuple, Model, RepositoryUrl, Text, Values

if TYPE_CHECKING:
    from meshgen.models.providers import ExtensionProvider

    ExtensionProviders = tuple[ExtensionProvider, ...]
else:
    # The typed provider models are built only for a config that has extension providers.
    ExtensionProviders = Annotated[
        tuple[Any, ...], DeferredTuple("meshgen.models.providers", "ExtensionProvider")
    ]

__all__ = ["Istio"]

ISTIO_CHART_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"


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
    access_logging: AccessLogging = AccessLogging.model_construct()
    tracing: Tracing = Tracing.model_construct()
    extension_providers: ExtensionProviders = ()
    default_providers: DefaultProviders | None = None
    #: Extra keys merged into meshConfig (checked against the MeshConfig field list).
    mesh_config: Values = Field(default_factory=dict)
    #: Pass-through values for the istiod chart (checked against its defaults).
    values: Values = Field(default_factory=dict)
    #: Pass-through values for the base chart.
    base_values: Values = Field(default_factory=dict)
    #: `sidecar` (injected Envoy per pod) or `ambient` (ztunnel + waypoints); namespaces
    #: follow it unless they set their own `dataplane` (a mixed mesh).
    dataplane: Dataplane = "sidecar"
    #: Gateway API CRDs (ambient meshes and waypoints need them).
    gateway_api: GatewayApi = GatewayApi.model_construct()
    #: istio/cni and istio/ztunnel values (ambient meshes).
    ambient: Ambient = Ambient.model_construct()

    @field_validator("extension_providers", mode="after")
    @classmethod
    def _no_removed_kinds(
        cls, providers: ExtensionProviders, info: ValidationInfo
    ) -> ExtensionProviders:
        if not providers:
            return providers
        from meshgen.models.providers import check_removed_kinds

        # `version` is declared first, so it is validated (and in info.data) by now.
        return check_removed_kinds(providers, info)

    @property
    def revision_label(self) -> str:
        """The `istio.io/rev` value this control plane serves."""
        return self.revision or "default"
