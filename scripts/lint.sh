#!/usr/bin/env bash
# Checks the code without changing it: ESLint (eslint.config.mjs) and Prettier (prettier.config.mjs)
# over the TypeScript, ruff's lint and format check and mypy (pyproject.toml) over the Python.
# Exits non-zero when any check fails, after running them all. scripts/format.sh fixes what
# Prettier and `ruff format` report.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lint-paths.sh
. scripts/lint-paths.sh
[ -x .venv/bin/ruff ] || { echo "lint.sh: no .venv/bin/ruff (run scripts/install.sh)" >&2; exit 2; }
[ -x node_modules/.bin/eslint ] || { echo "lint.sh: no node_modules/.bin/eslint (run scripts/install.sh)" >&2; exit 2; }

failed=()
check() {
  local name=$1
  shift
  echo "== lint: $name"
  "$@" || failed+=("$name")
}
check eslint node_modules/.bin/eslint --max-warnings 0 "${TS_PATHS[@]}"
check prettier node_modules/.bin/prettier --check --log-level warn "${PRETTIER_GLOBS[@]}"
check "ruff check" .venv/bin/ruff check "${PY_PATHS[@]}"
check "ruff format" .venv/bin/ruff format --check "${PY_PATHS[@]}"
check mypy .venv/bin/mypy

if [ ${#failed[@]} -gt 0 ]; then
  echo "lint: failed: ${failed[*]} (formatting: scripts/format.sh)" >&2
  exit 1
fi
echo "lint: clean"
