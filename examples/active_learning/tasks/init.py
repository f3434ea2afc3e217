"""The initial data set and the configurations to explore.

``state`` travels through every step: the data set (grown by ``train``), every configuration,
the history of the accuracy (grown by ``evaluate``) and the ensemble size. Each step passes it
on, because a step receives only the data of its direct parents.
"""

import numpy as np

from al_common import configurations, true_energy


def main(n_configs=6, n_initial=8, ensemble_size=4, seed=11, **kwargs):
    rng = np.random.default_rng(seed)
    xs = np.sort(rng.uniform(0.5, 9.5, n_initial))
    dataset = {"x": [round(float(x), 5) for x in xs], "y": [round(float(y), 6) for y in true_energy(xs)]}
    configs = configurations(n_configs)
    state = {"dataset": dataset, "all_configs": configs, "history": [], "ensemble_size": ensemble_size}
    return True, {"state": state, "configs": configs}
