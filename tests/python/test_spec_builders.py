"""The Python building blocks produce the JSON spec of docs/contracts.md §1 (core/spec.ts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perqueue_lab import (
    CyclicalGroup,
    DynamicWidthGroup,
    ManualTask,
    StaticWidthGroup,
    SwitchGroup,
    Task,
    Workflow,
)
from perqueue_lab.constants import SWITCHGROUP_SKIP
from perqueue_lab.task_classes.util_classes import Resources


def T(name: str, **kw) -> Task:
    return Task(f"/fx/{name}", **kw)


def ids_and_parents(spec: dict) -> list[tuple[str, list[str]]]:
    return [(n["id"], n["parents"]) for n in spec["nodes"]]


# --- Task -------------------------------------------------------------------------------------


def test_task_spec_has_the_contract_fields():
    spec = Task("/fx/train.py", {"epochs": 3}, "8:xeon8:2h").to_spec()
    assert spec == {
        "kind": "task",
        "name": "train.py",
        "code": "/fx/train.py",
        "args": {"epochs": 3},
        "resources": "8:xeon8:2h",
    }


def test_task_default_name_is_the_script_file_name_with_extension():
    assert Task("/fx/sub/apply_strain.py").name == "apply_strain.py"


def test_task_code_is_made_absolute_but_not_required_to_exist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    t = Task("scripts/missing.py")
    assert t.code == (tmp_path / "scripts" / "missing.py").resolve()
    assert t.to_spec()["code"].startswith("/")


def test_task_code_expands_the_home_folder():
    assert str(Task("~/x.py").code) == str(Path("~/x.py").expanduser().resolve())


def test_task_keeps_perqueues_positional_order_code_args_resources_func_name():
    t = Task("/fx/a.py", {"x": 1}, "2:1h", "main", "first")
    assert (t.args, str(t.resources), t.func, t.name) == ({"x": 1}, "2:1h", "main", "first")


def test_task_accepts_keywords_as_perqueue_users_write_them():
    t = Task(code="/fx/a.py", args=None, resources="1:local:10m", name="a")
    assert t.to_spec()["args"] == {}
    assert t.name == "a"


def test_task_calls_the_function_named_by_func():
    assert Task("/fx/a.py", None, "1:local:10m", "run").to_spec()["func"] == "run"
    assert "func" not in Task("/fx/a.py", None, "1:local:10m", "main").to_spec()
    assert "func" not in Task("/fx/a.py", None, "1:local:10m", None).to_spec()


def test_task_none_args_become_an_empty_object_and_tuples_lists():
    assert Task("/fx/a.py", None).to_spec()["args"] == {}
    assert Task("/fx/a.py", {"xs": (1, 2)}).to_spec()["args"] == {"xs": [1, 2]}


def test_task_resources_default_to_one_local_core_for_ten_minutes():
    assert Task("/fx/a.py").to_spec()["resources"] == "1:local:10m"


def test_task_resources_are_written_in_canonical_form():
    assert Task("/fx/a.py", None, "16:7200s").to_spec()["resources"] == "16:2h"
    assert Task("/fx/a.py", None, Resources(cores=4, tmax=60, nodename="local")).to_spec()["resources"] == "4:local:1m"


def test_task_bad_resources_fail_naming_the_string():
    with pytest.raises(ValueError, match="'8:xeon8'"):
        Task("/fx/a.py", None, "8:xeon8")


def test_task_args_that_cannot_be_stored_fail_naming_the_key():
    class Opaque:
        pass

    with pytest.raises(TypeError, match="'obj'"):
        Task("/fx/a.py", {"obj": Opaque()})


def test_task_args_must_be_a_dict():
    with pytest.raises(TypeError, match="must be a dict"):
        Task("/fx/a.py", [1, 2])


def test_task_retries_and_preamble_appear_only_when_set():
    assert "retries" not in T("a.py").to_spec() and "preamble" not in T("a.py").to_spec()
    spec = T("a.py", retries=2, preamble="module load x").to_spec()
    assert (spec["retries"], spec["preamble"]) == (2, "module load x")


def test_task_keep_processes_appears_only_when_set_and_must_be_a_bool():
    assert "keepProcesses" not in T("a.py").to_spec()
    assert T("a.py", keep_processes=True).to_spec()["keepProcesses"] is True
    with pytest.raises(TypeError, match="keep_processes must be True or False"):
        T("a.py", keep_processes="yes")


def test_task_negative_retries_are_refused():
    with pytest.raises(ValueError, match="retries"):
        T("a.py", retries=-1)


def test_to_spec_returns_a_fresh_object_every_time():
    t = T("a.py", args={"xs": [1]})
    t.to_spec()["args"]["xs"].append(2)
    assert t.to_spec()["args"] == {"xs": [1]}


# --- ManualTask -------------------------------------------------------------------------------


def test_manual_task_spec():
    m = ManualTask(
        "label",
        notebook="/fx/label.ipynb",
        form={"type": "object"},
        args={"a": 1},
        timeout=60,
        default={"ok": True},
        on_reject="fail",
    )
    assert m.to_spec() == {
        "kind": "manual",
        "name": "label",
        "args": {"a": 1},
        "notebook": "/fx/label.ipynb",
        "form": {"type": "object"},
        "timeout": 60,
        "default": {"ok": True},
        "onReject": "fail",
    }


def test_manual_task_minimal_spec_discards_on_reject():
    assert ManualTask("approve").to_spec() == {"kind": "manual", "name": "approve", "args": {}, "onReject": "discard"}


def test_manual_task_notebook_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert ManualTask("x", notebook="n.ipynb").to_spec()["notebook"] == str((tmp_path / "n.ipynb").resolve())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"on_reject": "ignore"}, "on_reject"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -5}, "timeout"),
        ({"form": "not a schema"}, "form"),
        ({"default": [1]}, "default"),
    ],
)
def test_manual_task_refuses_bad_options(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ManualTask("x", **kwargs)


def test_manual_task_needs_a_name():
    with pytest.raises(ValueError, match="name"):
        ManualTask("")


# --- Workflow -----------------------------------------------------------------------------------


def test_a_list_is_a_chain():
    spec = Workflow([T("a.py"), T("b.py"), T("c.py")]).to_spec()
    assert spec["kind"] == "workflow" and "name" not in spec
    assert ids_and_parents(spec) == [("a.py", []), ("b.py", ["a.py"]), ("c.py", ["b.py"])]


def test_a_dict_lists_each_nodes_parents():
    a, b, c, d = T("a.py"), T("b.py"), T("c.py"), T("d.py")
    spec = Workflow({a: [], b: [a], c: [a], d: [b, c]}).to_spec()
    assert ids_and_parents(spec) == [("a.py", []), ("b.py", ["a.py"]), ("c.py", ["a.py"]), ("d.py", ["b.py", "c.py"])]


def test_parents_that_are_not_keys_become_roots_after_the_keys():
    a, b = T("a.py"), T("b.py")
    assert ids_and_parents(Workflow({b: [a]}).to_spec()) == [("b.py", ["a.py"]), ("a.py", [])]


def test_parents_given_as_a_dict_of_ports_are_its_keys():
    a, b, c = T("a.py"), T("b.py"), T("c.py")
    spec = Workflow({a: [], b: [], c: {a: {"x": "y"}, b: {None: None}}}).to_spec()
    assert ids_and_parents(spec)[2] == ("c.py", ["a.py", "b.py"])
    assert spec["nodes"][2]["ports"] == {"a.py": {"x": "y"}}  # {None: None}: all of b's data


def test_ports_of_a_networkx_graph_are_its_edge_data():
    networkx = pytest.importorskip("networkx")
    a, b, c = T("a.py"), T("b.py"), T("c.py")
    graph = networkx.DiGraph()
    graph.add_edge(c, a, energy="E")
    graph.add_edge(c, b)
    spec = Workflow(graph).to_spec()
    assert spec["nodes"][0]["ports"] == {"a.py": {"energy": "E"}}
    assert ids_and_parents(spec)[0] == ("c.py", ["a.py", "b.py"])


def test_one_object_used_twice_is_one_node():
    a, b = T("a.py"), T("b.py")
    spec = Workflow({a: [], b: [a, a]}).to_spec()
    assert ids_and_parents(spec) == [("a.py", []), ("b.py", ["a.py"])]


def test_two_tasks_of_one_script_are_two_nodes_with_numbered_ids():
    spec = Workflow([T("train.py"), T("train.py"), T("train.py")]).to_spec()
    assert ids_and_parents(spec) == [("train.py", []), ("train.py-2", ["train.py"]), ("train.py-3", ["train.py-2"])]


def test_numbered_ids_skip_names_already_taken():
    spec = Workflow([T("a.py"), Task("/fx/x.py", name="a.py-2"), T("a.py")]).to_spec()
    assert [n["id"] for n in spec["nodes"]] == ["a.py", "a.py-2", "a.py-3"]


def test_group_ids_use_perqueues_short_names():
    a = T("a.py")
    spec = Workflow(
        [a, DynamicWidthGroup(T("b.py")), CyclicalGroup(T("c.py")), StaticWidthGroup(T("d.py"), 2)]
    ).to_spec()
    assert [n["id"] for n in spec["nodes"]] == ["a.py", "DWG", "CG", "SWG"]


def test_a_named_group_uses_its_name_in_the_spec_and_the_id():
    spec = Workflow([T("a.py"), CyclicalGroup(T("b.py"), name="loop")]).to_spec()
    assert spec["nodes"][1]["id"] == "loop" and spec["nodes"][1]["node"]["name"] == "loop"


def test_a_workflow_of_one_task():
    assert ids_and_parents(Workflow(T("a.py")).to_spec()) == [("a.py", [])]


def test_a_workflow_of_a_workflow_has_the_same_nodes():
    inner = Workflow([T("a.py"), T("b.py")])
    assert Workflow(inner).to_spec() == inner.to_spec()


def test_a_workflow_can_be_a_node_of_another():
    t1, sub = T("t1.py"), Workflow([T("a.py"), T("b.py")], name="sub")
    spec = Workflow({t1: [], sub: [t1]}).to_spec()
    assert spec["nodes"][1]["id"] == "sub"
    assert spec["nodes"][1]["node"]["kind"] == "workflow"
    assert ids_and_parents(spec["nodes"][1]["node"]) == [("a.py", []), ("b.py", ["a.py"])]


def test_cycles_are_left_for_the_core_to_reject():
    a, b = T("a.py"), T("b.py")
    assert ids_and_parents(Workflow({a: [b], b: [a]}).to_spec()) == [("a.py", ["b.py"]), ("b.py", ["a.py"])]


def test_a_networkx_style_graph_in_perqueues_edge_direction():
    class FakeDiGraph:  # the attributes of networkx.DiGraph that are read
        def __init__(self, succ):
            self.succ = succ
            self.nodes = list(succ)

        def is_directed(self):
            return True

    a, b = T("a.py"), T("b.py")
    assert ids_and_parents(Workflow(FakeDiGraph({a: {}, b: {a: {}}})).to_spec()) == [("a.py", []), ("b.py", ["a.py"])]


@pytest.mark.parametrize("bad, shown", [("a.py", "str: 'a.py'"), (3, "int: 3"), (None, "NoneType: None")])
def test_unknown_things_in_a_chain_fail_naming_them(bad, shown):
    with pytest.raises(TypeError, match=shown):
        Workflow([T("a.py"), bad])


def test_an_unknown_key_in_a_dict_fails_naming_it():
    with pytest.raises(TypeError, match="str: 'a.py'"):
        Workflow({"a.py": []})


def test_an_unknown_workflow_argument_fails_naming_it():
    with pytest.raises(TypeError, match="int: 42"):
        Workflow(42)


def test_parents_must_be_a_list():
    a, b = T("a.py"), T("b.py")
    with pytest.raises(TypeError, match="parents of Task"):
        Workflow({b: a})


def test_an_unknown_parent_object_fails_naming_it():
    with pytest.raises(TypeError, match="'oops'"):
        Workflow({T("a.py"): ["oops"]})


def test_empty_workflows_are_refused():
    with pytest.raises(ValueError, match="empty list"):
        Workflow([])
    with pytest.raises(ValueError, match="empty dict"):
        Workflow({})


# --- Groups ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, kind",
    [
        (lambda: T("a.py"), "task"),
        (lambda: [T("a.py"), T("b.py")], "workflow"),
        (lambda: {T("a.py"): []}, "workflow"),
        (lambda: Workflow([T("a.py")]), "workflow"),
        (lambda: DynamicWidthGroup(T("a.py")), "dynamic_width"),
        (lambda: ManualTask("m"), "manual"),
    ],
)
def test_a_group_body_can_be_anything_perqueue_accepts(body, kind):
    for group in (
        StaticWidthGroup(body(), 2),
        DynamicWidthGroup(body()),
        CyclicalGroup(body()),
        SwitchGroup({"x": body()}),
    ):
        spec = group.to_spec()
        inner = spec["branches"]["x"] if spec["kind"] == "switch" else spec["body"]
        assert inner["kind"] == kind


def test_static_width_group_spec():
    assert StaticWidthGroup(T("a.py"), width=3).to_spec() == {
        "kind": "static_width",
        "body": T("a.py").to_spec(),
        "width": 3,
    }


@pytest.mark.parametrize("width, error", [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)])
def test_static_width_group_needs_a_whole_width_of_at_least_one(width, error):
    with pytest.raises(error, match="width"):
        StaticWidthGroup(T("a.py"), width)


def test_dynamic_width_group_spec():
    assert DynamicWidthGroup(T("a.py")).to_spec() == {"kind": "dynamic_width", "body": T("a.py").to_spec()}


def test_cyclical_group_defaults_to_sixteen_tries():
    assert CyclicalGroup(T("a.py")).to_spec() == {"kind": "cyclical", "body": T("a.py").to_spec(), "maxTries": 16}


def test_cyclical_group_takes_max_tries_positionally():
    assert CyclicalGroup([T("a.py")], 10).to_spec()["maxTries"] == 10


@pytest.mark.parametrize("max_tries", [0, -3])
def test_cyclical_group_refuses_fewer_than_one_try(max_tries):
    with pytest.raises(ValueError, match="max_tries"):
        CyclicalGroup(T("a.py"), max_tries=max_tries)


def test_switch_group_keys_become_strings():
    spec = SwitchGroup({"lammps": T("md.py"), 3: T("skip.py")}).to_spec()
    assert spec["kind"] == "switch"
    assert list(spec["branches"]) == ["lammps", "3"]


def test_switch_group_refuses_the_skip_key():
    with pytest.raises(ValueError, match=SWITCHGROUP_SKIP):
        SwitchGroup({SWITCHGROUP_SKIP: T("a.py")})


def test_switch_group_refuses_keys_that_become_the_same_string():
    with pytest.raises(ValueError, match="'1'"):
        SwitchGroup({1: T("a.py"), "1": T("b.py")})


def test_switch_group_needs_a_dict_of_branches():
    with pytest.raises(TypeError, match="dict"):
        SwitchGroup([T("a.py")])
    with pytest.raises(ValueError, match="branch"):
        SwitchGroup({})


def test_group_with_an_unknown_body_fails_naming_it():
    with pytest.raises(TypeError, match="CyclicalGroup.*'train.py'"):
        CyclicalGroup("train.py")


def test_groups_have_perqueues_default_names():
    assert [
        g.name for g in (DynamicWidthGroup(T("a.py")), CyclicalGroup(T("a.py")), SwitchGroup({"a": T("a.py")}))
    ] == [
        "DWG",
        "CG",
        "SG",
    ]


def test_get_tasks_finds_every_task_once():
    a, b = T("a.py"), T("b.py")
    wf = Workflow([a, CyclicalGroup([DynamicWidthGroup(b), a])])
    assert wf.get_tasks() == [a, b]


# --- Documents ------------------------------------------------------------------------------------


def test_to_document_wraps_the_root():
    wf = Workflow([T("a.py")])
    assert wf.to_document("my-wf") == {"specVersion": 1, "name": "my-wf", "root": wf.to_spec()}


def test_any_node_can_be_a_document_and_defaults_to_its_name():
    assert T("a.py").to_document()["name"] == "a.py"
    assert Workflow([T("a.py")]).to_document()["name"] == "Workflow"
    assert CyclicalGroup(T("a.py")).to_document()["root"]["kind"] == "cyclical"


def test_to_document_refuses_an_empty_name():
    with pytest.raises(ValueError, match="name"):
        T("a.py").to_document("  ")


def test_documents_are_plain_json():
    wf = Workflow([T("a.py", args={"t": (1, 2.5, None, True)}), ManualTask("m", form={"a": [1]})])
    doc = wf.to_document("x")
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc


# --- Import paths ---------------------------------------------------------------------------------


def test_perqueue_import_paths_exist():
    from perqueue_lab import PersistentQueue, constants  # noqa: F401
    from perqueue_lab.queue import PersistentQueue as PQ2  # noqa: F401
    from perqueue_lab.selection import Selection  # noqa: F401
    from perqueue_lab.task_classes.task import Task as T2
    from perqueue_lab.task_classes.task_groups import (  # noqa: F401
        CyclicalGroup,
        DynamicWidthGroup,
        StaticWidthGroup,
        SwitchGroup,
        Workflow,
    )
    from perqueue_lab.task_classes.util_classes import EntryState, Resources  # noqa: F401

    assert T2 is Task


def test_importing_the_api_does_not_import_numpy():
    import subprocess
    import sys

    code = "import sys; from perqueue_lab import *; import perqueue_lab.runner; print('numpy' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert out.stdout.strip() == "False"


def test_the_runner_does_not_load_the_queue_api():
    """Task start-up time matters: the runner needs neither the builders nor the CLI bridge
    (only the standard-library-only `perqueue` import alias it installs)."""
    import subprocess
    import sys

    code = "import sys, perqueue_lab.runner; print(sorted(m for m in sys.modules if m.startswith('perqueue_lab')))"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert (
        out.stdout.strip() == "['perqueue_lab', 'perqueue_lab.alias', 'perqueue_lab.constants', 'perqueue_lab.runner']"
    )


# --- Values JSON cannot hold ----------------------------------------------------------------------

HAS_CODEC = (Path(__file__).resolve().parents[2] / "perqueue_lab" / "codec.py").is_file()


@pytest.mark.skipif(not HAS_CODEC, reason="perqueue_lab/codec.py is not written yet")
def test_args_json_cannot_hold_are_written_with_the_codec():
    np = pytest.importorskip("numpy")
    from perqueue_lab import codec

    args = {"a": np.arange(3), "nan": float("nan"), "plain": [1, "x"], "looks_tagged": {"__pq__": "x"}}
    spec_args = Task("/fx/a.py", args).to_spec()["args"]
    assert spec_args["plain"] == [1, "x"]
    json.dumps(spec_args, allow_nan=False)  # the spec stays strict JSON
    back = codec.decode(spec_args)
    assert back["a"].tolist() == [0, 1, 2] and back["nan"] != back["nan"] and back["looks_tagged"] == {"__pq__": "x"}


def test_the_codec_tag_cannot_be_an_argument_name():
    with pytest.raises(ValueError, match="reserved"):
        Task("/fx/a.py", {"__pq__": 1})
