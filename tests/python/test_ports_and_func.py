"""PerQueue's ports (``{child: {parent: {"energy": "E"}}}``) and ``Task(..., func=...)``, driven
through PersistentQueue and the real bridge, on the warm fork server and on the bash runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_queue_cli import by_name, settle

from perqueue_lab import PersistentQueue, StaticWidthGroup, Task, Workflow
from perqueue_lab._bridge import BridgeError, cli_path
from perqueue_lab.task_classes.util_classes import EntryState

pytestmark = pytest.mark.skipif(not cli_path().is_file(), reason="the pql CLI is not built: run `npm run build:node`")

SCRIPTS = {
    "dft.py": """
        def main(**kwargs):
            return True, {"energy": -3.5, "forces": [1, 2], "note": "dft"}
    """,
    "md.py": """
        def main(**kwargs):
            return True, {"energy": 7.0, "temperature": 300}
    """,
    "compare.py": """
        def main(**kwargs):
            return True, {"got": {k: v for k, v in kwargs.items() if not k.startswith("pq_")}}
    """,
    "tools.py": """
        def main(**kwargs):
            return True, {"called": "main"}

        def relax(steps=1, **kwargs):
            return True, {"called": "relax", "steps": steps, "index": kwargs.get("pq_index")}
    """,
}


def test_ports_rename_the_parents_outputs_into_the_childs_arguments(project):
    dft, md = Task(project / "dft.py", {}), Task(project / "md.py", {})
    compare = Task(project / "compare.py", {"own": 1})
    # As in PerQueue: only the named keys of a parent with ports arrive, under the child's names;
    # a parent given with {} passes all its data; the two energies no longer collide.
    wf = Workflow({compare: {dft: {"energy": "E_dft", "forces": "F"}, md: {"energy": "E_md"}}})
    spec = wf.to_spec()
    assert spec["nodes"][0]["ports"] == {"dft.py": {"energy": "E_dft", "forces": "F"}, "md.py": {"energy": "E_md"}}
    with PersistentQueue(project) as pq:
        entries = by_name(settle(pq, pq.submit(wf, name="ported")))
    assert entries["compare.py"].state is EntryState.succeeded
    assert entries["compare.py"].data == {"got": {"own": 1, "E_dft": -3.5, "F": [1, 2], "E_md": 7.0}}


def test_none_ports_pass_the_first_value_or_all_data_as_perqueue_does(project):
    dft, md = Task(project / "dft.py", {}), Task(project / "md.py", {})
    compare = Task(project / "compare.py", {})
    with pytest.raises(TypeError, match="uses None; name the key the parent returns"):
        Workflow({compare: {dft: {None: "first"}}})
    wf = Workflow({compare: {dft: {"None": "first"}, md: {"None": "None"}}})
    with PersistentQueue(project) as pq:
        entries = by_name(settle(pq, pq.submit(wf)))
    assert entries["compare.py"].data == {"got": {"first": -3.5, "energy": 7.0, "temperature": 300}}


def test_a_port_naming_a_key_the_parent_never_returns_fails_the_child_naming_workflow_task_and_field(project):
    dft, compare = Task(project / "dft.py", {}), Task(project / "compare.py", {})
    wf = Workflow({compare: {dft: {"enrgy": "E"}}})
    with PersistentQueue(project) as pq:
        entries = by_name(settle(pq, pq.submit(wf, name="typo")))
    child = entries["compare.py"]
    assert entries["dft.py"].state is EntryState.succeeded
    assert child.state is EntryState.failed
    for part in (
        "workflow 'typo'",
        "task 'compare.py'",
        "field 'ports.dft.py.enrgy'",
        "returned no 'enrgy'",
        "energy, forces, note",
    ):
        assert part in child.err_txt, (part, child.err_txt)


def test_a_port_from_a_node_that_is_not_a_parent_is_refused_at_submission(project):
    dft, compare = Task(project / "dft.py", {}), Task(project / "compare.py", {})
    doc = Workflow({compare: [dft]}).to_document("bad")
    doc["root"]["nodes"][0]["ports"] = {"md.py": {"energy": "E"}}
    with pytest.raises(BridgeError, match=r"workflow 'bad'.*field 'ports\.md\.py'.*not a parent"):
        _submit_document(project, doc)


def _submit_document(project: Path, doc: dict) -> None:
    import json

    from perqueue_lab._bridge import run_cli

    path = project / "wf.json"
    path.write_text(json.dumps(doc))
    run_cli(["submit", str(path), "--project", str(project)], cwd=project)


@pytest.mark.parametrize("warm", [True, False], ids=["fork-server", "bash-runner"])
def test_func_calls_the_named_function_instead_of_main(project, monkeypatch, warm):
    if not warm:
        monkeypatch.setenv("PQ_FORKSERVER", "0")
    relax = Task(project / "tools.py", {"steps": 3}, "1:local:10m", "relax")
    plain = Task(project / "tools.py", {}, name="plain")
    assert relax.to_spec()["func"] == "relax" and "func" not in plain.to_spec()
    with PersistentQueue(project) as pq:
        entries = by_name(settle(pq, pq.submit(Workflow([StaticWidthGroup(relax, 2), plain]))))
    relaxed = sorted((e for e in entries.values() if e.name == "tools.py"), key=lambda e: e.key)
    assert all(e.data["called"] == "relax" and e.data["steps"] == 3 for e in relaxed)
    assert entries["plain"].data == {"called": "main"}


def test_a_func_the_script_does_not_define_is_refused_when_the_task_is_made(project):
    with pytest.raises(
        ValueError,
        match=r"Task 'tools.py', field 'func': .*defines no function 'relaxx' \(functions it defines: main, relax\)",
    ):
        Task(project / "tools.py", {}, "1:local:10m", "relaxx")
    with pytest.raises(ValueError, match="field 'func': expected the name of a Python function"):
        Task(project / "tools.py", {}, "1:local:10m", "not a name")


def test_a_func_the_script_does_not_define_is_refused_at_submission_by_the_bridge(project):
    doc = Workflow([Task(project / "tools.py", {})]).to_document("wrongfunc")
    doc["root"]["nodes"][0]["node"]["func"] = "relaxx"
    with pytest.raises(BridgeError, match=r"workflow 'wrongfunc'.*field 'func'.*defines no function 'relaxx'"):
        _submit_document(project, doc)


def test_a_func_made_in_a_way_text_cannot_follow_fails_at_run_time_naming_it(project):
    (project / "dyn.py").write_text(
        "globals()['other'] = lambda **kw: (True, {})\ndef main(**kw):\n    return True, {}\n"
    )
    task = Task(project / "dyn.py", {}, "1:local:10m", "relax")  # cannot be told from the text
    with PersistentQueue(project) as pq:
        (entry,) = settle(pq, pq.submit(task))
    assert entry.state is EntryState.failed
    assert "has no function relax()" in entry.err_txt and "LookupError" in entry.err_txt
