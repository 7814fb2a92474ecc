"""The loader's whole-text scans agree with the plain regex walks they replace."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.load import config, yaml_reader

_PIECES = st.sampled_from(["[", "]", "{", "}", "a", " ", "\n", "é", "😀", "\ud800", "\x85"])


def _nesting_past(text: str, limit: int) -> int:
    """The obvious implementation: walk every bracket, clamping at depth 0."""
    depth = 0
    for match in re.finditer(r"[\[\]{}]", text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > limit:
            return match.start()
    return -1


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join), st.integers(0, 6))
def test_flow_nesting_past_is_the_bracket_walk(text: str, limit: int) -> None:
    assert yaml_reader._flow_nesting_past(text, limit) == _nesting_past(text, limit)


def test_flow_nesting_past_finds_the_first_bracket_too_deep() -> None:
    text = "a: é\nb: " + "[" * 300 + "]" * 300
    assert yaml_reader._flow_nesting_past(text, 256) == text.index("[") + 256
    assert yaml_reader._flow_nesting_past("[" * 256 + "]" * 256, 256) == -1


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x200), max_size=20))
def test_has_control_is_the_control_regex(text: str) -> None:
    assert config._has_control(text) is (re.search(config._CONTROL, text) is not None)


def test_has_control_sees_every_ascii_control() -> None:
    for code in range(128):
        text = f"key: a{chr(code)}b\n"
        assert config._has_control(text) is (re.search(config._CONTROL, text) is not None), code
