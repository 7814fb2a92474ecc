"""The loader: every problem in a config is a coded diagnostic at the right line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshgen.load.config import load_config, load_text


def _diags(text: str) -> list[tuple[str, int, int, str]]:
    result = load_text(text, "meshgen.yaml")
    return [(d.code, d.span.line, d.span.col, d.message) for d in result.diagnostics]


def test_unknown_key_has_a_suggestion_and_points_at_the_key() -> None:
    text = "istio:\n  version: 1.30.3\n  acessLogging:\n    enabled: true\n"
    assert _diags(text) == [
        ("C004", 3, 3, "unknown key 'acessLogging' in istio (did you mean 'accessLogging'?)")
    ]


def test_unknown_key_without_a_close_match_lists_the_allowed_keys() -> None:
    [(code, line, col, message)] = _diags("istio:\n  version: 1.30.3\nzzz: 1\n")
    assert (code, line, col) == ("C004", 3, 1)
    assert "allowed: checks, gateways, istio, monitoring, namespaces, output, services, telemetry" in message


def test_wrong_type_points_at_the_value() -> None:
    text = "istio:\n  version: 1.30.3\nservices:\n  - name: api\n    namespace: apps\n    chart: c\n    port: http\n"
    assert _diags(text) == [
        (
            "C005",
            7,
            11,
            "services[0].port: Input should be a valid integer, unable to parse string as an integer",
        )
    ]


def test_enum_error_inside_a_telemetry_override() -> None:
    text = (
        "istio: {version: 1.30.3}\n"
        "telemetry:\n"
        "  resources:\n"
        "    - name: t\n"
        "      metrics:\n"
        "        - overrides:\n"
        "            - match: {metric: REQUEST_COUNTS}\n"
    )
    [(code, line, col, message)] = _diags(text)
    assert (code, line, col) == ("C005", 7, 31)
    assert "REQUEST_COUNT" in message


def test_missing_required_key_points_at_the_parent() -> None:
    assert _diags("istio:\n  namespace: istio-system\n") == [
        ("C006", 2, 3, "missing required key 'version' in istio")
    ]


def test_duplicate_key() -> None:
    assert _diags("istio:\n  version: 1.30.3\n  version: 1.29.6\n") == [
        ("C003", 3, 3, "duplicate key 'version'")
    ]


def test_tab_indentation() -> None:
    [(code, line, _col, message)] = _diags("istio:\n\tversion: 1.30.3\n")
    assert (code, line) == ("C002", 2)
    assert "tab" in message


def test_syntax_error_position() -> None:
    [(code, line, _col, _)] = _diags("istio:\n  version: [1.30.3\n")
    assert code == "C002" and line == 3


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just a string\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    [(code, line, col, _)] = _diags(text)
    assert (code, line, col) == ("C008", 1, 1)


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    result = load_text("\n".join(lines) + "\n", "meshgen.yaml")
    assert [d.code for d in result.diagnostics] == ["C007"]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = load_config(tmp_path / "nope.yaml")
    assert [d.code for d in missing.diagnostics] == ["C001"] and missing.unreadable
    directory = load_config(tmp_path)
    assert [d.code for d in directory.diagnostics] == ["C001"]
    assert "is a directory" in directory.diagnostics[0].message


def test_invalid_utf8_position(tmp_path: Path) -> None:
    path = tmp_path / "meshgen.yaml"
    path.write_bytes(b"istio:\n  version: 1.30\xff.3\n")
    [d] = load_config(path).diagnostics
    assert (d.code, d.span.line, d.span.col) == ("C002", 2, 16)
    assert "0xff" in d.message


def test_nul_byte(tmp_path: Path) -> None:
    [(code, line, col, message)] = _diags("istio:\n  version: 1.3\x000.3\n")
    assert (code, line, col) == ("C002", 2, 15) and "NUL" in message


def test_dates_stay_strings() -> None:
    result = load_text("istio:\n  version: 2024-01-01\n", "meshgen.yaml")
    assert result.config is not None and result.config.istio.version == "2024-01-01"


def test_source_map_knows_every_key() -> None:
    text = "istio:\n  version: 1.30.3\nnamespaces:\n  - name: a\n    labels:\n      team: x\n"
    result = load_text(text, "meshgen.yaml")
    assert str(result.source.lookup(("namespaces", 0, "labels", "team"))) == "meshgen.yaml:6:13"
    assert (
        str(result.source.lookup(("namespaces", 0, "labels", "team"), key=True))
        == "meshgen.yaml:6:7"
    )
    # unknown deeper paths fall back to the longest known prefix
    assert str(result.source.lookup(("namespaces", 0, "nope", 3))) == "meshgen.yaml:4:5"


@pytest.mark.parametrize(
    ("file", "setup", "message"),
    [
        ("dash/missing.json", None, "dashboard file dash/missing.json does not exist"),
        ("../outside.json", "outside", "is outside the config's folder"),
        ("/etc/hostname", None, "is outside the config's folder"),
        ("bad.json", "bad", "is not valid JSON: Expecting ',' delimiter"),
    ],
)
def test_dashboard_files_must_exist_inside_the_folder_and_parse(
    tmp_path: Path, file: str, setup: str | None, message: str
) -> None:
    from meshgen import api

    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "outside.json").write_text("{}")
    (root / "bad.json").write_text('{\n  "title": "x"\n  "panels": []\n}\n')
    config = root / "meshgen.yaml"
    config.write_text(
        "istio: {version: 1.30.3}\n"
        "monitoring:\n"
        "  grafana:\n"
        "    chartVersion: 12.11.1\n"
        "    dashboards:\n"
        f"      - {{name: d, file: {file!r}}}\n"
    )
    project = api.load_project(config)
    [d] = [d for d in project.diagnostics if d.code == "C009"]
    assert message in d.message
    if setup == "bad":
        assert (Path(d.span.file).name, d.span.line, d.span.col) == ("bad.json", 3, 3)
    else:
        assert (d.span.line, d.span.col) == (6, 25)
    assert d.severity.name == "ERROR"
