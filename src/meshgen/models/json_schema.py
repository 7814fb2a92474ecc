"""The JSON Schema of `meshgen.yaml`, generated from the models."""

from typing import Any

SCHEMA_ID = "https://meshgen.invalid/schemas/meshgen.schema.json"


def config_schema() -> dict[str, Any]:
    from meshgen.models import MeshConfig

    schema = MeshConfig.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "meshgen config",
        **schema,
    }
