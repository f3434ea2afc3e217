#!/usr/bin/env bash
# Install PerQueue Lab, submit the quick-start workflow in a demo project folder (which starts
# the bridge on the local executor with its SQLite file), and open JupyterLab there.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
# PQ_SKIP_INSTALL=1 skips the (idempotent but slow) install check; PQ_PORT picks the port.
[ "${PQ_SKIP_INSTALL:-0}" = 1 ] || "$REPO/scripts/install.sh"
DEMO=${PQ_DEMO_DIR:-$REPO/demo-project}
PORT=${PQ_PORT:-8888}
mkdir -p "$DEMO"
[ -d "$DEMO/examples" ] || cp -r "$REPO/examples" "$DEMO/examples"
cd "$DEMO"
export PQ_PYTHON="$REPO/.venv/bin/python" PATH="$REPO/.venv/bin:$PATH"
pql init
[ -n "$(pql status --json 2>/dev/null | grep -o quickstart || true)" ] || pql submit examples/quickstart/submit.py
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
# Jupyter prints its start address with `?token=` appended, so that address has no query of its
# own: /perqueue/open logs the browser in with the token and shows the newest workflow's graph.
# A fixed port, so the address printed is the one served.
exec jupyter lab --notebook-dir="$DEMO" --port="$PORT" --ServerApp.port_retries=0 \
  --LabApp.default_url="/perqueue/open" "${extra[@]}" "$@"
