"""The Python ways to submit carry the submitter's environment and folder to the tasks: the
kernel API (``connect().submit`` / ``WorkflowHandle.retry``, over HTTP) and ``PersistentQueue``
(through ``pql``), against a real bridge whose daemon was started before the variable existed."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from perqueue_lab import PersistentQueue, Task
from perqueue_lab._bridge import cli_path
from perqueue_lab.kernel import connect

pytestmark = pytest.mark.skipif(
    not cli_path().is_file(),
    reason=f"the pql CLI is not built ({cli_path()} is missing): run `npm run build:node`",
)

REPORT = """
    import os
    def main(path=None, **kw):
        if os.environ.get("PQ_T_MARK") == "fail-me":
            raise RuntimeError("the environment says fail")
        out = {"mark": os.environ.get("PQ_T_MARK"), "cwd": os.getcwd()}
        if path:
            with open(path) as f:
                out["content"] = f.read()
        return True, out
"""


@pytest.fixture
def project(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (project_dir / "report.py").write_text(textwrap.dedent(REPORT))
    monkeypatch.delenv("PQ_T_MARK", raising=False)
    monkeypatch.delenv("PQ_PROJECT", raising=False)
    connect(project_dir)._ensure()  # the daemon starts now, without the variable
    return project_dir


def test_kernel_submit_and_retry_carry_the_kernels_environment_and_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    notebooks = project / "notebooks"
    notebooks.mkdir()
    (notebooks / "settings.txt").write_text("next to the notebook")
    monkeypatch.chdir(notebooks)
    monkeypatch.setenv("PQ_T_MARK", "fail-me")
    bridge = connect(project)
    handle = bridge.submit(Task(str(project / "report.py"), {"path": "settings.txt"}, "1:local:1m"))
    status = handle.wait(timeout=60)
    assert status["failed"] == 1
    failed = handle.entries()[0]
    monkeypatch.setenv("PQ_T_MARK", "set in the kernel")
    handle.retry(failed.key)
    handle.wait(timeout=60)
    entry = handle.entries()[0]
    assert entry.data == {"mark": "set in the kernel", "cwd": str(notebooks), "content": "next to the notebook"}


def test_persistent_queue_submits_from_the_current_folder_with_this_environment(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
):
    elsewhere = tmp_path_factory.mktemp("campaign")
    (elsewhere / "settings.txt").write_text("in the campaign folder")
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PQ_T_MARK", "exported in the script")
    with PersistentQueue(project) as pq:
        wf = pq.submit(Task(str(project / "report.py"), {"path": "settings.txt"}, "1:local:1m"))
    connect(project).workflow(wf).wait(timeout=60)
    entry = PersistentQueue(project).get_entries()[0]
    assert entry.data == {"mark": "exported in the script", "cwd": str(elsewhere), "content": "in the campaign folder"}
    assert os.environ["PQ_T_MARK"] == "exported in the script"
