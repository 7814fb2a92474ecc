"""Hypothesis properties of loading and rendering valid configs.

The one home of "every valid config loads back, renders deterministically and re-parses"
(test_fuzz.py holds the mutated and damaged inputs). Comparisons are type-exact
(`tests.yaml_data.typed`): `1`, `1.0` and `True` are equal to Python, not to helm.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from meshgen import api
from meshgen.load.config import load_text
from meshgen.render import RenderInputs, render_tree, yaml_writer
from tests.conftest import INFRA_CONFIG
from tests.strategies import configs
from tests.yaml_data import assert_rendered_files_reparse, typed

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(data: dict[str, Any]) -> Any:
    result = load_text(yaml_writer.dump(data), "meshgen.yaml")
    assert result.config is not None, [d.format_text() for d in result.diagnostics]
    return result


@SETTINGS
@given(configs())
def test_valid_configs_load_back_to_the_same_data(data: dict[str, Any]) -> None:
    result = _load(data)
    assert typed(result.data) == typed(data)
    # every key path in the data has a position inside the file
    lines = result.text.count("\n") + 1 if result.text else yaml_writer.dump(data).count("\n") + 1
    for packed in result.source.values.values():
        assert 1 <= result.source.span(packed).line <= lines + 1


@SETTINGS
@given(configs())
def test_valid_configs_render_deterministically_and_reparse(data: dict[str, Any]) -> None:
    config = _load(data).config
    first = render_tree(RenderInputs(config=config))
    second = render_tree(RenderInputs(config=config))
    assert [(f.path, f.text) for f in first] == [(f.path, f.text) for f in second]
    assert_rendered_files_reparse(first)
    # The whole pipeline (the CLI's path, with the project's checks) renders the same.
    project = api.load_project(INFRA_CONFIG, text=yaml_writer.dump(data))
    assert project.rendered, [d.format_text() for d in project.diagnostics]
    assert_rendered_files_reparse(project.files)


@SETTINGS
@given(configs())
def test_user_strings_arrive_verbatim(data: dict[str, Any]) -> None:
    config = _load(data).config
    files = {f.path: f for f in render_tree(RenderInputs(config=config))}
    istio = files["values/istio-values.yaml"].data
    assert typed(istio["podAnnotations"]) == typed(data["istio"]["values"]["podAnnotations"])
    for service in data["services"]:
        values = files[f"values/{service['name']}-values.yaml"].data
        assert typed(values["note"]) == typed(service["values"]["note"])
