"""The base class every config model shares: frozen, camelCase keys, unknown keys refused."""

import functools
import importlib
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    TypeAdapter,
)
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema


class Model(BaseModel):
    """Frozen pydantic model read from camelCase YAML keys; unknown keys are errors."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        hide_input_in_errors=True,
        # Validators are built when first used, not at import: a run validates only
        # MeshConfig (its schema takes in every nested model), which saves the separate
        # build of each of the 35 nested models.
        defer_build=True,
    )


#: A non-empty string.
Text = Annotated[str, Field(min_length=1)]
#: Free-form chart values passed through to a release.
Values = dict[str, Any]


#: Where charts come from: an `https://` (or `http://`) Helm repository, an `oci://`
#: registry path, or a local folder (absolute, or `./`/`../` relative to the config file)
#: holding one unpacked chart folder per chart, named like the chart (`helm pull --untar`):
#: air-gapped installs and mirrors render a tree helmfile templates with no network.
REPOSITORY_PATTERN = r"^(https?://|oci://|\.{0,2}/)\S"


def _repository_url(url: str) -> str:
    if not re.match(REPOSITORY_PATTERN, url):
        raise ValueError(
            f"{url!r} is not a chart repository: use an https:// URL, an oci:// registry "
            "path, or a local folder (./charts, /srv/mirror)"
        )
    return url


RepositoryUrl = Annotated[
    str,
    Field(min_length=1, json_schema_extra={"pattern": REPOSITORY_PATTERN}),
    AfterValidator(_repository_url),
]


def is_local_repository(url: str) -> bool:
    """A chart repository that is a folder on disk, not a URL."""
    return url.startswith(("/", "./", "../"))


def is_oci_repository(url: str) -> bool:
    """A chart repository that is an OCI registry path (`oci://host/path`)."""
    return url.startswith("oci://")


class DeferredTuple:
    """Field metadata: a tuple of models defined in a module imported only when needed.

    `Annotated[tuple[Any, ...], DeferredTuple("meshgen.models.providers", "ExtensionProvider")]`
    validates like `tuple[ExtensionProvider, ...]`, with the same errors at the same key
    paths (pydantic nests a ValidationError raised by a field's validator under the
    field), and has the same JSON Schema; but an absent or empty field never imports the
    module or builds its models. Fifteen provider models cost a few percent of every
    `meshgen check`, and most configs define no extension provider.
    """

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def resolve_annotation(self) -> Any:
        """The annotation this field stands for: `tuple[<model>, ...]`."""
        model = getattr(importlib.import_module(self.module), self.name)
        return tuple[model, ...]  # type: ignore[valid-type]

    @functools.cached_property
    def _adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.resolve_annotation(), config=ConfigDict(hide_input_in_errors=True))

    def _validate(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and not value:
            return ()
        return self._adapter.validate_python(value)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_plain_validator_function(self._validate)

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        return handler(self._adapter.core_schema)
