"""Write docs/diagnostics.md from the check registry (a test keeps it fresh)."""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"


def render() -> str:
    from meshgen.checks import ALL_CHECKS
    from meshgen.diagnostics import LOADER_CODES

    lines = [
        "# meshgen diagnostics",
        "",
        "Generated from the check registry by `scripts/gen_diagnostics_doc.py`; do not edit.",
        "`meshgen explain CODE` prints the same text. Codes are permanent: an area letter",
        "(C config, T telemetry, K Kubernetes/Istio resources, H Helm/Helmfile, G Grafana,",
        "D drift, X internal) and three digits. Re-grade or ignore a code in the config's",
        "`checks:` section (a reason is required).",
        "",
        "| code | name | severity | finds | aliases |",
        "|---|---|---|---|---|",
    ]
    for code, (name, text) in LOADER_CODES.items():
        lines.append(f"| {code} | `{name}` | error | {text} | |")
    for chk in ALL_CHECKS:
        lines.append(
            f"| [{chk.code}](#{chk.code.lower()}) | `{chk.name}` | {chk.severity} | "
            f"{chk.summary} | {', '.join(chk.aliases)} |"
        )
    lines += [
        "",
        "## Internal",
        "",
        "- `X001 check-crashed`: a check raised; the others still ran.",
        "- `X002 render-failed`: a template produced text that does not parse back.",
        "",
    ]
    for chk in ALL_CHECKS:
        lines += [f"## {chk.code}", "", f"**{chk.name}** ({chk.severity})"]
        if chk.aliases:
            lines.append(f"· aliases: {', '.join(chk.aliases)}")
        lines += ["", chk.doc, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
