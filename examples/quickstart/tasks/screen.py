"""Keep a candidate only if its energy is low enough (a filter: returning False discards it)."""


def main(candidates, pq_index, threshold=0.5, **kwargs):
    c = candidates[pq_index[-1]]
    return c["energy"] < threshold, {"kept": c["name"], "energy": c["energy"]}
