#!/usr/bin/env bash
# Runs the tests. With no argument: install everything from the registries, then the lint checks
# (scripts/lint.sh) and every suite — core and bridge (node:test: real daemon, real SQLite, real processes, a real one-node Slurm),
# Python (pytest), JupyterLab code (Jest) and the UI (Galata). With a selection: only that suite
# or file, on the installed tree, so a failure is reproduced in seconds. Exits non-zero when any
# suite fails; the failures are repeated at the very end (scripts/test-failures.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: scripts/test.sh [--repeat N] [-t PATTERN] [SELECTION ...]

  (nothing)   install everything (scripts/install.sh), then lint and every suite, as CI does
  lint        ESLint, Prettier, ruff and mypy (scripts/lint.sh; scripts/format.sh formats)
  node        core and bridge tests (node:test, build/tests/core|bridge), Slurm tests included
  slurm       the real-Slurm tests only (tests/bridge/slurm*.test.ts)
  python      the Python tests (pytest tests/python) and the parsers' doctests
  jest        the JupyterLab model and graph code (Jest)
  ui          the UI tests (Galata in Debian's Chromium)
  FILE        one test file: tests/core|bridge/X.test.ts runs build/tests/core|bridge/X.test.js,
              tests/python/test_X.py runs pytest on it, ui-tests/tests/X.spec.ts runs Playwright
              on it, src/FEATURE/__tests__/X.spec.ts or widgets/__tests__/X.spec.ts runs Jest on it

  --repeat N  run the selection N times and print "N runs, K failures" (proves a flaky test fixed)
  -t, --test-name-pattern PATTERN
              only the tests whose name matches (node --test-name-pattern, pytest -k,
              playwright -g, jest -t)
  --no-build  run on the tree as built (for a second invocation beside one that is running:
              a rebuild would rewrite the files its tests are loading)
  -h, --help  this text

A selection runs on the installed tree (scripts/install.sh once; it is run for you when .venv or
node_modules is missing) and rebuilds what it runs from: the bridge and its tests for node, slurm
and their files (npm run build:node), the JupyterLab extension for ui. A one-node Slurm
(tests/slurm/start-slurm.sh, as root or through sudo) is started only when the selection has Slurm
tests; they then fail, never skip, when it is not there (PQ_REQUIRE_SLURM=1).
EOF
}

repeat=1
build=1
pattern=
selection=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --no-build) build=0; shift ;;
    --repeat)
      [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "test.sh: --repeat needs a whole number >= 1, got '${2:-}'" >&2; exit 2; }
      repeat=$2; shift 2 ;;
    --repeat=*) set -- --repeat "${1#--repeat=}" "${@:2}" ;;
    -t | --test-name-pattern)
      [ -n "${2:-}" ] || { echo "test.sh: $1 needs a pattern" >&2; exit 2; }
      pattern=$2; shift 2 ;;
    --test-name-pattern=*) pattern=${1#*=}; shift ;;
    -*) echo "test.sh: unknown option '$1' (see scripts/test.sh --help)" >&2; exit 2 ;;
    *) selection+=("$1"); shift ;;
  esac
done

# What the selection asks for: suites, and single files by the runner that runs them.
all=0
node_files=() py_files=() ui_files=() jest_files=()
want_lint=0 want_node=0 want_slurm=0 want_python=0 want_jest=0 want_ui=0
[ ${#selection[@]} -eq 0 ] && all=1
for s in "${selection[@]}"; do
  case "$s" in
    lint) want_lint=1 ;;
    node) want_node=1 ;;
    slurm) want_slurm=1 ;;
    python) want_python=1 ;;
    jest) want_jest=1 ;;
    ui) want_ui=1 ;;
    tests/core/*.test.ts | tests/bridge/*.test.ts | build/tests/core/*.test.js | build/tests/bridge/*.test.js)
      src=${s#build/}; src=${src%.js}; src=${src%.ts}.ts
      js=build/${src%.ts}.js
      [ -f "$src" ] || { echo "test.sh: no test file '$src'" >&2; exit 2; }
      node_files+=("$js") ;;
    tests/python/*.py)
      [ -f "$s" ] || { echo "test.sh: no test file '$s'" >&2; exit 2; }
      py_files+=("$s") ;;
    ui-tests/*.spec.ts)
      [ -f "$s" ] || { echo "test.sh: no test file '$s'" >&2; exit 2; }
      ui_files+=("${s#ui-tests/}") ;;
    src/*.spec.ts | src/*.spec.tsx | src/*.test.ts | src/*.test.tsx | widgets/*.spec.ts | widgets/*.test.ts)
      [ -f "$s" ] || { echo "test.sh: no test file '$s'" >&2; exit 2; }
      jest_files+=("$s") ;;
    *) echo "test.sh: '$s' is neither a suite (lint, node, slurm, python, jest, ui) nor a test file it knows (see scripts/test.sh --help)" >&2; exit 2 ;;
  esac
done
if [ $all = 1 ]; then want_lint=1 want_node=1 want_python=1 want_jest=1 want_ui=1; fi

needs_node_build=0 needs_slurm=0
{ [ $want_node = 1 ] || [ $want_slurm = 1 ] || [ ${#node_files[@]} -gt 0 ]; } && needs_node_build=1
{ [ $want_node = 1 ] || [ $want_slurm = 1 ]; } && needs_slurm=1
for f in "${node_files[@]}"; do case "${f##*/}" in slurm*) needs_slurm=1 ;; esac; done
needs_ui=0
{ [ $want_ui = 1 ] || [ ${#ui_files[@]} -gt 0 ]; } && needs_ui=1
# Galata and Playwright also serve the graph-panel benchmark's smoke run among the bridge tests.
needs_ui_tools=$needs_ui
[ $want_node = 1 ] && needs_ui_tools=1
for f in "${node_files[@]}"; do case "${f##*/}" in bench-smoke*) needs_ui_tools=1 ;; esac; done

# Install: everything for the full run (a clean clone in CI); a selection only when missing.
if [ $all = 1 ]; then
  PQ_WITH_BROWSER=1 scripts/install.sh
else
  # The UI tests and the bridge tests' graph-panel benchmark also need Chromium and the
  # extension built and linked into the venv (install.sh does both).
  if [ ! -x .venv/bin/python ] || [ ! -d node_modules ] ||
    { [ $needs_ui_tools = 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -f perqueue_lab/labextension/package.json ]; }; }; then
    PQ_WITH_BROWSER=$needs_ui_tools scripts/install.sh
  fi
  if [ $build = 1 ] && [ $needs_node_build = 1 ]; then echo "== build: the bridge and its tests (npm run build:node)"; npm run -s build:node; fi
  if [ $build = 1 ] && [ $needs_ui = 1 ]; then echo "== build: the JupyterLab extension (npm run build:lab)"; PATH="$PWD/.venv/bin:$PATH" npm run -s build:lab; fi
fi
NODE=$(scripts/find-node.sh)
export PQ_TEST_PYTHON="$PWD/.venv/bin/python"
# The security suites (tests/bridge/security.test.ts, tests/python/test_security.py) attack as a
# second local user made with useradd: they need root, and here they fail rather than skip.
export PQ_REQUIRE_ROOT=1
status=0
# Each suite leaves its failures in the results folder (one per run with --repeat); the end of
# the output repeats them, so the reason for a red run is printed last. One folder per
# invocation, so that a selection run beside another one in the same tree keeps its own
# (build/test-results/latest is the newest); the full run starts from an empty build/test-results.
[ $all = 1 ] && rm -rf build/test-results
results_root=build/test-results/$(date -u +%Y%m%dT%H%M%SZ)-$$
mkdir -p "$results_root" && ln -sfn "${results_root##*/}" build/test-results/latest

if [ $all = 1 ] || { [ $needs_ui_tools = 1 ] && [ ! -d ui-tests/node_modules ]; }; then
  # Galata and Playwright (the browser is Debian's Chromium, installed above): needed by the UI
  # tests and by the graph-panel benchmark's smoke run among the bridge tests.
  echo "== UI test tools (ui-tests: npm ci)"
  (cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || status=1
fi

if [ $needs_slurm = 1 ]; then
  # The Slurm tests (tests/bridge/slurm*.test.ts) run against a real one-node Slurm; with
  # PQ_REQUIRE_SLURM=1 they fail, never skip, without it.
  echo "== one-node Slurm for the cluster tests (tests/slurm/start-slurm.sh)"
  as_root=()
  [ "$(id -u)" = 0 ] || as_root=(sudo -E)
  if slurm_env=$("${as_root[@]}" bash tests/slurm/start-slurm.sh) && eval "$slurm_env" && [ -n "${SLURM_CONF:-}" ]; then
    export SLURM_CONF
  else
    echo "!!!!!!!! ERROR: Slurm did not start (tests/slurm/start-slurm.sh failed, see above): the Slurm tests will fail" >&2
    status=1
  fi
  export PQ_REQUIRE_SLURM=1
fi

# The conformance suite (tests/python/test_conformance.py) runs every case on the published
# PerQueue 0.3.2 too: its venv comes from PyPI (bench/baseline/setup.sh, idempotent).
if [ $want_python = 1 ] || [ ${#py_files[@]} -gt 0 ]; then
  echo "== PerQueue 0.3.2 baseline for the conformance suite (bench/baseline/setup.sh)"
  bash bench/baseline/setup.sh || status=1
fi
export PQ_BASELINE_PYTHON="$PWD/bench/.venv-baseline/bin/python"

# One pass over the selection; its results go to $1. Returns non-zero when a suite failed, and
# names the suites that did in $1/failed-suites.
run_once() {
  local results=$1 rc=0
  mkdir -p "$results"
  local failed="$results/failed-suites"
  : >"$failed"
  local node_args=(--test --test-concurrency=2 --test-reporter=spec --test-reporter-destination=stdout
    --test-reporter=tap --test-reporter-destination="$results/node.tap")
  [ -n "$pattern" ] && node_args+=(--test-name-pattern="$pattern")
  # First: it takes seconds, and a red lint says so before the long suites.
  if [ $want_lint = 1 ]; then
    echo "== lint (scripts/lint.sh: ESLint, Prettier, ruff, mypy)"
    scripts/lint.sh || { rc=1; echo "lint (scripts/lint.sh)" >>"$failed"; }
  fi

  local targets=()
  if [ $want_node = 1 ]; then
    targets=(build/tests/core/*.test.js build/tests/bridge/*.test.js)
  else
    [ $want_slurm = 1 ] && targets+=(build/tests/bridge/slurm*.test.js)
    targets+=("${node_files[@]}")
  fi
  if [ ${#targets[@]} -gt 0 ]; then
    local what=
    [ $needs_slurm = 1 ] && what=", Slurm tests included"
    echo "== core and bridge tests (node:test$what): ${#targets[@]} file(s)"
    "$NODE" "${node_args[@]}" "${targets[@]}" || { rc=1; echo "node:test" >>"$failed"; }
  fi

  # The whole suite is pyproject.toml's testpaths: tests/python and the modules with doctests.
  local py=()
  [ $want_python = 1 ] || py=("${py_files[@]}")
  if [ $want_python = 1 ] || [ ${#py[@]} -gt 0 ]; then
    echo "== Python tests (pytest: API, runner, codec, kernel API, server extension against a real Jupyter server)"
    local k=()
    [ -n "$pattern" ] && k=(-k "$pattern")
    .venv/bin/python -m pytest -q -rfE "${k[@]}" "${py[@]}" | tee "$results/pytest.txt" || { rc=1; echo "pytest" >>"$failed"; }
  fi

  if [ $want_jest = 1 ] || [ ${#jest_files[@]} -gt 0 ]; then
    echo "== JupyterLab model and graph code (jest)"
    local j=()
    [ -n "$pattern" ] && j=(-t "$pattern")
    npm run -s test:jest -- "${j[@]}" "${jest_files[@]}" || { rc=1; echo "jest" >>"$failed"; }
  fi

  if [ $want_ui = 1 ] || [ ${#ui_files[@]} -gt 0 ]; then
    echo "== UI tests (Galata in Debian's Chromium against a real JupyterLab and bridge)"
    local g=()
    [ -n "$pattern" ] && g=(-g "$pattern")
    (cd ui-tests && CI=1 npx playwright test "${g[@]}" "${ui_files[@]}") || { rc=1; echo "playwright (ui-tests)" >>"$failed"; }
  fi
  return $rc
}

if [ "$repeat" = 1 ]; then
  run_once "$results_root" || status=1
  scripts/test-failures.sh "$results_root" || true
else
  failures=0
  for i in $(seq 1 "$repeat"); do
    echo "======== run $i of $repeat ($(date -u +%H:%M:%S) UTC)"
    start=$SECONDS
    if run_once "$results_root/run-$i"; then
      echo "======== run $i: passed in $((SECONDS - start)) s"
    else
      failures=$((failures + 1))
      echo "======== run $i: FAILED in $((SECONDS - start)) s"
    fi
  done
  for i in $(seq 1 "$repeat"); do
    if [ -s "$results_root/run-$i/failed-suites" ]; then
      echo "======== failures of run $i"
      scripts/test-failures.sh "$results_root/run-$i" || true
    fi
  done
  echo "$repeat runs, $failures failures"
  [ "$failures" = 0 ] || status=1
fi
exit $status
