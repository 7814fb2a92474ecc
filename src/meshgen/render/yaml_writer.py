"""The one YAML writer: every YAML file meshgen renders goes through `dump`.

Writing goes through a serializer so that a user string can never become YAML structure.
The structure (mappings, sequences, indentation) is always written directly (`_Writer`):
ruamel's emitter inspects every character in Python, which dominated rendering at scale.
A scalar or key the direct writer is not certain about (control characters, `|2`/`|+`
blocks, lines past ruamel's width, huge numbers, non-string keys, other types) is written
by ruamel's emitter alone, at its place (`_in_place`), so the text is ruamel's in both
cases. Renderers parse every file back (`meshgen.load.yaml_reader.load_all_as_helm_reads`)
and compare it with the data, so a value written wrongly cannot reach the disk.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from meshgen.load.yaml_rules import YAML11_NON_STRING, YAML12_NON_STRING

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import SafeRepresenter


def dump(data: Any) -> str:
    """Serialize plain data (dicts, lists, scalars) to block-style YAML text.

    The text is exactly what ruamel's emitter (`_emit`) writes for the whole document: the
    direct writer writes it piece by piece and asks ruamel only for the scalars it is not
    certain about. Renderers also parse every file back and compare it with the data, so a
    value written wrongly cannot reach the disk.
    """
    return "".join(dump_parts(data))


def dump_parts(data: Any) -> list[str]:
    """`dump`'s text as a list of pieces, unjoined (a large document is not copied whole)."""
    kind = type(data)
    if kind is dict:
        if not data:
            return ["{}\n"]
        writer = _Writer()
        writer.mapping(data, 0, "", ())
    elif kind is list or kind is tuple:
        if not data:
            return ["[]\n"]
        writer = _Writer()
        # ruamel indents a top-level sequence like one under a key at column 0.
        writer.sequence(data, 4, "  - ", ())
    else:
        # A document that is one scalar: ruamel writes it (and its `...` end marker).
        return [_emit(data)]
    out = writer.out
    if writer.open_ended == len(out) - 1:
        # ruamel ends a document whose last scalar is a `|+` block with `...`.
        out.append("...\n")
    return out


#: Longest line the direct writer produces; ruamel folds scalars past its width (4096).
_MAX_LINE = 4000


#: ruamel writes a key of 128+ characters as a complex `? key`; long keys are left to it.
_MAX_KEY = 100


#: First characters that keep ruamel from writing a string plain (YAML indicators).
_INDICATOR_START = frozenset("#,[]{}&*!|>'\"%@`")


#: Float texts known to be plain YAML floats (`1.5`, `1.0e-06`, `-.inf`, `.nan`).
_FLOAT_TEXT = r"-?[0-9]+\.[0-9]*(?:e[-+][0-9]+)?|-?\.inf|\.nan"


#: How a container sits in its parent: under a simple `key:`, under a complex `? key`, or
#: as a `- ` item. A path of these from the root places a scalar for `_in_place`.
_KEY, _COMPLEX_KEY, _ITEM = "k", "?", "-"
Path = tuple[str, ...]


class _Writer:
    """Block YAML written directly, as ruamel's emitter (set up as `_writer`) writes it."""

    __slots__ = ("open_ended", "out")

    def __init__(self) -> None:
        self.out: list[str] = []
        #: Index in `out` of a piece ruamel wrote open-ended (a `|+` block), else -1.
        self.open_ended = -1

    def mapping(self, mapping: dict[Any, Any], indent: int, lead: str, path: Path) -> None:
        """Block mapping with keys at column `indent`; `lead` starts the first key's line."""
        out = self.out
        pad = " " * indent
        for key, value in mapping.items():
            kind = type(value)
            nested = (kind is dict or kind is list or kind is tuple) and bool(value)
            # The key as ruamel writes a simple (`key:`) key, or None: ask ruamel.
            key_text = _string_text(key) if type(key) is str and len(key) <= _MAX_KEY else None
            if key_text is None:
                if not nested:
                    self.in_place(lead, path, (key, value), True)
                    lead = pad
                    continue
                key_text, complex_key = _key_in_place(path, key)
                if complex_key:
                    # `? key` lines, then the value after `: ` on the next line.
                    out.append(lead + key_text)
                    if kind is dict:
                        self.mapping(value, indent + 2, pad + ": ", (*path, _COMPLEX_KEY))
                    else:
                        self.sequence(value, indent + 6, pad + ":   - ", (*path, _COMPLEX_KEY))
                    lead = pad
                    continue
            if nested:
                out.append(f"{lead}{key_text}:\n")
                if kind is dict:
                    self.mapping(value, indent + 2, " " * (indent + 2), (*path, _KEY))
                else:
                    self.sequence(value, indent + 4, " " * (indent + 2) + "- ", (*path, _KEY))
            elif not self.leaf(lead, key_text, value, indent + len(key_text) + 2, indent + 2):
                self.in_place(lead, path, (key, value), True)
            lead = pad

    def sequence(self, items: Sequence[Any], content: int, lead: str, path: Path) -> None:
        """Block sequence whose items start at column `content` (dash two before it)."""
        dash = " " * (content - 2) + "- "
        inner = (*path, _ITEM)
        for item in items:
            kind = type(item)
            if kind is dict and item:
                self.mapping(item, content, lead, inner)
            elif (kind is list or kind is tuple) and item:
                self.sequence(item, content + 4, lead + "  - ", inner)
            elif not self.leaf(lead, None, item, content, content):
                self.in_place(lead, path, item, False)
            lead = dash

    def leaf(self, lead: str, key: str | None, value: Any, column: int, block_indent: int) -> bool:
        """Write `lead`, `key: ` (an entry's) and a scalar or empty collection; False: ask ruamel.

        Nothing is written then. The value starts at `column`; a literal block's lines are
        indented to `block_indent`.
        """
        pieces: tuple[str, ...] | None = None
        text: str | None
        if type(value) is str and "\n" in value:
            pieces = _literal_block(value, block_indent)
            text = pieces[0] if pieces is not None else None
        else:
            text = _leaf_text(value, column)
        if text is None:
            return False
        self.out.append(f"{lead}{key}: {text}" if key is not None else lead + text)
        if pieces is not None:
            self.out.extend(pieces[1:])
        return True

    def in_place(self, lead: str, path: Path, leaf: Any, entry: bool) -> None:
        """A mapping entry `(key, value)` (`entry`) or a sequence item, as ruamel writes it."""
        text, open_ended = _in_place(path, leaf, entry)
        self.out.append(lead + text)
        if open_ended:
            self.open_ended = len(self.out) - 1


def _leaf_text(value: Any, column: int) -> str | None:
    """A scalar or empty collection at `column`, with its line break; None: ask ruamel.

    A multi-line string is a literal block (`_literal_block`), which `_Writer.leaf` asks for
    first.
    """
    kind = type(value)
    if kind is str:
        text = _string_text(value)
        if text is None:
            return None
    elif kind is bool:
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif kind is int:
        # Python refuses str() of a huge int: ruamel's error is the one to raise.
        if not -(10**100) < value < 10**100:
            return None
        text = str(value)
    elif kind is float:
        text = _float_text(value)
        if text is None:
            return None
    elif (kind is dict or kind is list or kind is tuple) and not value:
        text = "{}" if kind is dict else "[]"
    else:
        return None
    if column + len(text) > _MAX_LINE:
        return None
    return text + "\n"


@lru_cache(maxsize=1 << 16)
def _string_text(value: str) -> str | None:
    """A one-line string as `_str_representer` and ruamel's emitter write it, or None."""
    if not value.isprintable():
        # Line breaks, control characters: block scalars or escapes, left to ruamel.
        return None
    if YAML11_NON_STRING.match(value):
        return "'" + value.replace("'", "''") + "'"
    if _plain_allowed(value):
        return value
    if "'" in value:
        # ruamel prefers double quotes to doubling a quote; printable text needs only these.
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"'{value}'"


def _plain_allowed(value: str) -> bool:
    """Whether ruamel's emitter writes this printable one-line string as a plain scalar."""
    if not value or value[0] == " " or value[-1] == " " or value[0] in _INDICATOR_START:
        return False
    if value[0] in "?:-" and (len(value) == 1 or value[1] == " "):
        return False
    if value.startswith(("---", "...")) or ": " in value or " #" in value or value[-1] == ":":
        return False
    # A plain text that YAML 1.2 reads as another type (`09`, `1_0`) is quoted by ruamel.
    return YAML12_NON_STRING.fullmatch(value) is None


#: A line break followed by a non-empty line (empty lines in a block get no indentation).
_BREAK_BEFORE_TEXT = re.compile(r"\n(?=[^\n])")


def _literal_block(value: str, indent: int) -> tuple[str, ...] | None:
    """A multi-line string as the `|` block `_str_representer` asks ruamel for, or None.

    In pieces, joined by the caller's caller: the indicator and its line break, the first
    line's indentation, the text with the other lines indented, the last line break. A
    block is a dashboard's JSON at times (tens of kB): it is not copied once per piece.
    """
    if value[0] in " \n" or value.endswith("\n\n"):
        # ruamel adds an indentation (`|2`) or keep (`|+`) indicator, and may end the document.
        return None
    # `_str_representer`'s test (printable lines without trailing blanks), line by line in
    # C: among printable characters only the space is whitespace. (`rfind`, not `in`:
    # CPython's backward search is twice as fast on indented text such as JSON.)
    if not _lines_printable(value) or value.rfind(" \n") >= 0 or value[-1] == " ":
        return None  # not a literal block: ruamel quotes it
    chomp = "-"
    if value[-1] == "\n":
        value = value[:-1]
        chomp = ""
    pad = " " * indent
    if value.rfind("\n\n") >= 0:
        rest = _BREAK_BEFORE_TEXT.sub("\n" + pad, value)
    else:
        rest = value.replace("\n", "\n" + pad)
    return f"|{chomp}\n", pad, rest, "\n"


#: The printable ASCII characters (space to `~`) and the line break.
_PRINTABLE_ASCII_LINES = bytes(range(0x20, 0x7F)) + b"\n"


def _lines_printable(value: str) -> bool:
    """`value.replace("\\n", "").isprintable()`: every line of `value` is printable.

    For ASCII text (`isascii` is a flag, not a scan) the printable characters are exactly
    space to `~`; deleting them and the line breaks in C leaves nothing, ten times faster
    than `isprintable`'s per-character lookup of the Unicode tables.
    """
    if value.isascii():
        return not value.encode("ascii").translate(None, _PRINTABLE_ASCII_LINES)
    return value.replace("\n", "").isprintable()


def _float_text(value: float) -> str | None:
    """A float as ruamel's representer with `_float_representer` writes it, or None."""
    if value != value:
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    mantissa, sep, exponent = text.partition("e")
    if sep and "." not in mantissa:
        text = f"{mantissa}.0e{exponent}"
    if not re.fullmatch(_FLOAT_TEXT, text):
        return None
    return text


# ruamel's emitter, for the scalars and keys the direct writer declines.


def _in_place(path: Path, leaf: Any, entry: bool) -> tuple[str, bool]:
    """The text ruamel writes for one leaf at `path` (from its column on), and if open-ended.

    Open-ended: a `|+` block, after which ruamel ends a document with `...`. The leaf is
    a mapping entry (a `(key, value)` tuple, with `entry`) or a sequence item. ruamel
    writes a scalar according to its column, the indentation around it and whether it is
    a key, and all of these follow from the kinds of containers above it: so the leaf is
    emitted inside a stand-in document of those kinds (`_stand_in`), and the stand-in's
    own lines (`_probe`) are cut off. Multi-line output (quoted scalars folded at ruamel's
    width, `|2` blocks, `? key` lines) comes out indented for its real place.
    """
    inner = {leaf[0]: leaf[1]} if entry else [leaf]
    text = _emit(_stand_in(path, inner))
    lines, column = _probe(path, entry)
    start = 0
    for _ in range(lines):
        start = text.index("\n", start) + 1
    tail = text[start + column :]
    if tail.endswith("\n...\n"):
        return tail[:-4], True
    return tail, False


def _key_in_place(path: Path, key: Any) -> tuple[str, bool]:
    """A key the direct writer declines, as ruamel writes it at `path`.

    Returns the simple key's text, or (with True) the lines of a complex `? key`.
    """
    tail, _ = _in_place(path, (key, None), True)
    last = tail.rfind("\n", 0, len(tail) - 1) + 1
    if last == 0:
        # One line, `key: null`: a simple key.
        return tail.removesuffix(": null\n"), False
    # `? key` lines, then `: null` on a line of its own.
    return tail[:last], True


def _stand_in(path: Path, inner: Any) -> Any:
    """A document holding `inner` where `path` leads: `a:` keys, `? a b` keys, `- ` items."""
    document = inner
    for step in reversed(path):
        if step == _KEY:
            document = {"a": document}
        elif step == _COMPLEX_KEY:
            document = {"a\nb": document}
        else:
            document = [document]
    return document


@lru_cache(maxsize=256)
def _probe(path: Path, entry: bool) -> tuple[int, int]:
    """Lines of the stand-in document before the leaf's line, and the leaf's column."""
    text = _emit(_stand_in(path, {"x": None} if entry else ["x"]))
    lines = text.split("\n")[:-1]
    last = lines[-1]
    column = last.rindex("x: null") if entry else len(last) - 1
    return len(lines) - 1, column


def _emit(data: Any) -> str:
    """A whole document through ruamel's emitter as meshgen sets it up (`_writer`)."""
    stream = io.StringIO()
    try:
        _writer().dump(data, stream)
    except BaseException:
        # ruamel's emitter is left mid-document by an error (an unprintable int, a type it
        # cannot represent): the next document gets a fresh one.
        _writer.cache_clear()
        raise
    return stream.getvalue()


def _str_representer(representer: SafeRepresenter, data: str) -> Any:
    # NEL and the Unicode line/paragraph separators are line breaks to YAML 1.1 readers: the
    # emitter folds them in single quotes and they do not read back; only escapes are safe.
    if any(ch in data for ch in "\x85\u2028\u2029"):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    # Multi-line strings (scrape configs, dashboard JSON, format strings) as literal blocks;
    # a string whose lines end in spaces cannot be a block scalar and stays quoted.
    if "\n" in data and all(
        line == line.rstrip() and line.isprintable() for line in data.split("\n")
    ):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if not data.replace("\n", "").isprintable():
        # Control characters are only readable back as escapes.
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    if YAML11_NON_STRING.match(data):
        return representer.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return representer.represent_scalar("tag:yaml.org,2002:str", data)


def _float_representer(representer: SafeRepresenter, data: float) -> Any:
    # YAML 1.1 reads `1e-06` (no dot in the mantissa) as a string; always write a dot.
    node = representer.represent_float(data)
    mantissa, sep, exponent = node.value.partition("e")
    if sep and "." not in mantissa:
        node.value = f"{mantissa}.0e{exponent}"
    return node


@cache
def _writer() -> YAML:
    """Ruamel's safe emitter set up as meshgen writes (built on first use: it imports ruamel)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import SafeRepresenter

    class _Representer(SafeRepresenter):
        def ignore_aliases(self, data: Any) -> bool:
            # Rendered files are read by helm and humans: never anchors/aliases, even when
            # one dict object is used twice.
            return True

    _Representer.add_representer(str, _str_representer)
    _Representer.add_representer(float, _float_representer)
    _Representer.add_representer(dict, SafeRepresenter.represent_dict)
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml
