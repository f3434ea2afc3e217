"""Generate the structures to relax next, by the method the SwitchGroup chose (``generation``).

* ``random``: random occupations at random compositions (early on, while the CV score is high);
* ``ground_state``: structures the current cluster expansion predicts to be low in energy, at
  compositions across the range, found by a greedy search (once the CV score is low).

Returns ``pq_dwg_width`` = how many structures: the width of the relaxation group.
"""

import numpy as np

from ce_common import ce_energy, random_structure


def main(generation, size, training, n_structures, relax_method, cv_history, eci=None, pq_iteration=(0,), **kwargs):
    rng = np.random.default_rng([42, pq_iteration[-1]])
    seen = {tuple(t["occ"]) for t in training}
    new = []
    while len(new) < n_structures:
        if generation == "random" or eci is None:
            occ = random_structure(rng, size)
        else:
            occ = _low_energy(rng, eci, size, x=rng.uniform(0.15, 0.85))
        if tuple(occ) not in seen:
            seen.add(tuple(occ))
            new.append(occ)
    print(f"{generation}: {len(new)} new structures")
    return True, {"structures": new, "pq_dwg_width": len(new), "generation": generation,
                  "size": size, "training": training, "cv_history": cv_history, "relax_method": relax_method}


def _low_energy(rng, eci, size, x, sweeps=2):
    """Greedy swaps that lower the cluster-expansion energy at fixed composition."""
    occ = np.array(random_structure(rng, size, x))
    e = ce_energy(eci, occ, size)
    for _ in range(sweeps * size * size):
        a, b = rng.choice(np.flatnonzero(occ == 0)), rng.choice(np.flatnonzero(occ == 1))
        occ[a], occ[b] = 1, 0
        e_new = ce_energy(eci, occ, size)
        if e_new <= e:
            e = e_new
        else:
            occ[a], occ[b] = 0, 1
    return occ.tolist()
