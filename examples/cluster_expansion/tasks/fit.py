"""Fit the cluster expansion to every relaxed structure so far and decide what comes next.

Its parents are the relaxation columns (``pq_parents``). Returns for the next iteration:
``pq_toggle_key`` (stop: the leave-one-out cross-validation score is below ``target_cv``),
``pq_switch_key`` (how to generate the next structures: ``random`` while the CV score is above
``switch_cv``, then ``ground_state``) and ``n_structures`` (fewer once the model is close).
"""

import numpy as np

from ce_common import correlations


def main(pq_parents, size, relax_method, training, cv_history, generation, target_cv=0.0025, switch_cv=0.004,
         min_structures=20, **kwargs):
    training = list(training) + [{"occ": p["data"]["occ"], "energy": p["data"]["energy"]} for p in pq_parents]
    X = np.array([correlations(t["occ"], size) for t in training])
    y = np.array([t["energy"] for t in training])
    eci, *_ = np.linalg.lstsq(X, y, rcond=None)
    # Leave-one-out CV of least squares from the hat matrix: e_i / (1 - H_ii).
    H = X @ np.linalg.pinv(X)
    resid = y - X @ eci
    cv = float(np.sqrt(np.mean((resid / np.clip(1 - np.diag(H), 1e-6, None)) ** 2)))
    converged = cv < target_cv and len(training) >= min_structures
    switch = "random" if cv > switch_cv else "ground_state"
    history = list(cv_history) + [{"cv": round(cv, 6), "structures": len(training), "generation": generation}]
    print(f"{len(training)} structures, CV {1000 * cv:.2f} meV/site, next: {switch}, converged: {converged}")
    return True, {
        "eci": [round(float(v), 7) for v in eci],
        "cv": round(cv, 6),
        "cv_history": history,
        "training": training,
        "size": size,
        "relax_method": relax_method,
        "n_structures": 8 if switch == "random" else 4,
        "pq_switch_key": switch,
        "pq_toggle_key": converged,
    }
