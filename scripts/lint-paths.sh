# What scripts/lint.sh checks and scripts/format.sh formats (sourced by both).
# TypeScript: the extension, the notebook widget, the bridge, the engine, the tests, the UI tests,
# the benchmarks.
TS_PATHS=(src widgets kernel-bridge core tests ui-tests/tests bench)
PRETTIER_GLOBS=()
for p in "${TS_PATHS[@]}"; do PRETTIER_GLOBS+=("$p/**/*.{ts,tsx}"); done
# Python: the package, its tests, the benchmark comparison (the files pyproject.toml's
# [tool.ruff] includes; the conformance cases and examples are users' code, kept as written).
PY_PATHS=(perqueue_lab tests/python bench)
