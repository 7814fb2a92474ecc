"""The direct YAML writer (`yaml_writer._fast_dump_parts`) writes exactly what ruamel writes.

`yaml_writer.dump` takes the direct path for ordinary documents and ruamel's emitter for the
rest; these tests hold the direct path to ruamel's bytes on hostile data, and check that
rendering really takes it (so the speed-up cannot silently stop applying).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meshgen import api
from meshgen.load import yaml_reader
from meshgen.render import yaml_writer

ROOT = Path(__file__).parent.parent


def ruamel_text(data: Any) -> str:
    """What ruamel's emitter alone writes (no direct writer, no spliced blocks)."""
    stream = io.StringIO()
    yaml_writer._writer().dump(data, stream)
    return stream.getvalue()


def assert_same_as_ruamel(data: Any) -> str | None:
    pieces = yaml_writer._fast_dump_parts(data)
    fast = None if pieces is None else "".join(pieces)
    if fast is not None:
        assert fast == ruamel_text(data)
        assert fast == yaml_writer._ruamel_dump(data)
    assert yaml_writer.dump(data) == yaml_writer._ruamel_dump(data)
    return fast


NASTY = [
    "",
    " ",
    "a",
    "-",
    "- x",
    "-x",
    "?",
    "? x",
    ":",
    ":x",
    "a:",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#a",
    "---",
    "--- x",
    "...",
    "..x",
    "x y",
    " x",
    "x ",
    "it's",
    " it's",
    "'q'",
    '"q"',
    'a"b',
    "a\\b",
    '{a="b"}',
    "[1, 2]",
    "{{ x }}",
    "{% if %}",
    "&a",
    "*a",
    "!tag",
    "|",
    ">",
    "%x",
    "@x",
    "`x`",
    ",x",
    "x,y",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "=",
    "<<",
    "0",
    "1",
    "-1",
    "+1",
    "09",
    "0o17",
    "017",
    "0x1F",
    "0b101",
    "1_000",
    "1__",
    "_1",
    "1:20",
    "1:20:30.5",
    "1.0",
    "1.",
    ".5",
    "1e5",
    "1.5e-3",
    "-.inf",
    ".NaN",
    ".nan",
    "1.2.3",
    "2024-01-02",
    "2024-1-2 10:00:00",
    "2024-01-02T10:00:00Z x'y",
    "1.20.0",
    "30s",
    "8080:http",
    "http://prometheus:9090",
    "docker.io/istio/proxyv2:1.20.0",
    'sum(rate(istio_requests_total{reporter="destination"}[5m]))',
    "ünïcødé",
    "日本語",
    "emoji 🚀",
    "tab\there",
    "nul\x00",
    "bell\x07",
    "nel\x85",
    "ls\u2028",
    "ps\u2029",
    "bom\ufeff",
    "nbsp\xa0",
    "del\x7f",
    "cr\rlf",
    "priv\ue000",
    "a\nb",
    "a\nb\n",
    "a\nb\n\n",
    "\n",
    "\na",
    " a\nb",
    "a\n b",
    "a \nb",
    "a\n\nb",
    "yes\n",
    "1\n",
    "#c\n- x\n",
    "--- \n...",
    "a\n\tb",
]


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Draw from each strategy `weight` times as often (one_of would flatten the weights)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


def containers(
    children: st.SearchStrategy[Any], keys: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, min_size=1, max_size=3).map(tuple),
        st.dictionaries(keys, children, max_size=4),
    )


def documents(
    leaves: st.SearchStrategy[Any], keys: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    leaves = st.one_of(leaves, st.just([]), st.just({}))
    trees = st.recursive(leaves, lambda inner: containers(inner, keys), max_leaves=12)
    return containers(trees, keys)


ONE_LINE = [value for value in NASTY if "\n" not in value]
MULTI_LINE = [value for value in NASTY if "\n" in value]
plain_words = st.from_regex(r"[A-Za-z0-9_.:/#'\"\-{}\[\]@ ]{1,12}", fullmatch=True)
# Lines a literal block can hold: no trailing blank (leading ones are fine after line 1).
block_lines = st.from_regex(
    r"(?:[A-Za-z0-9_.:/#'\"\-{}\[\]@ ]{0,11}[A-Za-z0-9:#'\-{}])?", fullmatch=True
)
# Keys as rendered data has them (`matchLabels`, `app.kubernetes.io/name`).
identifiers = st.from_regex(r"[a-z][a-zA-Z0-9_./-]{0,12}", fullmatch=True)
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=16)
unicode_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Co", "Cn")),
    max_size=16,
)
one_line = weighted(
    (2, st.sampled_from(ONE_LINE)),
    (2, unicode_text),
    (2, plain_words),
    (1, st.builds(lambda a, b: a + b, st.sampled_from(ONE_LINE), plain_words)),
    (1, st.builds(lambda a, b: a + b, plain_words, st.sampled_from(ONE_LINE))),
)


def literal_blocks(lines: int) -> st.SearchStrategy[str]:
    """Multi-line text `_str_representer` makes a `|` or `|-` block."""
    return st.builds(
        lambda first, rest, end: "\n".join([first, *rest]) + end,
        plain_words.map(str.strip).filter(bool),
        st.lists(block_lines, min_size=lines, max_size=lines + 5),
        st.sampled_from(["", "\n"]),
    ).filter(lambda value: "\n" in value and not value.endswith("\n\n"))


# Around ruamel's width (4096), where it folds lines.
long_strings = st.builds(
    lambda word, n, tail: (word + " ") * n + tail,
    st.sampled_from(["x", "abc", "yes", "a:"]),
    st.integers(0, 1400),
    st.sampled_from(["", "z", "'", "\n"]),
)
numbers = st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.floats())
other_scalars = st.one_of(numbers, st.booleans(), st.none())

# Anything: the direct writer may refuse a document, but what it writes must be ruamel's.
hostile_strings = weighted(
    (4, one_line),
    (1, st.sampled_from(MULTI_LINE)),
    (1, st.lists(st.one_of(plain_words, st.sampled_from(NASTY)), max_size=5).map("\n".join)),
    (2, literal_blocks(0)),
    (1, texts),
    (1, long_strings),
    (1, st.lists(plain_words, min_size=200, max_size=400).map("\n".join)),
)
hostile_keys = weighted(
    (6, identifiers),
    (6, one_line),
    (1, hostile_strings),
    (1, st.integers(0, 30).map(lambda n: "k" * (95 + n))),
    (1, st.integers() | st.booleans() | st.none()),
)
hostile_documents = documents(st.one_of(hostile_strings, other_scalars), hostile_keys)

# What the direct writer promises to write itself: printable one-line strings (short
# enough not to fold), literal blocks (long ones too), numbers, booleans, null.
direct_one_line = weighted(
    (6, one_line.filter(str.isprintable)),
    (1, st.builds(lambda n, end: "ab " * n + end, st.integers(0, 1130), st.sampled_from("z '"))),
)
# Long blocks (`yaml_writer.LONG_BLOCK`) are also spliced into ruamel's text on the ruamel path.
long_literal_blocks = literal_blocks(5).map(lambda block: "ab " * 700 + "z\n" + block)
direct_strings = weighted((6, direct_one_line), (3, literal_blocks(0)), (1, long_literal_blocks))
direct_keys = weighted(
    (1, identifiers), (1, one_line.filter(lambda key: key.isprintable() and len(key) <= 100))
)
direct_documents = documents(weighted((3, direct_strings), (1, other_scalars)), direct_keys)


EXAMPLES = [
    {"a": 1, "b": {"c": [1, 2, {"d": 3, "e": [4]}], "f": []}, "g": {}, "h": None, "j": 1.5},
    [1, [2, [3, 4], {"x": 1}], {"a": [5, 6], "b": {"c": 1}}, [], {}],
    [[[1]]],
    {"a": [[{"b": 1, "c": 2}]]},
    {"a": "x\ny", "b": ["p\nq\n", {"c": "m\n"}], "d": [["u\nv"]]},
    {"x": float("nan"), "y": float("inf"), "z": -float("inf"), "w": 1e16, "v": 1e-5},
    {"a": ("x", ("y", {"z": ()}))},
    {"k" * 122: 1, "k" * 123: 2},
    {"": 1, "a": ""},
    {},
    [],
    "scalar",
    None,
    {2: "a", None: "b", False: "c"},
    {"a": {1, 2}},
]


@pytest.mark.parametrize("data", EXAMPLES, ids=range(len(EXAMPLES)))
def test_examples_match_ruamel(data: Any) -> None:
    assert_same_as_ruamel(data)


@pytest.mark.parametrize("value", NASTY)
def test_nasty_strings_match_ruamel(value: str) -> None:
    for data in ({"k": value}, [value], {value: 1}, [{"k": [value]}], [[value]]):
        assert_same_as_ruamel(data)


LONG = "ab " * 700 + "z\nq"


def shapes(depth: int, leaves: tuple[Any, ...]) -> list[Any]:
    """Every nesting of mappings and sequences, `depth` deep, around each of `leaves`."""
    if depth == 0:
        return list(leaves)
    out = list(leaves)
    for inner in shapes(depth - 1, leaves):
        out += [[inner], [inner, inner], {"a": inner}, {"a": inner, "b": inner}]
    return out


@pytest.mark.parametrize(
    ("depth", "leaves"),
    [(3, ("v", "a\nb\n", "a\nb", [], {}, 1)), (2, (LONG, LONG + "\n", "x"))],
    ids=["short", "long-blocks"],
)
def test_every_small_nesting_matches_ruamel(depth: int, leaves: tuple[Any, ...]) -> None:
    documents = [doc for data in shapes(depth, leaves) for doc in ({"k": data}, [data])]
    taken = sum(assert_same_as_ruamel(data) is not None for data in documents)
    assert taken == len(documents)


def as_loaded(data: Any) -> Any:
    """The data as YAML reads it back (tuples are sequences)."""
    if isinstance(data, dict):
        return {key: as_loaded(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [as_loaded(value) for value in data]
    return data


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(direct_documents)
@example({"a": "x" * 3990})
@example([{"k": ["'" + "x " * 1900]}])
@example([1e16, 1e-05, -0.0, 5e-324, 1.5, float("inf"), -float("inf")])
def test_direct_writer_takes_and_matches(data: Any) -> None:
    fast = assert_same_as_ruamel(data)
    assert fast is not None, "the direct writer refused ordinary data"
    if "nan" not in fast:
        assert yaml_reader.load_all_as_helm_reads(fast) == [as_loaded(data)]


@SETTINGS
@given(hostile_documents)
@example({"a": "x " * 2100})
@example({"a": "x" * 4100})
def test_hostile_data_matches_ruamel(data: Any) -> None:
    fast = assert_same_as_ruamel(data)
    if fast is not None and "nan" not in fast:
        assert yaml_reader.load_all_as_helm_reads(fast) == [as_loaded(data)]


def count_paths(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the documents `dump` writes directly and those it hands to ruamel."""
    counts = {"direct": 0, "ruamel": 0}
    fast, slow = yaml_writer._fast_dump_parts, yaml_writer._ruamel_dump

    def direct(data: Any) -> list[str] | None:
        counts["direct"] += 1
        return fast(data)

    def fallback(data: Any) -> str:
        counts["ruamel"] += 1
        return slow(data)

    monkeypatch.setattr(yaml_writer, "_fast_dump_parts", direct)
    monkeypatch.setattr(yaml_writer, "_ruamel_dump", fallback)
    return counts


@pytest.mark.parametrize(
    "config",
    [
        ROOT / "infrastructure" / "meshgen.yaml",
        *sorted((ROOT / "tests" / "golden").glob("*/meshgen.yaml")),
    ],
    ids=lambda p: p.parent.name,
)
def test_rendering_takes_the_direct_path(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counts = count_paths(monkeypatch)
    project = api.load_project(config)
    assert project.rendered, [d.format_text() for d in project.diagnostics]
    assert counts["direct"] > 0
    assert counts["ruamel"] == 0
