"""Entries are read from the CLI's JSON records; Selection filters them as PerQueue's does."""

from __future__ import annotations

from pathlib import Path

import pytest

from perqueue_lab.selection import Selection, parse_ids
from perqueue_lab.task_classes.entry import Entry
from perqueue_lab.task_classes.util_classes import EntryState

# What `pql ls --json` prints, one record per entry.
RECORDS = [
    {
        "id": 1,
        "workflowId": 1,
        "name": "train.py",
        "kind": "task",
        "state": "succeeded",
        "index": None,
        "iteration": None,
        "args": {"epochs": 3},
        "data": {"model": "m.pt"},
        "error": None,
        "code": "/p/train.py",
        "resources": "1:local:10m",
        "attempt": 1,
    },
    {
        "id": 2,
        "workflowId": 1,
        "name": "simulate.py",
        "kind": "task",
        "state": "failed",
        "index": [0],
        "iteration": [1],
        "args": {},
        "data": None,
        "error": "TypeError(\"main() got an unexpected keyword argument 'cfg'\")",
        "code": "/p/simulate.py",
        "resources": "8:xeon8:1h",
        "attempt": 2,
    },
    {
        "id": 3,
        "workflowId": 1,
        "name": "simulate.py",
        "kind": "task",
        "state": "running",
        "index": [1],
        "iteration": [1],
        "args": {},
        "data": None,
        "error": None,
        "code": "/p/simulate.py",
        "resources": "8:xeon8:1h",
        "attempt": 1,
    },
    {
        "id": 4,
        "workflowId": 2,
        "name": "label",
        "kind": "manual",
        "state": "awaiting_input",
        "index": [],
        "iteration": [],
        "args": {"hint": "x"},
        "data": None,
        "error": None,
        "code": None,
        "resources": None,
        "attempt": 0,
    },
    {
        "id": 5,
        "workflowId": 2,
        "name": "Report.py",
        "kind": "task",
        "state": "skipped",
        "index": None,
        "iteration": None,
        "args": {},
        "data": None,
        "error": {"type": "X", "repr": "X('y')", "traceback": ""},
        "code": "/p/Report.py",
        "resources": "1:local:10m",
        "attempt": 0,
    },
]


def entries() -> list[Entry]:
    return [Entry.from_json(r) for r in RECORDS]


# --- Entry ------------------------------------------------------------------------------------


def test_entry_has_perqueues_fields():
    e = entries()[0]
    assert (e.key, e.entry_key, e.name, e.state, e.err_txt, e.data) == (
        1,
        1,
        "train.py",
        EntryState.succeeded,
        None,
        {"model": "m.pt"},
    )
    assert e.workflow_id == 1 and e.attempt == 1 and e.kind == "task"


def test_entry_outside_groups_has_no_pq_args():
    assert entries()[0].pq_args is None
    assert entries()[3].pq_args is None  # empty lists mean "no group" as well


def test_entry_in_groups_has_index_and_iteration_lists():
    assert entries()[1].pq_args == {"pq_index": [0], "pq_iteration": [1]}


def test_entry_task_holds_code_args_and_resources():
    t = entries()[1].task
    assert t.code == Path("/p/simulate.py") and t.args == {} and str(t.resources) == "8:xeon8:1h"
    assert entries()[0].task.args == {"epochs": 3}


def test_manual_entry_has_no_code():
    e = entries()[3]
    assert e.task.code is None and e.state is EntryState.awaiting_input and e.kind == "manual"


def test_entry_error_text_is_the_exception_repr():
    assert entries()[1].err_txt.startswith("TypeError(")
    assert entries()[4].err_txt == "X('y')"


def test_a_record_without_id_is_refused():
    with pytest.raises(ValueError, match="'id'"):
        Entry.from_json({"name": "x"})


# --- Selection ----------------------------------------------------------------------------------


def keys(sel: Selection) -> list[int]:
    return [e.key for e in sel.filter(entries())]


def test_an_empty_selection_keeps_all_but_skipped_entries_as_perqueue():
    assert Selection().empty()
    assert keys(Selection()) == [1, 2, 3, 4]


def test_select_by_state_letters():
    assert keys(Selection(states="fr")) == [2, 3]
    assert keys(Selection("x")) == [5]  # PerQueue's first positional argument is states


def test_select_by_state_names():
    assert keys(Selection(states="succeeded,awaiting_input")) == [1, 4]
    assert keys(Selection(states="failed")) == [2]
    assert keys(Selection(states=[EntryState.running])) == [3]


def test_select_by_ids_in_every_form():
    assert keys(Selection(ids=2)) == [2]
    assert keys(Selection(ids=[1, 4])) == [1, 4]
    assert keys(Selection(ids="1,3-4")) == [1, 3, 4]
    assert keys(Selection(ids=range(2, 4))) == [2, 3, 4]  # inclusive, as PerQueue


def test_select_by_name_globs_case_insensitively():
    assert keys(Selection(names="sim*")) == [2, 3]
    assert keys(Selection(names="TRAIN.PY,lab?l")) == [1, 4]
    assert keys(Selection(names=["report*"], states="x")) == [5]


def test_criteria_combine():
    assert keys(Selection(states="fr", ids="3-10", names="*.py")) == [3]


def test_bad_ids_and_states_are_refused():
    with pytest.raises(ValueError, match="bad id"):
        parse_ids("1,x")
    with pytest.raises(ValueError, match="unknown state"):
        Selection(states="z")
