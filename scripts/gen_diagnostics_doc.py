"""Write docs/diagnostics.md from the code catalogue (a test keeps it fresh)."""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"


def render() -> str:
    """The whole page: a table of every code, then each code's documentation."""
    from meshgen import api

    entries = tuple(api.catalogue())
    lines = [
        "# meshgen diagnostics",
        "",
        "Generated from the code catalogue by `scripts/gen_diagnostics_doc.py`; do not edit.",
        "`meshgen explain CODE` prints the same text (a code, an `IST` alias or a name);",
        "`meshgen checks` lists them all. Codes are permanent: an area letter (C config,",
        "T telemetry, K Kubernetes/Istio resources, H Helm/Helmfile, G Grafana, D drift,",
        "X internal) and three digits. C0xx codes come from reading the input, X0xx codes are",
        "meshgen bugs, the others are checks. Re-grade or ignore a check's code in the config's",
        "`checks:` section (a reason is required).",
        "",
        "| code | name | severity | finds | aliases |",
        "|---|---|---|---|---|",
    ]
    for entry in entries:
        summary = entry.summary.replace("|", "\\|")
        lines.append(
            f"| [{entry.code}](#{entry.code.lower()}) | `{entry.name}` | {entry.severity} | "
            f"{summary} | {', '.join(entry.aliases)} |"
        )
    lines.append("")
    for entry in entries:
        lines += [f"## {entry.code}", "", f"**{entry.name}** ({entry.severity})"]
        if entry.aliases:
            lines.append(f"· aliases: {', '.join(entry.aliases)}")
        lines += ["", entry.doc, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
