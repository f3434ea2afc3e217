"""Active learning of an interatomic potential, CURATOR's workflow.

    init ─► StaticWidthGroup: train ×4 ─► evaluate ─► CyclicalGroup, until accurate:
                                                        DynamicWidthGroup, a column per configuration
                                                          simulate ─► select ─► label
                                                        ─► gather
                                                        ─► DynamicWidthGroup: train × ensemble size
                                                        ─► evaluate   (pq_toggle_key, pq_dwg_width)

An ensemble of models is trained first; each iteration runs molecular dynamics with the model
for every configuration still explored, selects the frames where the ensemble disagrees most,
labels them with the reference method, adds them to the training set and retrains the
ensemble. ``evaluate`` stops the loop when the ensemble is accurate enough. A configuration
that ``select`` finds well learnt is not explored again: the next iteration's
simulate-select-label group is narrower (``evaluate`` returns a smaller ``pq_dwg_width``).

    pql submit examples/active_learning/submit.py
    SIZE=3 TARGET_RMSE=0.02 pql submit examples/active_learning/submit.py   # a quick run

On a cluster: ``PQ_EXAMPLE_NODE=<node name from .perqueue/config.json>`` (default ``local``).
"""

import os
from pathlib import Path

from perqueue_lab import CyclicalGroup, DynamicWidthGroup, PersistentQueue, StaticWidthGroup, Task, Workflow

HERE = Path(__file__).resolve().parent / "tasks"
NODE = os.environ.get("PQ_EXAMPLE_NODE", "local")  # the only thing that changes on a cluster
SIZE = int(os.environ.get("SIZE", "8"))  # number of configurations to explore
ENSEMBLE = 4
TARGET_RMSE = float(os.environ.get("TARGET_RMSE", "0.01"))


def res(minutes: int = 10, cores: int = 1) -> str:
    """A MyQueue resource string (cores:node:time) on the chosen node."""
    return f"{cores}:{NODE}:{minutes}m"


def build(size: int = SIZE, ensemble: int = ENSEMBLE, target_rmse: float = TARGET_RMSE) -> Workflow:
    init = Task(HERE / "init.py", {"n_configs": size, "ensemble_size": ensemble}, res(5))
    first_ensemble = StaticWidthGroup(Task(HERE / "train.py", None, res(60)), width=ensemble, name="ensemble")
    first_evaluate = Task(HERE / "evaluate.py", {"target_rmse": target_rmse}, res(5))

    simulate = Task(HERE / "simulate.py", None, res(60))
    select = Task(HERE / "select.py", {"batch": 3, "threshold": 0.015}, res(10))
    label = Task(HERE / "label.py", None, res(60))
    explore = DynamicWidthGroup([simulate, select, label], name="explore")
    gather = Task(HERE / "gather.py", None, res(5))
    retrain = DynamicWidthGroup(Task(HERE / "train.py", None, res(60)), name="retrain")
    evaluate = Task(HERE / "evaluate.py", {"target_rmse": target_rmse}, res(5))
    loop = CyclicalGroup([explore, gather, retrain, evaluate], max_tries=12, name="active learning")

    return Workflow([init, first_ensemble, first_evaluate, loop])


if __name__ == "__main__":
    with PersistentQueue() as pq:
        wf_id = pq.submit(build(), name=f"active-learning-{SIZE}")
    print(f"submitted workflow {wf_id}: {SIZE} configurations, ensemble of {ENSEMBLE}")
