"""Generated artefacts stay fresh: docs/diagnostics.md and schemas/meshgen.schema.json."""

from __future__ import annotations

import importlib.util
import json

from tests.conftest import REPO


def test_diagnostics_doc_is_fresh() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen", REPO / "scripts" / "gen_diagnostics_doc.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO / "docs" / "diagnostics.md").read_text() == module.render(), (
        "docs/diagnostics.md is stale: run `python scripts/gen_diagnostics_doc.py`"
    )


def test_diagnostics_doc_documents_every_code_of_the_catalogue() -> None:
    from meshgen import api

    text = (REPO / "docs" / "diagnostics.md").read_text()
    sections = {part.split("\n", 1)[0]: part for part in text.split("\n## ")[1:]}
    entries = list(api.catalogue())
    assert list(sections) == [e.code for e in entries], "one section per code, in code order"
    for entry in entries:
        section = sections[entry.code]
        assert f"**{entry.name}** ({entry.severity})" in section, entry.code
        assert entry.doc in section, f"{entry.code}: its documentation is not in the doc"
        assert f"| [{entry.code}](#{entry.code.lower()}) | `{entry.name}` |" in text, entry.code


def test_config_schema_is_fresh_and_valid() -> None:
    from jsonschema import Draft202012Validator

    from meshgen.models.json_schema import config_schema

    committed = json.loads((REPO / "schemas" / "meshgen.schema.json").read_text())
    assert committed == config_schema(), "run `meshgen schema -o schemas/meshgen.schema.json`"
    Draft202012Validator.check_schema(committed)


def test_infrastructure_config_satisfies_the_schema() -> None:
    from jsonschema import Draft202012Validator
    from ruamel.yaml import YAML

    schema = json.loads((REPO / "schemas" / "meshgen.schema.json").read_text())
    data = YAML(typ="safe").load((REPO / "infrastructure" / "meshgen.yaml").read_text())
    errors = list(Draft202012Validator(schema).iter_errors(data))
    assert not errors, errors[0].message


def test_every_shipped_schema_is_a_valid_schema() -> None:
    from meshgen.checks.schemas import _draft, load_schema
    from meshgen.resources import schemas_dir

    names = sorted(p.name for p in schemas_dir().glob("*.schema.json"))
    assert "telemetry.schema.json" in names
    for name in names:
        schema = load_schema(name)
        _draft(schema, name)[0].check_schema(schema)
