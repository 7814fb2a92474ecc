"""Hypothesis: mutated configs never crash meshgen, and whatever renders re-parses exactly.

Mutations start from the real `infrastructure/meshgen.yaml` and from small generated
configs: keys are dropped, duplicated, retyped and renamed, hostile strings are spliced into
string leaves, and the YAML text itself is damaged. No exception may escape
`api.load_project`, `api.validate_project` or rendering; every diagnostic has a code and a
position; every rendered file's text (minus its header) parses back, as YAML 1.2 and as the
YAML 1.1 helm reads, to exactly the documents meshgen meant to write.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from meshgen import api
from meshgen.render import yaml_writer
from tests.conftest import INFRA_CONFIG
from tests.strategies import configs
from tests.yaml_data import assert_rendered_files_reparse

INFRA_TEXT = INFRA_CONFIG.read_text(encoding="utf-8")
INFRA_DATA: dict[str, Any] = YAML(typ="safe").load(INFRA_TEXT)

HOSTILE = [
    "{{ .Values.x }}",
    "{{`{{`}}",
    "{% if x %}y{% endif %}",
    "${DS_PROMETHEUS}",
    "a: b",
    "# c",
    "x #y",
    "'\"`",
    "---",
    "...",
    "line\nbreak",
    "trailing \nspace",
    "\u2028\x85\u2029",
    "yes",
    "0o17",
    "1:20",
    "~",
    "&a *a",
    "!!python/object:os.system",
    "- item",
    "\t",
    "",
    "x" * 300,
    "../../etc/passwd",
    "password: hunter2",
    "Bearer abcdefghijklmnop",
]
hostile = st.sampled_from(HOSTILE)
strange_values = st.one_of(
    hostile,
    hostile,
    hostile,
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.sampled_from(HOSTILE), max_size=3),
    st.dictionaries(st.sampled_from(HOSTILE), st.sampled_from(HOSTILE), max_size=2),
)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a plain-data tree (the root excluded)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((*prefix, key))
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.append((*prefix, index))
            out.extend(_paths(value, (*prefix, index)))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """`base` with 1-4 structural mutations: drop, retype, rename, splice, duplicate."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        if not paths:
            break
        action = draw(
            st.sampled_from(["drop", "retype", "rename", "splice", "replace", "duplicate"])
        )
        if action in ("splice", "replace"):  # aim at string leaves: they reach the output
            leaves = [p for p in paths if isinstance(_parent(data, p)[p[-1]], str)]
            paths = leaves or paths
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        last = path[-1]
        if action == "drop":
            del parent[last]
        elif action == "retype":
            parent[last] = draw(strange_values)
        elif action == "rename" and isinstance(parent, dict):
            new_key = draw(
                st.sampled_from(
                    [str(last).upper(), f"{last}s", str(last)[:-1] or "x", *HOSTILE[:12]]
                )
            )
            parent[new_key] = parent.pop(last)
        elif action == "splice" and isinstance(parent[last], str):
            value = parent[last]
            cut = draw(st.integers(0, len(value)))
            parent[last] = value[:cut] + draw(st.sampled_from(HOSTILE)) + value[cut:]
        elif action == "replace" and isinstance(parent[last], str):
            parent[last] = draw(hostile)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return data


def check_project(text: str) -> None:
    """Load, validate and render `text` as the infrastructure config; nothing may escape."""
    project = api.load_project(INFRA_CONFIG, text=text)
    diagnostics = api.validate_project(project)
    for diag in diagnostics:
        assert diag.code and diag.code[0] in "CTKHGDX" and len(diag.code) == 4, diag
        assert diag.span.line >= 1 and diag.span.col >= 1, diag
        assert not diag.code.startswith("X"), f"internal diagnostic for a config: {diag}"
    if project.rendered:
        assert_reparses(project)


def assert_reparses(project: api.Project) -> None:
    assert_rendered_files_reparse(project.files)


@SETTINGS
@given(mutated(INFRA_DATA))
def test_mutated_infrastructure_config_never_crashes(data: Any) -> None:
    check_project(yaml_writer.dump(data))


@settings(SETTINGS, max_examples=100)
@given(st.data())
def test_mutated_generated_config_never_crashes(data: st.DataObject) -> None:
    base = data.draw(configs())
    check_project(yaml_writer.dump(data.draw(mutated(base))))


TEXT_EDITS = st.sampled_from(
    ["\t", ":", ": ", "- ", "{", "}", "[", "]", "&a ", "*a", "*b ", "<<: *a\n", "!!python/name:os ",
     "!x ", "? ", "|", ">", "'", '"', "#", "---\n", "...\n", "%YAML 1.1\n", "\x00", "\ufeff",
     "9" * 30, "\n  ", "\n", "\r\n", "\\"]
)  # fmt: skip


@st.composite
def damaged_text(draw: st.DrawFn) -> str:
    """The infrastructure config's text with characters inserted, deleted or lines repeated."""
    text = INFRA_TEXT
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate-line"]))
        if action == "insert":
            text = text[:at] + draw(TEXT_EDITS) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end + 1
            text = text[:end] + text[start:end] + text[end:]
    return text


@SETTINGS
@given(damaged_text())
def test_damaged_yaml_text_never_crashes(text: str) -> None:
    check_project(text)
