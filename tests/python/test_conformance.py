"""The differential conformance suite (tests/conformance/): every case runs on the published
PerQueue 0.3.2 (bench/.venv-baseline, made by bench/baseline/setup.sh) and on PerQueue Lab, and
every task call must match, or be listed in docs/semantics.md as a documented difference.

The cases run a few at a time (PerQueue's local runner spends most of a task starting Python,
so they overlap well); each test reports its own case."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))
import harness  # noqa: E402

CASES = harness.case_names()


@pytest.fixture(scope="module")
def runs():
    assert harness.BASELINE_PY.exists(), f"run bench/baseline/setup.sh: no {harness.BASELINE_PY}"
    node = harness._node()
    pool = ThreadPoolExecutor(2)
    # Longest first, so that the slow ones do not start last.
    futures: dict[str, Future] = {
        c: pool.submit(harness.run_case, c, node) for c in sorted(CASES, key=lambda c: c != "otter")
    }
    yield futures
    pool.shutdown(wait=True)


def test_the_baseline_is_the_published_perqueue() -> None:
    assert harness.BASELINE_PY.exists(), f"run bench/baseline/setup.sh: no {harness.BASELINE_PY}"
    out = subprocess.run(
        [str(harness.BASELINE_PY), "-c", "from importlib.metadata import version; print(version('perqueue'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "0.3.2"


def test_documented_differences_name_real_cases() -> None:
    for d in harness.documented_differences():
        assert d["case"] in CASES, d
        assert d["side"] in ("perqueue", "ours", "both"), d
        assert d.get("why"), d


def test_a_difference_is_reported() -> None:
    # The comparison itself: one extra or changed call on either side is a difference.
    call = {"task": "t", "pq_index": [0], "pq_iteration": None, "inputs": {}, "ok": True, "outputs": {}, "error": None}
    assert harness.compare("probe_nesting", [call], [call]) == []
    swapped = {**call, "pq_index": [1]}
    problems = harness.compare("probe_nesting", [call], [swapped])
    assert len(problems) == 2 and "only on perqueue" in problems[0] and "only on ours" in problems[1]
    # A join's order matters, its keys' values do not (they are each system's entry ids).
    join = {**call, "inputs": {"x": {"__join__": [2, 1], "__keys__": "int"}}}
    reordered = {**call, "inputs": {"x": {"__join__": [1, 2], "__keys__": "int"}}}
    assert harness.compare("probe_nesting", [join], [reordered])
    # A documented difference is allowed only for its case, script and side.
    width0 = {**call, "task": "item"}
    assert harness.compare("probe_width0", [call, width0], [call]) == []
    assert harness.compare("probe_width0", [call], [call, width0])
    # ...and must show: a documented difference that no longer happens fails too.
    assert "documented difference not seen" in " ".join(harness.compare("probe_width0", [call], [call]))


@pytest.mark.parametrize("case", CASES)
def test_case_matches_perqueue(case: str, runs) -> None:
    problems = runs[case].result()
    assert not problems, f"{case}: calls differ from PerQueue 0.3.2:\n" + "\n".join(problems)
