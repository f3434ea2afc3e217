"""``python -m perqueue_lab.runner <run folder>`` as a real subprocess (docs/contracts.md §2-3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HAS_CODEC = (ROOT / "perqueue_lab" / "codec.py").is_file()


def run_task(
    tmp_path: Path,
    script: str,
    kwargs: dict | None = None,
    parents: list | None = None,
    env: dict | None = None,
    joined: dict | None = None,
):
    """Write the script and input.json, run the runner, return (process, result.json or None)."""
    code = tmp_path / "task.py"
    code.write_text(textwrap.dedent(script))
    run_dir = tmp_path / "runs" / "1" / "7.1"
    run_dir.mkdir(parents=True)
    (run_dir / "input.json").write_text(
        json.dumps(
            {
                "entryId": 7,
                "workflowId": 1,
                "attempt": 1,
                "name": "task.py",
                "code": str(code),
                "kwargs": kwargs or {},
                "joined": joined or {},
                "pqParents": parents or [],
            }
        )
    )
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "perqueue_lab.runner", str(run_dir)],
        capture_output=True,
        text=True,
        cwd=run_dir,
        env=full_env,
        timeout=120,
    )
    result_file = run_dir / "result.json"
    result = json.loads(result_file.read_text()) if result_file.exists() else None
    assert not (run_dir / "result.json.tmp").exists(), "the temporary file must be renamed away"
    return proc, result


def test_success_writes_ok_and_data(tmp_path):
    proc, result = run_task(
        tmp_path,
        """
        def main(x, y=1, **kwargs):
            return True, {"sum": x + y}
        """,
        {"x": 2, "y": 3},
    )
    assert proc.returncode == 0, proc.stderr
    assert result == {"ok": True, "data": {"sum": 5}}


def test_header_is_printed_like_perqueues(tmp_path):
    proc, _ = run_task(tmp_path, "def main(**kw):\n    return True, {}\n", {"a": 1, "pq_index": [2]})
    lines = proc.stdout.splitlines()
    assert lines[0] == "Perqueue key:   7"
    assert lines[1] == f"Code:           {tmp_path / 'task.py'}"
    assert lines[2] == "User Arguments: {'a': 1}"
    assert lines[3] == "PQ Arguments:   {'pq_index': [2]}"


def test_false_discards_with_its_data(tmp_path):
    proc, result = run_task(tmp_path, "def main(**kw):\n    return False, {'why': 'too high'}\n")
    assert proc.returncode == 0, proc.stderr
    assert result == {"ok": False, "data": {"why": "too high"}}


def test_a_bare_dict_is_success(tmp_path):
    proc, result = run_task(tmp_path, "def main(**kw):\n    return {'a': [1, 2]}\n")
    assert proc.returncode == 0 and result == {"ok": True, "data": {"a": [1, 2]}}


def test_ok_with_none_is_success_without_data(tmp_path):
    proc, result = run_task(tmp_path, "def main(**kw):\n    return True, None\n")
    assert proc.returncode == 0 and result == {"ok": True, "data": {}}


def test_an_unexpected_keyword_fails_with_the_type_error_repr(tmp_path):
    proc, result = run_task(tmp_path, "def main(a):\n    return True, {}\n", {"a": 1, "cfg": "x"})
    assert proc.returncode == 1
    err = result["error"]
    assert err["type"] == "TypeError"
    assert err["repr"].startswith("TypeError(") and "'cfg'" in err["repr"]
    assert "Traceback" in err["traceback"]
    assert "TypeError" in proc.stderr  # the traceback also reaches the task's stderr


def test_an_exception_in_main_fails_with_its_repr(tmp_path):
    proc, result = run_task(
        tmp_path,
        """
        class CalculationFailed(Exception):
            pass

        def main(**kw):
            raise CalculationFailed("vasp returned an error: 1")
        """,
    )
    assert proc.returncode == 1
    assert result["error"]["repr"] == "CalculationFailed('vasp returned an error: 1')"
    assert 'raise CalculationFailed("vasp returned an error: 1")' in result["error"]["traceback"]


@pytest.mark.parametrize(
    "returned, described",
    [
        ("[1, 2, 3]", "list: expected (ok, dict) or dict, got (int, int, int)"),
        ("42", "int: expected (ok, dict) or dict')"),
        ("None", "NoneType: expected (ok, dict) or dict')"),
        ("(True, [1])", "tuple: expected (ok, dict) or dict, got (bool, list)"),
        ("(True, {}, 1)", "tuple: expected (ok, dict) or dict, got (bool, dict, int)"),
    ],
)
def test_a_return_value_of_another_shape_fails_naming_it(tmp_path, returned, described):
    proc, result = run_task(tmp_path, f"def main(**kw):\n    return {returned}\n")
    assert proc.returncode == 1
    assert result["error"]["type"] == "TypeError"
    assert result["error"]["repr"].startswith("TypeError('main() returned " + described)


def test_a_script_without_main_fails_naming_the_file(tmp_path):
    proc, result = run_task(tmp_path, "def run(**kw):\n    return True, {}\n")
    assert proc.returncode == 1
    assert result["error"]["type"] == "LookupError"
    assert str(tmp_path / "task.py") in result["error"]["repr"] and "main()" in result["error"]["repr"]


def test_a_syntax_error_in_the_script_fails(tmp_path):
    proc, result = run_task(tmp_path, "def main(:\n")
    assert proc.returncode == 1 and result["error"]["type"] == "SyntaxError"


def test_sys_exit_in_main_is_a_failure_not_a_silent_success(tmp_path):
    proc, result = run_task(tmp_path, "import sys\ndef main(**kw):\n    sys.exit(0)\n")
    assert proc.returncode == 1 and result["error"]["repr"] == "SystemExit(0)"


def test_an_output_over_the_limit_is_refused_naming_size_and_limit(tmp_path):
    proc, result = run_task(
        tmp_path, "def main(**kw):\n    return True, {'blob': 'x' * 5000}\n", env={"PQ_MAX_OUTPUT_BYTES": "1000"}
    )
    assert proc.returncode == 1
    err = result["error"]
    assert err["type"] == "OutputTooLargeError"
    assert "1000 bytes" in err["repr"] and "PQ_MAX_OUTPUT_BYTES" in err["repr"]
    size = len(json.dumps({"ok": True, "data": {"blob": "x" * 5000}}))
    assert f"{size} bytes" in err["repr"]


def test_an_output_under_the_limit_passes(tmp_path):
    proc, result = run_task(
        tmp_path, "def main(**kw):\n    return True, {'blob': 'x' * 500}\n", env={"PQ_MAX_OUTPUT_BYTES": "1000"}
    )
    assert proc.returncode == 0 and len(result["data"]["blob"]) == 500


def test_pq_parents_is_passed_only_to_a_main_that_declares_it(tmp_path):
    parents = [
        {"id": 3, "name": "a.py", "index": [0], "iteration": None, "data": {"x": 1}},
        {"id": 4, "name": "a.py", "index": [1], "iteration": None, "data": {"x": 2}},
    ]
    proc, result = run_task(
        tmp_path,
        """
        def main(x, pq_parents):
            return {"x": x, "ids": [p["id"] for p in pq_parents], "xs": [p["data"]["x"] for p in pq_parents]}
        """,
        {"x": {"3": 1, "4": 2}},
        parents,
    )
    assert proc.returncode == 0, proc.stderr
    assert result["data"] == {"x": {"3": 1, "4": 2}, "ids": [3, 4], "xs": [1, 2]}


def test_pq_parents_is_not_passed_to_a_kwargs_only_main(tmp_path):
    proc, result = run_task(
        tmp_path,
        "def main(**kw):\n    return {'keys': sorted(kw)}\n",
        {"a": 1},
        [{"id": 3, "name": "p", "index": None, "iteration": None, "data": {}}],
    )
    assert result["data"] == {"keys": ["a"]}


def test_modules_beside_the_script_can_be_imported(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 41\n")
    proc, result = run_task(tmp_path, "import helper\ndef main(**kw):\n    return {'v': helper.VALUE + 1}\n")
    assert proc.returncode == 0, proc.stderr
    assert result["data"] == {"v": 42}


def test_the_main_guard_of_the_script_does_not_run(tmp_path):
    proc, result = run_task(
        tmp_path,
        "def main(**kw):\n    return {}\nif __name__ == '__main__':\n    raise SystemExit('ran as a script')\n",
    )
    assert proc.returncode == 0 and result == {"ok": True, "data": {}}


@pytest.mark.skipif(not HAS_CODEC, reason="perqueue_lab/codec.py is not written yet: the NumPy round trip needs it")
def test_numpy_arrays_round_trip_through_the_codec(tmp_path):
    np = pytest.importorskip("numpy")
    from perqueue_lab import codec

    kwargs = codec.encode({"a": np.arange(6, dtype=np.int32).reshape(2, 3), "f": np.float64(0.5)})
    proc, result = run_task(
        tmp_path,
        """
        import numpy as np

        def main(a, f):
            assert isinstance(a, np.ndarray) and a.dtype == np.int32 and a.shape == (2, 3)
            return True, {"b": a * 2, "mean": a.mean() + f}
        """,
        kwargs,
    )
    assert proc.returncode == 0, proc.stderr
    data = codec.decode(result["data"])
    assert isinstance(data["b"], np.ndarray) and data["b"].dtype == np.int32
    assert (data["b"] == np.arange(6).reshape(2, 3) * 2).all()
    assert float(data["mean"]) == 3.0


def test_usage_error_without_a_run_folder():
    proc = subprocess.run(
        [sys.executable, "-m", "perqueue_lab.runner"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2 and "usage" in proc.stderr


def test_a_joined_value_is_keyed_by_integer_entry_ids_in_the_given_order(tmp_path):
    # PerQueue hands a join its parents' values keyed by integer entry keys, last column first;
    # JSON can only carry the keys as strings (and JavaScript sorts them), so input.json says the order.
    proc, result = run_task(
        tmp_path,
        """
        def main(db_id, same, **kwargs):
            return True, {"keys": [type(k).__name__ for k in db_id], "values": list(db_id.values()),
                          "sorted": sorted(db_id), "same": same}
        """,
        {"db_id": {"9": "c9", "10": "c10", "11": "c11"}, "same": {"1": "a"}},
        joined={"db_id": [11, 10, 9]},
    )
    assert proc.returncode == 0, proc.stderr
    assert result["data"] == {
        "keys": ["int"] * 3,
        "values": ["c11", "c10", "c9"],
        "sorted": [9, 10, 11],
        "same": {"1": "a"},
    }


@pytest.mark.skipif(not HAS_CODEC, reason="needs perqueue_lab.codec")
def test_integral_floats_and_negative_zero_stay_floats(tmp_path):
    proc, result = run_task(
        tmp_path,
        """
        import math
        def main(strain, neg, n, **kwargs):
            return True, {"label": f"strain_{strain}", "neg_sign": math.copysign(1.0, neg), "n": n, "out": 4 / 2, "negzero": -0.0}
        """,
        {"strain": {"__pq__": "float", "value": 0}, "neg": {"__pq__": "float", "value": "-0.0"}, "n": 2},
    )
    assert proc.returncode == 0, proc.stderr
    assert result["data"] == {
        "label": "strain_0.0",
        "neg_sign": {"__pq__": "float", "value": -1.0},
        "n": 2,
        "out": {"__pq__": "float", "value": 2.0},
        "negzero": {"__pq__": "float", "value": "-0.0"},
    }
