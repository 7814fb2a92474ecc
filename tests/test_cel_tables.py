"""meshgen's CEL parser is cel-python's: same trees, same errors, same string values.

`analysis/cel_tables.py` runs cel-python's grammar under Lark from shipped LALR tables
without importing cel-python; these tests hold it to the parser cel-python builds itself
(`celpy.celparser.CELParser`) and to its string decoder (`celpy.evaluation.celstr`) on a
corpus, and check that the shipped tables fit the installed cel-python.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lark import Token
from lark.exceptions import UnexpectedInput

from meshgen.analysis import cel, cel_tables

VALID = [
    "request.headers['x-model'] in ['llama', 'mistral'] ? request.headers['x-model'] : 'other'",
    "a.b.c(1, 2u, 3.0, true, null, b'x', r'y', '''long''')",
    "!x && y || z[0] == {1: 'a', 'b': [1, 2]}.size()",
    "dx03-dev",
    "x ? y : z ? w : v",
    "-1 + 2 * 3 / 4 % 5 - -x",
    "has(request.headers.auth) && request.headers.auth.startsWith('Bearer')",
    "[1, 2, 3].map(x, x * 2).exists(y, y > 4)",
    "upstream_peer.labels['app'].value",
    "destination.port == 8080 && 0x1F != 31u",
    "a in b\n  || c",
    "false == !true",
]
INVALID = ["a +", "((a)", "a..b", "'unterminated", "1 2", "{1: }", "x ? y", "", "a[", "f(,)", "a # b"]
STRINGS = [
    "'plain'", '"double"', "'a\\nb\\tc'", "'\\x41\\u00e9\\U0001F600'", "'\\101\\102'",
    "'quote \\' and \\\"'", "r'raw \\n'", 'R"raw"', "'''long ' one'''", '"""long "" two"""',
    "'back\\\\slash'", "'\\a\\b\\f\\r\\v'", "''", "'''a\nb'''",
]  # fmt: skip


@pytest.fixture(scope="module")
def celpy_parser() -> Iterator[Any]:
    """The Lark parser cel-python builds itself (its per-process one restored after)."""
    from celpy.celparser import CELParser

    kept = CELParser.CEL_PARSER
    CELParser.CEL_PARSER = None
    try:
        yield CELParser().CEL_PARSER
    finally:
        CELParser.CEL_PARSER = kept


def _outcome(parser: Any, expression: str) -> Any:
    try:
        return ("tree", parser.parse(expression))
    except UnexpectedInput as exc:
        expected = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
        return (type(exc).__name__, exc.line, exc.column, expected, str(getattr(exc, "token", "")))


def test_the_shipped_tables_fit_the_installed_cel_python() -> None:
    assert cel_tables.load() is not None, (
        "src/meshgen/analysis/cel_tables.json does not fit the installed cel-python/Lark "
        "(every run would build the tables again): run `python scripts/gen_cel_tables.py`"
    )


@pytest.mark.parametrize("expression", VALID + INVALID)
@pytest.mark.parametrize("source", ["tables", "built"])
def test_meshgens_parser_is_cel_pythons(celpy_parser: Any, expression: str, source: str) -> None:
    mine = cel_tables.load() if source == "tables" else cel_tables._build()
    assert mine is not None
    ours, theirs = _outcome(mine, expression), _outcome(celpy_parser, expression)
    assert ours == theirs
    assert (ours[0] == "tree") == (expression in VALID)


@pytest.mark.parametrize("literal", STRINGS)
def test_string_values_are_cel_pythons(literal: str) -> None:
    from celpy.evaluation import celstr

    assert cel_tables.string_value(literal) == str(celstr(Token("STRING_LIT", literal)))


def test_the_tables_round_trip_through_json_exactly() -> None:
    text = cel_tables.TABLES.read_text(encoding="utf-8")
    document = json.loads(text)
    data = json.loads(text, object_hook=cel_tables._decode_object)["data"]
    assert cel_tables._encode(data) == document["data"]
    assert isinstance(data["parser"]["lexer_conf"]["g_regex_flags"], int)


def test_analysis_neither_builds_the_tables_nor_imports_cel_python(tmp_path: Path) -> None:
    """A process that analyses an expression loads the tables and never imports celpy."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from lark.parsers import lalr_analysis\n"
        "def refuse(*a, **k): raise AssertionError('Lark built the CEL tables')\n"
        "lalr_analysis.LALR_Analyzer.compute_lalr = refuse\n"
        "from meshgen.analysis import cel\n"
        "result = cel.analyze(\"x in ['a', 'b'] ? x : 'other'\")\n"
        "assert result.error is None and result.possible_values == {'a', 'b', 'other'}\n"
        "assert cel.analyze('a +').error is not None\n"
        "assert 'celpy' not in sys.modules, 'celpy imported'\n"
    )
    env = {"MESHGEN_NO_CACHE": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "content", ['{"fingerprint": "another grammar", "data": {}, "memo": {}}', "{not json", ""]
)
def test_tables_that_do_not_fit_are_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    stale = tmp_path / "cel_tables.json"
    stale.write_text(content, encoding="utf-8")
    monkeypatch.setattr(cel_tables, "TABLES", stale)
    assert cel_tables.load() is None
    monkeypatch.setattr(cel_tables, "TABLES", tmp_path / "missing.json")
    assert cel_tables.load() is None


def test_a_parse_error_keeps_its_position() -> None:
    error = cel.analyze("a +\n  ").error
    assert error is not None and (error.line, error.col) == (2, 3)
