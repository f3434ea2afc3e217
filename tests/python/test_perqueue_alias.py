"""The ``perqueue`` import alias (perqueue_lab.alias): PerQueue scripts run unchanged.

Each check runs in a fresh interpreter (a real process), because the alias changes the import
system of the process it is installed in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINE_PYTHON = Path(os.environ.get("PQ_BASELINE_PYTHON") or ROOT / "bench" / ".venv-baseline" / "bin" / "python")


def py(code: str, python: str = sys.executable, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [python, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def run_entry(
    tmp_path: Path, entry_id: int, code: Path, kwargs: dict, python: Path | str = sys.executable, timeout: int = 120
) -> tuple[subprocess.CompletedProcess, Path]:
    """Runs one entry as the bridge does (`-m perqueue_lab.runner RUN_DIR`): the process, the run folder."""
    run_dir = tmp_path / "runs" / "1" / f"{entry_id}.1"
    run_dir.mkdir(parents=True)
    (run_dir / "input.json").write_text(json.dumps({"entryId": entry_id, "code": str(code), "kwargs": kwargs}))
    proc = subprocess.run(
        [str(python), "-m", "perqueue_lab.runner", str(run_dir)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=timeout,
    )
    return proc, run_dir


def test_without_the_alias_perqueue_is_not_importable():
    # The premise of every other test here: this interpreter has no real perqueue.
    r = py("import perqueue")
    assert r.returncode != 0 and "No module named 'perqueue'" in r.stderr


def test_public_modules_are_perqueue_labs_own_module_objects():
    r = py(
        """
        import json, perqueue_lab.alias as a
        a.install()
        import perqueue
        from perqueue.constants import INDEX_KW, ITER_KW, DYNAMICWIDTHGROUP_KEY, all_constants
        from perqueue.task_classes.task import Task
        from perqueue.task_classes.task_groups import Workflow, StaticWidthGroup, DynamicWidthGroup, CyclicalGroup, SwitchGroup
        from perqueue.task_classes.util_classes import Resources, EntryState
        from perqueue.task_classes.entry import Entry
        from perqueue.task_classes import Task as Task2
        from perqueue.queue import PersistentQueue
        from perqueue.selection import Selection
        from perqueue import PersistentQueue as PQ2, Workflow as W2
        import perqueue.constants as c
        import perqueue_lab, perqueue_lab.constants, perqueue_lab.task_classes.task, perqueue_lab.queue
        print(json.dumps({
            "same_package": perqueue is perqueue_lab,
            "same_constants": c is perqueue_lab.constants and INDEX_KW == "pq_index" and ITER_KW == "pq_iteration",
            "dwg": DYNAMICWIDTHGROUP_KEY,
            "task": Task is perqueue_lab.task_classes.task.Task and Task2 is Task,
            "queue": PersistentQueue is perqueue_lab.queue.PersistentQueue is PQ2,
            "attr": perqueue.constants.INDEX_KW,
            "own_name": perqueue_lab.constants.__spec__.name,
            "resources": str(Resources.from_string("4:1h")),
            "states": EntryState.queueing.value,
        }))
        """
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got == {
        "same_package": True,
        "same_constants": True,
        "dwg": "pq_dwg_width",
        "task": True,
        "queue": True,
        "attr": "pq_index",
        "own_name": "perqueue_lab.constants",  # the alias does not rename the module it stands for
        "resources": got["resources"],
        "states": got["states"],
    }
    assert got["resources"].startswith("4:")


def test_bare_import_reaches_submodules_as_attributes():
    # `import perqueue` imports its submodules eagerly: scripts use perqueue.constants.X without importing it.
    r = py(
        """
        import perqueue_lab.alias as a; a.install()
        import perqueue
        print(perqueue.constants.CYCLICALGROUP_KEY, perqueue.queue.PersistentQueue.__name__,
              perqueue.selection.Selection.__name__, perqueue.task_classes.Task.__name__)
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["pq_toggle_key", "PersistentQueue", "Selection", "Task"]


@pytest.mark.parametrize(
    "module, says",
    [
        ("perqueue.cli", "use `pql`"),
        ("perqueue.backend.sqlitebackend", "bridge's store"),
        ("perqueue.runner", "perqueue_lab.runner"),
        ("perqueue.schedulers.myqueue", "executors"),
        ("perqueue.task_classes.entry_group", "get_entries"),
    ],
)
def test_modules_without_a_counterpart_say_what_to_use(module: str, says: str):
    r = py(
        f"""
        import perqueue_lab.alias as a; a.install()
        try:
            import {module}
        except ModuleNotFoundError as e:
            print(e.name); print(e)
        """
    )
    assert r.returncode == 0, r.stderr
    name, message = r.stdout.split("\n", 1)
    # A package without a counterpart fails on the package: `perqueue.backend` for its submodules.
    assert module == name or module.startswith(name + ".")
    assert f"{name} is not provided by perqueue_lab" in message and says in message


def test_an_unknown_perqueue_module_is_the_usual_error():
    r = py(
        """
        import perqueue_lab.alias as a; a.install()
        import perqueue.no_such_thing
        """
    )
    assert r.returncode == 1
    assert "No module named 'perqueue.no_such_thing'" in r.stderr


def test_an_alias_whose_target_is_missing_names_both():
    r = py(
        """
        import perqueue_lab.alias as a
        a.ALIASES["perqueue.later"] = "perqueue_lab.not_yet_here"
        a.install()
        import perqueue.later
        """
    )
    assert r.returncode == 1
    assert (
        "perqueue.later stands for perqueue_lab.not_yet_here, which this perqueue_lab installation does not have"
        in r.stderr
    )


def test_install_is_idempotent_and_goes_first():
    r = py(
        """
        import sys, perqueue_lab.alias as a
        a.install(); a.install()
        print(sum(isinstance(f, a.PerqueueAlias) for f in sys.meta_path), isinstance(sys.meta_path[0], a.PerqueueAlias))
        a.uninstall(); print(a.is_installed())
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "True", "False"]


def test_a_real_perqueue_found_by_a_later_finder_wins(tmp_path: Path):
    # A finder appended after the alias (as a late editable install would be) finds a real perqueue.
    real = tmp_path / "elsewhere" / "perqueue"
    real.mkdir(parents=True)
    (real / "__init__.py").write_text("REAL = True\n")
    (real / "constants.py").write_text("INDEX_KW = 'real'\n")
    r = py(
        f"""
        import sys, importlib.machinery, perqueue_lab.alias as a
        a.install()
        class Late:
            def find_spec(self, name, path=None, target=None):
                if name == "perqueue":
                    return importlib.machinery.PathFinder.find_spec(name, [{str(real.parent)!r}])
                return None
        sys.meta_path.append(Late())
        import perqueue, perqueue.constants
        print(getattr(perqueue, "REAL", False), perqueue.constants.INDEX_KW)
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "real"]


@pytest.mark.skipif(
    not BASELINE_PYTHON.exists() and os.environ.get("PQ_REQUIRE_BASELINE") != "1",
    reason=f"no baseline venv with the published perqueue at {BASELINE_PYTHON} (bench/baseline/setup.sh)",
)
def test_the_published_perqueue_is_never_shadowed(tmp_path: Path):
    """The runner in an interpreter with the real perqueue 0.3.2: the task gets the real one."""
    script = tmp_path / "task.py"
    script.write_text(
        textwrap.dedent(
            """
            import perqueue
            from perqueue.constants import INDEX_KW
            import perqueue.coordinator  # exists only in the real package

            def main(**kw):
                return True, {"file": perqueue.__file__, "version": perqueue.__version__, "index": INDEX_KW}
            """
        )
    )
    proc, run_dir = run_entry(tmp_path, 3, script, {}, python=BASELINE_PYTHON)
    result = json.loads((run_dir / "result.json").read_text())
    assert proc.returncode == 0, proc.stderr + json.dumps(result)
    data = result["data"]
    assert data["version"] == "0.3.2" and data["index"] == "pq_index"
    assert Path(data["file"]).resolve().is_relative_to(BASELINE_PYTHON.parent.parent.resolve())


def test_the_runner_runs_an_unchanged_perqueue_task_script(tmp_path: Path):
    script = tmp_path / "task.py"
    script.write_text(
        textwrap.dedent(
            """
            from perqueue.constants import INDEX_KW, DYNAMICWIDTHGROUP_KEY
            from perqueue.task_classes.task import Task

            def main(x, **kw):
                return True, {DYNAMICWIDTHGROUP_KEY: 2, "seen": kw.get(INDEX_KW), "task": Task.__module__, "y": x * 2}
            """
        )
    )
    proc, run_dir = run_entry(tmp_path, 4, script, {"x": 21, "pq_index": [1]})
    assert proc.returncode == 0, proc.stderr
    result = json.loads((run_dir / "result.json").read_text())
    assert result == {
        "ok": True,
        "data": {"pq_dwg_width": 2, "seen": [1], "task": "perqueue_lab.task_classes.task", "y": 42},
    }


def test_alias_main_runs_a_script_like_python_does(tmp_path: Path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 5\n")
    script = tmp_path / "pq_submit.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from perqueue import Task
            import helper_mod  # next to the script, as with `python pq_submit.py`
            print(__name__, sys.argv[1:], helper_mod.VALUE, Task.__module__)
            sys.exit(3)
            """
        )
    )
    other = tmp_path / "elsewhere"
    other.mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "perqueue_lab.alias", str(script), "a", "b"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=other,
        timeout=120,
    )
    assert r.returncode == 3, r.stderr
    assert r.stdout.split() == ["__main__", "['a',", "'b']", "5", "perqueue_lab.task_classes.task"]


def test_a_headless_notebook_imports_perqueue(tmp_path: Path):
    """The notebook's kernel is a process of its own: the alias is installed there before cell 1."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "from perqueue.constants import INDEX_KW\n"
            "from perqueue.task_classes.util_classes import Resources\n"
            "import perqueue\n"
            "result = {'key': INDEX_KW, 'package': perqueue.__name__}\n"
        )
    )
    path = tmp_path / "analysis.ipynb"
    nbformat.write(nb, str(path))
    proc, run_dir = run_entry(tmp_path, 5, path, {}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((run_dir / "result.json").read_text()) == {
        "ok": True,
        "data": {"key": "pq_index", "package": "perqueue_lab"},
    }
    # Nothing was added to the notebook the user reads back: the alias is not a cell.
    executed = nbformat.read(str(run_dir / "output.ipynb"), as_version=4)
    assert len(executed.cells) == 2  # the injected parameters cell and the notebook's own
    assert not any("perqueue_lab.alias" in "".join(c.source) for c in executed.cells)


def test_pq_perqueue_alias_0_leaves_it_out():
    r = subprocess.run(
        [sys.executable, "-c", "import perqueue_lab.alias as a; a.install(); print(a.is_installed()); import perqueue"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PQ_PERQUEUE_ALIAS": "0"},
        timeout=60,
    )
    assert r.stdout.strip() == "False"
    assert "No module named 'perqueue'" in r.stderr


def test_preload_resolves_the_alias_once_but_never_imports_a_real_perqueue(tmp_path: Path):
    r = py(
        """
        import sys, perqueue_lab.alias as a
        a.preload(); print("perqueue" in sys.modules)   # not installed: nothing
        a.install(); a.preload(); print(sys.modules["perqueue.constants"] is sys.modules["perqueue_lab.constants"])
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "True"]
    real = tmp_path / "perqueue"
    real.mkdir()
    (real / "__init__.py").write_text("import sys\nsys.stdout.write('REAL IMPORTED ')\n")
    r = py(
        f"""
        import sys; sys.path.insert(0, {str(tmp_path)!r})
        import perqueue_lab.alias as a
        a.install(); a.preload(); print("perqueue" in sys.modules)
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False"]


def test_utils_and_external_modules_are_perqueue_labs():
    r = py(
        """
        import perqueue_lab.alias as a; a.install()
        from perqueue.utils import loads_w_consts
        from perqueue.utils.serial_utils import register_json_encoder
        import perqueue.utils.graph_utils as g
        import perqueue.external.python_workflow_definition as pwd
        import perqueue_lab.utils.serial_utils, perqueue_lab.utils.graph_utils
        print(register_json_encoder is perqueue_lab.utils.serial_utils.register_json_encoder,
              g is perqueue_lab.utils.graph_utils, pwd.__name__, loads_w_consts('{"k": "pq_index"}'))
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [
        "True",
        "True",
        "perqueue_lab.external.python_workflow_definition",
        "{'k':",
        "'pq_index'}",
    ]
