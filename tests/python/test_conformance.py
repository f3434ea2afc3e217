"""The differential conformance suite (tests/conformance/): every case runs on the published
PerQueue 0.3.2 (bench/.venv-baseline, made by bench/baseline/setup.sh) and on PerQueue Lab, and
every task call must match, or be listed in docs/semantics.md as a documented difference."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))
import harness  # noqa: E402


def test_the_baseline_is_the_published_perqueue() -> None:
    assert harness.BASELINE_PY.exists(), f"run bench/baseline/setup.sh: no {harness.BASELINE_PY}"
    import subprocess

    out = subprocess.run(
        [str(harness.BASELINE_PY), "-c", "from importlib.metadata import version; print(version('perqueue'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert out == "0.3.2"


def test_documented_differences_name_real_cases() -> None:
    names = set(harness.case_names())
    for d in harness.documented_differences():
        assert d["case"] in names, d
        assert d["side"] in ("perqueue", "ours", "both"), d
        assert d.get("why"), d


def test_a_difference_is_reported() -> None:
    # The comparison itself: one extra or changed call on either side is a difference.
    call = {"task": "t", "pq_index": [0], "pq_iteration": None, "inputs": {}, "ok": True, "outputs": {}, "error": None}
    assert harness.compare("probe_nesting", [call], [call]) == []
    swapped = {**call, "pq_index": [1]}
    problems = harness.compare("probe_nesting", [call], [swapped])
    assert len(problems) == 2 and "only on perqueue" in problems[0] and "only on ours" in problems[1]


@pytest.mark.parametrize("case", harness.case_names())
def test_case_matches_perqueue(case: str) -> None:
    problems = harness.run_case(case)
    assert not problems, f"{case}: calls differ from PerQueue 0.3.2:\n" + "\n".join(problems)
