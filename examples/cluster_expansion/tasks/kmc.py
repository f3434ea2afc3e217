"""Kinetic Monte Carlo of vacancy diffusion in the Monte Carlo structure at one temperature.

Its parents are the Monte Carlo columns (``pq_parents``); it takes the low-energy structure at
``kmc_temperature``, puts a vacancy in it and follows the vacancy's hops (residence-time
algorithm, rates ν·exp(-(E_a + ΔE/2)/kT) from the cluster expansion). Returns the diffusion
coefficient of the vacancy.
"""

import math
import random

from mc import neighbours


def main(pq_parents, kmc_temperature=0.15, barrier=0.35, prefactor=1e13, hops=4000, trajectories=8, **kwargs):
    runs = {p["data"]["temperature"]: p["data"] for p in pq_parents}
    kt = min(runs, key=lambda t: abs(t - kmc_temperature))
    run = runs[kt]
    size, eci = run["mc_size"], run["eci"]
    s = [2 * v - 1 for v in run["structure"]]
    table = neighbours(eci, size)
    first = [[j for j, _ in table[i][:4]] for i in range(size * size)]  # the 4 nearest neighbours
    rng = random.Random(7)
    msd, total_time = 0.0, 0.0
    for start in rng.sample(range(size * size), trajectories):  # one vacancy at a time
        dr, t = _trajectory(list(s), start, table, first, size, kt, barrier, prefactor, hops // trajectories, rng)
        msd += dr / trajectories
        total_time += t / trajectories
    diffusion = msd / (4 * total_time)  # lattice spacings squared per second
    print(f"kT = {kt}: {trajectories} vacancies, {hops // trajectories} hops each, D = {diffusion:.3e} a^2/s")
    return True, {"temperature": kt, "hops": hops, "time": total_time, "diffusion": diffusion,
                  "mc_energies": {str(k): v["energy"] for k, v in sorted(runs.items())},
                  "mc_order": {str(k): v["order"] for k, v in sorted(runs.items())}}


def _trajectory(s, vac, table, first, size, kt, barrier, prefactor, hops, rng):
    """Hops of one vacancy (residence-time algorithm); returns its squared displacement and the time."""
    s[vac] = 0
    pos = [0, 0]
    t = 0.0
    for _ in range(hops):
        rates = []
        for j in first[vac]:
            # Moving the atom at j into the vacancy: its field there minus its field at j.
            h_v = sum(w * s[k] for k, w in table[vac] if k != j)
            h_j = sum(w * s[k] for k, w in table[j] if k != vac)
            de = s[j] * (h_v - h_j)
            rates.append(prefactor * math.exp(-(barrier + de / 2) / kt))
        total = sum(rates)
        t += -math.log(1.0 - rng.random()) / total
        r, k = rng.random() * total, 0
        while k < 3 and r > rates[k]:
            r -= rates[k]
            k += 1
        j = first[vac][k]
        vy, vx = divmod(vac, size)
        jy, jx = divmod(j, size)
        pos[0] += (jy - vy + size // 2) % size - size // 2
        pos[1] += (jx - vx + size // 2) % size - size // 2
        s[vac], s[j] = s[j], 0
        vac = j
    return pos[0] ** 2 + pos[1] ** 2, t
