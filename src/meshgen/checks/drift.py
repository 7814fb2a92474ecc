"""D1xx: the committed tree against what meshgen renders now."""

from __future__ import annotations

from collections.abc import Iterator

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.load.files import display_path
from meshgen.source import Span


def _shown(ctx: CheckContext, rel: str) -> str:
    return f"{ctx.output_dir}/{rel}" if ctx.output_dir else rel


@check("D101", "stale-rendered-file", Severity.ERROR, needs=("config", "disk"))
def stale_rendered_file(ctx: CheckContext) -> Iterator[Finding]:
    """A rendered file on disk differs from what the config renders now, or is missing.

    Why: helmfile deploys the files on disk; a stale tree deploys an older config.

    Example: `meshgen.yaml` changed but `meshgen render` was not run.

    Fix: run `meshgen render` and commit the result (`meshgen render --check` shows the diff).
    """
    plan = ctx.plan
    for rendered in plan.create:
        yield Finding(
            f"{rendered.path} is missing; run `meshgen render`",
            span=Span(_shown(ctx, rendered.path)),
            related=(rendered.origin,),
        )
    for rendered in plan.update:
        yield Finding(
            f"{rendered.path} is stale; run `meshgen render`",
            span=Span(_shown(ctx, rendered.path)),
            related=(rendered.origin,),
        )
    for path in plan.remove:
        rel = display_path(path)
        yield Finding(
            f"{rel} is no longer generated; run `meshgen render` to remove it", span=Span(rel)
        )


@check("D102", "hand-edited-rendered-file", Severity.ERROR, needs=("config", "disk"))
def hand_edited_rendered_file(ctx: CheckContext) -> Iterator[Finding]:
    """A generated file was edited by hand, or a file in the way was not written by meshgen.

    Each generated file records a checksum of its body in its header; an edit breaks it.

    Why: the next `meshgen render` would overwrite the edit; the change belongs in the config.

    Example: editing `values/istio-values.yaml` directly.

    Fix: move the change into `meshgen.yaml` (e.g. `istio.values`), then `meshgen render --force`.
    """
    for path, reason in ctx.plan.conflicts:
        yield Finding(f"{display_path(path)} {reason}", span=Span(display_path(path)))


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
