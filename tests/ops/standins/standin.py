"""A stand-in for helmfile or kubectl: records its argv, replays a recorded response.

Installed by tests/ops/conftest.py as `<bin>/helmfile` and `<bin>/kubectl` (a copy with a
shebang naming the test interpreter). It appends {"tool", "args", "stdin"} as a JSON line to
$STANDIN_DIR/calls.jsonl, then looks up the responses in $STANDIN_DIR/responses.json whose
tool and args match exactly, prints the stdout/stderr (inline text, or a file under
$STANDIN_RECORDED) of the n-th (n: the earlier calls with these args; the last one repeats)
and exits with its code. An unexpected call exits 97 and says so.
"""

import json
import os
import sys
from pathlib import Path


def main() -> int:
    tool = Path(sys.argv[0]).name
    args = sys.argv[1:]
    root = Path(os.environ["STANDIN_DIR"])
    recorded = Path(os.environ["STANDIN_RECORDED"])
    stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    log_path = root / "calls.jsonl"
    earlier = 0
    if log_path.exists():
        for line in log_path.read_text(encoding="utf-8").splitlines():
            call = json.loads(line)
            earlier += call["tool"] == tool and call["args"] == args
    with log_path.open("a", encoding="utf-8") as log:
        log.write(json.dumps({"tool": tool, "args": args, "stdin": stdin}) + "\n")
    responses = json.loads((root / "responses.json").read_text(encoding="utf-8"))
    matching = [r for r in responses if r["tool"] == tool and r["args"] == args]
    if matching:
        response = matching[min(earlier, len(matching) - 1)]
        for stream, key in ((sys.stdout, "stdout"), (sys.stderr, "stderr")):
            text = response.get(key, "")
            if response.get(f"{key}_file"):
                text = (recorded / response[f"{key}_file"]).read_text(encoding="utf-8")
            stream.write(text)
            stream.flush()
        return int(response.get("code", 0))
    sys.stderr.write(f"stand-in {tool}: no recorded response for {args}\n")
    return 97


if __name__ == "__main__":
    sys.exit(main())
