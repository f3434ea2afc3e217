#!/usr/bin/env bash
# Formats the code in place: Prettier over the TypeScript, `ruff format` over the Python (the
# paths scripts/lint.sh checks, in scripts/lint-paths.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lint-paths.sh
. scripts/lint-paths.sh
node_modules/.bin/prettier --write --log-level warn "${PRETTIER_GLOBS[@]}"
.venv/bin/ruff format "${PY_PATHS[@]}"
