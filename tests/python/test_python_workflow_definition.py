"""The Python Workflow Definition format: read and written as PerQueue 0.3.2 does it, checked
against files PerQueue itself writes and reads (the baseline venv), and run through the queue."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_queue_cli import by_name, settle

from perqueue_lab import PersistentQueue, StaticWidthGroup, Task, Workflow
from perqueue_lab._bridge import cli_path
from perqueue_lab.external.python_workflow_definition import create_PWD, read_PWD, write_PWD
from perqueue_lab.task_classes.util_classes import EntryState

BASELINE_PYTHON = Path(__file__).parents[2] / "bench/.venv-baseline/bin/python"
if not BASELINE_PYTHON.exists():
    BASELINE_PYTHON = Path("/work/main/bench/.venv-baseline/bin/python")
needs_baseline = pytest.mark.skipif(
    not BASELINE_PYTHON.exists(), reason="the baseline venv with PerQueue 0.3.2 is not installed"
)

CHEM = """
def get_energy(a=1, **kwargs):
    return True, {"energy": -2.0 * a, "volume": 10.0}

def get_pressure(E=0.0, V=0.0, **kwargs):
    return True, {"pressure": E / V}
"""
REPORT = """
def main(**kwargs):
    return True, {"seen": sorted(k for k in kwargs if not k.startswith("pq_"))}
"""


@pytest.fixture
def folder(project_dir: Path, monkeypatch):
    (project_dir / "chem").mkdir()
    (project_dir / "chem" / "calc.py").write_text(CHEM)
    (project_dir / "report.py").write_text(REPORT)
    monkeypatch.chdir(project_dir)
    return project_dir


def lab_workflow(folder: Path) -> Workflow:
    energy = Task(folder / "chem/calc.py", {"a": 2}, "1:local:5m", "get_energy", "energy")
    pressure = Task(folder / "chem/calc.py", {}, "1:local:5m", "get_pressure", "pressure")
    report = Task(folder / "report.py", {"title": "run"}, "1:local:5m", name="report")
    return Workflow({pressure: {energy: {"energy": "E", "volume": "V"}}, report: {pressure: {}}})


PERQUEUE_WRITER = """
import sys
from pathlib import Path
from perqueue.task_classes import Task, Workflow
from perqueue.external.python_workflow_definition import write_PWD
energy = Task(Path("chem/calc.py"), {"a": 2}, "1:local:5m", "get_energy", "energy")
pressure = Task(Path("chem/calc.py"), {}, "1:local:5m", "get_pressure", "pressure")
report = Task(Path("report.py"), {"title": "run"}, "1:local:5m", name="report")
write_PWD(Workflow({pressure: {energy: {"energy": "E", "volume": "V"}}, report: {pressure: {}}}), sys.argv[1])
"""

PERQUEUE_READER = """
import json, sys
from perqueue.external.python_workflow_definition import read_PWD
wf, undefined = read_PWD(sys.argv[1])
g = wf.dependencies
name = lambda t: t.name
print(json.dumps({
    "tasks": sorted([name(t), t.func, sorted(t.args.items())] for t in g.nodes),
    "edges": sorted([name(c), name(p), d] for c, p, d in g.edges(data=True)),
    "undefined": sorted(undefined),
}))
"""


@needs_baseline
def test_the_file_written_here_is_the_file_perqueue_writes(folder):
    subprocess.run(
        [str(BASELINE_PYTHON), "-c", PERQUEUE_WRITER, "perqueue.json"], cwd=folder, check=True, capture_output=True
    )
    write_PWD(lab_workflow(folder), "lab.json")
    assert (folder / "lab.json").read_text() == (folder / "perqueue.json").read_text()


@needs_baseline
def test_a_file_perqueue_wrote_reads_into_the_same_workflow_and_runs(folder):
    subprocess.run(
        [str(BASELINE_PYTHON), "-c", PERQUEUE_WRITER, "perqueue.json"], cwd=folder, check=True, capture_output=True
    )
    wf, undefined = read_PWD("perqueue.json")
    assert undefined == set()
    spec = wf.to_spec()
    nodes = {n["id"]: n for n in spec["nodes"]}
    assert nodes["pressure"]["node"]["func"] == "get_pressure" and nodes["energy"]["node"]["func"] == "get_energy"
    assert nodes["energy"]["node"]["args"] == {"a": 2} and nodes["report"]["node"]["args"] == {"title": "run"}
    assert nodes["pressure"]["ports"] == {"energy": {"energy": "E", "volume": "V"}}
    assert nodes["report"]["ports"] == {"pressure": {"None": "None"}}  # no ports: all the data, as PerQueue writes it
    if not cli_path().is_file():
        pytest.skip("the pql CLI is not built")
    with PersistentQueue(folder) as pq:
        entries = by_name(settle(pq, pq.submit(wf, name="from-pwd")))
    assert all(e.state is EntryState.succeeded for e in entries.values()), entries
    assert entries["pressure"].data == {"pressure": -0.4}
    assert entries["report"].data == {"seen": ["pressure", "title"]}


@needs_baseline
def test_perqueue_reads_the_file_written_here_as_this_reader_does(folder):
    write_PWD(lab_workflow(folder), "lab.json")
    res = subprocess.run(
        [str(BASELINE_PYTHON), "-c", PERQUEUE_READER, "lab.json"],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    )
    theirs = json.loads(res.stdout)
    wf, undefined = read_PWD("lab.json")
    spec = wf.to_spec()
    ours_edges = sorted([n["id"], p, ports] for n in spec["nodes"] for p, ports in n.get("ports", {}).items())
    ours_tasks = sorted(
        [n["id"], n["node"].get("func", "main"), sorted([k, v] for k, v in n["node"]["args"].items())]
        for n in spec["nodes"]
    )
    assert theirs["edges"] == ours_edges
    assert [[t[0], t[1], [list(kv) for kv in t[2]]] for t in theirs["tasks"]] == ours_tasks
    assert theirs["undefined"] == sorted(undefined) == []


def test_round_trip_keeps_functions_args_and_ports(folder):
    original = lab_workflow(folder)
    write_PWD(original, "wf.json")
    again, undefined = read_PWD("wf.json")
    assert undefined == set()
    assert create_PWD(again) == create_PWD(original)


def test_missing_scripts_are_listed_and_written_as_placeholders_on_request(folder):
    pwd = {
        "version": "0.1",
        "nodes": [
            {"id": 0, "type": "function", "value": "lib.tools.relax"},
            {"id": 1, "type": "function", "value": "lib.tools.score"},
            {"id": 2, "type": "input", "name": "steps", "value": 3},
            {"id": 3, "type": "output", "name": "result"},
        ],
        "edges": [
            {"source": 2, "sourcePort": None, "target": 0, "targetPort": "steps"},
            {"source": 0, "sourcePort": "x", "target": 1, "targetPort": "x"},
            {"source": 1, "sourcePort": None, "target": 3, "targetPort": None},
        ],
    }
    Path("wf.json").write_text(json.dumps(pwd))
    wf, undefined = read_PWD("wf.json")
    assert undefined == {"lib/tools.py"} and not Path("lib/tools.py").exists()
    wf, undefined = read_PWD("wf.json", write_scripts=True)
    assert undefined == {"lib/tools.py"}
    text = Path("lib/tools.py").read_text()
    assert "def relax(**kwargs)" in text and "def score(**kwargs)" in text
    names = sorted(n["node"]["name"] for n in wf.to_spec()["nodes"])
    assert names == ["undef lib.tools.relax", "undef lib.tools.score"]


def test_groups_cannot_be_written_and_bad_files_say_where(folder):
    with pytest.raises(TypeError, match="StaticWidthGroup 'SWG' cannot be written"):
        write_PWD(Workflow([StaticWidthGroup(Task(folder / "report.py", {}), 2)]), "x.json")
    Path("bad.json").write_text(json.dumps({"nodes": [{"id": 0, "type": "function", "value": "nodot"}], "edges": []}))
    with pytest.raises(
        ValueError, match=r"bad.json: nodes\[0\] \('node_0'\), field 'value': expected 'module.function'"
    ):
        read_PWD("bad.json")
    Path("notjson.json").write_text("{")
    with pytest.raises(ValueError, match="notjson.json: not a readable Python Workflow Definition"):
        read_PWD("notjson.json")
