"""Cluster expansion trained on relaxations, then Monte Carlo and kinetic Monte Carlo.

    setup ─► CyclicalGroup, until the CV score is low enough:
               SwitchGroup on pq_switch_key ─ "random":       generate (random structures)
                                            └ "ground_state": generate (predicted low-energy ones)
               ─► DynamicWidthGroup, one column per structure: relax
               ─► fit   (pq_toggle_key, pq_switch_key, how many structures next)
           ─► StaticWidthGroup, one column per temperature: mc ─► kmc

Each iteration generates structures by the method the previous fit chose from its
cross-validation score, relaxes them in parallel (as many columns as structures), and refits
the cluster expansion. Once converged, Monte Carlo annealing runs at several temperatures with
the fitted interactions, and kinetic Monte Carlo follows a vacancy in the structure found at
one of them.

    pql submit examples/cluster_expansion/submit.py
    SIZE=3 TARGET_CV=0.003 pql submit examples/cluster_expansion/submit.py   # a quick run

``RELAX_METHOD=mlip`` relaxes with an interatomic potential instead of DFT (here: more noise).
On a cluster: ``PQ_EXAMPLE_NODE=<node name from .perqueue/config.json>`` (default ``local``).
"""

import os
from pathlib import Path

from perqueue_lab import CyclicalGroup, DynamicWidthGroup, PersistentQueue, StaticWidthGroup, SwitchGroup, Task, Workflow

HERE = Path(__file__).resolve().parent / "tasks"
NODE = os.environ.get("PQ_EXAMPLE_NODE", "local")  # the only thing that changes on a cluster
SIZE = int(os.environ.get("SIZE", "6"))  # number of Monte Carlo temperatures
TARGET_CV = float(os.environ.get("TARGET_CV", "0.0025"))  # eV/site
RELAX_METHOD = os.environ.get("RELAX_METHOD", "dft")


def res(minutes: int = 10, cores: int = 1) -> str:
    """A MyQueue resource string (cores:node:time) on the chosen node."""
    return f"{cores}:{NODE}:{minutes}m"


def temperatures(n: int) -> list[float]:
    """kT in eV, from well below to above the order-disorder transition."""
    return [round(0.04 + (0.3 - 0.04) * i / max(1, n - 1), 3) for i in range(n)]


def build(size: int = SIZE, target_cv: float = TARGET_CV, relax_method: str = RELAX_METHOD) -> Workflow:
    setup = Task(HERE / "setup.py", {"size": 6, "n_first": 6, "relax_method": relax_method}, res(2))
    generation = SwitchGroup(
        {
            "random": Task(HERE / "generate.py", {"generation": "random"}, res(5), name="generate-random"),
            "ground_state": Task(HERE / "generate.py", {"generation": "ground_state"}, res(5), name="generate-ground-state"),
        },
        name="structure generation",
    )
    relax = DynamicWidthGroup(Task(HERE / "relax.py", None, res(60)), name="relaxations")
    fit = Task(HERE / "fit.py", {"target_cv": target_cv, "switch_cv": 0.004}, res(10))
    training = CyclicalGroup([generation, relax, fit], max_tries=12, name="CE training")

    temps = temperatures(size)
    mc = StaticWidthGroup(Task(HERE / "mc.py", {"temperatures": temps}, res(30)), width=len(temps), name="Monte Carlo")
    kmc = Task(HERE / "kmc.py", {"kmc_temperature": 0.15}, res(30))
    return Workflow([setup, training, mc, kmc])


if __name__ == "__main__":
    with PersistentQueue() as pq:
        wf_id = pq.submit(build(), name=f"cluster-expansion-{SIZE}")
    print(f"submitted workflow {wf_id}: {SIZE} Monte Carlo temperatures, target CV {TARGET_CV} eV/site")
