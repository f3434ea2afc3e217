"""Join the labelled frames of every configuration into the training set.

Its parents are the ``label`` columns (``pq_parents``, in column order). Configurations that
``select`` found well learnt are dropped from the list to explore. Returns ``pq_dwg_width`` =
the ensemble size: the width of the training group that follows.
"""


def main(pq_parents, state, **kwargs):
    xs, ys = list(state["dataset"]["x"]), list(state["dataset"]["y"])
    configs = []
    for p in pq_parents:
        d = p["data"]
        xs += d["new_x"]
        ys += d["new_y"]
        if not d["well_learnt"]:
            configs.append(d["config"])
    added = len(xs) - len(state["dataset"]["x"])
    print(f"{added} new points from {len(pq_parents)} configurations; {len(configs)} still to explore")
    state = {**state, "dataset": {"x": xs, "y": ys}}
    return True, {"state": state, "configs": configs, "pq_dwg_width": state["ensemble_size"]}
