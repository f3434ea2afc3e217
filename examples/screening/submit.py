"""High-throughput screening of solid-state electrolyte candidates, with filters.

    generate ─► DynamicWidthGroup, one column per candidate ───────────────────────► funnel
                  relax_bulk ─► band_gap ─► StaticWidthGroup, 3 vacancy sites ─► collect
                  (filter)      (filter)      vacancy ─► neb
                                              (filter)   (filter)

Every step marked (filter) returns ``(False, data)`` when its criterion is not met: that
candidate (or vacancy site) stops there and what depends on it is skipped. ``collect`` joins
the sites that survived; ``funnel`` joins the candidates that survived and reports how many
made it through each stage.

    pql submit examples/screening/submit.py              # 300 candidates
    SIZE=20 pql submit examples/screening/submit.py      # a quick run

On a cluster: ``PQ_EXAMPLE_NODE=<node name from .perqueue/config.json>`` (default ``local``).
"""

import os
from pathlib import Path

from perqueue_lab import DynamicWidthGroup, PersistentQueue, StaticWidthGroup, Task, Workflow

HERE = Path(__file__).resolve().parent / "tasks"
NODE = os.environ.get("PQ_EXAMPLE_NODE", "local")  # the only thing that changes on a cluster
SIZE = int(os.environ.get("SIZE", "300"))  # number of candidate materials
VACANCY_SITES = 3


def res(minutes: int = 5, cores: int = 1) -> str:
    """A MyQueue resource string (cores:node:time) on the chosen node."""
    return f"{cores}:{NODE}:{minutes}m"


def build(size: int = SIZE) -> Workflow:
    """The screening workflow for ``size`` candidates."""
    generate = Task(HERE / "generate.py", {"n_candidates": size, "seed": 2020}, res(2))
    relax_bulk = Task(HERE / "relax_bulk.py", {"max_e_hull": 0.04}, res(30))
    band_gap = Task(HERE / "band_gap.py", {"min_gap": 2.5}, res(30))
    vacancy = Task(HERE / "vacancy.py", {"max_e_vac": 1.4}, res(30))
    neb = Task(HERE / "neb.py", {"max_barrier": 0.4}, res(60))
    sites = StaticWidthGroup([vacancy, neb], width=VACANCY_SITES, name="vacancy sites")
    collect = Task(HERE / "collect.py", None, res(2))
    per_candidate = DynamicWidthGroup([relax_bulk, band_gap, sites, collect], name="candidates")
    funnel = Task(HERE / "funnel.py", {"top": 10}, res(5))
    return Workflow({generate: [], per_candidate: [generate], funnel: [per_candidate]})


if __name__ == "__main__":
    with PersistentQueue() as pq:
        wf_id = pq.submit(build(), name=f"screening-{SIZE}")
    print(f"submitted workflow {wf_id}: {SIZE} candidates")
