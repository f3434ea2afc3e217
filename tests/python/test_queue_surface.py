"""The rest of PerQueue's PersistentQueue, EntryState and perqueue.utils, against the real bridge:
complete / discard / fail by hand, get_parent_data, get_dependency_graph, save_code, remove,
get_entries without group placeholders, and the JSON encoder registry through a real task."""

from __future__ import annotations

import pytest
from test_queue_cli import by_name, settle

from perqueue_lab import DynamicWidthGroup, PersistentQueue, Task, Workflow
from perqueue_lab._bridge import BridgeError, cli_path
from perqueue_lab.task_classes.util_classes import EntryState
from perqueue_lab.utils import AccessBeforeAssignmentError, loads_w_consts
from perqueue_lab.utils.serial_utils import register_json_decoder

pytestmark = pytest.mark.skipif(not cli_path().is_file(), reason="the pql CLI is not built: run `npm run build:node`")

SCRIPTS = {
    "broken.py": """
        def main(**kwargs):
            raise RuntimeError("the cluster ate it")
    """,
    "fixed.py": """
        def main(**kwargs):
            return True, {"y": 41}
    """,
    "use.py": """
        def main(y, **kwargs):
            return True, {"z": y + 1}
    """,
    "two.py": """
        def main(**kwargs):
            return True, {"y": 2, "w": 1}
    """,
    "width.py": """
        def main(**kwargs):
            return True, {"pq_dwg_width": 2}
    """,
    "point.py": """
        from perqueue_lab.utils.serial_utils import register_json_encoder

        class Point:
            def __init__(self, x, y):
                self.x, self.y = x, y

        register_json_encoder(Point, lambda p: {"__type__": "Point", "x": p.x, "y": p.y})

        def main(**kwargs):
            return True, {"where": Point(1, 2)}
    """,
}


def test_complete_gives_a_failed_entry_a_result_and_what_waits_below_runs_with_it(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([Task(project / "broken.py", {}), Task(project / "use.py", {})]))
        entries = by_name(settle(pq, wf))
        broken = entries["broken.py"]
        assert broken.state is EntryState.failed and entries["use.py"].state is EntryState.blocked
        pq.complete(broken.key, {"y": 9})
        entries = by_name(settle(pq, wf))
        assert entries["broken.py"].state is EntryState.succeeded and entries["broken.py"].data == {"y": 9}
        assert entries["use.py"].state is EntryState.succeeded and entries["use.py"].data == {"z": 10}
        with pytest.raises(BridgeError, match=r"is succeeded: it has a result already"):
            pq.complete(broken.key, {"y": 1})
        with pytest.raises(ValueError, match="must be either `None` or a `dict`"):
            pq.complete(broken.key, [1])  # type: ignore[arg-type]


def test_discard_skips_what_waits_below_and_fail_keeps_the_error(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([Task(project / "broken.py", {}), Task(project / "use.py", {})]))
        entries = by_name(settle(pq, wf))
        pq.discard(entries["broken.py"].key, {"why": "not needed"})
        entries = by_name(settle(pq, wf))
        assert entries["broken.py"].state is EntryState.discarded and entries["broken.py"].data == {"why": "not needed"}
        assert entries["use.py"].state is EntryState.skipped  # PerQueue's "axed"
        pq.fail(entries["broken.py"].key, ValueError("checked by hand"))
        entries = by_name(settle(pq, wf))
        assert entries["broken.py"].state is EntryState.failed
        assert entries["broken.py"].err_txt == "ValueError('checked by hand')"
        assert entries["use.py"].state is EntryState.blocked


def test_the_executor_states_cannot_be_set_by_hand(project):
    with PersistentQueue(project) as pq:
        for method in (pq.running, pq.timeout, pq.set_mqid):
            with pytest.raises(RuntimeError, match="the executor that runs it records that"):
                method(1)


def test_get_parent_data_merges_the_parents_as_they_reach_the_child(project):
    fixed, two = Task(project / "fixed.py", {}), Task(project / "two.py", {})
    use = Task(project / "use.py", {"own": True})
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow({use: {fixed: {}, two: {"w": "weight"}}}))
        entries = by_name(settle(pq, wf))
        child = entries["use.py"]
        assert pq.get_parent_data(child.key) == {"y": 41, "weight": 1}
        assert pq.get_parent_data(entries["fixed.py"].key) == {}
        # Disagreeing values are gathered by parent key, as PerQueue does.
        use2 = Task(project / "use.py", {})
        wf2 = pq.submit(Workflow({use2: [Task(project / "fixed.py", {}), Task(project / "two.py", {})]}))
        entries2 = by_name(settle(pq, wf2))
        keys = sorted(str(entries2[n].key) for n in ("fixed.py", "two.py"))
        gathered = pq.get_parent_data(entries2["use.py"].key)
        assert gathered["w"] == 1 and sorted(gathered["y"]) == keys


def test_get_dependency_graph_is_the_workflows_graph_child_to_parent(project):
    a, b, c = Task(project / "fixed.py", {}), Task(project / "use.py", {}), Task(project / "use.py", {}, name="again")
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow({b: [a], c: [a]}))
        entries = by_name(settle(pq, wf))
        graph = pq.get_dependency_graph(entries["use.py"].key)
    ka, kb, kc = (entries[n].key for n in ("fixed.py", "use.py", "again"))
    assert set(graph.nodes) == {ka, kb, kc}
    assert set(graph.edges) == {(kb, ka), (kc, ka)}


def test_save_code_points_a_failed_entry_at_another_script(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([Task(project / "broken.py", {}), Task(project / "use.py", {})]))
        broken = by_name(settle(pq, wf))["broken.py"]
        with pytest.raises(BridgeError, match=r"nowhere.py"):
            pq.save_code(broken.key, project / "nowhere.py")
        pq.save_code(broken.key, project / "fixed.py")
        assert pq.get_code(broken.key) == project / "fixed.py"
        pq.resubmit(broken.key)
        entries = by_name(settle(pq, wf))
    assert entries["broken.py"].data == {"y": 41} and entries["use.py"].data == {"z": 42}


def test_remove_takes_a_whole_workflow_from_its_root_and_refuses_a_part(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([Task(project / "fixed.py", {}), Task(project / "use.py", {})]))
        entries = by_name(settle(pq, wf))
        with pytest.raises(ValueError, match="entries cannot be removed one by one"):
            pq.remove(entries["use.py"].key)
        assert pq.remove(entries["fixed.py"].key) == sorted(e.key for e in entries.values())
        assert [e for e in pq.get_entries() if e.workflow_id == wf] == []


def test_get_entries_leaves_out_group_placeholders_as_perqueue_does(project):
    with PersistentQueue(project) as pq:
        wf = pq.submit(Workflow([Task(project / "width.py", {}), DynamicWidthGroup(Task(project / "fixed.py", {}))]))
        entries = settle(pq, wf)
        records = pq._json(["ls", "-w", str(wf), "--json"])
        (group,) = [int(r["id"]) for r in records if r["kind"] == "dynamic_width"]
        assert pq.is_dynamic_group_constructed(group) is True
        with pytest.raises(ValueError, match="is a task, not a dynamic group"):
            pq.is_dynamic_group_constructed(entries[0].key)
        with pytest.raises(NotImplementedError, match="part of its workflow's spec|read the group's spec"):
            pq.get_dynamic_group_template(group)
    assert len(entries) == 3 and all(e.task is not None and e.task.code is not None for e in entries)
    assert len(records) > len(entries), "the placeholder is in the graph, not among the entries"


def test_a_registered_encoder_stores_a_custom_type_and_a_decoder_reads_it_back(project):
    with PersistentQueue(project) as pq:
        (entry,) = settle(pq, pq.submit(Task(project / "point.py", {})))
        assert entry.state is EntryState.succeeded, entry.err_txt
        assert pq.get_data(entry.key) == {"where": {"__type__": "Point", "x": 1, "y": 2}}
        register_json_decoder("Point", lambda d: (d["x"], d["y"]))
        assert pq.get_data(entry.key) == {"where": (1, 2)}


def test_perqueue_states_goahead_and_undefined_exist():
    assert EntryState("g") is EntryState.goahead and EntryState("u") is EntryState.undefined
    assert str(EntryState.goahead) == "goahead"


def test_loads_w_consts_reads_perqueues_constant_names():
    assert loads_w_consts('{"key": INDEX_KW, "stop": "CYCLICALGROUP_KEY", "n": 3}') == {
        "key": "pq_index",
        "stop": "pq_toggle_key",
        "n": 3,
    }
    assert issubclass(AccessBeforeAssignmentError, Exception)


def test_graph_utils_roots_and_leaves_of_a_dependency_graph():
    from networkx import DiGraph

    from perqueue_lab.utils.graph_utils import get_leaves, get_roots

    graph = DiGraph([(3, 1), (2, 1), (4, 3)])  # child -> parent
    assert get_roots(graph) == [2, 4] and get_leaves(graph) == [1]


def test_selection_reads_perqueues_goahead_as_queued():
    from perqueue_lab.selection import Selection

    assert Selection(states="gq").states == [EntryState.queued, EntryState.queued]
    assert Selection(states="u").states == [EntryState.undefined]
