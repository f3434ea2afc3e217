"""Compute the band gap; an electrolyte must be an electronic insulator.

Filter: band gap of at least ``min_gap`` eV.
"""

from screening_common import record, rng


def main(candidate, records, min_gap=2.5, **kwargs):
    c = dict(candidate)
    r = rng(c["name"], "gap")
    base = {"O": 4.5, "Cl": 4.0, "Br": 3.2, "S": 2.6, "Se": 2.0, "I": 2.3}[c["X"]]
    c["gap"] = round(max(0.0, r.gauss(base, 1.0)), 3)
    ok = c["gap"] >= min_gap
    record(records, c["name"], "band_gap", ok, gap=c["gap"])
    return ok, {"candidate": c, "records": records}
