"""The CEL parser: cel-python's grammar under Lark, from LALR tables shipped as JSON.

cel-python (`celpy`) holds the CEL grammar (`cel.lark`) and builds a Lark LALR parser
from it; importing `celpy` also loads its evaluator (with pendulum and dateutil), and
building the tables is most of what a first `meshgen check` cost (Lark's own cache would
pickle them). So meshgen reads the grammar file from where cel-python is installed,
without importing it, and gives Lark exactly `celpy.celparser.CELParser`'s options
(`parser_options`; `debug` off, which only keeps a larger table form):

- `cel_tables.json` beside this module holds the tables, written by
  `scripts/gen_cel_tables.py`; `parser()` loads them while the installed grammar,
  `celparser.py` and Lark are the ones they were built from (`fingerprint`), and builds
  the tables otherwise;
- `string_value` decodes a CEL string literal as `celpy.evaluation.celstr` does.

`tests/test_cel_tables.py` holds both to cel-python's own parser and decoder on a corpus.

JSON holds dicts with string keys, lists and scalars; the tables also have tuples, dicts
with integer keys and a regex flag, written as `{"$tuple": [...]}`, `{"$dict": [[k, v],
...]}` and `{"$flag": n}`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

TABLES = Path(__file__).with_name("cel_tables.json")


def _celpy_folder() -> Path:
    """Where cel-python is installed (found, not imported)."""
    spec = importlib.util.find_spec("celpy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("cel-python is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def ident_literals(token: Any) -> Any:
    """`true`/`false` lexed as identifiers become BOOL_LIT (`CELParser.ambiguous_literals`)."""
    from lark import Token

    if token.value in ("true", "false"):
        return Token("BOOL_LIT", token.value)
    return token


def parser_options() -> dict[str, Any]:
    """The options `CELParser` gives Lark (celpy/celparser.py), `debug` left at False."""
    return {
        "parser": "lalr",
        "start": "expr",
        "g_regex_flags": re.M,
        "lexer_callbacks": {"IDENT": ident_literals},
        "propagate_positions": True,
        "maybe_placeholders": False,
        "priority": "invert",
    }


def fingerprint() -> str:
    """What the tables depend on: the grammar, the module that sets its options, Lark."""
    import lark

    folder = _celpy_folder()
    digest = hashlib.sha256()
    for name in ("cel.lark", "celparser.py"):
        digest.update((folder / name).read_bytes())
    return f"{digest.hexdigest()} lark=={lark.__version__}"


@functools.cache
def parser() -> Any:
    """The Lark parser of CEL, once per process: from the tables, else built."""
    return load() or _build()


def _build() -> Any:
    from lark import Lark

    grammar = (_celpy_folder() / "cel.lark").read_text(encoding="utf-8")
    return Lark(grammar, **parser_options())


def build() -> dict[str, Any]:
    """The tables as the JSON document `cel_tables.json` holds (for the generator script)."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = _build().memo_serialize([TerminalDef, Rule])
    data["options"].pop("lexer_callbacks")  # a function: given again when loading
    return {"fingerprint": fingerprint(), "data": _encode(data), "memo": _encode(memo)}


def load() -> Any:
    """A Lark parser from the shipped tables, or None when they do not fit what is installed."""
    from lark import Lark

    try:
        document = json.loads(TABLES.read_text(encoding="utf-8"), object_hook=_decode_object)
        if document.get("fingerprint") != fingerprint():
            return None
        data, memo = document["data"], document["memo"]
        callbacks = parser_options()["lexer_callbacks"]
        load_from_dict: Any = Lark._load_from_dict
        return load_from_dict(data, memo, lexer_callbacks=callbacks)
    except (OSError, ImportError, ValueError, KeyError, TypeError, AttributeError):
        return None  # built instead


#: One escape or one character of a cooked CEL string (`celpy.evaluation.CEL_ESCAPES_PAT`;
#: like it, `.` skips a line break inside a long string).
_ESCAPE = (  # compiled when first used (by `re`)
    r"\\[abfnrtv\"'\\]|\\\d{3}|\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}|."
)
_SIMPLE_ESCAPES = {
    "\\a": "\a", "\\b": "\b", "\\f": "\f", "\\n": "\n", "\\r": "\r", "\\t": "\t",
    "\\v": "\v", '\\"': '"', "\\'": "'", "\\\\": "\\",
}  # fmt: skip


def string_value(text: str) -> str:
    """The value of a CEL string literal as written (`'a\\n'`, `r"x"`, `'''long'''`)."""
    raw = text[:1] in ("r", "R")
    body = text[1:] if raw else text
    quote = 3 if body[:3] in ('"""', "'''") else 1
    body = body[quote:-quote]
    if raw:
        return body
    return "".join(_expand(match.group()) for match in re.finditer(_ESCAPE, body))


def _expand(piece: str) -> str:
    if len(piece) == 1:
        return piece
    if piece[:2] in ("\\x", "\\u", "\\U"):
        return chr(int(piece[2:], 16))
    if len(piece) == 4:  # an octal escape, \ooo
        return chr(int(piece[1:], 8))
    return _SIMPLE_ESCAPES.get(piece, piece)


def _encode(node: Any) -> Any:
    if isinstance(node, re.RegexFlag):
        return {"$flag": int(node)}
    if isinstance(node, tuple):
        return {"$tuple": [_encode(item) for item in node]}
    if isinstance(node, list):
        return [_encode(item) for item in node]
    if isinstance(node, dict):
        if all(type(key) is str and not key.startswith("$") for key in node):
            return {key: _encode(value) for key, value in node.items()}
        return {"$dict": [[_encode(key), _encode(value)] for key, value in node.items()]}
    if node is None or isinstance(node, str | int | float):
        return node
    raise TypeError(f"cannot write {type(node).__name__} into the CEL tables")


def _decode_object(node: dict[str, Any]) -> Any:
    """`json.loads`' hook: each JSON object, its contents already decoded, as `_encode` had it."""
    if "$tuple" in node:
        return tuple(node["$tuple"])
    if "$dict" in node:
        return {key: value for key, value in node["$dict"]}
    if "$flag" in node:
        return re.RegexFlag(node["$flag"])
    return node
