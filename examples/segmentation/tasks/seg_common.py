"""The stand-in science of the segmentation example.

* Images: 24×24 grey-scale "tomography slices" of an electrode with three phases (0 = pore,
  1 = inactive material, 2 = active material), with varying brightness, contrast and noise.
  Image ``i`` is regenerated from ``(seed, i)`` anywhere, so only ids travel between steps.
  The phase map it was drawn from is the ground truth.
* The model: a per-pixel softmax classifier on local intensity features (a stand-in for a U-Net).
* Masks travel as strings of digits, one per pixel, row by row.
"""

import numpy as np

H = W = 24
PHASES = ("pore", "inactive", "active")


def box(a, r):
    """Mean over a (2r+1)² window, periodic."""
    out = np.zeros_like(a, dtype=float)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out += np.roll(np.roll(a, dy, -2), dx, -1)
    return out / (2 * r + 1) ** 2


def make_image(i, seed=7):
    """Image ``i`` and its true phase map."""
    rng = np.random.default_rng([seed, i])
    field = box(rng.normal(size=(H, W)), 3)
    q1, q2 = np.quantile(field, [rng.uniform(0.2, 0.4), rng.uniform(0.6, 0.85)])
    truth = np.digitize(field, [q1, q2])
    levels = np.array([0.15, 0.45, 0.8])
    img = rng.uniform(-0.3, 0.3) + rng.uniform(0.5, 1.5) * levels[truth]
    img = img + rng.normal(scale=rng.uniform(0.05, 0.25), size=(H, W))
    img = 0.6 * img + 0.4 * box(img, 1)
    return img, truth


def rough_mask(truth, block=6):
    """A rough annotation: the majority phase of each 6×6 block (what a quick first pass gives)."""
    t = truth.reshape(H // block, block, W // block, block).transpose(0, 2, 1, 3).reshape(H // block, W // block, -1)
    majority = np.array([[np.bincount(c, minlength=3).argmax() for c in row] for row in t])
    return np.kron(majority, np.ones((block, block), int))


def features(img):
    lo, hi = np.quantile(img, [0.05, 0.95])
    z = (img - lo) / (hi - lo)
    f = [z, box(z, 1), box(z, 2), box(z, 1) ** 2, np.ones_like(z)]
    return np.stack([x.ravel() for x in f], 1)


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit(images, masks, iters=300, lr=1.0, l2=1e-3):
    x = np.concatenate([features(im) for im in images])
    y = np.eye(3)[np.concatenate([m.ravel() for m in masks])]
    w = np.zeros((x.shape[1], 3))
    for _ in range(iters):
        w -= lr * (x.T @ (softmax(x @ w) - y) / len(x) + l2 * w)
    return w


def probabilities(w, img):
    return softmax(features(img) @ np.asarray(w)).reshape(H, W, 3)


def encode_mask(mask):
    return "".join(str(int(v)) for v in np.asarray(mask).ravel())


def decode_mask(value):
    """A mask from a string of digits or a nested list (what the labelling notebook sends)."""
    if isinstance(value, str):
        arr = np.array([int(c) for c in value])
    else:
        arr = np.asarray(value, dtype=int)
    if arr.size != H * W or arr.min() < 0 or arr.max() > 2:
        raise ValueError(f"a mask must have {H * W} pixels with phases 0, 1 or 2")
    return arr.reshape(H, W)
