"""The quick-start workflow: every building block once.

generate -> DynamicWidthGroup[ screen (filter) -> CyclicalGroup[relax] -> SwitchGroup{fine|coarse} ]
         -> report -> StaticWidthGroup of 2 checks

Run it with `pql submit examples/quickstart/submit.py` (or `python submit.py`), then watch it
with `pql status` or in JupyterLab's Workflows panel.
"""

import os
from pathlib import Path

from perqueue_lab import (
    CyclicalGroup,
    DynamicWidthGroup,
    PersistentQueue,
    StaticWidthGroup,
    SwitchGroup,
    Task,
    Workflow,
)

HERE = Path(__file__).resolve().parent / "tasks"
# The node name of every resource string: `local` runs on this machine; on a cluster, a node
# listed in .perqueue/config.json (`PQ_EXAMPLE_NODE=xeon24 pql submit ...`).
LOCAL = f"1:{os.environ.get('PQ_EXAMPLE_NODE', 'local')}:5m"

generate = Task(HERE / "generate.py", {"n_candidates": 4}, LOCAL)
screen = Task(HERE / "screen.py", {"threshold": 0.8}, LOCAL)
relax = CyclicalGroup(Task(HERE / "relax.py", None, LOCAL), max_tries=10)
analyse = SwitchGroup(
    {
        "fine": Task(HERE / "analyse.py", {"method": "fine"}, LOCAL, name="analyse-fine"),
        "coarse": Task(HERE / "analyse.py", {"method": "coarse"}, LOCAL, name="analyse-coarse"),
    }
)
per_candidate = DynamicWidthGroup([screen, relax, analyse])
report = Task(HERE / "report.py", None, LOCAL)
checks = StaticWidthGroup(Task(HERE / "report.py", None, LOCAL, name="check"), width=2)

workflow = Workflow({generate: [], per_candidate: [generate], report: [per_candidate], checks: [report]})

if __name__ == "__main__":
    with PersistentQueue() as pq:
        wf_id = pq.submit(workflow, name="quickstart")
    print(f"submitted workflow {wf_id}")
