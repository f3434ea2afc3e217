"""Train the segmentation model on every labelled image and measure its accuracy.

First run (top of the workflow): the initial images with rough annotations. In the loop its
parents are ``select`` (which images were chosen) and the human step ``label`` (their masks):
masks the annotator sent are used as they are; with ``annotator: "simulated"`` (the default
applied when nobody answered before the time-out) the true masks of the synthetic data stand in
for a person. Stops the loop (``pq_toggle_key``) once the pixel accuracy on the test images
reaches ``target``.
"""

import numpy as np

from seg_common import decode_mask, encode_mask, fit, make_image, probabilities, rough_mask


def main(state=None, selected=(), labels=None, annotator=None, n_images=120, n_test=24, n_initial=4,
         seed=7, target=0.80, batch=4, pq_iteration=None, **kwargs):
    if state is None:  # the first training: rough annotations of the first images
        state = {"seed": seed, "n_images": n_images, "n_test": n_test, "target": target, "batch": batch,
                 "labelled": {str(i): {"mask": encode_mask(rough_mask(make_image(i, seed)[1])), "source": "rough"}
                              for i in range(n_initial)},
                 "history": []}
    state = {**state, "labelled": dict(state["labelled"])}
    labels = labels or {}
    for i in selected:
        if str(i) in labels:
            state["labelled"][str(i)] = {"mask": encode_mask(decode_mask(labels[str(i)])), "source": "human"}
        elif annotator == "simulated":
            state["labelled"][str(i)] = {"mask": encode_mask(make_image(i, state["seed"])[1]), "source": "simulated"}
    ids = sorted(state["labelled"], key=int)
    w = fit([make_image(int(i), state["seed"])[0] for i in ids], [decode_mask(state["labelled"][i]["mask"]) for i in ids])
    accuracy = _accuracy(w, state)
    sources = {}
    for v in state["labelled"].values():
        sources[v["source"]] = sources.get(v["source"], 0) + 1
    state["history"] = state["history"] + [{"accuracy": round(accuracy, 4), "labelled": len(ids), "sources": sources}]
    print(f"{len(ids)} labelled images {sources}: pixel accuracy {accuracy:.4f} (target {state['target']})")
    return True, {
        "model": np.round(w, 6).tolist(),
        "state": state,
        "accuracy": round(accuracy, 4),
        "label_sources": sources,
        "pq_toggle_key": accuracy >= state["target"],
    }


def _accuracy(w, state):
    test = range(state["n_images"] - state["n_test"], state["n_images"])
    right = total = 0
    for i in test:
        img, truth = make_image(i, state["seed"])
        right += int((probabilities(w, img).argmax(-1) == truth).sum())
        total += truth.size
    return right / total
