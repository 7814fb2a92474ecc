"""Find the config file a command works on (kept light: the CLI imports it at start-up)."""

from __future__ import annotations

from pathlib import Path

from meshgen.errors import UsageError

CONFIG_CANDIDATES = ("meshgen.yaml", "infrastructure/meshgen.yaml")


def discover_config(explicit: Path | None = None, *, cwd: Path | None = None) -> Path:
    """`--config`, else ./meshgen.yaml, else ./infrastructure/meshgen.yaml."""
    if explicit is not None:
        return explicit
    base = cwd or Path.cwd()
    for candidate in CONFIG_CANDIDATES:
        if (base / candidate).is_file():
            return base / candidate
    raise UsageError(
        "no config found: pass --config FILE, or run where meshgen.yaml or "
        "infrastructure/meshgen.yaml exists (`meshgen init` writes one)"
    )
