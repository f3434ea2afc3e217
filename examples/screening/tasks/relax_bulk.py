"""Relax the bulk structure and keep it only if it is (nearly) thermodynamically stable.

Filter: energy above the convex hull below ``max_e_hull`` eV/atom.
Each step adds what it computed to the ``candidate`` dict and returns it, so the next step
(which receives only its parents' data) has the whole history.
"""

from screening_common import record, rng


def main(candidates, records, pq_index, max_e_hull=0.04, **kwargs):
    c = dict(candidates[pq_index[0]])  # this column's candidate
    r = rng(c["name"], "bulk")
    c["e_hull"] = round(abs(r.gauss(0.0, 0.06)), 4)  # eV/atom above the hull
    c["volume"] = round(r.uniform(60, 140), 2)  # Å^3 per formula unit
    ok = c["e_hull"] < max_e_hull
    record(records, c["name"], "relax_bulk", ok, e_hull=c["e_hull"])
    return ok, {"candidate": c, "records": records}
