"""Every input goes through one YAML reader: `validate`, `lint` and the editor agree.

Each malformed or refused document gives the same code, position and wording whichever
command reads it, within the same limits (a regression: `lint` once had its own parser and
reported 1:1 on 3,000 nested brackets, after seconds, where `validate` said 1:260).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meshgen import api
from meshgen.diagnostics import Diagnostic
from meshgen.load import yaml_reader
from meshgen.load.yaml_rules import FLOW_DEPTH_LIMIT

CASES = {
    "deep-brackets": "a: " + "[" * 3000 + "]" * 3000 + "\n",
    "tab-indent": "istio:\n\tversion: 1\n",
    "duplicate-key": "a: 1\na: 2\n",
    "unknown-tag": "a: !include other.yaml\n",
    "python-tag": "a: !!python/object/apply:os.system ['true']\n",
    "complex-key": "? [a, b]\n: 1\n",
    "huge-int": "a: " + "9" * 30 + "\n",
    "float-overflow": "a: 1e999\n",
    "nul-byte": "a: b\x00\n",
    "unclosed-flow": "a: [1, 2\n",
    "bad-indent": "a:\n  b: 1\n c: 2\n",
    "control-character": "a: 1\nb: x\x07y\n",
    "alias-bomb-under-key": "top: 1\nnested:\n  a0: &a0 ["
    + ",".join(["x"] * 10)
    + "]\n"
    + "".join(f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)),
    "deep-nesting": "a:\n"
    + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(70))
    + "  " * 71
    + "v: 1\n",
    "alias-bomb": "a: &a ["
    + ",".join(["x"] * 50)
    + "]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 50) + "]\n"
        for i in range(4)
    ),
}


def _only(diagnostics: list[Diagnostic]) -> tuple[str, int, int, str]:
    assert len(diagnostics) == 1, diagnostics
    d = diagnostics[0]
    return d.code, d.span.line, d.span.col, d.message


@pytest.mark.parametrize("name", sorted(CASES))
def test_validate_and_lint_read_alike(name: str, tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(CASES[name], encoding="utf-8")
    validated = [d for d in api.load_project(path).diagnostics if d.code.startswith("C")]
    linted = [d for d in api.lint([path]).diagnostics if d.code != "C010"]
    assert _only(validated) == _only(linted)
    assert validated[0].code in {"C002", "C003", "C005", "C007"}
    if name in ("alias-bomb-under-key", "deep-nesting"):
        # Where the limit was passed, not the document's start.
        assert validated[0].span.line > 2, validated[0]


@pytest.mark.parametrize(
    ("text", "where", "char"),
    [
        ("a: 1\nb: x\x07y\n", (2, 5), "U+0007"),
        ("\ufeffa: 1\r\nb: x\x1by\r\n", (2, 5), "U+001B"),
        ('a: "\x85"\nb: [1, \ufffe]\n', (2, 8), "U+FFFE"),
        ("a: 1\rb: x\x07y\r", (2, 5), "U+0007"),
    ],
    ids=["bel", "escape-after-bom-crlf", "nonchar-after-nel", "cr-only-lines"],
)
def test_a_character_yaml_forbids_is_named_where_it_is(
    text: str, where: tuple[int, int], char: str
) -> None:
    found = yaml_reader.parse(text, "x.yaml")
    assert isinstance(found, Diagnostic)
    assert (found.code, found.span.line, found.span.col) == ("C002", *where)
    assert found.message.startswith(f"character {char} is not allowed in YAML text")
    assert "unicode string" not in found.message


def test_the_flow_limit_points_at_the_bracket_past_it() -> None:
    found = yaml_reader.parse(CASES["deep-brackets"], "x.yaml")
    assert isinstance(found, Diagnostic)
    assert (found.code, found.span.line, found.span.col) == ("C007", 1, 4 + FLOW_DEPTH_LIMIT)


def test_parse_all_keeps_every_document_with_its_positions() -> None:
    documents = yaml_reader.parse_all("a: 1\n---\n# c\nb:\n  c: 2\n", "x.yaml")
    assert not isinstance(documents, Diagnostic)
    assert [d.data for d in documents] == [{"a": 1}, {"b": {"c": 2}}]
    assert str(documents[1].source.lookup(("b", "c"))) == "x.yaml:5:6"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apiVersion: v2\nname: istiod\n\tversion: 1.30.3\n",
            "is not valid YAML (C002 at 3:1: YAML syntax error: a tab character cannot indent "
            "YAML; use spaces)",
        ),
        (
            "a: " + "[" * 3000 + "]" * 3000 + "\n",
            f"is not valid YAML (C007 at 1:{4 + FLOW_DEPTH_LIMIT}: brackets nest deeper than "
            f"{FLOW_DEPTH_LIMIT} levels)",
        ),
    ],
    ids=["tab", "deep-brackets"],
)
def test_a_mirrored_chart_yaml_is_read_by_the_one_reader(
    text: str, expected: str, tmp_path: Path
) -> None:
    from meshgen.checks.helm.mirror import _chart_version

    (tmp_path / "Chart.yaml").write_text(text, encoding="utf-8")
    assert _chart_version(tmp_path) == (None, expected)


def test_a_nul_byte_in_a_cr_only_file_is_placed_on_its_line() -> None:
    found = yaml_reader.parse("a: 1\rb: x\x00\r", "x.yaml")
    assert isinstance(found, Diagnostic)
    assert (found.code, found.span.line, found.span.col) == ("C002", 2, 5)
