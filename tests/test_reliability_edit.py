"""Issue 12, the `meshgen telemetry ...` editor under attack: line endings, links, aliases,
repeated findings, broken configs, odd line ends, special files and exact numbers.

Each test runs the real CLI on real files in tmp_path.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.test_telemetry_edit import CONFIG

Run = Callable[..., CliResult]

BOM = b"\xef\xbb\xbf"


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


# --- 4. CRLF and a BOM are kept byte for byte -------------------------------------------


def test_crlf_file_keeps_every_cr_and_its_bom(tmp_path: Path, run_cli: Run) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_bytes(BOM + _crlf(CONFIG))
    result = run_cli("telemetry", "access-log", "on", "-c", str(config))
    assert result.code == 0, result
    expected = CONFIG.replace("    enabled: false\n", "    enabled: true\n")
    assert config.read_bytes() == BOM + _crlf(expected)
    changed = [
        line
        for line in result.out.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ["-    enabled: false", "+    enabled: true"]


def test_crlf_file_gets_crlf_on_added_lines(tmp_path: Path, run_cli: Run) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_bytes(_crlf(CONFIG))
    result = run_cli("telemetry", "buckets", "set", "1,2", "--service", "cart", "-c", str(config))
    assert result.code == 0, result
    expected = CONFIG + "    histogramBuckets:\n      istiocustom: [1, 2]\n"
    assert config.read_bytes() == _crlf(expected)


def test_cr_only_file_is_edited_with_cr_line_endings(tmp_path: Path, run_cli: Run) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_bytes(CONFIG.replace("\n", "\r").encode())
    result = run_cli("telemetry", "buckets", "set", "1,2", "--service", "cart", "-c", str(config))
    assert result.code == 0, result
    expected = CONFIG + "    histogramBuckets:\n      istiocustom: [1, 2]\n"
    assert config.read_bytes() == expected.replace("\n", "\r").encode()
    assert run_cli("validate", "--no-charts", "-c", str(config)).code == 0


def test_mixed_cr_only_and_lf_endings_are_refused(tmp_path: Path, run_cli: Run) -> None:
    config = tmp_path / "meshgen.yaml"
    before = (CONFIG.replace("\n", "\r", 1)).encode()
    config.write_bytes(before)
    result = run_cli("telemetry", "access-log", "on", "-c", str(config))
    assert result.code == 2, result
    assert "mixes CR-only line endings with LF or CRLF ones" in result.err
    assert config.read_bytes() == before


def test_a_sequence_added_to_a_config_without_one_is_valid(tmp_path: Path, run_cli: Run) -> None:
    # No block sequence to guess the indentation from: ruamel guessed the mapping indent.
    config = tmp_path / "meshgen.yaml"
    config.write_text("output: out\nistio:\n  version: 1.30.3\n", encoding="utf-8")
    result = run_cli("telemetry", "disable", "REQUEST_SIZE", "-c", str(config))
    assert result.code == 0, result
    assert "    - name: mesh-default\n      metrics:\n" in config.read_text(encoding="utf-8")
    assert run_cli("validate", "--no-charts", "-c", str(config)).code == 0


# --- 5. a symlinked config is written through, the link kept ---------------------------


def test_symlinked_config_is_written_through_to_its_target(tmp_path: Path, run_cli: Run) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "meshgen.yaml"
    target.write_text(CONFIG)
    target.chmod(0o640)
    link = tmp_path / "meshgen.yaml"
    link.symlink_to(Path("real") / "meshgen.yaml")
    result = run_cli("telemetry", "access-log", "on", "-c", str(link))
    assert result.code == 0, result
    assert link.is_symlink() and link.readlink() == Path("real") / "meshgen.yaml"
    assert target.read_text() == CONFIG.replace("enabled: false", "enabled: true")
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in real.iterdir()) == ["meshgen.yaml"], "no temp file left"


# --- 7. an edit never writes through a YAML alias ---------------------------------------

ALIASED = CONFIG.replace(
    "      metrics:\n        - providers: [{name: prometheus}]\n",
    "      metrics: &shared\n"
    "        - providers: [{name: prometheus}]\n"
    "    - name: shop-metrics\n"
    "      namespace: shop\n"
    "      metrics: *shared\n",
)
assert ALIASED != CONFIG


@pytest.mark.parametrize("scope", [("--namespace", "shop"), ()], ids=["alias", "anchor"])
def test_an_edit_through_a_yaml_alias_is_refused(
    tmp_path: Path, run_cli: Run, scope: tuple[str, ...]
) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(ALIASED)
    alias_line = ALIASED.splitlines().index("      metrics: *shared") + 1
    result = run_cli(
        "telemetry", "tag", "set", "REQUEST_COUNT", "model", "'x'", *scope, "-c", str(config)
    )
    assert result.code == 2, result
    assert "*shared" in result.err and f"line {alias_line}" in result.err, result.err
    assert config.read_text() == ALIASED


def test_an_edit_beside_an_alias_is_written(tmp_path: Path, run_cli: Run) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(ALIASED)
    result = run_cli("telemetry", "access-log", "on", "-c", str(config))
    assert result.code == 0, result
    assert config.read_text() == ALIASED.replace("enabled: false", "enabled: true")


# --- 8. a finding repeated by the edit is a new finding ---------------------------------

UNBOUNDED = CONFIG.replace(
    "        - providers: [{name: prometheus}]\n",
    "        - providers: [{name: prometheus}]\n"
    "          overrides:\n"
    "            - match: {metric: REQUEST_COUNT}\n"
    "              tagOverrides:\n"
    "                path: {value: request.path}\n",
)
assert UNBOUNDED != CONFIG


def test_a_second_identical_warning_is_new(tmp_path: Path, run_cli: Run) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(UNBOUNDED)
    before = run_cli("validate", "-c", str(config))
    assert before.out.count(" T116 ") == 1, before
    result = run_cli(
        "telemetry", "tag", "set", "REQUEST_COUNT", "path", "request.path",
        "--namespace", "shop", "-c", str(config),
    )  # fmt: skip
    assert result.code == 1, result
    assert "T116" in result.err and "left unchanged" in result.err
    assert config.read_text() == UNBOUNDED


# --- 9. a config that does not load is not edited --------------------------------------

MISSPELT = CONFIG.replace("  accessLogging:\n", "  acessLogging:\n")


@pytest.mark.parametrize(
    "args",
    [
        ("tag", "set", "REQUEST_COUNT", "model", "request.headers['x'] ==", "-n", "shop"),
        ("tag", "set", "REQUEST_COUNT", "path", "request.path"),
        ("tag", "set", "REQUEST_COUNT", "path", "request.path", "--workload", "app=cart"),
        ("tracing", "sample", "5"),
    ],
)
def test_a_config_with_a_model_error_is_not_edited(
    tmp_path: Path, run_cli: Run, args: tuple[str, ...]
) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(MISSPELT)
    result = run_cli("telemetry", *args, "-c", str(config))
    assert result.code == 2, result
    assert " C004 " in result.out and "acessLogging" in result.out, result
    assert "must load before it can be edited" in result.err
    assert config.read_text() == MISSPELT


# --- 10. no final newline, trailing spaces ----------------------------------------------


def test_an_edit_after_a_last_line_without_newline(tmp_path: Path, run_cli: Run) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(CONFIG.rstrip("\n"))
    result = run_cli("telemetry", "buckets", "set", "5,6", "--service", "cart", "-c", str(config))
    assert result.code == 0, result
    expected = CONFIG + "    histogramBuckets:\n      istiocustom: [5, 6]"
    assert config.read_text() == expected
    assert result.out.endswith(
        '-    version: "1.0.0"\n\\ No newline at end of file\n'
        '+    version: "1.0.0"\n'
        "+    histogramBuckets:\n"
        "+      istiocustom: [5, 6]\n\\ No newline at end of file\n"
    ), result.out
    assert run_cli("validate", "-c", str(config)).code == 0


def test_trailing_spaces_do_not_displace_an_edit(tmp_path: Path, run_cli: Run) -> None:
    spaced = "".join(line + "  \n" for line in CONFIG.splitlines())
    config = tmp_path / "meshgen.yaml"
    config.write_text(spaced)
    result = run_cli("telemetry", "access-log", "on", "-c", str(config))
    assert result.code == 0, result
    assert config.read_text() == spaced.replace("enabled: false  \n", "enabled: true\n")
    result = run_cli("telemetry", "buckets", "set", "5,6", "-c", str(config))
    assert result.code == 0, result
    assert "    istiocustom: [5, 6]\n" in config.read_text()
    assert "[10, 100, 1000]" not in config.read_text()
    assert run_cli("validate", "-c", str(config)).code == 0


# --- 19. special files: every telemetry command gives C001, nothing blocks --------------

TELEMETRY_COMMANDS = [
    ("show",),
    ("show", "--workload", "app=cart"),
    ("access-log", "on"),
    ("tag", "set", "REQUEST_COUNT", "model", "'x'", "--workload", "app=cart"),
    ("disable", "REQUEST_SIZE", "-n", "shop"),
    ("buckets", "set", "1,2"),
    ("tracing", "sample", "5"),
]


@pytest.mark.parametrize("args", TELEMETRY_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_telemetry_on_a_special_file_is_c001(
    tmp_path: Path, run_cli: Run, args: tuple[str, ...], special: str
) -> None:
    if special == "fifo":
        path = tmp_path / "meshgen.yaml"
        os.mkfifo(path)
    else:
        path = Path(special)
    outcome: list[CliResult] = []
    worker = threading.Thread(
        target=lambda: outcome.append(run_cli("telemetry", *args, "-c", str(path))), daemon=True
    )
    worker.start()
    worker.join(20)
    if worker.is_alive():  # unblock the reader so the test run can end
        if special == "fifo":
            with path.open("wb"):
                pass
        pytest.fail(f"`meshgen telemetry {' '.join(args)}` blocked on {special}")
    assert outcome, "the command raised"
    result = outcome[0]
    assert result.code == 2, result
    assert " C001 " in result.out and "not a regular file" in result.out, result


# --- 24. bucket bounds are exact -------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "written"),
    [
        ("1,1e20", "[1, 1e20]"),
        ("1,9007199254740993", "[1, 9007199254740993]"),
        ("0.5,2.50,1.5E3", "[0.5, 2.50, 1.5E3]"),
        ("1e-3, 010, +20", "[1e-3, 10, 20]"),
    ],
)
def test_bucket_bounds_are_written_exactly(
    tmp_path: Path, run_cli: Run, bounds: str, written: str
) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(CONFIG)
    result = run_cli("telemetry", "buckets", "set", bounds, "--force", "-c", str(config))
    assert result.code == 0, result
    assert config.read_text() == CONFIG.replace("[10, 100, 1000]", written)
    assert " C002 " not in result.err


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ("1,100000000000000000000", "bucket bound 100000000000000000000 is outside"),
        ("1,1e400", "bucket bound 1e400 is too large"),
        ("1,nan", "bucket bound 'nan' is not a finite number"),
        ("1,inf", "bucket bound 'inf' is not a finite number"),
        ("1,0x10", "bounds must be numbers separated by commas"),
    ],
)
def test_out_of_range_bucket_bounds_are_a_clear_usage_error(
    tmp_path: Path, run_cli: Run, bounds: str, message: str
) -> None:
    config = tmp_path / "meshgen.yaml"
    config.write_text(CONFIG)
    result = run_cli("telemetry", "buckets", "set", bounds, "-c", str(config))
    assert result.code == 2, result
    assert message in result.err, result.err
    assert "64-bit range helm reads" not in result.out + result.err
    assert config.read_text() == CONFIG


def test_a_change_inside_lines_ruamel_respells_replaces_them_all() -> None:
    from meshgen.edit.roundtrip import apply_minimal

    # One original line that the dump folds into two: a change to the second must replace
    # the original line, not be added beside it (which kept the old value: a C003).
    original = "a: 1  \nk: 'aaa bbb'\nz: 2\n"
    baseline = "a: 1\nk: 'aaa\n  bbb'\nz: 2\n"
    edited = "a: 1\nk: 'aaa\n  ccc'\nz: 2\n"
    assert apply_minimal(original, baseline, edited) == "a: 1  \nk: 'aaa\n  ccc'\nz: 2\n"
    # an edit beside the group keeps its original spelling
    edited = "a: 1\nk: 'aaa\n  bbb'\nz: 3\n"
    assert apply_minimal(original, baseline, edited) == "a: 1  \nk: 'aaa bbb'\nz: 3\n"


def test_an_edit_is_not_written_over_a_change_made_meanwhile(tmp_path: Path) -> None:
    """Two edits at once: the second writer finds the file changed and writes nothing."""
    from meshgen import api

    config = tmp_path / "meshgen.yaml"
    config.write_text(CONFIG)
    first = api.edit_config(
        config, api.set_disabled(api.scope(config, None, None), "REQUEST_SIZE", None, True)
    )
    second = api.edit_config(
        config, api.set_disabled(api.scope(config, None, None), "RESPONSE_SIZE", None, True)
    )
    api.write_config(first)
    assert config.read_text() == first.updated
    with pytest.raises(api.UsageError, match="changed while it was being edited"):
        api.write_config(second)
    assert config.read_text() == first.updated  # the first change is kept
