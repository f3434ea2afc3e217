"""Molecular dynamics with the current MLIP (the ensemble mean) for one configuration.

Overdamped Langevin dynamics on the model's energy, started at the configuration's centre at
its temperature; returns the frames of the trajectory.
"""

import numpy as np

from al_common import X_MAX, X_MIN, ensemble


def main(configs, models, state, pq_index, pq_iteration, steps=300, dt=0.01, stride=5, **kwargs):
    config = configs[pq_index[-1]]
    rng = np.random.default_rng([pq_iteration[-1], pq_index[-1], 7])
    x, h = config["centre"], 1e-3
    frames = []
    for step in range(steps):
        e, _ = ensemble(models, [x - h, x + h])
        force = -(e[1] - e[0]) / (2 * h)
        # Thermal noise, three times the physical amplitude: a short run explores the whole well.
        noise = 3 * np.sqrt(2 * config["temperature"] * dt) * rng.normal()
        x = float(np.clip(x + dt * force + noise, X_MIN, X_MAX))
        if step % stride == 0:
            frames.append(round(x, 5))
    return True, {"config": config, "frames": frames, "models": models, "state": state}
