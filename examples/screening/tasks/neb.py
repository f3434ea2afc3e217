"""Nudged elastic band for the vacancy's migration: the most expensive step, so it runs last.

Filter: migration barrier below ``max_barrier`` eV.
"""

from screening_common import record, rng


def main(candidate, records, site, e_vac, max_barrier=0.4, **kwargs):
    r = rng(candidate["name"], "neb", site)
    softness = {"I": -0.12, "Se": -0.08, "Br": -0.05, "S": -0.04, "Cl": 0.0, "O": 0.1}[candidate["X"]]
    barrier = round(max(0.05, r.gauss(0.5 + softness, 0.15)), 3)
    ok = barrier < max_barrier
    record(records, f"{candidate['name']}.site{site}", "neb", ok, barrier=barrier, site=site)
    return ok, {"candidate": candidate, "records": records, "site": site, "e_vac": e_vac, "barrier": barrier}
