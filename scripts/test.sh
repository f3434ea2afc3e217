#!/usr/bin/env bash
# Install everything, then run every test: core and bridge (node:test, real daemon, real
# SQLite, real processes), Python (pytest), and the slower suites. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PQ_WITH_BROWSER=1 scripts/install.sh
NODE=$(scripts/find-node.sh)
export PQ_TEST_PYTHON="$PWD/.venv/bin/python"
# The security suites (tests/bridge/security.test.ts, tests/python/test_security.py) attack as a
# second local user made with useradd: they need root, and here they fail rather than skip.
export PQ_REQUIRE_ROOT=1
status=0
# Each suite also leaves its failures in build/test-results/; the end of the run repeats them,
# so the reason for a red run is the last thing printed (the UI tests' server log is long).
results=build/test-results
rm -rf "$results" && mkdir -p "$results"

# Galata and Playwright (the browser is Debian's Chromium, installed above): needed by the UI
# tests and by the graph-panel benchmark's smoke run among the bridge tests.
echo "== UI test tools (ui-tests: npm ci)"
(cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || status=1

# The Slurm tests (tests/bridge/slurm*.test.ts) run against a real one-node Slurm, started
# here before the bridge tests; with PQ_REQUIRE_SLURM=1 they fail, never skip, without it.
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

# The conformance suite (tests/python/test_conformance.py) runs every case on the published
# PerQueue 0.3.2 too: its venv comes from PyPI (bench/baseline/setup.sh, idempotent).
echo "== PerQueue 0.3.2 baseline for the conformance suite (bench/baseline/setup.sh)"
bash bench/baseline/setup.sh || status=1
export PQ_BASELINE_PYTHON="$PWD/bench/.venv-baseline/bin/python"

echo "== core and bridge tests (node:test, Slurm tests included)"
"$NODE" --test --test-concurrency=2 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$results/node.tap" \
  build/tests/core/*.test.js build/tests/bridge/*.test.js || status=1

echo "== Python tests (pytest: API, runner, codec, kernel API, server extension against a real Jupyter server)"
.venv/bin/python -m pytest -q -rfE tests/python | tee "$results/pytest.txt" || status=1

echo "== JupyterLab model and graph code (jest)"
npm run -s test:jest || status=1

echo "== UI tests (Galata in Debian's Chromium against a real JupyterLab and bridge)"
(cd ui-tests && CI=1 npx playwright test) || status=1

scripts/test-failures.sh "$results" || true

exit $status
