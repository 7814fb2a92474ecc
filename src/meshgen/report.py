"""Reporters: diagnostics as text, JSON, SARIF 2.1.0 or GitHub workflow commands."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from meshgen.diagnostics import CodeInfo, Diagnostic, Severity, count

FORMATS = ("text", "json", "sarif", "github")


def summary(diagnostics: Sequence[Diagnostic]) -> dict[str, int]:
    return {
        "errors": count(diagnostics, Severity.ERROR),
        "warnings": count(diagnostics, Severity.WARNING),
        "infos": count(diagnostics, Severity.INFO),
    }


#: What a text report never prints raw: C0 controls but tab (a newline would start a line of
#: its own, e.g. a forged `::error` workflow command), DEL, C1 controls, the Unicode line
#: separators, bidirectional overrides (text shown in another order than it is) and lone
#: surrogates. Each is shown as a Python-style escape (`\n`, `\x1b`, `\u202e`). A pattern
#: string, compiled (by `re`) when first used: its Unicode ranges take 0.7 ms, and a clean
#: run prints nothing.
_UNSAFE_TEXT = "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape_text(text: str) -> str:
    """`text` safe to print on a terminal or in a CI log, one line whatever it holds."""
    unsafe = re.compile(_UNSAFE_TEXT)
    return unsafe.sub(_escape_char, text) if unsafe.search(text) else text


def _safe(d: Diagnostic) -> Diagnostic:
    """`d` with every user-controlled string escaped (the file, the message, the hint)."""
    unsafe = (d.span.file, d.message, d.hint or "", *d.detail)
    if not any(re.search(_UNSAFE_TEXT, text) for text in unsafe):
        return d
    return replace(
        d,
        message=escape_text(d.message),
        span=replace(d.span, file=escape_text(d.span.file)),
        hint=escape_text(d.hint) if d.hint else d.hint,
        detail=tuple(escape_text(item) for item in d.detail),
    )


def format_text(diagnostics: Sequence[Diagnostic], *, quiet_summary: bool = False) -> str:
    lines = [_safe(d).format_text() for d in diagnostics]
    if not quiet_summary:
        s = summary(diagnostics)
        if diagnostics:
            lines.append(
                f"{s['errors']} error(s), {s['warnings']} warning(s), {s['infos']} info(s)"
            )
    return "\n".join(lines) + ("\n" if lines else "")


def as_dict(d: Diagnostic) -> dict[str, Any]:
    out = {
        "code": d.code,
        "name": d.name,
        "severity": str(d.severity),
        "message": d.message,
        "file": d.span.file,
        "line": d.span.line,
        "column": d.span.col,
        "aliases": list(d.aliases),
        "related": [{"file": r.file, "line": r.line, "column": r.col} for r in d.related],
    }
    if d.detail:
        out["detail"] = list(d.detail)
    return out


def format_json(diagnostics: Sequence[Diagnostic]) -> str:
    return (
        json.dumps(
            {"diagnostics": [as_dict(d) for d in diagnostics], "summary": summary(diagnostics)},
            indent=2,
        )
        + "\n"
    )


def _github_escape(text: str, *, prop: bool = False) -> str:
    """A workflow command's value: GitHub's percent-encoding, other controls as escapes."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return escape_text(text)  # an ESC or a bidi override must not reach the log raw


def format_github(diagnostics: Sequence[Diagnostic]) -> str:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    out = []
    for d in diagnostics:
        props = (
            f"file={_github_escape(d.span.file, prop=True)},line={d.span.line},"
            f"col={d.span.col},title={_github_escape(d.code + ' ' + d.name, prop=True)}"
        )
        out.append(f"::{level[d.severity]} {props}::{_github_escape(d.message)}")
    return "\n".join(out) + ("\n" if out else "")


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _sarif_rule(rule: CodeInfo | tuple[str, str, str]) -> dict[str, Any]:
    """A SARIF reportingDescriptor; a catalogue entry also brings its documentation."""
    if not isinstance(rule, CodeInfo):
        code, name, text = rule
        return {"id": code, "name": name, "shortDescription": {"text": text}}
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
    }
    if rule.aliases:
        descriptor["properties"] = {"aliases": list(rule.aliases)}
    return descriptor


def format_sarif(
    diagnostics: Sequence[Diagnostic],
    *,
    rules: Sequence[CodeInfo | tuple[str, str, str]] = (),
) -> str:
    """SARIF 2.1.0 with a rule for every entry of `rules` and every code that was reported.

    `rules` are catalogue entries (their documentation becomes the rule's full description
    and help) or bare (code, name, short description) triples.
    """
    from meshgen import __version__

    known = {rule[0] if isinstance(rule, tuple) else rule.code: _sarif_rule(rule) for rule in rules}
    for d in diagnostics:
        known.setdefault(d.code, _sarif_rule((d.code, d.name, d.name)))
    rule_ids = sorted(known)
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": rule_ids.index(d.code),
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [_location(d.span.file, d.span.line, d.span.col)],
        }
        if d.related:
            result["relatedLocations"] = [
                {"id": i, **_location(r.file, r.line, r.col)} for i, r in enumerate(d.related)
            ]
        if d.detail:
            result["properties"] = {"detail": list(d.detail)}
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "meshgen",
                        "version": __version__,
                        "informationUri": "https://example.invalid/meshgen",
                        "rules": [known[code] for code in rule_ids],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def artifact_uri(file: str) -> str:
    """A shown path as a SARIF `artifactLocation.uri` (RFC 3986).

    A relative reference, or a `file:` URI for an absolute path; anything but unreserved
    characters, sub-delimiters, `:`, `@` and `/` is percent-encoded (UTF-8), so
    `my infra#1/` stays a path.
    """
    from urllib.parse import quote

    if file.startswith("/"):
        return "file://" + quote(file, safe=_PATH_SAFE)
    uri = quote(file, safe=_PATH_SAFE)
    # a colon in the first segment would read as a scheme (`c:x/m.yaml`)
    return f"./{uri}" if ":" in uri.split("/", 1)[0] else uri


_PATH_SAFE = "/!$&'()*+,;=:@"


def _location(file: str, line: int, col: int) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(file)},
            "region": {"startLine": max(line, 1), "startColumn": max(col, 1)},
        }
    }


def render(diagnostics: Sequence[Diagnostic], fmt: str, **kwargs: Any) -> str:
    if fmt == "json":
        return format_json(diagnostics)
    if fmt == "sarif":
        return format_sarif(diagnostics, **kwargs)
    if fmt == "github":
        return format_github(diagnostics)
    return format_text(diagnostics)
