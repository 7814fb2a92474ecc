"""meshgen.analysis.cel: syntax errors, attributes read, and the bounded value sets of tag expressions."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.analysis.cel import CelAnalysis, analyze, attribute_under

INFRA_MODEL = (
    "request.headers['x-model'] in ['llama-3-8b', 'mistral-7b', 'qwen-2-7b']"
    " ? request.headers['x-model'] : 'other'"
)
HAS_MODEL = "has(request.headers['x-model']) ? request.headers['x-model'] : 'unknown'"


def test_infrastructure_expression_is_bounded_to_four_values() -> None:
    result = analyze(INFRA_MODEL)
    assert result.ok
    assert result.possible_values == {"llama-3-8b", "mistral-7b", "qwen-2-7b", "other"}
    assert result.attributes == ("request.headers['x-model']",)


def test_has_guard_does_not_bound_the_value() -> None:
    result = analyze(HAS_MODEL)
    assert result.ok
    assert result.possible_values is None
    assert not result.bounded
    assert result.attributes == ("request.headers['x-model']",)


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        ("'fixed'", {"fixed"}),
        ('"double"', {"double"}),
        (r"'it\'s'", {"it's"}),
        ("r'raw\\n'", {"raw\\n"}),
        ("(('paren'))", {"paren"}),
        ("request.path.startsWith('/v1') ? 'v1' : 'other'", {"v1", "other"}),
        ("a ? 'x' : b ? 'y' : 'z'", {"x", "y", "z"}),
        ("request.method == 'GET' ? request.method : 'other'", {"GET", "other"}),
        ("'GET' == request.method ? request.method : 'other'", {"GET", "other"}),
        ("request.method != 'GET' ? 'other' : request.method", {"GET", "other"}),
        ("!(request.method in ['GET', 'PUT']) ? 'other' : request.method", {"GET", "PUT", "other"}),
        (
            "request.method in ['GET', 'PUT'] && request.host == 'a' ? request.method : 'x'",
            {"GET", "PUT", "x"},
        ),
        (
            "request.method == 'GET' || request.method == 'PUT' ? request.method : 'x'",
            {"GET", "PUT", "x"},
        ),
        (
            "request.method in ['GET', 'PUT'] && request.method in ['PUT', 'POST'] ? request.method : 'x'",
            {"PUT", "x"},
        ),
        # quoting style and spacing of the guarded attribute do not matter
        ('request.headers["x-model"] in ["a"] ? request.headers[ \'x-model\' ] : "o"', {"a", "o"}),
        # a guard inside the else branch of a nested ternary
        ("a ? 'x' : (b in ['p', 'q'] ? b : 'r')", {"x", "p", "q", "r"}),
        ("x in [] ? x : 'none'", {"none"}),
    ],
)
def test_bounded_expressions(expression: str, values: set[str]) -> None:
    assert analyze(expression).possible_values == values


@pytest.mark.parametrize(
    "expression",
    [
        "request.method",
        "string(destination.port)",
        "request.headers['x-model']",
        HAS_MODEL,
        # the guard is on another attribute than the branch it would bound
        "request.method in ['GET'] ? request.host : 'other'",
        # a guard bounds the then-branch only when the condition holds there
        "request.method in ['GET'] ? 'other' : request.method",
        "request.method == 'GET' || request.host == 'a' ? request.method : 'x'",
        "request.method != 'GET' ? request.method : 'x'",
        # the list is not made of string literals
        "request.method in ['GET', request.host] ? request.method : 'x'",
        "request.method in allowed ? request.method : 'x'",
        # non-string literals are not counted as bounded string values
        "response.code >= 500 ? 1 : 0",
        "'a' + request.method",
        "a ? 'x' : request.path",
    ],
)
def test_unbounded_expressions(expression: str) -> None:
    result = analyze(expression)
    assert result.ok, result.error
    assert result.possible_values is None


@pytest.mark.parametrize(
    ("expression", "attributes"),
    [
        ("request.path", ("request.path",)),
        ('request.headers["x-model"]', ("request.headers['x-model']",)),
        ("upstream_peer.labels['app'].value", ("upstream_peer.labels['app'].value",)),
        ("string(destination.port)", ("destination.port",)),
        ("request.url_path.startsWith('/v1/')", ("request.url_path",)),
        ("has(request.host) ? request.host : 'unknown'", ("request.host",)),
        ("node.metadata['CLUSTER_ID']", ("node.metadata['CLUSTER_ID']",)),
        ("list[0]", ("list[0]",)),
        ("request.headers[request.path]", ("request.headers[*]", "request.path")),
        # loop variables of comprehension macros are not attributes
        ("request.headers.exists(k, k == 'x-model')", ("request.headers",)),
        ("xs.map(x, x.name + suffix)", ("xs", "suffix")),
        ("size(request.path) > 5 && connection.mtls", ("request.path", "connection.mtls")),
        ("'literal'", ()),
        ("a.b + a.b", ("a.b",)),
    ],
)
def test_attributes(expression: str, attributes: tuple[str, ...]) -> None:
    assert analyze(expression).attributes == attributes


def test_reads_and_attribute_under() -> None:
    result = analyze("request.headers['x'] == 'a' || upstream_peer.labels['app'].value == 'b'")
    assert result.reads("request") == ("request.headers['x']",)
    assert result.reads("upstream_peer.labels") == ("upstream_peer.labels['app'].value",)
    assert result.reads("response") == ()
    assert attribute_under("request.path", "request.path")
    assert attribute_under("request.headers['x']", "request.headers")
    assert not attribute_under("request.paths", "request.path")
    assert not attribute_under("requests.path", "request")


@pytest.mark.parametrize(
    ("expression", "line", "col", "fragment"),
    [
        ("request.path +", 1, 15, "unexpected end of expression"),
        ("1 +* 2", 1, 4, "unexpected '*'"),
        ("a ? b", 1, 6, "expected ':'"),
        ("request.headers['x-model'", 1, 26, "unexpected end of expression"),
        ("'unterminated", 1, 1, "unterminated string"),
        ("$x", 1, 1, "unexpected character '$'"),
        ("a +\n  * 2", 2, 3, "unexpected '*'"),
        ("", 1, 1, "unexpected end of expression"),
    ],
)
def test_syntax_errors_carry_the_parser_position(
    expression: str, line: int, col: int, fragment: str
) -> None:
    result = analyze(expression)
    assert not result.ok
    assert result.error is not None
    assert (result.error.line, result.error.col) == (line, col)
    assert fragment in result.error.message
    assert result.attributes == ()
    assert result.possible_values is None
    assert str(result.error).startswith(f"{line}:{col}: ")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    result = analyze("(" * 3000 + "a" + ")" * 3000)
    assert result.error is not None
    assert "nests too deeply" in result.error.message


def test_results_are_cached_per_expression() -> None:
    assert analyze(INFRA_MODEL) is analyze(INFRA_MODEL)
    assert analyze(INFRA_MODEL) is not analyze(HAS_MODEL)


def test_parser_is_not_loaded_without_an_expression() -> None:
    """Importing meshgen.analysis.cel and checking a config without expressions never loads celpy."""
    script = (
        "import sys, pathlib, tempfile\n"
        "import meshgen.analysis.cel\n"
        "from meshgen import api\n"
        "d = pathlib.Path(tempfile.mkdtemp())\n"
        "(d / 'meshgen.yaml').write_text('istio: {version: 1.30.3}\\n')\n"
        "api.validate_project(api.load_project(d / 'meshgen.yaml'))\n"
        "assert 'celpy' not in sys.modules, 'celpy imported'\n"
        "assert 'lark' not in sys.modules, 'lark imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


_LITERAL = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12)


@settings(max_examples=40, deadline=None)
@given(st.lists(_LITERAL, max_size=5), _LITERAL)
def test_guarded_mapping_bounds_to_the_list_plus_default(values: list[str], default: str) -> None:
    def quote(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    expression = (
        f"request.headers['h'] in [{', '.join(map(quote, values))}]"
        f" ? request.headers['h'] : {quote(default)}"
    )
    assert analyze(expression).possible_values == {*values, default}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_an_analysis_never_an_exception(text: str) -> None:
    result = analyze(text)
    assert isinstance(result, CelAnalysis)
    assert result.ok or (
        result.error is not None and result.error.line >= 1 and result.error.col >= 1
    )
