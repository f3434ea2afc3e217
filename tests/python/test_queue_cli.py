"""PersistentQueue against the real ``pql`` CLI (integration).

Skipped only when the bundled CLI ``perqueue_lab/bridge/pql.mjs`` has not been built
(``npm run build:node``). Each test works in its own project folder and stops the project's
bridge daemon afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from perqueue_lab import ManualTask, PersistentQueue, StaticWidthGroup, Task, Workflow
from perqueue_lab._bridge import BridgeError, cli_path
from perqueue_lab.selection import Selection
from perqueue_lab.task_classes.entry import Entry
from perqueue_lab.task_classes.util_classes import EntryState

pytestmark = pytest.mark.skipif(
    not cli_path().is_file(),
    reason=f"the pql CLI is not built ({cli_path()} is missing): run `npm run build:node`",
)

BUSY = {EntryState.waiting, EntryState.queued, EntryState.running}
SCRIPTS = {
    "add.py": """
        def main(x=1, **kwargs):
            return True, {"y": x + 1}
    """,
    "times.py": """
        def main(y, factor=10, **kwargs):
            return True, {"z": y * factor, "got": sorted(kwargs)}
    """,
    "strict.py": """
        def main(a):
            return True, {"a": a}
    """,
    "column.py": """
        def main(**kwargs):
            return True, {"i": kwargs["pq_index"][0]}
    """,
    "filter.py": """
        def main(keep, **kwargs):
            return keep, {"kept": keep}
    """,
}


def settle(pq: PersistentQueue, workflow_id: int, timeout: float = 60) -> list[Entry]:
    """The workflow's entries once none is waiting, queued or running."""
    deadline = time.monotonic() + timeout
    while True:
        entries = [e for e in pq.get_entries() if e.workflow_id == workflow_id]
        if entries and not any(e.state in BUSY for e in entries):
            return entries
        if time.monotonic() > deadline:
            raise AssertionError(f"workflow {workflow_id} still busy after {timeout} s: {entries}")
        time.sleep(0.2)


def by_name(entries: list[Entry]) -> dict[str, Entry]:
    return {e.name: e for e in entries}


def test_submit_a_chain_runs_it_and_passes_data_down(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([Task(project / "add.py", {"x": 5}), Task(project / "times.py")]), name="chain")
        assert isinstance(wf, int)
        entries = by_name(settle(pq, wf))
    assert entries["add.py"].state is EntryState.succeeded and entries["add.py"].data == {"y": 6}
    assert entries["times.py"].state is EntryState.succeeded
    assert entries["times.py"].data == {"z": 60, "got": []}  # top-level tasks get no pq_index/pq_iteration
    assert entries["times.py"].pq_args is None


def test_the_current_folder_is_the_project_by_default(project, monkeypatch):
    monkeypatch.chdir(project)
    with PersistentQueue() as pq:
        wf = pq.submit(Task("add.py", {"x": 1}))
        (entry,) = settle(pq, wf)
    assert (project / ".perqueue").is_dir()
    assert entry.data == {"y": 2} and entry.task.code == (project / "add.py").resolve()


def test_get_entry_args_and_data_of_one_entry(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Task(project / "add.py", {"x": 2}))
        (entry,) = settle(pq, wf)
        one = pq.get_entry(entry.key)
        assert (one.key, one.name, one.state) == (entry.key, "add.py", EntryState.succeeded)
        assert pq.get_args(entry.key) == {"x": 2}
        assert pq.get_data(entry.key) == {"y": 3}


def test_a_failure_is_fixed_with_save_args_and_resubmit(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([Task(project / "strict.py", {"a": 1, "cfg": "x"}), Task(project / "add.py")]))
        entries = by_name(settle(pq, wf))
        failed = entries["strict.py"]
        assert failed.state is EntryState.failed
        assert failed.err_txt.startswith("TypeError(") and "'cfg'" in failed.err_txt
        assert entries["add.py"].state is EntryState.blocked

        pq.save_args(failed.key, {"a": 4})
        assert pq.get_args(failed.key) == {"a": 4}
        pq.resubmit(failed)
        entries = by_name(settle(pq, wf))
    assert entries["strict.py"].state is EntryState.succeeded
    assert entries["add.py"].state is EntryState.succeeded


def test_static_width_columns_carry_their_index_and_selection_filters_them(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([StaticWidthGroup(Task(project / "column.py", name="col"), 3)]))
        entries = settle(pq, wf)
        cols = Selection(names="COL*", states="s").filter(entries)
    assert sorted(e.pq_args["pq_index"] for e in cols) == [[0], [1], [2]]
    assert sorted(e.data["i"] for e in cols) == [0, 1, 2]


def test_false_discards_the_entry(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([Task(project / "filter.py", {"keep": False}), Task(project / "add.py")]))
        entries = by_name(settle(pq, wf))
    assert entries["filter.py"].state is EntryState.discarded
    assert entries["filter.py"].data == {"kept": False}
    assert entries["add.py"].state is not EntryState.succeeded


def test_waiting_entries_can_be_edited_and_cancelled(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([ManualTask("approve"), Task(project / "add.py", {"x": 1})]))
        deadline = time.monotonic() + 30
        while True:
            entries = by_name([e for e in pq.get_entries() if e.workflow_id == wf])
            if entries["approve"].state is EntryState.awaiting_input or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert entries["approve"].state is EntryState.awaiting_input
        task = entries["add.py"]
        assert task.state is EntryState.waiting

        pq.save_resources(task.key, "2:local:5m")
        pq.save_args(task.key, {"x": 9}, all=True)
        changed = pq.get_entry(task.key)
        assert str(changed.task.resources) == "2:local:5m" and changed.task.args == {"x": 9}

        pq.cancel(entries["approve"].key)
        entries = by_name([e for e in pq.get_entries() if e.workflow_id == wf])
    assert entries["approve"].state is EntryState.cancelled
    assert entries["add.py"].state is EntryState.cancelled


def test_a_missing_script_is_refused_at_submission_naming_it(project):
    with PersistentQueue(project) as pq:
        with pytest.raises(BridgeError, match="nowhere.py"):
            pq.submit(Task(project / "nowhere.py"))


def test_numpy_values_travel_through_args_and_data(project):
    np = pytest.importorskip("numpy")
    if not (Path(__file__).resolve().parents[2] / "perqueue_lab" / "codec.py").is_file():
        pytest.skip("perqueue_lab/codec.py is not written yet")
    (project / "double.py").write_text("def main(a, **kw):\n    return True, {'b': a * 2}\n")
    with PersistentQueue(project) as pq:
        wf = pq.submit(Task(project / "double.py", {"a": np.arange(4.0)}))
        (entry,) = settle(pq, wf)
    assert entry.state is EntryState.succeeded, entry.err_txt
    assert isinstance(entry.data["b"], np.ndarray) and entry.data["b"].tolist() == [0.0, 2.0, 4.0, 6.0]
