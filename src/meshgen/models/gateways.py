"""The `gateways:` section: Istio ingress and egress gateways, each an `istio/gateway` release."""

from typing import Literal

from pydantic import Field

from meshgen.models.base import Model, Values

#: A DNS-1123 label: a Helm release name the gateway chart can name its Deployment and
#: Service after, and a namespace name.
GATEWAY_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

#: The gateway chart's `service.type` (`None`: no Service at all).
ServiceType = Literal["LoadBalancer", "NodePort", "ClusterIP", "None"]


class Gateway(Model):
    """An `istio/gateway` release: a standalone Envoy injected from the `gateway` template.

    The chart (1.30.3) names its Deployment, Service and ServiceAccount after the release
    (`values.name` overrides it), labels the pods `app: <name>` and `istio: <name without
    an istio- prefix>`, and asks istiod to inject them (pod label `sidecar.istio.io/inject:
    "true"`, annotation `inject.istio.io/templates: gateway`): the gateway's namespace must
    not have injection disabled.
    """

    #: The release name (and, unless `values.name` says otherwise, its workload's name).
    name: str = Field(min_length=1, max_length=53, pattern=GATEWAY_NAME_PATTERN)
    namespace: str = Field(
        default="istio-ingress", min_length=1, max_length=63, pattern=GATEWAY_NAME_PATTERN
    )
    #: The chart's `service.type`; `ClusterIP` for an egress gateway, `None` for no Service.
    service_type: ServiceType = "LoadBalancer"
    #: Pass-through values for the gateway chart (merged over what meshgen sets).
    values: Values = Field(default_factory=dict)
