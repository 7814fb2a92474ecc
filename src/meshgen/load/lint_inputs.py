"""Structure of the plain files `meshgen lint` reads, and which project a file belongs to.

Workloads' pod templates, chart defaults wrapped in `_internal_defaults_do_not_set`, helmfile
states of one or several documents (and `.gotmpl` templates read without rendering).

Only the shape of the data is decided here (this layer knows no chart or Istio facts); which
chart a values mapping is for is decided by `meshgen.checks.lint`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

from meshgen.load.values import merge_values
from meshgen.records import record
from meshgen.source import KeyPath, SourceMap

#: Where each workload kind keeps its pod template (`()`: the object is the pod).
WORKLOAD_TEMPLATES: Mapping[tuple[str, str], KeyPath] = {
    ("v1", "Pod"): (),
    ("apps/v1", "Deployment"): ("spec", "template"),
    ("apps/v1", "StatefulSet"): ("spec", "template"),
    ("apps/v1", "DaemonSet"): ("spec", "template"),
    ("apps/v1", "ReplicaSet"): ("spec", "template"),
    ("batch/v1", "Job"): ("spec", "template"),
    ("batch/v1", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
    ("batch/v1beta1", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
}


@record
class PodTemplate:
    """The pods a workload object runs: name, namespace and labels of its pod template."""

    kind: str
    name: str
    namespace: str
    labels: dict[str, str]
    #: Key path of the template's `metadata.labels` (or the object's name when it has none).
    at: KeyPath


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def pod_template(data: Mapping[str, Any]) -> PodTemplate | None:
    """The pod template of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob.

    None for another kind. Pods take the workload's namespace (`default` if unset).
    """
    where = WORKLOAD_TEMPLATES.get((str(data.get("apiVersion")), str(data.get("kind"))))
    if where is None:
        return None
    meta = _mapping(data.get("metadata"))
    template: Any = data
    for part in where:
        template = _mapping(template).get(str(part))
    labels = _mapping(_mapping(_mapping(template).get("metadata")).get("labels"))
    at: KeyPath = (*where, "metadata", "labels") if labels else ("metadata", "name")
    return PodTemplate(
        kind=str(data.get("kind")),
        name=str(meta.get("name") or "<unnamed>"),
        namespace=str(meta.get("namespace") or "default"),
        labels={str(k): str(v) for k, v in labels.items()},
        at=at,
    )


# --- Kiali's config layout -------------------------------------------------------------------


#: Kiali's `auth.strategy` values.
KIALI_AUTH_STRATEGIES = frozenset({"anonymous", "token", "openid", "openshift", "header"})


def kiali_shaped(data: Mapping[str, Any]) -> bool:
    """Values in Kiali's config layout: its `auth.strategy`, or a `deployment:` of snake_case keys.

    The kiali-server chart (and Kiali's CR) take Kiali's own config, whose keys are
    snake_case (`view_only_mode`, `cluster_wide_access`); other charts' `deployment:`
    sections use camelCase.
    """
    auth = data.get("auth")
    if isinstance(auth, Mapping) and auth.get("strategy") in KIALI_AUTH_STRATEGIES:
        return True
    deployment = data.get("deployment")
    if not isinstance(deployment, Mapping) or not deployment:
        return False
    return all(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", str(k)) for k in deployment) and any(
        "_" in str(k) for k in deployment
    )


# --- chart defaults wrapped in `_internal_defaults_do_not_set` ----------------------------

#: The istiod and base charts (1.22+) keep their defaults under this key and merge the
#: user's values over it (templates/zzz_profile.yaml); copies of those files are common.
INTERNAL_DEFAULTS = "_internal_defaults_do_not_set"


def unwrap_internal_defaults(data: Mapping[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """Values as the chart sees them: the wrapped defaults with the top level merged over.

    Returns the merged mapping and the top-level keys that came from inside the wrapper
    (their positions are under `_internal_defaults_do_not_set` in the file).
    """
    inner = data.get(INTERNAL_DEFAULTS)
    if not isinstance(inner, Mapping):
        return dict(data), frozenset()
    merged: dict[str, Any] = dict(inner)
    for key, value in data.items():
        if key == INTERNAL_DEFAULTS:
            continue
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    wrapped = frozenset(str(k) for k in inner if k not in data)
    return merged, wrapped


# --- helmfile states ----------------------------------------------------------------------

#: Top-level keys of a helmfile state document (helmfile 1.2 state schema).
HELMFILE_KEYS = frozenset(
    {
        "releases",
        "environments",
        "repositories",
        "helmDefaults",
        "helmfiles",
        "bases",
        "templates",
        "missingFileHandler",
        "commonLabels",
        "apiVersions",
        "kubeVersion",
        "hooks",
        "lockFilePath",
        "values",
        "helmBinary",
        "kustomizeBinary",
    }
)

#: A Go template action (`{{ ... }}`, with `-` trimming) on one line.
TEMPLATE_ACTION = re.compile(r"\{\{-?.*?-?\}\}")
#: A line that is only template actions (control flow: if/range/end/define ...).
_ONLY_ACTIONS = re.compile(r"^\s*(\{\{-?.*?-?\}\}\s*)+$")
#: What a template expression inside a value is replaced with before parsing.
TEMPLATED = "meshgen-templated-value"


def looks_like_helmfile(name: str) -> bool:
    """A helmfile state by its file name (`helmfile.yaml`, `helmfile.yaml.gotmpl`, helmfile.d/)."""
    path = Path(name)
    return path.name.startswith("helmfile") or path.parent.name == "helmfile.d"


def is_state_document(data: Any) -> bool:
    """One document of a helmfile state: a mapping of state keys only, not a resource."""
    return (
        isinstance(data, Mapping)
        and bool(data)
        and "kind" not in data
        and all(str(k) in HELMFILE_KEYS for k in data)
        and (isinstance(data.get("releases"), list) or "environments" in data or "bases" in data)
    )


@record(frozen=False)
class Untemplated:
    """A `.gotmpl` file's text with its template actions taken out, line numbers kept."""

    text: str
    #: 1-based lines whose template actions were removed or replaced.
    lines: list[int] = field(default_factory=list)


def untemplate(text: str) -> Untemplated:
    """Blank lines that are only template actions; replace inline expressions by a marker.

    What the templates would have produced (conditional releases, computed values) is not
    known; values holding the marker are skipped by the checks that read the state.
    """
    out: list[str] = []
    lines: list[int] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if "{{" not in line:
            out.append(line)
            continue
        lines.append(number)
        if _ONLY_ACTIONS.match(line):
            out.append("")
        else:
            out.append(TEMPLATE_ACTION.sub(TEMPLATED, line))
    return Untemplated("\n".join(out), lines)


def is_templated(value: Any) -> bool:
    """A value (or a string inside it) came from a template expression."""
    if isinstance(value, str):
        return TEMPLATED in value
    if isinstance(value, Mapping):
        return any(is_templated(v) for v in value.values())
    if isinstance(value, list):
        return any(is_templated(v) for v in value)
    return False


@record
class StatePart:
    """One document of a helmfile state: its data and where its keys are written."""

    data: Mapping[str, Any]
    source: SourceMap


def merged_state(parts: Sequence[StatePart], shown: str) -> tuple[dict[str, Any], SourceMap]:
    """The releases of every document as one state, with a source map of the merged paths.

    Helmfile renders each `---` document on its own and merges them in order; releases of
    later documents are appended, other keys are taken from the last document holding them.
    """
    state: dict[str, Any] = {}
    smap = SourceMap(shown)
    releases: list[Any] = []
    for part in parts:
        offset = len(releases)
        for path, at in part.source.values.items():
            mapped = _shift(path, offset)
            if mapped is not None:
                smap.values.setdefault(mapped, at)
        for path, at in part.source.keys.items():
            mapped = _shift(path, offset)
            if mapped is not None:
                smap.keys.setdefault(mapped, at)
        for key, value in part.data.items():
            if key == "releases" and isinstance(value, list):
                releases.extend(value)
            else:
                state[str(key)] = value
    if releases or any("releases" in p.data for p in parts):
        state["releases"] = releases
    if parts:
        smap.add((), value=parts[0].source.lookup(()))
    return state, smap


def _shift(path: KeyPath, offset: int) -> KeyPath | None:
    if not path:
        return None
    if path[0] == "releases" and len(path) > 1 and isinstance(path[1], int):
        return ("releases", path[1] + offset, *path[2:])
    return path


#: A template expression that only reads a state value: `{{ .Values.istio.version }}`.
STATE_VALUE_READ = re.compile(
    r"\{\{-?\s*\.(?:StateValues|Values|Environment\.Values)\.([A-Za-z_][\w.]*)\s*(?:\|\s*quote\s*)?-?\}\}"
)
#: Top-level state value keys a helmfile's templates read.
_STATE_KEY_READ = re.compile(r"\.(?:StateValues|Values|Environment\.Values)\.([A-Za-z_]\w*)")


def state_keys_read(text: str) -> frozenset[str]:
    """The top-level state value keys a templated helmfile reads (`.Values.<key>...`)."""
    return frozenset(_STATE_KEY_READ.findall(text))


def state_values_files(state: Mapping[str, Any], base: Path) -> list[Path]:
    """The state's own values files: top-level `values:` and every environment's `values:`."""
    out: list[Path] = []
    lists: list[Any] = [state.get("values")]
    envs = state.get("environments")
    for env in envs.values() if isinstance(envs, Mapping) else ():
        lists.append(_mapping(env).get("values"))
    for entries in lists:
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, str) and not is_templated(entry) and "{{" not in entry:
                out.append(base / entry)
    return out


def release_values_files(state: Mapping[str, Any], base: Path) -> Iterator[tuple[int, Path]]:
    """(release index, path) of each values file a release names (relative to the state)."""
    rels = state.get("releases")
    if not isinstance(rels, list):
        return
    for index, rel in enumerate(rels):
        entries = _mapping(rel).get("values")
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, str) and not is_templated(entry):
                yield index, (base / entry)


# --- projects -------------------------------------------------------------------------------

#: Files whose presence makes a directory the root of a helmfile project.
HELMFILE_NAMES = ("helmfile.yaml", "helmfile.yml", "helmfile.yaml.gotmpl", "helmfile.d")


def helmfile_root(path: Path, limit: Path) -> Path | None:
    """The nearest directory from `path`'s up to `limit` (inclusive) holding a helmfile."""
    here = path.parent
    while True:
        if any((here / name).exists() for name in HELMFILE_NAMES):
            return here
        if here == limit or here.parent == here or limit not in here.parents:
            return None
        here = here.parent


def common_parent(paths: Sequence[Path]) -> Path:
    """The deepest directory holding every path (they are absolute)."""
    dirs = [p.parent for p in paths]
    common = dirs[0]
    for other in dirs[1:]:
        while common != other and common not in other.parents:
            common = common.parent
    return common
