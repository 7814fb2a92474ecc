"""What every renderer receives, and the one function that turns data into a checked file."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from meshgen import yamlio
from meshgen.models import MeshConfig
from meshgen.render.environment import render_template
from meshgen.render.files import RenderedFile, header
from meshgen.source import KeyPath


class RenderError(Exception):
    """A template produced text that does not parse back to the intended data (a meshgen bug)."""

    def __init__(self, path: str, message: str, origin: KeyPath = ()) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.origin = origin


@dataclass(frozen=True)
class RenderInputs:
    """A validated config plus what rendering needs from outside it (already read)."""

    config: MeshConfig
    #: The config file as named in headers: its path relative to the output folder.
    config_name: str = "meshgen.yaml"
    #: Path from the output folder to the config's folder (posix), for local chart paths.
    config_dir_from_output: str = "../.."
    #: Local dashboard JSON text by dashboard name.
    dashboard_files: Mapping[str, str] = field(default_factory=dict)

    def chart_path(self, chart: str) -> str:
        """A local chart path from the config, as seen from the output folder."""
        if chart.startswith("/"):
            return chart
        return posixpath.normpath(posixpath.join(self.config_dir_from_output, chart))


def build_file(
    inputs: RenderInputs,
    path: str,
    template: str,
    documents: Sequence[Any],
    *,
    origin: KeyPath = (),
    **context: Any,
) -> RenderedFile:
    """Render `template` for `documents`, prepend the header, and prove it parses back."""
    body = render_template(template, documents=documents, **context)
    if not body.endswith("\n"):
        body += "\n"
    try:
        # Read back as helm will read it (YAML 1.1): a value that would change type or
        # shape there is caught here, before anything is written.
        parsed = yamlio.load_all_as_helm_reads(body)
    except Exception as exc:  # any parser error here is a template bug
        raise RenderError(path, f"rendered text is not valid YAML: {exc}", origin) from exc
    parsed = [doc for doc in parsed if doc is not None]
    if parsed != [yamlio.to_plain(doc) for doc in documents]:
        raise RenderError(path, "rendered text does not parse back to the intended data", origin)
    text = header(inputs.config_name, body) + body
    return RenderedFile(path=path, text=text, documents=tuple(parsed), origin=origin)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm-style merge: maps merge recursively, everything else (lists too) is replaced."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
