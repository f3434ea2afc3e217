#!/usr/bin/env bash
# Creates bench/.venv-baseline with the published PerQueue and MyQueue from PyPI, for the
# side-by-side comparison (bench/compare.py). Idempotent: a second run only checks the install.
# MyQueue's configuration (scheduler 'local') and PerQueue's store are made per project folder by
# compare.py itself (every run starts from a fresh folder), so nothing global is written here.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/.venv-baseline"
py=${PQ_BASELINE_PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import perqueue, myqueue, networkx, psutil' 2>/dev/null; then
  # Their dependencies pinned too (requirements-lock.txt), unless other versions were asked for.
  constraints=()
  [ -n "${PQ_BASELINE_PERQUEUE:-}${PQ_BASELINE_MYQUEUE:-}" ] || constraints=(-c "$here/baseline/requirements-lock.txt")
  "$venv/bin/pip" install --quiet "${constraints[@]}" "perqueue==${PQ_BASELINE_PERQUEUE:-0.3.2}" "myqueue==${PQ_BASELINE_MYQUEUE:-26.8.1}" psutil
fi
"$venv/bin/python" - <<'PY'
from importlib.metadata import version
for p in ("perqueue", "myqueue", "networkx", "rich"):
    print(f"{p}=={version(p)}")
PY
