"""D1xx: the committed tree against what meshgen renders now."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from meshgen.checks import hand_edits
from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Diagnostic, Severity
from meshgen.load.files import display_path
from meshgen.source import Span

#: The reason `output.plan` gives for a generated file whose checksum no longer matches.
EDITED = "was edited by hand since meshgen wrote it"


def _shown(ctx: CheckContext, rel: str) -> str:
    return f"{ctx.output_dir}/{rel}" if ctx.output_dir else rel


def _conflicting(ctx: CheckContext) -> set[Path]:
    return {path for path, _ in ctx.plan.conflicts}


def _rendered_at(ctx: CheckContext, path: Path) -> Any:
    """The planned update written to `path` (the longest rendered path it ends with)."""
    posix = path.as_posix()
    found = [r for r in ctx.plan.update if posix.endswith("/" + r.path) or posix == r.path]
    return max(found, key=lambda r: len(r.path)) if found else None


@check("D101", "stale-rendered-file", Severity.ERROR, needs=("config", "disk"))
def stale_rendered_file(ctx: CheckContext) -> Iterator[Finding]:
    """A rendered file on disk differs from what the config renders now, or is missing.

    Why: helmfile deploys the files on disk; a stale tree deploys an older config.

    Example: `meshgen.yaml` changed but `meshgen render` was not run.

    A file edited by hand is D102's, not this check's: rendering would revert the edit.

    Fix: run `meshgen render` and commit the result (`meshgen render --check` shows the diff).
    """
    plan = ctx.plan
    conflicting = _conflicting(ctx)
    for rendered in plan.create:
        yield Finding(
            f"{rendered.path} is missing; run `meshgen render`",
            span=Span(_shown(ctx, rendered.path)),
            related=(rendered.origin,),
        )
    for rendered in plan.update:
        if any(p.as_posix().endswith("/" + rendered.path) for p in conflicting):
            continue
        yield Finding(
            f"{rendered.path} is stale; run `meshgen render`",
            span=Span(_shown(ctx, rendered.path)),
            related=(rendered.origin,),
        )
    for path in plan.remove:
        if path in conflicting:
            continue
        rel = display_path(path)
        yield Finding(
            f"{rel} is no longer generated; run `meshgen render` to remove it", span=Span(rel)
        )


@check("D102", "hand-edited-rendered-file", Severity.ERROR, needs=("config", "disk"))
def hand_edited_rendered_file(ctx: CheckContext) -> Iterator[Finding]:
    """A generated file was edited by hand, or a file in the way was not written by meshgen.

    Each generated file records a checksum of its body in its header; an edit breaks it.
    For a values file, each changed value is a finding of its own, at its line, naming the
    config key that renders it (a typed setting, else the chart's pass-through values).

    Why: the next `meshgen render` would overwrite the edit; the change belongs in the config.

    Example: setting `accessLogEncoding: JSON` in `values/istio-values.yaml` directly: it
    comes from `istio.accessLogging.encoding` in the config.

    Fix: `meshgen adopt` writes the edited values into the config, keeping its comments
    (`meshgen adopt --dry-run` prints the patch); rendering then reproduces the file. To
    throw the edit away instead, `meshgen render --force` restores the rendered file.
    """
    for path, reason in ctx.plan.conflicts:
        rendered = _rendered_at(ctx, path) if reason == EDITED else None
        found = list(_value_findings(ctx, rendered)) if rendered is not None else []
        if found:
            yield from found
            continue
        if reason == EDITED and rendered is not None and hand_edits.adoptable(rendered.path):
            reason += " (comments or layout only: nothing to adopt)"
        yield Finding(f"{display_path(path)} {reason}", span=Span(display_path(path)))


def on_disk_edits(
    ctx: CheckContext, rendered: Any
) -> tuple[list[hand_edits.ValueEdit], Any] | Diagnostic | None:
    """The values a hand edit changed in a rendered values file, and the file's source map.

    The C0xx diagnostic when its text on disk no longer parses; None when the file is not
    a values file.
    """
    from meshgen.load.yaml_reader import build_source_map

    if ctx.config is None or not hand_edits.adoptable(rendered.path):
        return None
    text = ctx.released_text(rendered.path)
    if text is None or len(rendered.documents) != 1:
        return None
    shown = _shown(ctx, rendered.path)
    found = hand_edits.disk_edits(rendered.documents[0], text, shown)
    if isinstance(found, Diagnostic):
        return found
    edits, document, _ = found
    return edits, build_source_map(document, shown)


def _value_findings(ctx: CheckContext, rendered: Any) -> Iterator[Finding]:
    found = on_disk_edits(ctx, rendered)
    if found is None or ctx.config is None:
        return
    if isinstance(found, Diagnostic):
        yield Finding(
            f"edited by hand, and no longer reads as YAML ({found.code}): {found.message}",
            span=found.span,
        )
        return
    edits, smap = found
    for edit in edits:
        source = hand_edits.config_source(ctx.config, rendered.path, edit)
        span = smap.lookup(edit.keys)
        was = "" if edit.old is hand_edits.MISSING else f" (rendered: {_short(edit.old)})"
        if source is None:
            yield Finding(
                f"hand edit: `{edit.shown()}`{was}: no config key renders this; undo it by "
                "hand, or drop the edit with `meshgen render --force`",
                span=span,
            )
            continue
        key = hand_edits.dotted(source.key)
        if source.typed:
            message = (
                f"hand edit: `{edit.shown()}`{was} comes from `{key}` in the config; "
                "`meshgen adopt` writes it there"
            )
        else:
            message = (
                f"hand edit: `{edit.shown()}`{was}: no typed setting renders it; "
                f"`meshgen adopt` writes it to `{key}`"
            )
        yield Finding(message, span=span, related=(source.key,))


def _short(value: Any) -> str:
    text = hand_edits.scalar_text(value)
    return text if len(text) <= 40 else text[:37] + "..."


@check("D103", "unrendered-file-in-tree", Severity.ERROR, needs=("config", "disk"))
def unrendered_file_in_tree(ctx: CheckContext) -> Iterator[Finding]:
    """A file in a folder meshgen writes into was not rendered by meshgen.

    meshgen owns the output folder and every folder it renders a file into; helmfile
    deploys some of them whole (`manifests/telemetry` and `manifests/namespaces` are chart
    folders), so a file dropped there is deployed without any of meshgen's checks.

    Why: a hand-written Telemetry in `manifests/telemetry/` reaches the cluster unchecked,
    and can override the Telemetry the config describes.

    Example: `manifests/telemetry/my-telemetry.yaml` written by hand.

    Fix: describe it in `meshgen.yaml` (e.g. `telemetry.resources`) and delete the file, or
    move it out of the rendered tree.
    """
    for path in getattr(ctx.plan, "foreign", ()):
        rel = display_path(path)
        yield Finding(
            f"{rel} was not rendered by meshgen; describe it in the config or move it out",
            span=Span(rel),
        )
