"""Make a vacancy at one of the three inequivalent A sites and relax it.

Filter: vacancy formation energy below ``max_e_vac`` eV (charge carriers must be cheap to make).
"""

from screening_common import record, rng


def main(candidate, records, pq_index, max_e_vac=1.4, **kwargs):
    site = pq_index[0]  # [site, candidate]: PerQueue lists a static group inside a dynamic one first
    r = rng(candidate["name"], "vacancy", site)
    e_vac = round(r.uniform(0.3, 2.6), 3)
    ok = e_vac < max_e_vac
    record(records, f"{candidate['name']}.site{site}", "vacancy", ok, e_vac=e_vac, site=site)
    return ok, {"candidate": candidate, "records": records, "site": site, "e_vac": e_vac}
