"""The base class every config model shares: frozen, camelCase keys, unknown keys refused."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


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
