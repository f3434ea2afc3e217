"""Resource strings read as core/resources.ts reads them; entry states carry PerQueue's letters."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from perqueue_lab.task_classes.util_classes import EntryState, Resources

CASES = json.loads((Path(__file__).parents[1] / "fixtures/resources/cases.json").read_text())
FIELDS = ("cores", "processes", "gpus", "nodename", "tmax", "weight", "serial")
BASELINE_PYTHON = Path(__file__).parents[2] / "bench/.venv-baseline/bin/python"
if not BASELINE_PYTHON.exists():
    BASELINE_PYTHON = Path("/work/main/bench/.venv-baseline/bin/python")


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda c: c["text"])
def test_resource_strings_parse_like_myqueue(case):
    r = Resources.from_string(case["text"])
    assert {f: getattr(r, f) for f in FIELDS} == case["fields"]
    assert str(r) == case["printed"]
    again = Resources.from_string(str(r))
    # MyQueue prints int(weight): a weight below 1 prints as ':0', which reads back as weight 0.
    assert again.weight == (int(r.weight) if r.weight > 0 else -1.0)
    assert {f: getattr(again, f) for f in FIELDS if f != "weight"} == {
        f: v for f, v in case["fields"].items() if f != "weight"
    }
    if "repr" in case:
        assert repr(r) == case["repr"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda c: c["text"])
def test_bad_resource_strings_say_why(case):
    with pytest.raises(ValueError) as info:
        Resources.from_string(case["text"])
    assert f"'{case['text']}'" in str(info.value)
    assert case["error"] in str(info.value)


@pytest.mark.skipif(not BASELINE_PYTHON.exists(), reason="the baseline venv with MyQueue 26.8.1 is not installed")
def test_the_shared_table_is_what_myqueue_itself_says():
    """The table's MyQueue rows are re-read by MyQueue 26.8.1: same fields, same print, same refusals."""
    probe = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
from myqueue.resources import Resources
cases = json.load(sys.stdin)
out = {"valid": [], "refused": []}
for c in cases["valid"]:
    r = Resources.from_string(c["text"])
    out["valid"].append([c["text"], {f: getattr(r, f) for f in %r}, str(r), repr(r)])
for c in cases["invalid"]:
    try:
        Resources.from_string(c["text"])
        out["refused"].append([c["text"], False])
    except ValueError:
        out["refused"].append([c["text"], True])
print(json.dumps(out))
""" % (FIELDS,)  # noqa: UP031 -- %r keeps the probe's own braces literal
    mq_cases = {
        "valid": [c for c in CASES["valid"] if not c.get("perqueueLocal")],
        "invalid": CASES["invalid"],
    }
    res = subprocess.run(
        [str(BASELINE_PYTHON), "-c", probe], input=json.dumps(mq_cases), capture_output=True, text=True, check=True
    )
    got = json.loads(res.stdout)
    for text, fields, printed, rep in got["valid"]:
        case = next(c for c in CASES["valid"] if c["text"] == text)
        assert (fields, printed, rep) == (case["fields"], case["printed"], case["repr"]), text
    for text, refused in got["refused"]:
        case = next(c for c in CASES["invalid"] if c["text"] == text)
        assert refused == case["myqueueRefuses"], text


def test_perqueue_resources_are_accepted_where_perqueue_reads_them():
    r = Resources.from_string("8:1:8G:sm3090el8:2h")
    assert (r.cores, r.processes, r.gpus, r.nodename, r.tmax) == (8, 1, 8, "sm3090el8", 7200)


def test_entry_state_letters():
    assert "".join(s.value for s in EntryState) == "wqrsdftcxbagu"


def test_entry_state_keeps_perqueues_names_as_aliases():
    assert EntryState.queueing is EntryState.queued
    assert EntryState.axed is EntryState.skipped
    assert EntryState.timeout is EntryState.timed_out
    assert EntryState.deserialize("s") is EntryState.succeeded and EntryState.succeeded.serialize() == "s"
    assert str(EntryState.failed) == "failed"


@pytest.mark.parametrize(
    "text, state",
    [("succeeded", EntryState.succeeded), ("timed_out", EntryState.timed_out), ("a", EntryState.awaiting_input)],
)
def test_entry_state_parses_cli_names_and_letters(text, state):
    assert EntryState.parse(text) is state


def test_entry_state_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="wqrsdftcxbagu"):
        EntryState.parse("done")


def test_a_task_with_a_resource_string_myqueue_refuses_names_the_task_and_field(tmp_path):
    from perqueue_lab import Task

    script = tmp_path / "relax.py"
    script.write_text("def main(): return {}\n")
    with pytest.raises(ValueError, match=r"Task 'relax', field 'resources': bad resource string '8:1:8G:gpu': "):
        Task(script, {}, "8:1:8G:gpu", name="relax")
