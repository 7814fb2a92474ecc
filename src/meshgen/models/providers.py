"""`meshConfig.extensionProviders[]`: every provider kind Istio 1.28-1.30 defines, typed.

Field for field from istio/api `mesh/v1alpha1/config.proto` (`MeshConfig.ExtensionProvider`)
at tags 1.28.10, 1.29.6 and 1.30.3; the models accept the union (1.30.3), and
`FIELDS_ADDED` says which fields are newer than 1.28. istiod parses meshConfig leniently
(it retries with unknown fields allowed and only logs at debug level, reference 1.5), so a
misspelt field would otherwise reach it and be ignored; here it is an unknown key.

Values follow the protobuf JSON mapping istiod reads them with: integers may be written as
numbers or decimal strings (`port: "9411"`), booleans only as `true`/`false`, durations as
seconds with an `s` suffix (`"0.5s"`), enums by name (or number). Keys may be camelCase or
the proto's snake_case names, which that mapping accepts too.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from meshgen.models.base import Model
from meshgen.models.provider_kinds import (
    EXTENSION_PROVIDER_KINDS,
    FIELDS_ADDED,
    REMOVED_KINDS,
    parse_minor,
)


def _integer(value: Any) -> Any:
    """Protobuf JSON integers: a number or a decimal string, never a boolean."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    if isinstance(value, str) and not re.fullmatch(r"-?\d+", value.strip()):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


Uint32 = Annotated[int, BeforeValidator(_integer), Field(ge=0, le=2**32 - 1)]
Int32 = Annotated[int, BeforeValidator(_integer), Field(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, BeforeValidator(_integer), Field(ge=-(2**63), le=2**63 - 1)]

_DURATION = re.compile(r"-?\d+(\.\d{1,9})?s")


def _duration(value: Any) -> Any:
    """google.protobuf.Duration in JSON: seconds with up to 9 decimals and an `s` suffix."""
    if not isinstance(value, str) or not _DURATION.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a protobuf duration: write seconds with an 's' suffix, "
            "e.g. '0.5s' or '10s' (not '500ms')"
        )
    return value


Duration = Annotated[str, BeforeValidator(_duration)]
StrList = tuple[StrictStr, ...]
StrMap = dict[StrictStr, StrictStr]


class ProviderModel(Model):
    """A provider message: unknown keys refused, proto (snake_case) names accepted too."""

    model_config = ConfigDict(validate_by_name=True)


def _one_of(model: ProviderModel, fields: tuple[str, ...], what: str) -> None:
    chosen = [name for name in fields if getattr(model, name) is not None]
    if len(chosen) > 1:
        raise ValueError(f"{what}: set only one of {', '.join(fields)}")


class HttpHeader(ProviderModel):
    """`HttpHeader`: a header name and a value or the environment variable holding it."""

    name: StrictStr | None = None
    value: StrictStr | None = None
    env_name: StrictStr | None = None

    @model_validator(mode="after")
    def _value_or_env(self) -> "HttpHeader":
        _one_of(self, ("value", "env_name"), "a header")
        return self


class HttpService(ProviderModel):
    """`HttpService`: export over HTTP (opentelemetry)."""

    path: StrictStr | None = None
    timeout: Duration | None = None
    headers: tuple[HttpHeader, ...] | None = None


class GrpcService(ProviderModel):
    """`GrpcService`: export over gRPC (opentelemetry)."""

    timeout: Duration | None = None
    initial_metadata: tuple[HttpHeader, ...] | None = None


class Empty(ProviderModel):
    """A message without fields (`prometheus: {}`, resource detectors)."""


class ResourceDetectors(ProviderModel):
    environment: Empty | None = None
    dynatrace: Empty | None = None


class DynatraceApi(ProviderModel):
    service: StrictStr | None = None
    port: Uint32 | None = None
    http: HttpService | None = None


class DynatraceSampler(ProviderModel):
    tenant: StrictStr | None = None
    cluster_id: Int32 | None = None
    root_spans_per_minute: Uint32 | None = None
    http_service: DynatraceApi | None = None


class RequestBody(ProviderModel):
    """`EnvoyExternalAuthorizationRequestBody`."""

    max_request_bytes: Uint32 | None = None
    allow_partial_message: StrictBool | None = None
    pack_as_bytes: StrictBool | None = None


class ExtAuthzHttp(ProviderModel):
    """`envoyExtAuthzHttp`: an external authorizer over HTTP."""

    service: StrictStr | None = None
    port: Uint32 | None = None
    timeout: Duration | None = None
    path_prefix: StrictStr | None = None
    fail_open: StrictBool | None = None
    clear_route_cache: StrictBool | None = None
    status_on_error: StrictStr | None = None
    include_headers_in_check: StrList | None = None
    include_request_headers_in_check: StrList | None = None
    include_additional_headers_in_check: StrMap | None = None
    include_request_body_in_check: RequestBody | None = None
    headers_to_upstream_on_allow: StrList | None = None
    headers_to_downstream_on_deny: StrList | None = None
    headers_to_downstream_on_allow: StrList | None = None


class ExtAuthzGrpc(ProviderModel):
    """`envoyExtAuthzGrpc`: an external authorizer over gRPC."""

    service: StrictStr | None = None
    port: Uint32 | None = None
    timeout: Duration | None = None
    fail_open: StrictBool | None = None
    clear_route_cache: StrictBool | None = None
    status_on_error: StrictStr | None = None
    include_request_body_in_check: RequestBody | None = None


class Zipkin(ProviderModel):
    """`zipkin`: a Zipkin tracing provider (`timeout`, `headers`: 1.29+)."""

    service: StrictStr | None = None
    port: Uint32 | None = None
    max_tag_length: Uint32 | None = None
    enable_64bit_trace_id: StrictBool | None = Field(default=None, alias="enable64bitTraceId")
    path: StrictStr | None = None
    trace_context_option: Literal["USE_B3", "USE_B3_WITH_W3C_PROPAGATION"] | Int32 | None = None
    timeout: Duration | None = None
    headers: tuple[HttpHeader, ...] | None = None


class Lightstep(ProviderModel):
    """`lightstep` (deprecated; removed from istiod in 1.27)."""

    service: StrictStr | None = None
    port: Uint32 | None = None
    access_token: StrictStr | None = None
    max_tag_length: Uint32 | None = None


class Datadog(ProviderModel):
    service: StrictStr | None = None
    port: Uint32 | None = None
    max_tag_length: Uint32 | None = None


class SkyWalking(ProviderModel):
    service: StrictStr | None = None
    port: Uint32 | None = None
    access_token: StrictStr | None = None


class StackdriverLogging(ProviderModel):
    labels: StrMap | None = None


class Stackdriver(ProviderModel):
    debug: StrictBool | None = None
    max_number_of_attributes: Int64 | None = None
    max_number_of_annotations: Int64 | None = None
    max_number_of_message_events: Int64 | None = None
    max_tag_length: Uint32 | None = None
    logging: StackdriverLogging | None = None


OpenCensusContext = Literal[
    "UNSPECIFIED", "W3C_TRACE_CONTEXT", "GRPC_BIN", "CLOUD_TRACE_CONTEXT", "B3"
]


class OpenCensus(ProviderModel):
    """`opencensus` (deprecated; removed from istiod in 1.27)."""

    service: StrictStr | None = None
    port: Uint32 | None = None
    context: tuple[OpenCensusContext | Int32, ...] | None = None
    max_tag_length: Uint32 | None = None


class FileLogFormat(ProviderModel):
    """`envoyFileAccessLog.logFormat`: `text` or `labels` (a oneof)."""

    text: StrictStr | None = None
    labels: dict[StrictStr, Any] | None = None

    @model_validator(mode="after")
    def _text_or_labels(self) -> "FileLogFormat":
        _one_of(self, ("text", "labels"), "logFormat")
        return self


class EnvoyFileAccessLog(ProviderModel):
    path: StrictStr | None = None
    log_format: FileLogFormat | None = None
    omit_empty_values: StrictBool | None = None


class EnvoyHttpAls(ProviderModel):
    service: StrictStr | None = None
    port: Uint32 | None = None
    log_name: StrictStr | None = None
    filter_state_objects_to_log: StrList | None = None
    additional_request_headers_to_log: StrList | None = None
    additional_response_headers_to_log: StrList | None = None
    additional_response_trailers_to_log: StrList | None = None


class EnvoyTcpAls(ProviderModel):
    service: StrictStr | None = None
    port: Uint32 | None = None
    log_name: StrictStr | None = None
    filter_state_objects_to_log: StrList | None = None


class OtelLogFormat(ProviderModel):
    """`envoyOtelAls.logFormat` (`text` and `labels` are not a oneof here)."""

    text: StrictStr | None = None
    labels: dict[StrictStr, Any] | None = None


class EnvoyOtelAls(ProviderModel):
    """`envoyOtelAls`: OpenTelemetry access logs (the access-log kind for OpenTelemetry)."""

    service: StrictStr | None = None
    port: Uint32 | None = None
    log_name: StrictStr | None = None
    log_format: OtelLogFormat | None = None


class OpenTelemetry(ProviderModel):
    """`opentelemetry`: OpenTelemetry *tracing* (`serviceAttributeEnrichment`: 1.30+)."""

    service: StrictStr | None = None
    port: Uint32 | None = None
    max_tag_length: Uint32 | None = None
    http: HttpService | None = None
    grpc: GrpcService | None = None
    resource_detectors: ResourceDetectors | None = None
    service_attribute_enrichment: (
        Literal["ISTIO_CANONICAL", "OTEL_SEMANTIC_CONVENTIONS"] | Int32 | None
    ) = None
    dynatrace_sampler: DynatraceSampler | None = None


class Sds(ProviderModel):
    name: StrictStr | None = None
    service: StrictStr | None = None
    port: Uint32 | None = None


#: meshConfig.extensionProviders[] one-of keys (config.proto @1.30.3, proto order).
class ExtensionProvider(ProviderModel):
    """One meshConfig.extensionProviders entry: a name and exactly one provider kind."""

    name: StrictStr
    envoy_ext_authz_http: ExtAuthzHttp | None = None
    envoy_ext_authz_grpc: ExtAuthzGrpc | None = None
    zipkin: Zipkin | None = None
    lightstep: Lightstep | None = None
    datadog: Datadog | None = None
    stackdriver: Stackdriver | None = None
    opencensus: OpenCensus | None = None
    skywalking: SkyWalking | None = None
    opentelemetry: OpenTelemetry | None = None
    prometheus: Empty | None = None
    envoy_file_access_log: EnvoyFileAccessLog | None = None
    envoy_http_als: EnvoyHttpAls | None = None
    envoy_tcp_als: EnvoyTcpAls | None = None
    envoy_otel_als: EnvoyOtelAls | None = None
    sds: Sds | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> "ExtensionProvider":
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

    @property
    def kind(self) -> str:
        """The provider kind (validation guarantees exactly one)."""
        return self.kinds()[0]

    def to_mesh_config(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


def removed_kind_errors(
    providers: tuple[ExtensionProvider, ...], version: str | None
) -> list[InitErrorDetails]:
    """Errors for providers of a kind istiod `version` no longer has (loc: index, kind)."""
    minor = parse_minor(version)
    errors: list[InitErrorDetails] = []
    if minor is None:
        return errors
    for index, provider in enumerate(providers):
        for kind in provider.kinds():
            removed = REMOVED_KINDS.get(kind)
            if removed is not None and minor >= removed:
                since = ".".join(map(str, removed))
                errors.append(
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "removed_provider",
                            "the {kind} provider was removed in Istio {since}; istiod {version} no "
                            "longer supports it: use an opentelemetry provider",
                            {"kind": kind, "since": since, "version": version},
                        ),
                        loc=(index, kind),
                        input=None,
                    )
                )
    return errors


def check_removed_kinds(
    providers: tuple[ExtensionProvider, ...], info: ValidationInfo
) -> tuple[ExtensionProvider, ...]:
    """Field validator body: refuse removed kinds for the `version` validated before."""
    version = info.data.get("version")
    errors = removed_kind_errors(providers, version if isinstance(version, str) else None)
    if errors:
        raise ValidationError.from_exception_data("ExtensionProvider", errors)
    return providers


__all__ = [
    "EXTENSION_PROVIDER_KINDS",
    "FIELDS_ADDED",
    "REMOVED_KINDS",
    "ExtensionProvider",
    "check_removed_kinds",
]
