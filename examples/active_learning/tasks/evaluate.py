"""Gather the ensemble, measure its accuracy, and decide whether to go on.

Its parents are the ensemble members (``train`` columns). Returns, for the next iteration:
``pq_dwg_width`` = the configurations still being explored (the width of the next
simulate-select-label group) and ``pq_toggle_key`` = stop (accurate, or nothing left to explore).
"""

import numpy as np

from al_common import ensemble, test_points, true_energy


def main(pq_parents, state, configs, target_rmse=0.02, **kwargs):
    models = [p["data"]["model"] for p in pq_parents]  # column order: member 0, 1, ...
    x = test_points(state["all_configs"])
    mean, _ = ensemble(models, x)
    rmse = float(np.sqrt(np.mean((mean - true_energy(x)) ** 2)))
    points = len(state["dataset"]["x"])
    history = state["history"] + [{"rmse": round(rmse, 5), "points": points, "exploring": len(configs)}]
    accurate = rmse < target_rmse
    print(f"ensemble of {len(models)}: RMSE {rmse:.4f}, {points} training points, "
          f"{len(configs)} configurations still explored")
    return True, {
        "models": models,
        "state": {**state, "history": history},
        "configs": configs,
        "rmse": round(rmse, 5),
        "accurate": accurate,
        "pq_dwg_width": len(configs),
        "pq_toggle_key": accurate or not configs,
    }
