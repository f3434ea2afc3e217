"""The four use-case examples run to the end through the real ``pql`` CLI, at a reduced size.

Each test copies one example into its own project folder, submits it with ``pql submit``
(PQ_PYTHON = this interpreter), waits, checks the science the workflow was built to deliver,
and stops the project's bridge daemon afterwards. The human step of the segmentation example
is completed with ``pql approve``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perqueue_lab._bridge import cli_path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PQL = shutil.which("pql", path=str(Path(sys.executable).parent)) or shutil.which("pql")

pytestmark = [
    pytest.mark.skipif(not cli_path().is_file(), reason=f"the pql CLI is not built ({cli_path()} is missing)"),
    pytest.mark.skipif(PQL is None, reason="the pql console script is not installed"),
]


class Project:
    """An example copied into a fresh project folder, driven through the CLI."""

    def __init__(self, folder: Path, example: str) -> None:
        self.folder = folder
        self.example = example
        shutil.copytree(EXAMPLES / example, folder / example, ignore=shutil.ignore_patterns("__pycache__", ".perqueue"))
        self.env = {**os.environ, "PQ_PYTHON": sys.executable}
        self.env.pop("PQ_PROJECT", None)
        self.env.pop("PQ_EXAMPLE_NODE", None)

    def pql(self, *args: str, check: bool = True, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [PQL, *args], cwd=self.folder, env={**self.env, **env}, capture_output=True, text=True, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"pql {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def submit(self, **env: str) -> int:
        out = self.pql("submit", f"{self.example}/submit.py", **env).stdout
        match = re.search(r"submitted workflow (\d+)", out)
        assert match, out
        return int(match.group(1))

    def wait(self, wf: int, timeout: int = 90) -> None:
        proc = self.pql("wait", str(wf), "--timeout", str(timeout), check=False, timeout=timeout + 30)
        assert proc.returncode == 0, f"workflow {wf} did not succeed:\n{proc.stdout}{proc.stderr}\n{self.failures(wf)}"

    def entries(self, wf: int, states: str | None = None) -> list[dict]:
        args = ["ls", "-w", str(wf), "--json"] + (["-s", states] if states else [])
        return json.loads(self.pql(*args).stdout)

    def failures(self, wf: int) -> str:
        bad = [e for e in self.entries(wf) if e["state"] in ("failed", "timed_out", "blocked")]
        return "\n".join(f"{e['id']} {e['name']} {e['state']}: {e.get('error')}" for e in bad)

    def succeeded(self, wf: int, name: str) -> list[dict]:
        return [e for e in self.entries(wf) if e["name"] == name and e["state"] == "succeeded"]

    def stop(self) -> None:
        if (self.folder / ".perqueue").exists():
            self.pql("daemon", "stop", "--project", str(self.folder), check=False, timeout=60)


@pytest.fixture
def project(tmp_path):
    made: list[Project] = []

    def make(example: str) -> Project:
        p = Project(tmp_path, example)
        made.append(p)
        return p

    yield make
    for p in made:
        p.stop()


def test_screening_funnel(project):
    p = project("screening")
    wf = p.submit(SIZE="20")
    p.wait(wf)
    entries = p.entries(wf)
    (funnel,) = [e for e in entries if e["name"] == "funnel.py"]
    assert funnel["state"] == "succeeded"
    counts = [f["count"] for f in funnel["data"]["funnel"]]
    assert counts[0] == 20
    assert counts == sorted(counts, reverse=True), counts
    assert counts[-1] == funnel["data"]["survivors"] > 0

    # The funnel agrees with the states PerQueue Lab recorded: every filter discarded the rest.
    def states(name):
        return [e for e in entries if e["name"] == name]

    def candidates(name):  # the candidate's column is the last index (vacancy sites: [site, candidate])
        return {e["index"][-1] for e in states(name) if e["state"] == "succeeded"}

    assert len(candidates("relax_bulk.py")) == counts[1]
    assert sum(e["state"] == "discarded" for e in states("relax_bulk.py")) == 20 - counts[1]
    assert len(candidates("band_gap.py")) == counts[2]
    assert len(candidates("vacancy.py")) == counts[3]
    assert len(candidates("neb.py")) == counts[4] == len(candidates("collect.py"))
    # Three vacancy sites per candidate that reached them; entries below a discard were skipped.
    ran = [e for e in states("vacancy.py") if e["state"] in ("succeeded", "discarded")]
    assert len(ran) == 3 * counts[2] and {e["index"][0] for e in ran} == {0, 1, 2}
    assert all(e["state"] == "skipped" for e in states("vacancy.py") if e not in ran)
    barriers = [b["barrier"] for b in funnel["data"]["best"]]
    assert barriers == sorted(barriers) and all(b < 0.4 for b in barriers)
    assert (p.folder / f"screening-report-wf{wf}.md").is_file()


def test_active_learning_reaches_accuracy(project):
    p = project("active_learning")
    wf = p.submit(SIZE="3", TARGET_RMSE="0.1")
    p.wait(wf)
    evaluations = sorted(p.succeeded(wf, "evaluate.py"), key=lambda e: e["iteration"])
    final = evaluations[-1]["data"]
    assert final["accurate"] and final["rmse"] < 0.1
    assert final["pq_toggle_key"] is True
    history = final["state"]["history"]
    assert history[0]["rmse"] > 3 * history[-1]["rmse"]
    assert [h["points"] for h in history] == sorted(h["points"] for h in history)
    # The ensemble: 4 members first, then 4 per iteration.
    assert len([e for e in p.succeeded(wf, "train.py") if not e["iteration"]]) == 4
    # Each iteration simulated exactly the configurations still explored; well-learnt ones dropped out.
    loop_iterations = len(evaluations) - 1
    for k in range(loop_iterations):
        simulated = [e for e in p.succeeded(wf, "simulate.py") if e["iteration"] == [k]]
        assert len(simulated) == history[k]["exploring"], (k, history)
    assert history[0]["exploring"] == 3 and min(h["exploring"] for h in history) < 3


def test_cluster_expansion_then_monte_carlo(project):
    p = project("cluster_expansion")
    wf = p.submit(SIZE="3", TARGET_CV="0.003")
    p.wait(wf)
    fits = sorted(p.succeeded(wf, "fit.py"), key=lambda e: e["iteration"])
    assert fits[-1]["data"]["pq_toggle_key"] is True and fits[-1]["data"]["cv"] < 0.003
    assert all(not f["data"]["pq_toggle_key"] for f in fits[:-1])
    # The switch chose random structures first, then predicted ground states from a lower CV.
    assert p.succeeded(wf, "generate-random") and p.succeeded(wf, "generate-ground-state")
    assert [f["data"]["pq_switch_key"] for f in fits][0] == "random"
    # Each relaxation group was as wide as the structures its generator made.
    for f in fits:
        relaxed = [e for e in p.succeeded(wf, "relax.py") if e["iteration"] == f["iteration"]]
        generated = [e for e in p.entries(wf) if e["name"].startswith("generate") and e["iteration"] == f["iteration"]]
        assert len(relaxed) == generated[0]["data"]["pq_dwg_width"] > 0
    mc = sorted(p.succeeded(wf, "mc.py"), key=lambda e: e["index"])
    assert [e["data"]["temperature"] for e in mc] == [0.04, 0.17, 0.3]
    assert mc[0]["data"]["order"] > mc[-1]["data"]["order"]  # ordered when cold, disordered when hot
    assert mc[0]["data"]["energy"] < mc[-1]["data"]["energy"]
    (kmc,) = p.succeeded(wf, "kmc.py")
    assert kmc["data"]["diffusion"] > 0 and set(kmc["data"]["mc_energies"]) == {"0.04", "0.17", "0.3"}


def test_segmentation_with_a_person_labelling(project):
    p = project("segmentation")
    wf = p.submit(TARGET="0.74", LABEL_TIMEOUT="600")
    sys.path.insert(0, str(p.folder / "segmentation" / "tasks"))
    try:
        from seg_common import encode_mask, make_image
    finally:
        sys.path.pop(0)
    approved = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        waiting = p.entries(wf, "a")
        for step in waiting:
            # The person's answer: the true masks of the images select.py chose.
            (select,) = [e for e in p.entries(wf) if e["name"] == "select.py" and e["iteration"] == step["iteration"]]
            labels = {str(i): encode_mask(make_image(i, 7)[1]) for i in select["data"]["selected"]}
            p.pql(
                "approve",
                str(step["id"]),
                "--data",
                json.dumps({"labels": labels, "annotator": "test"}),
                "--by",
                "tester",
            )
            approved.append(step["id"])
        summary = {s["id"]: s for s in json.loads(p.pql("status", "--json").stdout)}[wf]
        busy = sum(summary["counts"].get(s, 0) for s in ("waiting", "queued", "running", "awaiting_input"))
        if not waiting and busy == 0:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"workflow {wf} did not finish: {p.failures(wf)}")
    assert approved, "the workflow never asked for labels"
    entries = p.entries(wf)
    assert all(e["state"] == "succeeded" for e in entries), p.failures(wf)
    trainings = sorted(p.succeeded(wf, "train"), key=lambda e: e["iteration"])
    final = trainings[-1]["data"]
    assert final["pq_toggle_key"] is True and final["accuracy"] >= 0.74
    assert final["label_sources"].get("human", 0) == 4 * len(approved)  # every label sent was used
    assert final["accuracy"] > trainings[0]["data"]["accuracy"]
    labelled = [e for e in entries if e["kind"] == "manual"]
    assert len(labelled) == len(approved) and all(len(e["data"]["labels"]) == 4 for e in labelled)
    for step_id in approved:  # answered by the person, before the time-out that would apply the default
        node = json.loads(p.pql("show", str(step_id), "--json").stdout)["node"]
        assert node["completedBy"] == "tester" and node["deadline"] is not None, node
