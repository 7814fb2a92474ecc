"""Write src/meshgen/analysis/cel_tables.json: cel-python's LALR tables as JSON.

    python scripts/gen_cel_tables.py

Run it after upgrading cel-python or Lark (a test says when the file is stale). Lark numbers
states and terminals in set order, so two runs may write different but equivalent files.
"""

from __future__ import annotations

import json

from meshgen.analysis import cel_tables


def main() -> None:
    text = json.dumps(cel_tables.build(), separators=(",", ":"), sort_keys=True) + "\n"
    cel_tables.TABLES.write_text(text, encoding="utf-8")
    print(f"wrote {cel_tables.TABLES} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
