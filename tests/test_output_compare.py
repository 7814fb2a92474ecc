"""`output._holds`: the chunked comparison behind the drift plan reads files as read_text does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen import output


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab\né€😀\r "), max_size=60),
    st.text(alphabet=st.sampled_from("ab\né€😀\r "), max_size=60),
    st.integers(1, 7),
)
def test_holds_agrees_with_read_text(file_text: str, text: str, chunk: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.yaml"
        path.write_bytes(file_text.encode("utf-8"))
        expected = path.read_text(encoding="utf-8", errors="replace") == text
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(output, "_CHUNK", chunk)
            assert output._holds(path, (text,)) is expected
            assert output._holds(path, (text[:3], "", text[3:])) is expected
            assert output._holds(path, (path.read_text(encoding="utf-8"),)) is True


def test_holds_is_false_for_a_missing_file(tmp_path: Path) -> None:
    assert output._holds(tmp_path / "missing.yaml", ("",)) is False


def test_unchanged_files_are_released_and_never_read_back_behind_the_callers_back(
    tmp_path: Path,
) -> None:
    """After a disk check, files the tree holds drop their text; asking for it is an error."""
    import shutil

    import pytest

    from meshgen import api
    from meshgen.render.files import ReleasedTextError

    from .conftest import INFRA_CONFIG

    project_dir = tmp_path / "infra"
    shutil.copytree(INFRA_CONFIG.parent, project_dir)
    config = project_dir / INFRA_CONFIG.name
    fresh = api.load_project(config)
    texts = {f.path: f.text for f in fresh.files}
    stale = fresh.files[0]
    (fresh.output_dir / stale.path).write_text("# edited\n")  # type: ignore[operator]

    project = api.load_project(config)
    api.validate_project(project, disk=True)
    assert project.plan is not None
    released = [f for f in project.files if f.released]
    assert {f.path for f in released} == set(texts) - {stale.path}
    assert all(f.parts == () for f in released)
    for rendered in released:
        # The tree on disk may change after the plan: a released file never reads it.
        with pytest.raises(ReleasedTextError):
            _ = rendered.text
    assert {f.path for f in project.plan.unchanged} == {f.path for f in released}
    assert all(f.released for f in project.plan.unchanged)
    kept = next(f for f in project.files if f.path == stale.path)
    assert not kept.released and kept.text == texts[stale.path]
    assert [f.path for f in project.plan.update] == [stale.path]
    # The renders the caller holds are untouched values: `fresh` still has every text.
    assert all(not f.released and f.text == texts[f.path] for f in fresh.files)


def test_a_finding_in_a_released_file_still_gets_its_position() -> None:
    """Positions in a released file come from the reader the API hands the context."""
    from meshgen.checks.context import CheckContext
    from meshgen.render.files import RenderedFile

    text = "a:\n  b: 1\n"
    rendered = RenderedFile("values/x.yaml", (text,), ({"a": {"b": 1}},)).release()
    ctx = CheckContext(files=[rendered], output_dir="tree")
    assert str(ctx.rendered_span("values/x.yaml", ("a", "b"))) == "tree/values/x.yaml:1:1"
    ctx = CheckContext(files=[rendered], output_dir="tree")
    ctx.released_text = lambda rel: text if rel == "values/x.yaml" else None
    assert str(ctx.rendered_span("values/x.yaml", ("a", "b"))) == "tree/values/x.yaml:2:6"


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=40)
    | st.text(alphabet=st.sampled_from("ab\né€😀\r "), max_size=40).map(str.encode),
    st.lists(st.text(alphabet=st.sampled_from("ab\né€😀\r "), max_size=12), max_size=4),
    st.integers(1, 7),
)
def test_the_bytes_fast_path_holds_exactly_the_utf8_of_the_text(
    data: bytes, parts: list[str], chunk: int
) -> None:
    """`_holds_bytes` accepts a file exactly when its bytes are the joined parts' UTF-8 and
    they hold no CR (a large file chunk by chunk); the file then reads as the text."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.yaml"
        for written in (data, "".join(parts).encode("utf-8")):
            path.write_bytes(written)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(output, "_CHUNK", chunk)
                same = output._holds_bytes(path, parts)
            text = "".join(parts)
            assert same is (written == text.encode("utf-8") and "\r" not in text)
            if same:
                assert path.read_text(encoding="utf-8", errors="replace") == text


def test_a_folder_in_place_of_the_file_holds_nothing(tmp_path: Path) -> None:
    """As `read_text` would fail on it, both paths refuse a folder."""
    (tmp_path / "dir.yaml").mkdir()
    assert output._holds_bytes(tmp_path / "dir.yaml", ("",)) is False
    assert output._holds(tmp_path / "dir.yaml", ("",)) is False


_NAMES = st.sampled_from(["a", "b", "c.yaml"])


@settings(max_examples=120, deadline=None)
@given(
    st.dictionaries(
        st.lists(_NAMES, min_size=1, max_size=3).map("/".join),
        st.sampled_from(["folder", "file", "link"]),
        max_size=6,
    ),
    st.lists(st.lists(_NAMES, min_size=1, max_size=4).map("/".join), min_size=1, max_size=12),
)
def test_unsafe_path_in_one_pass_says_what_each_path_alone_says(
    tree: dict[str, str], queries: list[str]
) -> None:
    """The folders a pass remembers (`sound`) never change a verdict."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "out"
        root.mkdir()
        for rel, kind in sorted(tree.items()):
            target = root / rel
            if any(p.exists() and not p.is_dir() for p in target.parents) or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if kind == "folder":
                target.mkdir()
            elif kind == "file":
                target.write_text("x")
            else:
                target.symlink_to(folder)
        sound: set[str] = set()
        for rel in queries:
            alone = output.unsafe_path(root, rel)
            assert output.unsafe_path(root, rel, sound=sound) == alone, (rel, sorted(sound))
