"""What YAML meshgen accepts and how YAML readers resolve plain scalars.

Shared by the reader (`yaml_reader`, `libyaml_events`, `ruamel_roundtrip`) and the writer
(`meshgen.render.yaml_writer`), so the limits and the resolution rules exist once.
"""

from __future__ import annotations

import re

#: How many nodes a loaded document may expand to; a YAML alias bomb stops here.
MAX_NODES = 200_000


#: How deep a document may nest.
MAX_DEPTH = 64


#: Integers go-yaml reads as integers (int64 or uint64); a config may hold no others.
INT_RANGE = (-(2**63), 2**64 - 1)


#: Flow nesting refused before parsing: ruamel's scanner is quadratic in it (seconds at
#: 1000 levels). Far above MAX_DEPTH, so only brackets inside strings could be miscounted.
FLOW_DEPTH_LIMIT = 256


# What ruamel's YAML 1.2 resolver (ruamel.yaml.resolver, the version 1.2 entries) reads as
# another type than a string when written plain: booleans, null, floats, integers,
# timestamps, the merge key `<<`, the value key `=` and the `!`/`&`/`*` indicators alone.
# ruamel picks the patterns to try by the first character, hence `_1` stays a string.
YAML12_NON_STRING = re.compile(
    r"""true|True|TRUE|false|False|FALSE|~|null|Null|NULL|
    |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+][0-9_]+|[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]
     (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    |<<|=|!|&|\*""",
    re.X,
)


#: The YAML types a config may name with an explicit `!!tag`.
STANDARD_TAGS = frozenset(
    {"str", "int", "float", "bool", "null", "map", "seq", "binary", "timestamp", "set", "omap"}
)


# Helm and helmfile read YAML 1.1 (go-yaml v2 semantics): there `yes`, `on`, `0o17`, `1:20`
# or `1_000` are not strings. A string that any YAML 1.1 or 1.2 resolver would read as another
# type is written quoted.
YAML11_NON_STRING = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|=|<<
    |[-+]?(?:0b[0-1_]+|0[0-7_]+|0o[0-7]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)
    |[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?:[eE][-+]?[0-9]+)
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?)$""",
    re.X,
)
