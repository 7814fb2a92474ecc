"""Hypothesis properties of loading and rendering valid configs."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from meshgen.load import yaml_reader
from meshgen.load.config import load_text
from meshgen.render import RenderInputs, render_tree, yaml_writer
from meshgen.render.files import split_header
from tests.strategies import configs

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(data: dict[str, Any]) -> Any:
    result = load_text(yaml_writer.dump(data), "meshgen.yaml")
    assert result.config is not None, [d.format_text() for d in result.diagnostics]
    return result


@SETTINGS
@given(configs())
def test_valid_configs_load_back_to_the_same_data(data: dict[str, Any]) -> None:
    result = _load(data)
    assert result.data == data
    # every key path in the data has a position inside the file
    lines = result.text.count("\n") + 1 if result.text else yaml_writer.dump(data).count("\n") + 1
    for span in result.source.values.values():
        assert 1 <= span.line <= lines + 1


@SETTINGS
@given(configs())
def test_valid_configs_render_deterministically_and_reparse(data: dict[str, Any]) -> None:
    config = _load(data).config
    first = render_tree(RenderInputs(config=config))
    second = render_tree(RenderInputs(config=config))
    assert [(f.path, f.text) for f in first] == [(f.path, f.text) for f in second]
    for rendered in first:
        generated, _, body = split_header(rendered.text)
        assert generated
        assert [d for d in yaml_reader.load_all_safe(body) if d is not None] == list(
            rendered.documents
        )
        assert rendered.text.endswith("\n")


@SETTINGS
@given(configs())
def test_user_strings_arrive_verbatim(data: dict[str, Any]) -> None:
    config = _load(data).config
    files = {f.path: f for f in render_tree(RenderInputs(config=config))}
    istio = files["values/istio-values.yaml"].data
    assert istio["podAnnotations"] == data["istio"]["values"]["podAnnotations"]
    for service in data["services"]:
        values = files[f"values/{service['name']}-values.yaml"].data
        assert values["note"] == service["values"]["note"]
