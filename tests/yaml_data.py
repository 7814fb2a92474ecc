"""Shared by the YAML tests: hostile data for the writer, and the type-exact comparison.

`typed` is the one type-exact view of data in the tests: Python's `==` takes `1`, `1.0`
and `True` for one another (and `{1: x}` for `{True: x}`), so every comparison of data read
back from YAML compares `typed(...)` of both sides.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st


def typed(node: Any) -> Any:
    """Data with every value and key paired with its type, for a type-exact comparison.

    Mappings keep their order; floats compare by their exact value (so `nan` equals `nan`
    and `-0.0` differs from `0.0`).
    """
    if isinstance(node, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in node.items()])
    if isinstance(node, list):
        return ("list", [typed(item) for item in node])
    if type(node) is float:
        return ("float", "nan" if math.isnan(node) else node.hex())
    if isinstance(node, set | frozenset):
        return (type(node).__name__, sorted(map(repr, map(typed, node))))
    return (type(node).__name__, node)


def as_loaded(data: Any) -> Any:
    """The data as YAML reads it back (tuples are sequences)."""
    if isinstance(data, dict):
        return {key: as_loaded(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [as_loaded(value) for value in data]
    return data


NASTY = [
    "", " ", "a", "-", "- x", "-x", "?", "? x", ":", ":x", "a:", "a: b", "a:b", "a #b", "a#b",
    "#a", "---", "--- x", "...", "..x", "x y", " x", "x ", "it's", " it's", "'q'", '"q"',
    'a"b', "a\\b", '{a="b"}', "[1, 2]", "{{ x }}", "{% if %}", "&a", "*a", "!tag", "|", ">",
    "%x", "@x", "`x`", ",x", "x,y",
    # YAML 1.1 (helm) and 1.2 non-strings
    "yes", "No", "on", "OFF", "y", "n", "true", "False", "null", "Null", "~", "=", "<<", "0",
    "1", "-1", "+1", "09", "0o17", "017", "0x1F", "0b101", "1_000", "1__", "_1", "1:20",
    "1:20:30.5", "1.0", "1.", ".5", "1e5", "1.5e-3", "-.inf", ".NaN", ".nan", "1.2.3",
    "2024-01-02", "2024-1-2 10:00:00", "2024-01-02T10:00:00Z x'y", "1.20.0", "30s",
    "8080:http", "http://prometheus:9090", "docker.io/istio/proxyv2:1.20.0",
    'sum(rate(istio_requests_total{reporter="destination"}[5m]))',
    # Unicode, control characters, line separators
    "ünïcødé", "日本語", "emoji 🚀", "tab\there", "nul\x00", "bell\x07", "nel\x85", "ls\u2028",
    "ps\u2029", "bom\ufeff", "nbsp\xa0", "del\x7f", "cr\rlf", "priv\ue000", "esc\x1b[0m",
    # multi-line: literal blocks, `|2`, `|+`, and lines a block cannot hold
    "a\nb", "a\nb\n", "a\nb\n\n", "\n", "\na", " a\nb", "a\n b", "a \nb", "a\n\nb", "yes\n",
    "1\n", "#c\n- x\n", "--- \n...", "a\n\tb", "a\nb \n", "x\n \n", "a\x85b\n", "a\u2028\nb",
    "a\n\n\n",
]  # fmt: skip


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
    """Mappings and sequences (never a bare scalar) nesting `leaves` and empty collections."""
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
# Blocks whose lines end in blanks, start with blanks or end in empty lines (`|2`, `|+`,
# or quoted with escapes).
odd_blocks = st.builds(
    lambda lines, end: "\n".join(lines) + end,
    st.lists(st.sampled_from(["a", " a", "a ", "", " ", "\t", "b\x85", "c\u2028d"]), max_size=5),
    st.sampled_from(["", "\n", "\n\n", " "]),
)
huge_ints = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(10, 300).map(lambda digits: 10**digits + 7),
    st.integers(10, 300).map(lambda digits: -(10**digits)),
)
numbers = st.one_of(huge_ints, st.floats())
other_scalars = st.one_of(numbers, st.booleans(), st.none())

hostile_strings = weighted(
    (4, one_line),
    (1, st.sampled_from(MULTI_LINE)),
    (1, st.lists(st.one_of(plain_words, st.sampled_from(NASTY)), max_size=5).map("\n".join)),
    (2, literal_blocks(0)),
    (1, odd_blocks),
    (1, texts),
    (1, long_strings),
    (1, st.lists(plain_words, min_size=200, max_size=400).map("\n".join)),
)
hostile_keys = weighted(
    (6, identifiers),
    (6, one_line),
    (1, hostile_strings),
    (1, st.integers(0, 30).map(lambda n: "k" * (95 + n))),
    (1, st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)),
)
#: Anything plain data can be: the writer must write it and it must read back.
hostile_documents = documents(st.one_of(hostile_strings, other_scalars), hostile_keys)

# What the direct writer writes itself, without ruamel: printable one-line strings (short
# enough not to fold), literal blocks (long ones too), numbers, booleans, null.
direct_one_line = weighted(
    (6, one_line.filter(str.isprintable)),
    (1, st.builds(lambda n, end: "ab " * n + end, st.integers(0, 1130), st.sampled_from("z '"))),
)
long_literal_blocks = literal_blocks(5).map(lambda block: "ab " * 700 + "z\n" + block)
direct_strings = weighted((6, direct_one_line), (3, literal_blocks(0)), (1, long_literal_blocks))
direct_keys = weighted(
    (1, identifiers), (1, one_line.filter(lambda key: key.isprintable() and len(key) <= 100))
)
direct_scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.floats(), st.booleans(), st.none()
)
#: Ordinary documents: what rendering produces.
direct_documents = documents(weighted((3, direct_strings), (1, direct_scalars)), direct_keys)


def assert_rendered_files_reparse(files: Any) -> None:
    """Every rendered file has its header, ends in a line break and reads back type-exact to
    its documents: as helm reads it (libyaml, YAML 1.1), as ruamel reads YAML 1.1, and 1.2."""
    from ruamel.yaml import YAML

    from meshgen.load import yaml_reader
    from meshgen.render.files import split_header

    yaml = YAML(typ="safe", pure=True)
    for rendered in files:
        generated, checksum, body = split_header(rendered.text)
        assert generated and checksum, rendered.path
        assert rendered.text.endswith("\n"), rendered.path
        expected = [typed(doc) for doc in rendered.documents]
        readings = {
            "helm (YAML 1.1)": yaml_reader.load_all_as_helm_reads(body),
            "ruamel YAML 1.1": yaml.load_all("%YAML 1.1\n---\n" + body),
            "ruamel YAML 1.2": yaml.load_all(body),
        }
        for reader, docs in readings.items():
            got = [typed(doc) for doc in docs if doc is not None]
            assert got == expected, f"{rendered.path} reads back otherwise as {reader}"
