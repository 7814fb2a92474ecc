"""What a hand edit of a rendered values file changed, and which config key produces it.

A rendered values file is a pure function of the config, so each value a hand edit changed
has a config key behind it: a typed setting (`meshConfig.accessLogEncoding` comes from
`istio.accessLogging.encoding`) or, failing one, the pass-through values of the chart
(`istio.values`, `istio.meshConfig`, `monitoring.grafana.values`, ...), which are merged
over everything meshgen derives. D102 names that key; `meshgen adopt` writes it (and proves,
by rendering the edited config in memory, that the file then renders as edited).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meshgen.diagnostics import Diagnostic
from meshgen.models import MeshConfig
from meshgen.records import record
from meshgen.render import kube_prometheus_stack, naming
from meshgen.source import KeyPath


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: The side of a `ValueEdit` where the key does not exist (added or removed by the edit).
MISSING: Any = _Missing()


@record
class ValueEdit:
    """One value a hand edit changed in a rendered document (a leaf, or a whole list)."""

    keys: KeyPath
    old: Any
    new: Any

    @property
    def removed(self) -> bool:
        return self.new is MISSING

    def dotted(self) -> str:
        return dotted(self.keys)

    def shown(self) -> str:
        """`meshConfig.accessLogEncoding: JSON`, or `meshConfig.enableTracing (removed)`."""
        if self.removed:
            return f"{self.dotted()} (removed)"
        return f"{self.dotted()}: {scalar_text(self.new)}"


@record
class ConfigSource:
    """The config keys that render an edited value: `sets[0]` is the one that produces it."""

    sets: tuple[tuple[KeyPath, Any], ...]
    #: False: no typed setting renders the value; it goes to the chart's pass-through values.
    typed: bool = True

    @property
    def key(self) -> KeyPath:
        return self.sets[0][0]


def dotted(keys: KeyPath) -> str:
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def scalar_text(value: Any) -> str:
    """A value as YAML flow text (for messages)."""
    import json

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value and value.strip() == value and ":" not in value else json.dumps(value)
    return json.dumps(value, separators=(", ", ": "), default=str)


def value_edits(rendered: Any, on_disk: Any, keys: KeyPath = ()) -> list[ValueEdit]:
    """The values `on_disk` holds differently from `rendered`, mappings compared key by key.

    Lists and scalars compare whole (an edited list item is an edit of the list).
    """
    if isinstance(rendered, dict) and isinstance(on_disk, dict):
        edits: list[ValueEdit] = []
        for key, value in rendered.items():
            if key not in on_disk:
                edits.append(ValueEdit((*keys, key), value, MISSING))
            else:
                edits.extend(value_edits(value, on_disk[key], (*keys, key)))
        for key, value in on_disk.items():
            if key not in rendered:
                edits.append(ValueEdit((*keys, key), MISSING, value))
        return edits
    if _same(rendered, on_disk):
        return []
    return [ValueEdit(keys, rendered, on_disk)]


def _same(a: Any, b: Any) -> bool:
    """Equal as helm reads the two: numbers by value, everything else type-exact.

    Helm reads every YAML number as a float64, so `1` and `1.0` are one value; `true` and
    `1` are not, inside lists and mappings too (`[true] == [1]` in Python).
    """
    if _number(a) and _number(b):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(map(_same, a, b))
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same(value, b[key]) for key, value in a.items())
    return bool(a == b)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- which config key renders a value ---------------------------------------------------

_ACCESS_LOG = ("istio", "accessLogging")
_TRACING = ("istio", "tracing")

#: istiod values rendered from a typed setting: rendered key path -> the config sets.
_ISTIOD_TYPED: dict[KeyPath, Callable[[Any], tuple[tuple[KeyPath, Any], ...]]] = {
    ("meshConfig", "accessLogEncoding"): lambda v: (
        ((*_ACCESS_LOG, "encoding"), v),
        ((*_ACCESS_LOG, "enabled"), True),
    ),
    ("meshConfig", "accessLogFile"): lambda v: (
        ((*_ACCESS_LOG, "file"), v),
        ((*_ACCESS_LOG, "enabled"), True),
    ),
    ("meshConfig", "accessLogFormat"): lambda v: (
        ((*_ACCESS_LOG, "format"), v),
        ((*_ACCESS_LOG, "enabled"), True),
    ),
    ("meshConfig", "enableTracing"): lambda v: (((*_TRACING, "enabled"), v),),
    ("meshConfig", "defaultConfig", "tracing", "sampling"): lambda v: (
        ((*_TRACING, "samplingPercentage"), v),
        ((*_TRACING, "enabled"), True),
    ),
    ("traceSampling",): lambda v: (
        ((*_TRACING, "samplingPercentage"), v),
        ((*_TRACING, "enabled"), True),
    ),
    ("meshConfig", "enablePrometheusMerge"): lambda v: ((("istio", "prometheusMerge"), v),),
}

#: Removals a typed setting renders (access logs off drop the accessLog* keys).
_ISTIOD_TYPED_REMOVALS: dict[KeyPath, tuple[tuple[KeyPath, Any], ...]] = {
    ("meshConfig", "accessLogFile"): (((*_ACCESS_LOG, "enabled"), False),),
    ("meshConfig", "accessLogEncoding"): (((*_ACCESS_LOG, "enabled"), False),),
}


def config_source(config: MeshConfig, rel: str, edit: ValueEdit) -> ConfigSource | None:
    """The typed config setting that renders `edit`, else the pass-through key; None: none.

    A removal has a source only where a typed setting drops the key.
    """
    if rel == naming.ISTIO_VALUES:
        if edit.removed:
            removal = _ISTIOD_TYPED_REMOVALS.get(edit.keys)
            return ConfigSource(removal) if removal else None
        typed = _ISTIOD_TYPED.get(edit.keys)
        if typed is not None:
            return ConfigSource(typed(edit.new))
        proxy = ("meshConfig", "defaultConfig", "proxyStatsMatcher")
        if edit.keys[: len(proxy)] == proxy and len(edit.keys) > len(proxy):
            rest = edit.keys[len(proxy) :]
            return ConfigSource(((("telemetry", "proxyStatsMatcher", *rest), edit.new),))
    return passthrough_source(config, rel, edit)


def passthrough_source(config: MeshConfig, rel: str, edit: ValueEdit) -> ConfigSource | None:
    """The pass-through values key that sets `edit` (merged over what meshgen derives)."""
    if edit.removed:
        return None
    base = passthrough_base(config, rel)
    if base is None:
        return None
    keys = edit.keys
    if rel == naming.ISTIO_VALUES and keys[:1] == ("meshConfig",) and len(keys) > 1:
        base, keys = ("istio", "meshConfig"), keys[1:]
    return ConfigSource((((*base, *keys), edit.new),), typed=False)


def passthrough_base(config: MeshConfig, rel: str) -> KeyPath | None:
    """The config key whose values are merged last into the rendered values file `rel`."""
    fixed: dict[str, KeyPath] = {
        naming.ISTIO_VALUES: ("istio", "values"),
        naming.ISTIO_BASE_VALUES: ("istio", "baseValues"),
        naming.GRAFANA_VALUES: ("monitoring", "grafana", "values"),
        naming.PROMETHEUS_VALUES: ("monitoring", "prometheus", "values"),
        kube_prometheus_stack.VALUES: ("monitoring", "kubePrometheusStack", "values"),
    }
    if rel in fixed:
        return fixed[rel]
    for index, service in enumerate(config.services):
        if naming.service_values(service.name) == rel:
            return ("services", index, "values")
    return None


def adoptable(rel: str) -> bool:
    """Whether `rel` is a values file whose hand edits can be traced to config keys."""
    return rel.startswith("values/") and rel.endswith("-values.yaml")


def disk_edits(
    rendered_document: Any, text: str, shown: str
) -> tuple[list[ValueEdit], Any, Any] | Diagnostic:
    """The edits of the text on disk: (edits, round-trip tree, data as helm reads it).

    The tree gives the edits' positions; the data is what `meshgen adopt` must reproduce.

    The text is read as every YAML meshgen reads (`yaml_reader.parse_for_edit`: the same
    refusals and limits): when it does not parse, the C0xx diagnostic why, in `shown`. Its
    values are compared as helm reads them (YAML 1.1: an unquoted `on` is true, `1:20` is
    80), since that is what the edit changes in the cluster.
    """
    from meshgen.load.yaml_reader import helm_data, parse_for_edit, to_plain

    document = parse_for_edit(text, shown)
    if isinstance(document, Diagnostic):
        return document
    try:
        documents = helm_data(text)
    except Exception:  # read by the reader, not by helm's rules: compare what it read
        documents = []
    data = documents[0] if len(documents) == 1 else to_plain(document)
    return value_edits(rendered_document, data), document, data
