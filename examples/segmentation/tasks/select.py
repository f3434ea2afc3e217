"""Pick the unlabelled images the model is least sure of (highest mean pixel entropy).

Returns what the person labelling them needs: the images, the model's proposed masks and the
uncertainty of each; ``state`` travels on to the next training.
"""

import numpy as np

from seg_common import H, W, encode_mask, make_image, probabilities


def main(model, state, **kwargs):
    pool = [i for i in range(state["n_images"] - state["n_test"]) if str(i) not in state["labelled"]]
    scored = []
    for i in pool:
        p = probabilities(model, make_image(i, state["seed"])[0])
        scored.append((float(-(p * np.log(p + 1e-12)).sum(-1).mean()), i))
    scored.sort(reverse=True)
    chosen = scored[: state["batch"]]
    selected = [i for _, i in chosen]
    images = np.array([make_image(i, state["seed"])[0] for i in selected]).reshape(len(selected), H, W)
    proposals = [encode_mask(probabilities(model, img).argmax(-1)) for img in images]
    print(f"selected {selected} of {len(pool)} unlabelled images, mean entropy {[round(u, 3) for u, _ in chosen]}")
    return True, {
        "selected": selected,
        "images": np.round(images, 4),
        "proposals": proposals,
        "uncertainty": [round(u, 4) for u, _ in chosen],
        "state": state,
    }
