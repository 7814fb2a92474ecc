"""The libyaml fast path reads every config exactly as the ruamel path does, or declines.

Differential: for each config text we have (check cases, golden and infrastructure configs,
the hostile corpus, generated scalars), the fast path's data and every recorded position
must equal the ruamel path's; where the ruamel path reports a diagnostic, the fast path
must have declined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from meshgen.load import config, yaml_reader, yaml_rules
from meshgen.load import libyaml_events as libyaml_loader
from meshgen.render import yaml_writer
from tests.yaml_data import typed

ROOT = Path(__file__).resolve().parents[1]


def _ruamel(text: str) -> tuple[Any, dict[Any, Any], dict[Any, Any]] | None:
    document, problem = yaml_reader.parse_yaml(text, "m.yaml")
    if problem is not None:
        return None
    try:
        data = yaml_reader.to_plain(document)
    except (yaml_reader.TooLargeError, RecursionError):
        return None
    source = yaml_reader.build_source_map(document, "m.yaml")
    return data, source.values, source.keys


def _fast(text: str) -> tuple[Any, dict[Any, Any], dict[Any, Any]] | None:
    found = libyaml_loader.load(
        text, "m.yaml", max_nodes=yaml_rules.MAX_NODES, max_depth=yaml_rules.MAX_DEPTH
    )
    if found is None:
        return None
    data, source = found
    return data, source.values, source.keys


def _assert_same(text: str) -> bool:
    """True when the fast path took the text (and agreed with ruamel)."""
    fast = _fast(text)
    if fast is None:
        return False
    slow = _ruamel(text)
    assert slow is not None, f"fast path accepted a text ruamel refuses: {text!r}"
    assert typed(fast[0]) == typed(slow[0])  # `1`, `1.0` and `True` are equal in Python
    assert fast[1] == slow[1]
    assert fast[2] == slow[2]
    return True


def _corpus() -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    yaml = YAML(typ="safe", pure=True)
    for case_file in sorted((ROOT / "tests/checks/cases").glob("*.yaml")):
        for case in yaml.load(case_file.read_text())["cases"]:
            if "config" in case:
                texts.append((f"{case_file.stem}: {case['name']}", case["config"]))
    hostile = yaml.load((ROOT / "tests/hostile/cases.yaml").read_text())
    for case in hostile["rejected"]:
        if "config" in case:
            texts.append((f"hostile: {case['name']}", case["config"]))
    for path in [
        ROOT / "infrastructure/meshgen.yaml",
        *sorted((ROOT / "tests/golden").glob("*/meshgen.yaml")),
    ]:
        texts.append((str(path.relative_to(ROOT)), path.read_text()))
    return texts


CORPUS = _corpus()


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=[name for name, _ in CORPUS])
def test_fast_path_agrees_with_ruamel(name: str, text: str) -> None:
    _assert_same(text)


def test_fast_path_takes_real_configs() -> None:
    """The optimisation must not silently rot into always declining."""
    taken = [name for name, text in CORPUS if _fast(text) is not None]
    assert "infrastructure/meshgen.yaml" in taken
    assert len(taken) > len(CORPUS) * 0.7


def test_loader_uses_the_fast_path_unless_told_not_to(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "infrastructure/meshgen.yaml").read_text()
    calls: list[str] = []
    real = libyaml_loader.load

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append("fast")
        return real(*args, **kwargs)

    monkeypatch.setattr(libyaml_loader, "load", spy)
    fast = config.load_text(text, "meshgen.yaml")
    monkeypatch.setenv("MESHGEN_RUAMEL_LOADER", "1")
    slow = config.load_text(text, "meshgen.yaml")
    assert calls == ["fast"]
    assert fast.config == slow.config
    assert fast.source == slow.source


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # alias
        "a: !!str 1\n",  # explicit tag
        "a: ! 1\n",  # non-specific tag
        "base: &b {x: 1}\nc:\n  <<: *b\n",  # merge key
        "a: 1\na: 2\n",  # duplicate key
        "? [a]\n: 1\n",  # complex key
        "a: 0o17\n",  # octal
        "a: 0x1F\n",  # hex
        "a: 1_000\n",  # underscores
        "a: 1e3\n",  # exponent
        "a: 2024-01-01\n",  # timestamp
        "a: .inf\n",
        "a: 99999999999999999999999\n",  # outside 64 bits
        "a: 'x\u2028y'\n",  # a YAML 1.1 line break
        "a: [1\n",  # syntax error
        "- " * 70 + "x\n",  # nesting past MAX_DEPTH
        "a: 1\n---\nb: 2\n",  # two documents
        "%YAML 1.1\n---\na: yes\n",  # a directive (ruamel reads `yes` as true here)
    ],
)
def test_fast_path_declines_what_only_ruamel_handles(text: str) -> None:
    assert _fast(text) is None


_SCALARS = st.one_of(
    st.sampled_from(
        [
            "1.30.3",
            "v1",
            "1",
            "-1",
            "+1",
            "0",
            "00",
            "012",
            "1.5",
            "-0.25",
            "1.",
            ".5",
            "1e3",
            "1_0",
            "0b11",
            "0x1f",
            "0o7",
            "true",
            "True",
            "TRUE",
            "yes",
            "on",
            "No",
            "null",
            "Null",
            "~",
            "",
            "=",
            "<<",
            "2024-01-01",
            "2024-1-1 10:00:00",
            "1:20",
            ".inf",
            "-.Inf",
            ".nan",
            "a b",
            "x:y",
            "http://a:80/b",
            "100%",
            "50m",
            "1Gi",
            "2s",
            "0.0.0.0/0",
            "-",
            "--x",
            "+x",
            "<x",
            "=x",
            ".x",
            "1.2.3-rc.1",
        ]
    ),
    st.from_regex(r"[-+.0-9a-zA-Z_:/=<]{1,12}", fullmatch=True),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), _SCALARS), max_size=6)
)
def test_generated_plain_scalars_read_alike(pairs: list[tuple[str, str]]) -> None:
    lines = []
    for key, value in pairs:
        lines.append(f"{key}: {value}")
        lines.append(f"l{key}:\n  - {value}\n  - [{value}]\n  - {{k: {value}}}")
    _assert_same("\n".join(lines) + "\n")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.text(max_size=20)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
        ),
        max_leaves=20,
    )
)
def test_meshgen_written_yaml_reads_alike(data: Any) -> None:
    _assert_same(yaml_writer.dump({"root": data}))
