"""Train one member of the ensemble (column ``pq_index`` of the width group).

Used twice: in the StaticWidthGroup that trains the first ensemble (after ``init``) and in the
DynamicWidthGroup of every iteration (after ``gather``). Members differ in hyperparameters and
bootstrap sample, so they agree where there are data and disagree where there are none.
"""

from al_common import fit


def main(state, configs, pq_index, seed=5, pq_iteration=None, **kwargs):
    iteration = pq_iteration[-1] + 1 if pq_iteration else 0
    data = state["dataset"]
    model = fit(data["x"], data["y"], member=pq_index[-1], seed=seed + iteration)
    return True, {"model": model, "state": state, "configs": configs}
