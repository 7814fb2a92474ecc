"""The hostile-input corpus (tests/hostile/cases.yaml), run through the real CLI entry.

Every rejected input ends in exit 1 or 2 with a coded diagnostic, no traceback and no
internal (X) code, within a time bound, leaving every file in its folder untouched. Every
hostile string in a field that accepts it is rendered exactly as written, as data.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from meshgen.render.files import split_header
from tests.grafana_reads import grafana_reads

HERE = Path(__file__).parent
MANIFEST: dict[str, Any] = YAML(typ="safe").load((HERE / "cases.yaml").read_text(encoding="utf-8"))
#: Seconds one command may take on a hostile input (generous: CI runs on 2 shared cores).
TIME_BOUND = 5.0
BASELINE = """\
istio: {version: 1.30.3}
namespaces: [{name: apps}]
services: [{name: api, namespace: apps, chart: ./c, values: {note: baseline}}]
"""
CODE = re.compile(r": ([A-Z]\d{3}) ")
GO_ESCAPE = "{{`{{`}}"

VALID_IF: dict[str, Callable[[str], bool]] = {
    "namespace name": re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?").fullmatch,  # type: ignore[dict-item]
    "service name": re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?").fullmatch,  # type: ignore[dict-item]
    "telemetry name": re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?").fullmatch,  # type: ignore[dict-item]
    "label value": re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?").fullmatch,  # type: ignore[dict-item]
    "pod version label": re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]").fullmatch,  # type: ignore[dict-item]
    "grafana admin Secret name": re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?").fullmatch,  # type: ignore[dict-item]
}


# --- generated inputs ------------------------------------------------------------------


def alias_bomb(root: str = "") -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghi"
    for prev, cur in itertools.pairwise(names):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    body = "\n".join(lines) + "\n"
    if not root:
        return "istio: {version: 1.30.3}\n" + body
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    return f"istio:\n  version: 1.30.3\n  {root}:\n{indented}"


GENERATORS: dict[str, Callable[[], str]] = {
    "alias_bomb": alias_bomb,
    "alias_bomb_in_values": lambda: alias_bomb("values"),
    "deep_flow": lambda: "istio: " + "[" * 20_000 + "]" * 20_000 + "\n",
    "unclosed_flow": lambda: "istio: " + "{a: [" * 300_000 + "\n",
    "deep_block": lambda: (
        "istio:\n  version: 1.30.3\n  values:\n"
        + "".join("  " * (i + 2) + f"k{i}:\n" for i in range(100))
        + "  " * 102
        + "leaf: 1\n"
    ),
    "huge_name": lambda: "istio: {version: 1.30.3}\nnamespaces: [{name: " + "a" * 300_000 + "}]\n",
    "oversized": lambda: "istio: {version: 1.30.3}\n# " + "x" * 3_000_000 + "\n",
}


# --- helpers -------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under root: kind and content (file bytes, link target), no link followed."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = ("link", str(path.readlink()))
            elif path.is_dir():
                found[rel] = ("dir", "")
            elif path.is_file():
                found[rel] = ("file", path.read_bytes())
            else:
                found[rel] = ("other", "")
    return found


@pytest.fixture(scope="module")
def baseline_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with an already rendered tree, copied into each case's folder."""
    from meshgen.cli import main

    root = tmp_path_factory.mktemp("baseline")
    (root / "meshgen.yaml").write_text(BASELINE, encoding="utf-8")
    (root / "c").mkdir()  # the local chart the configs name (`chart: ./c`)
    (root / "c" / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    assert main(["render", "-c", str(root / "meshgen.yaml")]) == 0
    assert (root / "deployment" / "helmfile" / "helmfile.yaml").is_file()
    return root


@pytest.fixture
def project(tmp_path: Path, baseline_tree: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "project"
    shutil.copytree(baseline_tree, root, symlinks=True)
    monkeypatch.chdir(root)
    yield root


Run = tuple[int, str, float]


@pytest.fixture
def meshgen(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    from meshgen.cli import main

    def run(*args: str) -> Run:
        capsys.readouterr()
        start = time.perf_counter()
        code = main(list(args))
        elapsed = time.perf_counter() - start
        captured = capsys.readouterr()
        return code, captured.out + captured.err, elapsed

    return run


def assert_clean_refusal(result: Run, exit_code: int, codes: list[str], what: str) -> None:
    code, output, elapsed = result
    assert "Traceback" not in output, f"{what}: traceback\n{output[:2000]}"
    assert code != 3, f"{what}: internal error\n{output[:2000]}"
    assert code == exit_code, f"{what}: exit {code}, wanted {exit_code}\n{output[:2000]}"
    found = set(CODE.findall(output))
    assert found, f"{what}: no coded diagnostic\n{output[:2000]}"
    assert set(codes) <= found, f"{what}: codes {sorted(found)}, wanted {codes}"
    internal = {c for c in found if c.startswith("X")}
    assert not internal, f"{what}: internal diagnostics {internal}\n{output[:2000]}"
    assert elapsed < TIME_BOUND, f"{what}: took {elapsed:.1f}s"


def refuse_everywhere(
    meshgen: Callable[..., Run], root: Path, config: Path, exit_code: int, codes: list[str]
) -> None:
    """`validate` and `render` both refuse, and nothing under root changes."""
    before = snapshot(root)
    assert_clean_refusal(meshgen("validate", "-c", str(config)), exit_code, codes, "validate")
    assert_clean_refusal(meshgen("render", "-c", str(config)), exit_code, codes, "render")
    assert snapshot(root) == before, "a refused input changed files on disk"


def unescape_tpl(text: str) -> str:
    """What the chart's `tpl` makes of meshgen's escaped text (only the escape is allowed)."""
    assert "{{" not in text.replace(GO_ESCAPE, ""), f"unescaped template braces in {text!r}"
    return text.replace(GO_ESCAPE, "{{")


def rendered_value(body: str, path: list[Any], *, yaml_11: bool) -> Any:
    """The value at `path` of the single document in `body`, read as YAML 1.2 or 1.1."""
    text = ("%YAML 1.1\n---\n" + body) if yaml_11 else body
    node = YAML(typ="safe", pure=True).load(text)
    for part in path:
        node = node[part]
    return node


# --- the rejected corpus ---------------------------------------------------------------


@pytest.mark.parametrize("case", MANIFEST["rejected"], ids=lambda c: c["name"])
def test_rejected(case: dict[str, Any], project: Path, meshgen: Callable[..., Run]) -> None:
    config = project / "meshgen.yaml"
    special = case.get("special")
    if special == "directory":
        config = project / "config-dir"
        config.mkdir()
    elif special == "missing":
        config = project / "nope.yaml"
    elif special == "fifo":
        config = project / "config.fifo"
        os.mkfifo(config)
    elif special == "unreadable":
        config.chmod(0)
        if os.access(config, os.R_OK):
            config.chmod(0o644)
            pytest.skip(
                "running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop reading"
            )
    elif "config_bytes" in case:
        raw = case["config_bytes"].encode("latin-1").decode("unicode_escape").encode("latin-1")
        config.write_bytes(raw)
    elif "generate" in case:
        config.write_text(GENERATORS[case["generate"]](), encoding="utf-8")
    else:
        config.write_text(case["config"].replace("@BIGINT@", "9" * 100_000), encoding="utf-8")
    try:
        refuse_everywhere(meshgen, project, config, case["exit"], case["codes"])
    finally:
        if special == "unreadable":
            config.chmod(0o644)


# --- hostile strings in every free-text field --------------------------------------------


def _matrix() -> list[Any]:
    params = []
    for field in MANIFEST["fields"]:
        for index, text in enumerate(MANIFEST["strings"]):
            params.append(pytest.param(field, text, id=f"{field['name']}-{index}"))
    return params


def _write_field_config(field: dict[str, Any], text: str, root: Path) -> Path:
    config = root / "meshgen.yaml"
    config.write_text(field["config"].replace("@S@", json.dumps(text)), encoding="utf-8")
    if field.get("dashboard"):
        board = {"title": text, "panels": [{"targets": [{"expr": "up", "legendFormat": text}]}]}
        (root / "d.json").write_text(json.dumps(board, indent=2) + "\n", encoding="utf-8")
    return config


def _assert_lands(
    meshgen: Callable[..., Run], root: Path, config: Path, spec: dict[str, Any], text: str
) -> None:
    code, output, elapsed = meshgen("render", "-c", str(config))
    assert code == 0 and "Traceback" not in output, output[:2000]
    assert elapsed < TIME_BOUND
    rendered = (root / "deployment" / "helmfile" / spec["file"]).read_text(encoding="utf-8")
    generated, _, body = split_header(rendered)
    assert generated
    if spec.get("dashboard"):
        wanted: Any = (root / "d.json").read_text(encoding="utf-8")
    else:
        wanted = text
    path = [text if part == "@S@" else part for part in spec["path"]]
    for yaml_11 in (False, True):
        if spec.get("key"):  # the string is a key: it must read back as that very key
            parent = rendered_value(body, path[:-1], yaml_11=yaml_11)
            assert path[-1] in parent, (path[-1], list(parent))
            continue
        got = rendered_value(body, path, yaml_11=yaml_11)
        assert isinstance(got, str), f"{got!r} is not a string (YAML 1.{1 if yaml_11 else 2})"
        if spec.get("tpl"):
            got = unescape_tpl(got)
        if spec.get("grafana"):
            got = grafana_reads(got)
        if spec.get("suffix"):
            assert got.endswith(wanted), (got, wanted)
        else:
            assert got == wanted, (got, wanted)


@pytest.mark.parametrize(("field", "text"), _matrix())
def test_hostile_string(
    field: dict[str, Any], text: str, project: Path, meshgen: Callable[..., Run]
) -> None:
    config = _write_field_config(field, text, project)
    if "rejected" in field:
        valid = VALID_IF.get(field["name"])
        if valid is not None and valid(text):
            code, output, _ = meshgen("validate", "-c", str(config))
            assert code == 0, f"a valid value was refused\n{output[:2000]}"
            return
        spec = field["rejected"]
        refuse_everywhere(meshgen, project, config, spec["exit"], spec["codes"])
    elif "lands" in field:
        code, output, _ = meshgen("validate", "-c", str(config))
        assert code == 0, f"a valid value was refused\n{output[:2000]}"
        _assert_lands(meshgen, project, config, field["lands"], text)
    else:
        code, output, _ = meshgen("validate", "-c", str(config))
        if code == 0:
            _assert_lands(meshgen, project, config, field["lands_or_rejected"], text)
        else:
            refuse_everywhere(meshgen, project, config, code, [])


def test_corpus_size() -> None:
    """The corpus keeps its breadth: a shrinking corpus is a regression."""
    assert len(MANIFEST["rejected"]) >= 45
    assert len(MANIFEST["strings"]) * len(MANIFEST["fields"]) >= 300
