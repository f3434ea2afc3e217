#!/usr/bin/env bash
# Install PerQueue Lab, submit the quick-start workflow in a demo project folder (which starts
# the bridge on the local executor with its SQLite file), and open JupyterLab there.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
"$REPO/scripts/install.sh"
DEMO=${PQ_DEMO_DIR:-$REPO/demo-project}
mkdir -p "$DEMO"
[ -d "$DEMO/examples" ] || cp -r "$REPO/examples" "$DEMO/examples"
cd "$DEMO"
export PQ_PYTHON="$REPO/.venv/bin/python" PATH="$REPO/.venv/bin:$PATH"
pql init
[ -n "$(pql status --json 2>/dev/null | grep -o quickstart || true)" ] || pql submit examples/quickstart/submit.py
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
exec jupyter lab --notebook-dir="$DEMO" --LabApp.default_url="/lab?perqueue-open=latest" "${extra[@]}" "$@"
