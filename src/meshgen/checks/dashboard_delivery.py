"""G120-G123, H150: dashboards delivered offline, and the size limits dashboards run into.

Dashboards reach Grafana as ConfigMaps either way: the grafana chart's own
`dashboards-<provider>` ConfigMap per provider (`values` delivery: every local dashboard of a
folder inlined into one object) or meshgen's one ConfigMap per dashboard (`configMaps`
delivery). Kubernetes refuses an object whose data passes 1 MiB, and Helm refuses to store a
release whose encoded revision passes 1 MiB (`meshgen.knowledge.helm_storage` says what is
counted and how).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from meshgen.cache import JsonCache, salt
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.knowledge import helm_storage
from meshgen.records import record
from meshgen.render.files import RenderedFile, text_digest
from meshgen.source import KeyPath, Span

_DASHBOARDS: KeyPath = ("monitoring", "grafana", "dashboards")
#: `ctx.memo` key (filled by `meshgen lint` as it reads files): the ConfigMaps holding
#: dashboard JSON it found, as `LintedConfigMap`s.
LINTED_CONFIGMAPS = "dashboard_delivery.linted_configmaps"
#: The annotation `kubectl apply` (client-side) writes: the whole object as JSON.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: `TotalAnnotationSizeLimitB`: the keys and values of all annotations, in bytes.
MAX_ANNOTATIONS = 256 * 1024


@record(slots=True)
class LintedConfigMap:
    """A hand-written ConfigMap of dashboards, measured as the API server measures it."""

    name: str
    #: `data` and `binaryData` bytes (`helm_storage.configmap_data_size`).
    data_size: int
    #: Bytes of its annotations once client-side `kubectl apply` adds `LAST_APPLIED`.
    applied_annotations: int
    span: Span


def linted_configmap(data: Mapping[str, Any], span: Span) -> LintedConfigMap:
    """Measure a ConfigMap read by `meshgen lint`.

    kubectl stores the object as given (without its own annotation), JSON-encoded with
    sorted keys and a final newline, as `LAST_APPLIED`; every annotation's key and value
    count towards `MAX_ANNOTATIONS`.
    """
    metadata = data.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    annotations = metadata.get("annotations")
    annotations = {
        str(k): str(v)
        for k, v in (annotations.items() if isinstance(annotations, Mapping) else ())
        if k != LAST_APPLIED
    }
    entries = data.get("data")
    binary = data.get("binaryData")
    applied = len(helm_storage.go_json(helm_storage.sorted_keys(data))) + 1
    others = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    return LintedConfigMap(
        name=str(metadata.get("name", "")),
        data_size=helm_storage.configmap_data_size(
            entries if isinstance(entries, Mapping) else {},
            binary if isinstance(binary, Mapping) else {},
        ),
        applied_annotations=len(LAST_APPLIED) + applied + others,
        span=span,
    )


@functools.cache
def _stored_sizes() -> JsonCache:
    """Helm's stored size of a release by a digest of what it is made of, across runs.

    Encoding the release is nearly all of H150's cost (1 s for the values of a thousand
    services' and 500 dashboards; JSON, then gzip); an unchanged release is not encoded
    again, and the digest (`_digest`) costs a few percent of that.
    """
    import zlib

    recipe = salt(
        sources=[Path(helm_storage.__file__), Path(__file__)],
        distributions=[],
        extra=[f"zlib={zlib.ZLIB_RUNTIME_VERSION}"],
    )
    return JsonCache("helm-release-sizes", recipe)


def _digest(data: Any) -> str:
    """SHA-256 of plain data (dicts, lists, scalars), without serialising it first."""
    digest = hashlib.sha256()

    def feed(node: Any) -> None:
        if isinstance(node, str):
            raw = node.encode("utf-8", "surrogatepass")
            digest.update(b"s%d:" % len(raw))
            digest.update(raw)
        elif isinstance(node, Mapping):
            digest.update(b"{%d:" % len(node))
            for key in sorted(node, key=str):
                feed(str(key))
                feed(node[key])
        elif isinstance(node, list | tuple):
            digest.update(b"[%d:" % len(node))
            for item in node:
                feed(item)
        else:
            digest.update(f"{type(node).__name__}:{node!r};".encode())

    feed(data)
    return digest.hexdigest()


def _secret_size(
    key: Any, release: Callable[[], Iterable[bytes]], *, keep: Callable[[], bool] = lambda: True
) -> int:
    """Helm's stored size of the release `release()` builds; `key`: what it is made of.

    The size is stored only if `keep()` says, after `release()`, that the release was made
    of what `key` names.
    """
    digest = _digest(key)
    hit = _stored_sizes().get(digest)
    if isinstance(hit, int) and not isinstance(hit, bool):
        return hit
    size = helm_storage.release_secret_size(release())
    if keep():
        _stored_sizes().put(digest, size)
    return size


def _mib(size: int) -> str:
    return f"{size:,} B ({size / helm_storage.MAX_OBJECT_DATA:.2f} MiB)"


@check("G120", "dashboard-needs-download", Severity.ERROR)
def dashboard_needs_download(ctx: CheckContext) -> Iterator[Finding]:
    """A grafana.com (`gnetId`) or `url` dashboard under `dashboardDelivery: configMaps`.

    Why: ConfigMap delivery is for clusters that cannot reach grafana.com; a `gnetId` or
    `url` dashboard is only a reference, downloaded by the chart's init container at pod
    start, so there
    is no JSON to put in a ConfigMap and the dashboard would never appear (reference stacks
    5: the download fails offline and can leave an empty file).

    Example: `dashboardDelivery: configMaps` with `dashboards: [{name: istio-mesh,
    gnetId: 7639, revision: 330}]`

    Fix: vendor the dashboard's JSON into the repository and name it with `file:`, for
    Istio's dashboards the ones of the Istio release you run (`manifests/addons/dashboards/`
    in its source, e.g. `istio-mesh-dashboard.gen.json`), or download the pinned revision
    once (`https://grafana.com/api/dashboards/<gnetId>/revisions/<revision>/download`).
    """
    grafana = ctx.config.monitoring.grafana if ctx.config else None
    if grafana is None or not grafana.config_maps:
        return
    for index, dash in enumerate(grafana.dashboards):
        if dash.gnet_id is not None:
            what, key = f"grafana.com dashboard {dash.gnet_id}", "gnetId"
        elif dash.url is not None:
            what, key = f"downloaded from {dash.url}", "url"
        else:
            continue
        yield Finding(
            f"dashboard {dash.name!r} is {what}, which cannot be downloaded under "
            "`dashboardDelivery: configMaps`: it would not be delivered",
            at=(*_DASHBOARDS, index, key),
            key=True,
            hint="vendor its JSON (Istio's are in the Istio release's "
            f"manifests/addons/dashboards/) and use `file:` instead of {key}",
        )


def _configmap_dashboards(
    ctx: CheckContext,
) -> Iterator[tuple[str, int, KeyPath, tuple[str, ...]]]:
    """(ConfigMap, counted data bytes, config path, dashboards it holds) of each of them.

    Every dashboard ConfigMap the tree makes: meshgen's own, or the grafana chart's one per
    provider.
    """
    from meshgen.render import dashboard_configmaps as dcm

    grafana = ctx.config.monitoring.grafana if ctx.config else None
    if grafana is None:
        return
    if grafana.config_maps:
        for rendered in ctx.files:
            if not rendered.path.startswith(f"{dcm.DIR}/"):
                continue
            data = rendered.data if isinstance(rendered.data, Mapping) else {}
            entries = data.get("data")
            size = helm_storage.configmap_data_size(entries if isinstance(entries, Mapping) else {})
            name = str(data.get("metadata", {}).get("name", rendered.path))
            held = tuple(str(k).removesuffix(".json") for k in entries or {})
            yield name, size, rendered.origin or _DASHBOARDS, held
        return
    values = _release_values(ctx)
    if values is None:
        return
    boards = values.get("dashboards")
    for provider, entries in (boards if isinstance(boards, Mapping) else {}).items():
        if not isinstance(entries, Mapping):
            continue
        # The chart writes each `json:` with `|-`: trailing line breaks are not stored.
        sizes = {
            str(key): len(str(entry["json"]).rstrip("\n").encode("utf-8"))
            for key, entry in entries.items()
            if isinstance(entry, Mapping) and "json" in entry
        }
        if not sizes:
            continue
        # The first local dashboard of the folder; the generated ones: the switch for them.
        switch: KeyPath = ("monitoring", "grafana", "serviceDashboards")
        first = next(
            (
                (*_DASHBOARDS, i)
                for i, d in enumerate(grafana.dashboards)
                if d.folder == provider and d.file
            ),
            switch if ctx.source.has(switch) else ("monitoring", "grafana"),
        )
        yield (
            f"{_grafana_fullname(ctx, values)}-dashboards-{provider}",
            sum(sizes.values()),
            first,
            tuple(f"{key}: {size:,} B" for key, size in sorted(sizes.items())),
        )


def _grafana_fullname(ctx: CheckContext, values: Mapping[str, Any]) -> str:
    """The grafana chart's `grafana.fullname` (the stack's release for its subchart)."""
    from meshgen.render import naming

    monitoring = ctx.config.monitoring if ctx.config else None
    stack = monitoring.kube_prometheus_stack if monitoring else None
    grafana = monitoring.grafana if monitoring else None
    release = stack.release if stack else grafana.release if grafana else "grafana"
    return naming.grafana_service(release, "", values)[0]


@check("G121", "dashboard-configmap-too-large", Severity.ERROR, needs=("dashboards",))
def dashboard_configmap_too_large(ctx: CheckContext) -> Iterator[Finding]:
    """A ConfigMap of dashboards holds more than 1 MiB of data.

    Why: the API server refuses a ConfigMap whose `data` values add up to more than
    1,048,576 bytes (`ValidateConfigMap`, the same limit as a Secret's); the release fails
    and no dashboard of it loads (peers 15: Istio's own sample splits its dashboards over
    two ConfigMaps for this). Counted as the API server counts: the UTF-8 bytes of every
    `data` value; keys, labels and annotations are outside that sum. Under `values`
    delivery the grafana chart puts every local dashboard of one folder into one ConfigMap.

    Example: `dashboards: [{name: everything, file: dashboards/huge.json}]` with a 1.2 MB
    JSON file, or three 400 kB dashboards in one folder under `values` delivery.

    Fix: with `dashboardDelivery: configMaps` each dashboard has its own ConfigMap; a
    single dashboard over 1 MiB must be split into smaller dashboards (or minified: the
    indentation of exported JSON is often a third of it). A hand-written ConfigMap (`meshgen
    lint`): split its dashboards over several ConfigMaps, as Istio's sample does.
    """
    limit = helm_storage.MAX_OBJECT_DATA
    for linted in ctx.memo.get(LINTED_CONFIGMAPS, ()):
        if linted.data_size > limit:
            yield Finding(
                f"ConfigMap {linted.name} holds {_mib(linted.data_size)} of data, over "
                f"Kubernetes' limit of {limit:,} B: the API server refuses it",
                span=linted.span,
                hint="split its dashboards over several ConfigMaps",
            )
    grafana = ctx.config.monitoring.grafana if ctx.config else None
    if grafana is None:
        return
    for name, size, at, held in _configmap_dashboards(ctx):
        if size <= helm_storage.MAX_OBJECT_DATA:
            continue
        detail: tuple[str, ...] = ()
        if grafana.config_maps:
            what = f"dashboard {', '.join(held)}"
        else:
            what, detail = f"{len(held)} dashboard(s) of one folder", held
        yield Finding(
            f"ConfigMap {name} would hold {_mib(size)} of data ({what}), over Kubernetes' "
            f"limit of {helm_storage.MAX_OBJECT_DATA:,} B: the API server refuses it",
            at=at,
            detail=detail,
            hint="split or minify the dashboard"
            if grafana.config_maps
            else "`dashboardDelivery: configMaps` gives each dashboard its own ConfigMap",
        )


def _release_values(ctx: CheckContext) -> Mapping[str, Any] | None:
    """The grafana chart's values as rendered (the grafana release's or the stack's)."""
    from meshgen.checks.grafana.common import grafana_values

    values = grafana_values(ctx)
    return values.data if values is not None else None


def _text(ctx: CheckContext, rendered: RenderedFile) -> str:
    """A rendered file's text; a released one's from the tree on disk that holds it."""
    if not rendered.released:
        return rendered.text
    text = ctx.released_text(rendered.path)
    if text is not None:
        return text
    from meshgen.render.yaml_writer import dump  # no tree to read: the data, uncommented

    return dump(rendered.data)


def _dashboards_release_sizes(ctx: CheckContext) -> list[tuple[str, int]]:
    """(release, Helm's stored size) of each `grafana-dashboards-<folder>` release.

    helmfile makes a chart of a folder of manifests (chartify): Chart.yaml `name:` the
    folder's name, version 1.0.0; each manifest kept as `files/templates/<file>` and printed
    by a one-line template `{{ .Files.Get "files/templates/<file>" }}`. The manifest Helm
    stores is each rendered file under a `# Source:` line.
    """
    from meshgen.render import dashboard_configmaps as dcm
    from meshgen.render.grafana import SERVICE_DASHBOARD_FOLDER

    config = ctx.config
    grafana = config.monitoring.grafana if config else None
    folders = [d.folder for d in grafana.dashboards] if grafana else []
    releases = {
        dcm.folder_dir(f): dcm.release_name(f) for f in [*folders, SERVICE_DASHBOARD_FOLDER]
    }
    by_dir: dict[str, list[Any]] = {}
    for rendered in ctx.files:
        if rendered.path.startswith(f"{dcm.DIR}/"):
            by_dir.setdefault(rendered.path.rsplit("/", 1)[0], []).append(rendered)
    namespace = config.monitoring.namespace if config else "monitoring"
    out = []
    for folder, files in by_dir.items():
        name = releases.get(folder, folder.rsplit("/", 1)[-1])
        out.append((name, _chartify_size(ctx, name, folder, namespace, files)))
    return out


def _chartify_size(
    ctx: CheckContext, name: str, folder: str, namespace: str, files: list[Any]
) -> int:
    chart = folder.rsplit("/", 1)[-1]
    names = [f.path.rsplit("/", 1)[-1] for f in files]
    # The texts' digests say what the release is made of; the texts (of released files,
    # on disk) are read only when its size is not known yet.
    made_of = [
        ("digest", f.text_digest) if f.text_digest else ("text", _text(ctx, f)) for f in files
    ]

    read: list[str] = []

    def release() -> Iterator[bytes]:
        texts = read[:] = [_text(ctx, f) for f in files]
        return helm_storage.release_json_chunks(
            name=name,
            namespace=namespace,
            chart={"name": chart, "version": "1.0.0", "apiVersion": "v2"},
            templates=[
                (f"templates/{n}", f'{{{{ .Files.Get "files/templates/{n}" }}}}\n'.encode())
                for n in names
            ],
            files=[
                (f"files/templates/{n}", t.encode("utf-8"))
                for n, t in zip(names, texts, strict=True)
            ],
            manifest="".join(
                f"---\n# Source: {chart}/templates/{n}\n{t}"
                for n, t in zip(names, texts, strict=True)
            ),
        )

    def as_named() -> bool:
        # A released file's text comes from disk: a file changed or gone since the plan
        # proved it must not leave its size under the rendered text's digest.
        return all(
            not f.released or not f.text_digest or text_digest(text) == f.text_digest
            for f, text in zip(files, read, strict=True)
        )

    return _secret_size(["chartify", name, namespace, names, made_of], release, keep=as_named)


def _values_release_size(ctx: CheckContext) -> tuple[str, int] | None:
    """(release, at least the stored size) of the release holding the grafana values.

    What meshgen renders into it, encoded as Helm encodes it: the values (Helm's `config`)
    and the dashboards the chart writes into its `dashboards-<provider>` ConfigMaps (part of
    the manifest). The chart's own templates, files and other objects come on top.
    """
    from meshgen.render import kube_prometheus_stack as kps

    config = ctx.config
    grafana = config.monitoring.grafana if config else None
    if config is None or grafana is None:
        return None
    values = _release_values(ctx)
    if values is None:
        return None
    stack = config.monitoring.operator
    rendered = ctx.rendered(kps.VALUES) if stack else None
    release_values = rendered.data if rendered is not None else values
    boards = values.get("dashboards")
    texts = [
        str(entry["json"])
        for entries in (boards.values() if isinstance(boards, Mapping) else ())
        if isinstance(entries, Mapping)
        for entry in entries.values()
        if isinstance(entry, Mapping) and "json" in entry
    ]
    if not texts:
        return None
    section = config.monitoring.kube_prometheus_stack
    name = section.release if stack and section is not None else grafana.release
    chart = "kube-prometheus-stack" if stack else "grafana"
    given = release_values if isinstance(release_values, Mapping) else {}

    def release() -> Iterator[bytes]:
        return helm_storage.release_json_chunks(
            name=name,
            namespace=config.monitoring.namespace,
            chart={"name": chart},
            config=given,
            manifest="".join(f"---\ndata:\n  dashboard.json: |-\n{t}" for t in texts),
        )

    return name, _secret_size(["values", name, config.monitoring.namespace, chart, given], release)


@check("H150", "helm-release-too-large", Severity.ERROR, needs=("rendered",))
def helm_release_too_large(ctx: CheckContext) -> Iterator[Finding]:
    """A release holding dashboards would be stored by Helm in more than 1 MiB.

    Why: Helm stores each revision of a release as one Secret: the release as JSON
    (chart files, values, rendered manifest), gzip-compressed, base64-encoded
    (`pkg/storage/driver/util.go` `encodeRelease`). A Secret's data is limited to
    1,048,576 bytes, so the install fails with `Secret ... is invalid: data: Too long`
    although every object in it is small. Dashboards count twice in the grafana release
    under `values` delivery (in the values and in the rendered ConfigMaps).

    Example: `dashboardDelivery: values` with a hundred vendored dashboards of 100 kB over
    a few folders, or `configMaps` with 46 copies of Istio's service dashboard.

    Fix: `dashboardDelivery: configMaps` moves the dashboards out of the grafana release
    into one `grafana-dashboards-<folder>` release per Grafana folder; if one of those is
    still over the limit, spread its dashboards over more folders or deliver fewer or
    smaller ones (`serviceDashboards: false` drops the generated one per service).
    """
    config = ctx.config
    grafana = config.monitoring.grafana if config else None
    if config is None or grafana is None:
        return

    limit = helm_storage.MAX_OBJECT_DATA
    if grafana.config_maps:
        for release, size in _dashboards_release_sizes(ctx):
            if size > limit:
                yield Finding(
                    f"release {release} would be stored by Helm in {_mib(size)} (its JSON, "
                    f"gzip-compressed and base64-encoded), over the Secret limit of {limit:,} B",
                    at=("monitoring", "grafana", "dashboardDelivery"),
                    hint="deliver fewer or smaller dashboards in this folder, or spread them "
                    "over more folders (one release each; `serviceDashboards: false` drops "
                    "the generated ones)",
                )
        return
    found = _values_release_size(ctx)
    if found is not None and found[1] > limit:
        release, size = found
        yield Finding(
            f"release {release} would be stored by Helm in at least {_mib(size)} (its values "
            "and the dashboards in its manifest, gzip-compressed and base64-encoded; the "
            f"chart's own files come on top), over the Secret limit of {limit:,} B",
            at=_DASHBOARDS,
            key=True,
            hint="`dashboardDelivery: configMaps` moves the dashboards into their own release",
        )


@check("G122", "dashboard-configmap-client-apply", Severity.WARNING, needs=("dashboards",))
def dashboard_configmap_client_apply(ctx: CheckContext) -> Iterator[Finding]:
    """A hand-written dashboard ConfigMap too large for client-side `kubectl apply`.

    Why: client-side `kubectl apply` stores the whole object as JSON in its
    `kubectl.kubernetes.io/last-applied-configuration` annotation, and all annotations of an
    object together may hold at most 262,144 bytes, so a ConfigMap of more than about
    256 KiB of dashboards fails with `metadata.annotations: Too long: must have at most
    262144 bytes` (peers 15: istio#27930, kube-prometheus#709) although it is far below
    the 1 MiB object limit. Helm and server-side apply write no such annotation: the
    ConfigMaps meshgen renders are not affected.

    Example: Istio's workload and service dashboards (about 110 kB each) and two more in
    one ConfigMap applied with `kubectl apply -f`.

    Fix: apply it with `kubectl apply --server-side` (or `kubectl create`/`replace`), deliver
    it through helm, or split its dashboards over ConfigMaps of at most 256 KiB.
    """
    for linted in ctx.memo.get(LINTED_CONFIGMAPS, ()):
        if linted.applied_annotations > MAX_ANNOTATIONS:
            yield Finding(
                f"ConfigMap {linted.name}: client-side `kubectl apply` would write "
                f"{linted.applied_annotations:,} B of annotations (the object as JSON in "
                f"{LAST_APPLIED}), over the limit of {MAX_ANNOTATIONS:,} B",
                span=linted.span,
                hint="`kubectl apply --server-side`, or split its dashboards",
            )


@check("G123", "dashboard-sidecar-not-watching", Severity.ERROR, needs=("rendered",))
def dashboard_sidecar_not_watching(ctx: CheckContext) -> Iterator[Finding]:
    """Under `dashboardDelivery: configMaps`, the rendered Grafana sidecar does not watch them.

    Why: the ConfigMaps reach Grafana only through the chart's dashboards sidecar; if the
    values turn it off (`sidecar.dashboards.enabled: false`) or restrict the namespaces it
    searches (`sidecar.dashboards.searchNamespace`) to ones without the monitoring
    namespace, no dashboard appears and nothing reports it.

    Example: `monitoring.grafana.values: {sidecar: {dashboards: {searchNamespace: [apps]}}}`
    with `dashboardDelivery: configMaps`.

    Fix: leave `sidecar.dashboards.enabled` on and let `searchNamespace` include the
    monitoring namespace (or `ALL`).
    """
    from meshgen.checks.grafana.common import grafana_values
    from meshgen.render.dashboard_sidecar import watch

    config = ctx.config
    grafana = config.monitoring.grafana if config else None
    values = grafana_values(ctx)
    if config is None or grafana is None or not grafana.config_maps or values is None:
        return
    if not watch(values.data).enabled:
        yield Finding(
            "the Grafana dashboards sidecar is off: the dashboard ConfigMaps would never load",
            span=values.locate(("sidecar", "dashboards", "enabled")),
        )
        return
    sidecar = values.data.get("sidecar", {}).get("dashboards", {})
    searched = sidecar.get("searchNamespace") if isinstance(sidecar, Mapping) else None
    if searched is None:
        return  # its own namespace, the monitoring namespace
    names = [searched] if isinstance(searched, str) else list(searched or ())
    namespace = config.monitoring.namespace
    if "ALL" not in names and namespace not in names:
        yield Finding(
            f"the Grafana dashboards sidecar searches {', '.join(map(str, names))}, not "
            f"{namespace} where the dashboard ConfigMaps are: they would never load",
            span=values.locate(("sidecar", "dashboards", "searchNamespace")),
        )
