"""The stand-in science of the active-learning example.

* The "DFT" potential energy surface is a known 1-D function of a reaction coordinate x in
  [0, 10]: a few wells and bumps on a soft confining term.
* An "MLIP" is a radial-basis-function ridge regression; ensemble members differ in length
  scale, regularisation and bootstrap sample, so where data are missing they disagree.
* A "configuration" (a vacancy concentration in the paper's case) is a region of x explored by
  Langevin "molecular dynamics" at its own temperature, started at its own centre.
"""

import numpy as np

X_MIN, X_MAX = 0.0, 10.0
WELLS = [(-1.0, 2.0, 0.6), (-0.7, 4.6, 0.5), (0.5, 5.8, 0.35), (-1.2, 7.6, 0.7), (0.4, 9.0, 0.4)]
CENTERS = np.linspace(X_MIN, X_MAX, 28)
# (length scale, ridge) of each ensemble member; members past the list repeat it.
HYPER = [(0.45, 1e-3), (0.55, 3e-3), (0.4, 3e-4), (0.5, 1e-2), (0.6, 1e-3), (0.35, 1e-3)]


def true_energy(x):
    """The reference calculation ("DFT")."""
    x = np.asarray(x, dtype=float)
    e = 0.02 * (x - 5.0) ** 2
    for a, c, w in WELLS:
        e = e + a * np.exp(-((x - c) ** 2) / (2 * w * w))
    return e


def configurations(n):
    """``n`` configurations spread over the coordinate, each with a centre and a temperature."""
    centres = np.linspace(1.2, 8.8, n)
    return [{"name": f"config-{i}", "centre": round(float(c), 3), "temperature": round(0.08 + 0.04 * (i % 3), 3)}
            for i, c in enumerate(centres)]


def _features(x, scale):
    x = np.atleast_1d(np.asarray(x, dtype=float))
    return np.exp(-((x[:, None] - CENTERS[None, :]) ** 2) / (2 * scale * scale))


def fit(xs, ys, member, seed):
    """Train ensemble member ``member`` on a bootstrap sample of the data set."""
    scale, ridge = HYPER[member % len(HYPER)]
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    rng = np.random.default_rng([seed, member])
    pick = rng.integers(0, len(xs), len(xs)) if member > 0 else np.arange(len(xs))
    phi = _features(xs[pick], scale)
    offset = float(ys[pick].mean())
    w = np.linalg.solve(phi.T @ phi + ridge * np.eye(len(CENTERS)), phi.T @ (ys[pick] - offset))
    return {"scale": scale, "offset": offset, "weights": [round(float(v), 8) for v in w]}


def predict(model, x):
    return _features(x, model["scale"]) @ np.asarray(model["weights"]) + model["offset"]


def ensemble(models, x):
    """Mean and standard deviation of the ensemble's predictions at ``x``."""
    preds = np.stack([predict(m, x) for m in models])
    return preds.mean(0), preds.std(0)


def test_points(configs):
    """Where accuracy is measured: around the configurations' centres."""
    pts = [np.linspace(max(X_MIN, c["centre"] - 1.2), min(X_MAX, c["centre"] + 1.2), 25) for c in configs]
    return np.concatenate(pts)
