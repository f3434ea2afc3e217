#!/usr/bin/env bash
# Writes requirements-lock.txt anew: resolves what scripts/install.sh installs, unconstrained,
# in a throw-away virtual environment, and records every version (plus this package's build
# backend). Run it after changing a Python dependency; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --upgrade pip
"$tmp/venv/bin/pip" install -q -e ".[test]" jupyterlab ipykernel jupyter-builder hatchling
{
  echo "# Python lock: the exact versions scripts/install.sh installs (pip constraints, also applied to the"
  echo "# build of this package: hatchling and its needs). Regenerate after changing a dependency:"
  echo "#   scripts/lock-python.sh"
  echo "# python: $("$tmp/venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  # --all: pip and setuptools too (a new virtual environment has them).
  "$tmp/venv/bin/pip" freeze --all --exclude-editable | sort -f
} > requirements-lock.txt
echo "wrote requirements-lock.txt ($(grep -c '==' requirements-lock.txt) pins)"
