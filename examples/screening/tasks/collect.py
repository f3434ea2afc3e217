"""Join the vacancy sites of one candidate that survived; it runs only if at least one did.

Its parents are the surviving ``neb`` entries. Keys they all returned with the same value
(``candidate``, ``records``) arrive as that value; keys that differ (``site``, ``barrier``)
arrive as ``{entry id: value}``. ``pq_parents`` gives each parent's data in column order.
"""

import math

from screening_common import record


def main(candidate, records, pq_parents, **kwargs):
    sites = sorted(
        ({k: p["data"][k] for k in ("site", "e_vac", "barrier")} for p in pq_parents),
        key=lambda s: s["barrier"],
    )
    best = sites[0]
    # Arrhenius estimate of the room-temperature conductivity from the lowest barrier.
    sigma = 1e4 * math.exp(-best["barrier"] / 0.025852)  # mS/cm, a stand-in prefactor
    record(records, candidate["name"], "collect", True, sites=len(sites))
    return True, {
        "records": records,
        "name": candidate["name"],
        "formula": candidate["formula"],
        "e_hull": candidate["e_hull"],
        "gap": candidate["gap"],
        "sites": sites,
        "barrier": best["barrier"],
        "conductivity": round(sigma, 5),
    }
