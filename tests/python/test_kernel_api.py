"""The kernel-side API (``perqueue_lab.connect``, ``complete``, ``reject``) against a real bridge.

Every test works in its own project folder, talks HTTP to the real daemon through
``.perqueue/bridge.json``, runs real task processes, and stops its daemon afterwards.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import perqueue_lab
from perqueue_lab import ManualTask, StaticWidthGroup, Task, Workflow
from perqueue_lab._bridge import BridgeError, cli_path, run_cli
from perqueue_lab.kernel import Bridge, WorkflowHandle, WorkflowStatus, connect, find_project
from perqueue_lab.task_classes.util_classes import EntryState

pytestmark = pytest.mark.skipif(
    not cli_path().is_file(),
    reason=f"the pql CLI is not built ({cli_path()} is missing): run `npm run build:node`",
)

SCRIPTS = {
    "double.py": """
        def main(x, **kwargs):
            return True, {"doubled": x * 2, "shape": list(x.shape)}
    """,
    "add.py": """
        def main(y=0, **kwargs):
            return True, {"z": y + 1}
    """,
    "broken.py": """
        def main(**kwargs):
            raise RuntimeError("not fixed yet")
    """,
    "strict.py": """
        def main(a):
            return True, {"a": a}
    """,
    "sleep.py": """
        import time
        def main(**kwargs):
            time.sleep(60)
            return True, {}
    """,
}


def by_name(entries):
    return {e.name: e for e in entries}


def wait_for_state(handle: WorkflowHandle, entry_name: str, state: EntryState, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = by_name(handle.entries()).get(entry_name)
        if entry is not None and entry.state is state:
            return entry
        time.sleep(0.1)
    raise AssertionError(f"{entry_name} never reached {state.name}: {handle.entries()}")


def test_connect_starts_the_bridge_and_reads_its_connection_file(project):
    bridge = connect(project)
    info = json.loads((project / ".perqueue" / "bridge.json").read_text())
    assert isinstance(bridge, Bridge) and bridge.project == project.resolve()
    assert bridge.request("GET", "/api/version")["pid"] == info["pid"]
    assert connect(project).request("GET", "/api/version")["pid"] == info["pid"]  # kept, not restarted
    assert bridge.workflows() == []


def test_connect_finds_the_project_above_the_current_folder(project, monkeypatch):
    (project / ".perqueue").mkdir()
    inner = project / "notebooks" / "deep"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    monkeypatch.delenv("PQ_PROJECT", raising=False)
    assert find_project() == project.resolve()
    assert connect().project == project.resolve()
    monkeypatch.setenv("PQ_PROJECT", str(inner))
    try:
        assert connect().project == inner.resolve()
    finally:
        run_cli(["daemon", "stop", "--project", str(inner)], cwd=inner)


def test_connect_without_starting_says_no_bridge_runs(project):
    with pytest.raises(BridgeError, match="no bridge is running"):
        connect(project, start=False)


def test_submit_wait_status_and_outputs_with_an_array_round_trip(project):
    bridge = connect(project)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    wf = bridge.submit(
        Workflow([Task(project / "double.py", {"x": x}), Task(project / "add.py", {"y": 41})]), name="arrays"
    )
    assert isinstance(wf, WorkflowHandle) and wf.id >= 1
    status = wf.wait(timeout=60)
    assert isinstance(status, WorkflowStatus)
    assert (status.state, status.counts, status.total, status.done) == ("succeeded", {"succeeded": 2}, 2, True)
    assert status["succeeded"] == 2 and status["failed"] == 0
    assert wf.name == "arrays"

    first, second = wf.outputs()
    assert isinstance(first["doubled"], np.ndarray) and first["doubled"].dtype == np.float32
    np.testing.assert_array_equal(first["doubled"], x * 2)
    assert first["shape"] == [2, 3]
    assert second == {"z": 42}
    assert wf.outputs("add.py") == [{"z": 42}] and wf.outputs("nothing") == []
    assert [e.name for e in wf.entries("s")] == ["double.py", "add.py"]
    assert wf.entries([EntryState.failed]) == []
    assert bridge.workflow(wf.id) == wf
    assert [w.id for w in bridge.workflows()] == [wf.id]


def test_a_failed_entry_is_retried_after_fixing_its_script(project):
    wf = connect(project).submit(Workflow([Task(project / "broken.py"), Task(project / "add.py")]))
    status = wf.wait(timeout=60)
    assert status.state == "failed" and status.counts == {"failed": 1, "blocked": 1}
    entries = by_name(wf.entries())
    assert entries["broken.py"].err_txt.startswith("RuntimeError('not fixed yet')")
    (project / "broken.py").write_text("def main(**kwargs):\n    return True, {'y': 9}\n")
    wf.retry(entries["broken.py"].key)
    assert wf.wait(timeout=60).state == "succeeded"
    assert wf.outputs() == [{"y": 9}, {"z": 10}]


def test_modify_args_then_retry(project):
    wf = connect(project).submit(Task(project / "strict.py", {"a": 1, "b": 2}))
    assert wf.wait(timeout=60).state == "failed"
    (entry,) = wf.entries()
    assert "'b'" in entry.err_txt
    wf.modify(entry.key, args={"a": np.array([1, 2])})
    wf.retry(entry.key)
    assert wf.wait(timeout=60).state == "succeeded"
    (out,) = wf.outputs()
    np.testing.assert_array_equal(out["a"], [1, 2])
    with pytest.raises(ValueError, match="modify needs"):
        wf.modify(entry.key)


def test_cancel_a_running_workflow_and_one_entry(project):
    bridge = connect(project)
    wf = bridge.submit(Workflow([Task(project / "sleep.py"), Task(project / "add.py")]))
    running = wait_for_state(wf, "sleep.py", EntryState.running)
    cancelled = wf.cancel()
    assert running.key in cancelled
    status = wf.wait(timeout=30)
    assert status.state == "cancelled" and status.counts == {"cancelled": 2}, status

    other = bridge.submit(Workflow([Task(project / "sleep.py"), Task(project / "add.py")]))
    sleeping = wait_for_state(other, "sleep.py", EntryState.running)
    assert sleeping.key in other.cancel_entry(sleeping.key)
    status = other.wait(timeout=30)
    assert status.state == "cancelled", status
    assert by_name(other.entries())["sleep.py"].state is EntryState.cancelled


def test_remove_a_finished_workflow_but_not_a_running_one(project):
    bridge = connect(project)
    done = bridge.submit(Task(project / "add.py", {"y": 1}))
    assert done.wait(timeout=60).state == "succeeded"
    busy = bridge.submit(Workflow([Task(project / "sleep.py")]))
    wait_for_state(busy, "sleep.py", EntryState.running)

    with pytest.raises(BridgeError, match=rf"workflow {busy.id} .* is still running .*: cancel it first") as info:
        busy.remove()
    assert info.value.status == 400
    assert busy.status().state == "running"

    answer = done.remove()
    assert answer["filesRemoved"] is True and answer["entries"] == 1
    assert not (project / ".perqueue" / "runs" / str(done.id)).exists()
    assert [w.id for w in bridge.workflows()] == [busy.id]
    with pytest.raises(BridgeError, match=f"no workflow {done.id}"):
        done.status()

    busy.cancel()
    assert busy.wait(timeout=30).state == "cancelled"
    assert busy.remove(keep_files=True)["filesRemoved"] is False
    assert (project / ".perqueue" / "runs" / str(busy.id)).exists()
    assert bridge.workflows() == []


def test_errors_carry_the_bridges_message(project):
    bridge = connect(project)
    with pytest.raises(BridgeError, match="no workflow 99") as info:
        bridge.workflow(99)
    assert info.value.status == 404
    with pytest.raises(BridgeError, match="no entry 12345"):
        WorkflowHandle(bridge, 1).retry(12345)
    with pytest.raises(BridgeError, match="does not exist"):
        bridge.submit(Task(project / "missing.py"))
    assert bridge.workflows() == []  # nothing stored


def test_the_bridge_is_found_again_after_a_restart(project):
    bridge = connect(project)
    wf = bridge.submit(Task(project / "add.py", {"y": 1}))
    wf.wait(timeout=60)
    run_cli(["daemon", "stop", "--project", str(project)], cwd=project)
    assert wf.status().state == "succeeded"  # restarted on a new port with a new token
    assert wf.outputs() == [{"z": 2}]


def manual_workflow(project: Path, on_reject: str = "discard") -> Workflow:
    return Workflow(
        [
            Task(project / "add.py", {"y": 1}),
            ManualTask("label", on_reject=on_reject),
            Task(project / "add.py", name="after"),
        ]
    )


def awaiting_entry(wf: WorkflowHandle):
    status = wf.wait(timeout=60)
    assert status.state == "awaiting_input"
    return by_name(wf.entries())["label"]


def test_a_manual_step_is_completed_from_python(project, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    bridge = connect(project)
    wf = bridge.submit(manual_workflow(project))
    label = awaiting_entry(wf)
    (approval,) = bridge.approvals()
    assert approval["entry"]["id"] == label.key and approval["spec"]["name"] == "label"

    assert (
        perqueue_lab.complete({"y": 10, "mask": np.array([True, False])}, entry=label.key, project=project) == label.key
    )
    status = wf.wait(timeout=60)
    assert status.state == "succeeded"
    outputs = wf.outputs("label")
    np.testing.assert_array_equal(outputs[0]["mask"], [True, False])
    assert wf.outputs("after") == [{"z": 11}]
    record = bridge.request("GET", f"/api/entries/{label.key}")["node"]
    assert record["completedBy"] == "ada"
    assert bridge.approvals() == []


def test_a_manual_step_is_rejected(project, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "grace")
    wf = connect(project).submit(manual_workflow(project))
    label = awaiting_entry(wf)
    perqueue_lab.reject("blurry image", entry=label.key, project=project)
    status = wf.wait(timeout=30)
    assert status.counts == {"succeeded": 1, "discarded": 1, "skipped": 1}
    with pytest.raises(BridgeError):  # no longer waiting for anybody
        perqueue_lab.complete({}, entry=label.key, project=project)


def test_a_result_that_is_not_json_is_refused_and_nothing_changes(project):
    wf = connect(project).submit(manual_workflow(project))
    label = awaiting_entry(wf)
    with pytest.raises(TypeError, match=r"cannot encode a value of type object at result\.model\.weights"):
        perqueue_lab.complete({"model": {"weights": object()}}, entry=label.key, project=project)
    with pytest.raises(TypeError, match="must be a dict"):
        perqueue_lab.complete([1, 2], entry=label.key, project=project)
    assert by_name(wf.entries())["label"].state is EntryState.awaiting_input
    assert wf.status().state == "awaiting_input"


FORM = {
    "type": "object",
    "required": ["y"],
    "properties": {"y": {"type": "integer", "minimum": 0}, "labels": {"type": "array", "items": {"type": "integer"}}},
}


def test_complete_checks_the_result_against_the_form(project):
    wf = connect(project).submit(
        Workflow(
            [Task(project / "add.py", {"y": 1}), ManualTask("label", form=FORM), Task(project / "add.py", name="after")]
        ),
        name="formed",
    )
    label = awaiting_entry(wf)
    with pytest.raises(BridgeError) as info:
        perqueue_lab.complete({"y": "ten", "labels": (1, 2.5)}, entry=label.key, project=project)
    assert str(info.value) == (
        f"workflow {wf.id} ('formed'), entry {label.key} ('label'), node 'root/label': the data does not match the step's form: "
        """data.y: expected an integer, got "ten"; data.labels[1]: expected an integer, got 2.5"""
    )
    assert info.value.status == 400
    with pytest.raises(BridgeError, match=r"data: missing required field 'y'"):
        perqueue_lab.complete({}, entry=label.key, project=project)
    assert by_name(wf.entries())["label"].state is EntryState.awaiting_input

    perqueue_lab.complete({"y": 10, "labels": (1, 2)}, entry=label.key, project=project)  # a tuple is an array
    assert wf.wait(timeout=60).state == "succeeded"
    assert wf.outputs("after") == [{"z": 11}]


def test_submit_refuses_a_form_it_cannot_enforce_and_a_default_that_does_not_match(project):
    bridge = connect(project)
    with pytest.raises(
        BridgeError,
        match=r"node 'root/label', field 'form\.properties\.y\.anyOf': the keyword 'anyOf' is not supported",
    ):
        bridge.submit(Workflow([ManualTask("label", form={"properties": {"y": {"anyOf": []}}})]))
    with pytest.raises(
        BridgeError,
        match=r"field 'default': the default does not match the form: default\.y: must be at least 0, got -1",
    ):
        bridge.submit(Workflow([ManualTask("label", form=FORM, timeout=60, default={"y": -1})]))
    assert bridge.workflows() == []


def test_complete_reads_the_entry_from_the_ipython_namespace(project, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.chdir(project)
    wf = connect(project).submit(manual_workflow(project))
    label = awaiting_entry(wf)
    shell = InteractiveShell.instance()
    try:
        with pytest.raises(ValueError, match="pq_entry_id"):
            perqueue_lab.complete({"y": 1})
        shell.user_ns["pq_entry_id"] = label.key
        perqueue_lab.complete({"y": 1})
    finally:
        InteractiveShell.clear_instance()
    assert wf.wait(timeout=60).state == "succeeded"


def test_complete_inside_a_real_kernel_from_a_prepared_notebook(project):
    """The human-in-the-loop path: a notebook copy prepared with the injected cell, run in ipykernel."""
    import nbformat
    from nbclient import NotebookClient

    from perqueue_lab.notebooks import inject_parameters

    wf = connect(project).submit(manual_workflow(project))
    label = awaiting_entry(wf)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("threshold = 0.5", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import perqueue_lab\nperqueue_lab.complete({'y': threshold * 4, 'checked': True})"),
    ]
    elsewhere = project.parent / f"{project.name}-copy"
    elsewhere.mkdir()
    inject_parameters(nb, {"threshold": 0.25}, label.key, project=str(project))
    NotebookClient(
        nbformat.from_dict(nb), timeout=120, kernel_name="python3", resources={"metadata": {"path": str(elsewhere)}}
    ).execute()
    assert wf.wait(timeout=60).state == "succeeded"
    assert wf.outputs("label") == [{"y": 1.0, "checked": True}]
    assert wf.outputs("after") == [{"z": 2.0}]


def test_display_is_a_text_summary_outside_a_kernel_and_the_graph_widget_inside(project):
    wf = connect(project).submit(StaticWidthGroup(Task(project / "add.py"), width=2))
    wf.wait(timeout=60)
    bundle = wf._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].startswith(f"workflow {wf.id} ") and "succeeded 2" in bundle["text/plain"]
    graph = wf.graph(height="300px")
    assert (graph.workflow_id, graph.project, graph.height) == (wf.id, str(project.resolve()), "300px")


def test_the_widget_model_names_the_labextension_module():
    from perqueue_lab._frontend import MODULE_NAME, MODULE_VERSION
    from perqueue_lab.widgets import WorkflowGraph

    w = WorkflowGraph(workflow_id=4, project=".")
    state = w.get_state()
    assert (MODULE_NAME, MODULE_VERSION) == ("perqueue-lab", "^0.1.0")
    assert {k: state[k] for k in ("_model_name", "_view_name", "_model_module", "_view_module")} == {
        "_model_name": "WorkflowGraphModel",
        "_view_name": "WorkflowGraphView",
        "_model_module": "perqueue-lab",
        "_view_module": "perqueue-lab",
    }
    assert state["_model_module_version"] == state["_view_module_version"] == "^0.1.0"
    assert (state["workflow_id"], state["height"]) == (4, "420px")
    assert state["project"] == str(Path(".").resolve())
    with pytest.raises(ValueError, match="a workflow id is a number of at least 1, got -1"):
        WorkflowGraph(workflow_id=-1)
    w.close()


def test_the_public_names_load_lazily():
    code = "import sys, perqueue_lab; assert 'perqueue_lab.kernel' not in sys.modules; perqueue_lab.connect; assert 'perqueue_lab.kernel' in sys.modules; assert 'ipywidgets' not in sys.modules"
    import subprocess

    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_handle_displays_the_graph_widget_in_a_real_kernel(project):
    import nbformat
    from nbclient import NotebookClient

    wf = connect(project).submit(Task(project / "add.py", {"y": 1}))
    wf.wait(timeout=60)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            f"import perqueue_lab\nwf = perqueue_lab.connect({str(project)!r}).workflow({wf.id})\nwf"
        )
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute()
    (output,) = nb.cells[0].outputs
    assert output["output_type"] == "display_data"
    assert (
        output["data"]["text/plain"].startswith(f"workflow {wf.id} ") and "succeeded 1" in output["data"]["text/plain"]
    )
    model_id = output["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"][model_id]
    assert (state["model_name"], state["model_module"], state["model_module_version"]) == (
        "WorkflowGraphModel",
        "perqueue-lab",
        "^0.1.0",
    )
    assert (state["state"]["workflow_id"], state["state"]["project"]) == (wf.id, str(project.resolve()))
