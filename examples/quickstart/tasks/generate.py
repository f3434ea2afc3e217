"""Make a few candidate structures; their number decides the width of the next group."""


def main(n_candidates=4, **kwargs):
    candidates = [{"name": f"c{i}", "energy": 1.0 - 0.3 * i} for i in range(n_candidates)]
    return True, {"candidates": candidates, "pq_dwg_width": n_candidates}
