"""Notebooks as tasks, run by the real bridge and the Python runner in a fresh ipykernel.

Also the injected parameters cell itself (docs/contracts.md section 6). Each bridge test
works in its own project folder and stops its daemon afterwards.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest

from perqueue_lab import StaticWidthGroup, Task, Workflow
from perqueue_lab._bridge import BridgeError, cli_path
from perqueue_lab.kernel import connect
from perqueue_lab.notebooks import INJECTED_TAG, inject_parameters, injected_source
from perqueue_lab.task_classes.util_classes import EntryState

needs_cli = pytest.mark.skipif(
    not cli_path().is_file(),
    reason=f"the pql CLI is not built ({cli_path()} is missing): run `npm run build:node`",
)


def write_notebook(path: Path, *cells: str | tuple[str, list[str]]) -> Path:
    """A notebook of code cells; a (source, tags) pair gives a cell tags."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in cells:
        source, tags = (cell, []) if isinstance(cell, str) else cell
        nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(source), metadata={"tags": tags} if tags else {}))
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def project(project_dir: Path):
    (project_dir / "make.py").write_text(
        "import numpy as np\ndef main(**kwargs):\n    return True, {'w': np.array([1.5, 2.5])}\n"
    )
    return project_dir


def only_entry(wf, name: str):
    (entry,) = [e for e in wf.entries() if e.name == name]
    return entry


def run_dir(project: Path, entry) -> Path:
    return project / ".perqueue" / "runs" / str(entry.workflow_id) / f"{entry.key}.{entry.attempt}"


# --- through the bridge ------------------------------------------------------------------------


@needs_cli
def test_a_notebook_task_gets_its_parameters_and_returns_its_result(project):
    (project / "notebooks").mkdir()
    nb = write_notebook(
        project / "notebooks" / "analyse.ipynb",
        "import numpy as np",
        ("factor = 1\nlabel = 'default'", ["parameters"]),
        """
        print("weights", w.tolist())
        result = {"scaled": w * factor, "label": label, "entry": pq_entry_id, "cwd": __import__("os").getcwd()}
        """,
    )
    wf = connect(project).submit(Workflow([Task(project / "make.py"), Task(nb, {"factor": 3, "label": "run"})]))
    status = wf.wait(timeout=120)
    assert status.state == "succeeded", wf.entries()
    entry = only_entry(wf, "analyse.ipynb")
    np.testing.assert_array_equal(entry.data["scaled"], [4.5, 7.5])
    assert entry.data["label"] == "run" and entry.data["entry"] == entry.key
    assert entry.data["cwd"] == str(project / "notebooks")  # the notebook's own folder

    saved = nbformat.read(str(run_dir(project, entry) / "output.ipynb"), as_version=4)
    tags = [c.metadata.get("tags", []) for c in saved.cells]
    assert tags == [[], ["parameters"], [INJECTED_TAG], []]  # injected after `parameters`, helper gone
    assert "factor = 3" in saved.cells[2].source and f"pq_entry_id = {entry.key}" in saved.cells[2].source
    assert saved.cells[3].outputs[0]["text"] == "weights [1.5, 2.5]\n"
    assert "weights [1.5, 2.5]" in (run_dir(project, entry) / "stdout").read_text()
    assert nbformat.read(str(nb), as_version=4).cells[1].metadata["tags"] == ["parameters"]  # the original is untouched


@needs_cli
def test_a_cell_that_raises_fails_the_entry_naming_the_cell(project):
    nb = write_notebook(
        project / "bad.ipynb", "x = 1", "# check\nraise ValueError('x is too small')", "result = {'never': True}"
    )
    wf = connect(project).submit(Task(nb))
    assert wf.wait(timeout=120).state == "failed"
    entry = only_entry(wf, "bad.ipynb")
    assert entry.err_txt.startswith("ValueError('x is too small') in cell 2 of bad.ipynb (`# check`)")
    saved = nbformat.read(str(run_dir(project, entry) / "output.ipynb"), as_version=4)
    assert any(o.get("output_type") == "error" for o in saved.cells[2].outputs)  # cell 2 after the injected one

    # Fixed and retried: the workflow goes on.
    write_notebook(nb, "x = 1", "# check\nx += 1", "result = {'x': x}")
    wf.retry(entry.key)
    assert wf.wait(timeout=120).state == "succeeded"
    assert wf.outputs() == [{"x": 2}]


@needs_cli
def test_no_result_gives_an_empty_dict_and_ok_false_discards(project):
    quiet = write_notebook(project / "quiet.ipynb", "y = 2")
    picky = write_notebook(project / "picky.ipynb", "result = {'kept': False}\nok = False")
    bridge = connect(project)
    a, b = bridge.submit(Task(quiet)), bridge.submit(Task(picky))
    assert a.wait(timeout=120).state == "succeeded"
    assert only_entry(a, "quiet.ipynb").data == {}
    b.wait(timeout=120)
    entry = only_entry(b, "picky.ipynb")
    assert entry.state is EntryState.discarded and entry.data == {"kept": False}


@needs_cli
def test_a_result_that_is_not_json_or_not_a_dict_fails_clearly(project):
    bridge = connect(project)
    objects = bridge.submit(Task(write_notebook(project / "objects.ipynb", "result = {'model': {'fit': object()}}")))
    listed = bridge.submit(Task(write_notebook(project / "listed.ipynb", "result = [1, 2]")))
    for wf in (objects, listed):
        assert wf.wait(timeout=120).state == "failed"
    assert only_entry(objects, "objects.ipynb").err_txt.startswith(
        'TypeError("the notebook\'s `result` cannot be stored: cannot encode a value of type object at result.model.fit")'
    )
    assert only_entry(listed, "listed.ipynb").err_txt.startswith(
        "TypeError(\"the notebook's `result` is a list, not a dict"
    )


@needs_cli
def test_notebook_columns_of_a_width_group_get_their_index(project):
    nb = write_notebook(project / "column.ipynb", "result = {'i': pq_index[0], 'keys': sorted(pq_params)}")
    wf = connect(project).submit(StaticWidthGroup(Task(nb), width=2))
    assert wf.wait(timeout=180).state == "succeeded"
    assert wf.outputs() == [{"i": 0, "keys": ["pq_index"]}, {"i": 1, "keys": ["pq_index"]}]


@needs_cli
def test_a_missing_notebook_is_refused_at_submission(project):
    with pytest.raises(BridgeError, match="missing.ipynb"):
        connect(project).submit(Task(project / "missing.ipynb"))


# --- the injected cell -------------------------------------------------------------------------


def run_cell(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<injected>", "exec"), namespace)
    namespace.pop("__builtins__", None)
    return namespace


def test_the_injected_cell_goes_after_the_parameters_cell_or_first():
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "# t"},
            {
                "cell_type": "code",
                "id": "b",
                "metadata": {"tags": ["parameters"]},
                "source": "x = 0",
                "outputs": [],
                "execution_count": None,
            },
            {
                "cell_type": "code",
                "id": "c",
                "metadata": {},
                "source": "print(x)",
                "outputs": [],
                "execution_count": None,
            },
        ],
    }
    inject_parameters(nb, {"x": 1}, 5)
    assert [c["id"] for c in nb["cells"]] == ["a", "b", "pq-injected-parameters", "c"]
    cell = nb["cells"][2]
    assert cell["metadata"] == {"tags": [INJECTED_TAG]} and cell["outputs"] == [] and cell["cell_type"] == "code"
    nbformat.validate(nbformat.from_dict(nb))

    inject_parameters(nb, {"x": 2}, 6)  # again: the old cell is replaced, not kept
    assert [c["id"] for c in nb["cells"]] == ["a", "b", "pq-injected-parameters", "c"]
    assert "x = 2" in nb["cells"][2]["source"]

    plain = {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": "y = 1", "outputs": [], "execution_count": None},
        ],
    }
    inject_parameters(plain, {}, 7)
    assert plain["cells"][0]["metadata"]["tags"] == [INJECTED_TAG] and "id" not in plain["cells"][0]


def test_the_injected_cell_is_python_that_gives_back_the_values():
    params = {
        "n": 3,
        "f": 0.1,
        "s": "it's",
        "flag": True,
        "none": None,
        "nested": {"a": [1, {"b": "c"}]},
        "arr": np.arange(4, dtype=np.int16).reshape(2, 2),
        "nan": float("nan"),
        "pair": (1, 2),
        "my-key": 5,
        "class": "kw",
        "pq_index": [0, 1],
    }
    source = injected_source(params, 42)
    lines = source.splitlines()
    assert lines[0] == "# Parameters injected by PerQueue Lab"
    assert lines[1] == "from perqueue_lab.codec import decode as pq_decode"
    assert "n = 3" in lines and 's = "it\'s"' in lines and "none = None" in lines and "flag = True" in lines
    assert "pq_entry_id = 42" in lines and lines[-1].startswith("pq_params = {")
    ns = run_cell(source)
    assert ns["n"] == 3 and ns["f"] == 0.1 and ns["nested"] == {"a": [1, {"b": "c"}]} and ns["pair"] == (1, 2)
    assert ns["arr"].dtype == np.int16 and ns["arr"].tolist() == [[0, 1], [2, 3]]
    assert math.isnan(ns["nan"]) and ns["pq_index"] == [0, 1] and ns["pq_entry_id"] == 42
    assert "my-key" not in ns and "class" not in ns  # not Python names: only in pq_params
    assert ns["pq_params"]["my-key"] == 5 and ns["pq_params"]["class"] == "kw" and ns["pq_params"]["n"] == 3
    assert list(ns["pq_params"]) == list(params)


def test_plain_parameters_need_no_codec_and_encoded_input_is_accepted():
    source = injected_source({"x": 1}, 3, project="/p")
    assert "pq_decode" not in source and "pq_project = '/p'" in source
    encoded = {"w": {"__pq__": "float", "value": "inf"}}
    ns = run_cell(injected_source(encoded, 3, encoded=True))
    assert ns["w"] == float("inf")
