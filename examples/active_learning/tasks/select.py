"""Batch active learning: pick the frames where the ensemble disagrees most.

A configuration whose frames all have an ensemble spread below ``threshold`` is well learnt:
nothing is selected and it is marked ``well_learnt``; ``gather`` drops it from the list, so the
next iteration's simulate-select-label group is one column narrower (a smaller ``pq_dwg_width``).
"""

import numpy as np

from al_common import ensemble


def main(config, frames, models, state, batch=3, threshold=0.015, min_distance=0.15, **kwargs):
    x = np.asarray(frames)
    _, std = ensemble(models, x)
    selected = []
    for i in np.argsort(-std):  # greedy: the most uncertain frames, not too close to each other
        if std[i] < threshold or len(selected) == batch:
            break
        if all(abs(x[i] - s) >= min_distance for s in selected):
            selected.append(round(float(x[i]), 5))
    well_learnt = float(std.max()) < threshold
    print(f"{config['name']}: max spread {std.max():.4f}, selected {len(selected)}, well learnt: {well_learnt}")
    return True, {"config": config, "selected": selected, "max_std": round(float(std.max()), 5),
                  "well_learnt": well_learnt, "state": state}
