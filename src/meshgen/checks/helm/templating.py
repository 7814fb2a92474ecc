"""H109: config strings that helmfile would evaluate as Go templates.

helmfile renders a release's name, namespace, chart, version and labels as Go templates
even in a plain `helmfile.yaml`, and helmfile 0.x (v0 mode, its default) renders the whole
plain file, comments included. A config string with `{{` that reaches helmfile.yaml is code,
not text: `version: '0.1.0{{ "-x" }}'` deploys 0.1.0-x.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from meshgen.checks.context import CheckContext
from meshgen.checks.framework import Finding, check
from meshgen.diagnostics import Severity
from meshgen.render import naming
from meshgen.source import KeyPath


def _strings(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _strings(value, (*path, str(key)))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))


@check("H109", "helmfile-template-syntax", Severity.ERROR, needs=("config", "rendered"))
def helmfile_template_syntax(ctx: CheckContext) -> Iterator[Finding]:
    """A config string with Go template syntax (`{{`) ends up in helmfile.yaml.

    Why: helmfile evaluates `{{ ... }}` in release fields (name, namespace, chart,
    version, labels) in every mode, and helmfile 0.x evaluates the whole plain
    helmfile.yaml. The string is then not what the config says: `0.1.0{{ "-x" }}` becomes
    `0.1.0-x`, and `{{ exec ... }}` runs a command on the machine that deploys.

    Example: `services: [{name: api, chart: repo/api, version: '1.0{{ "-rc1" }}'}]`

    Fix: write the value out (`version: 1.0-rc1`); template syntax has no meaning in
    meshgen.yaml.
    """
    helmfile = ctx.rendered(naming.HELMFILE)
    if helmfile is None or ctx.config is None:
        return
    # The data, not the text: a check runs on released files too (the tree on disk holds
    # them); meshgen's own comments in helmfile.yaml carry no config strings.
    rendered = {value for _, value in _strings(list(helmfile.documents)) if "{{" in value}
    if not rendered:
        return
    for path, value in _strings(ctx.config.model_dump(by_alias=True, exclude_none=True)):
        if "{{" in value and any(value in text for text in rendered):
            yield Finding(
                f"{'.'.join(str(p) for p in path)} holds Go template syntax that helmfile "
                f"would evaluate in helmfile.yaml: {value!r}",
                at=path,
            )
