#!/usr/bin/env bash
# Repeats the failures a test run left in its results folder (scripts/test.sh): the suites that
# failed, the node:test cases that failed, with their error (a Slurm test's diagnostics
# included) and location, and pytest's short summary. Jest and Playwright print their own
# failures above.
results=${1:-build/test-results/latest}
if [ -s "$results/failed-suites" ]; then
  echo "== suites that failed: $(paste -sd, "$results/failed-suites" | sed 's/,/, /g')"
fi
if [ -s "$results/node.tap" ] && grep -q '^ *not ok' "$results/node.tap"; then
  echo "== failed core and bridge tests (from $results/node.tap)"
  # A failing case: its "not ok" line and the YAML block under it (up to its "...").
  awk '/^ *not ok/ { show = 1 } show { print } show && /^ *\.\.\.$/ { show = 0 }' "$results/node.tap"
fi
if [ -s "$results/pytest.txt" ] && grep -q '^FAILED\|^ERROR' "$results/pytest.txt"; then
  echo "== failed Python tests"
  grep '^FAILED\|^ERROR' "$results/pytest.txt"
fi
