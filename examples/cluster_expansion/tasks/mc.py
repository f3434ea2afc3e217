"""Canonical Monte Carlo annealing with the fitted cluster expansion, down to one temperature.

Column ``pq_index`` of the StaticWidthGroup runs at ``temperatures[i]`` (kT in eV): swap moves
at fixed composition, cooling from ``t_start``. Returns the final (low-energy) structure, its
energy per site and the checkerboard order parameter.
"""

import math
import random

from ce_common import CE_SHELLS, SHELLS


def neighbours(eci, size):
    """For every site: (neighbour, weight) pairs of the pair ECIs, both directions of each bond."""
    table = []
    for i in range(size * size):
        y, x = divmod(i, size)
        row = []
        for j, shell in zip(eci[2:], SHELLS[:CE_SHELLS]):
            w = j / len(shell)
            for dy, dx in shell:
                row.append((((y + dy) % size) * size + (x + dx) % size, w))
                row.append((((y - dy) % size) * size + (x - dx) % size, w))
        table.append(row)
    return table


def field(s, i, table, h0):
    return h0 + sum(w * s[j] for j, w in table[i])


def energy_per_site(s, table, eci):
    n = len(s)
    pair = sum(s[i] * sum(w * s[j] for j, w in table[i]) for i in range(n)) / 2
    return eci[0] + eci[1] * sum(s) / n + pair / n


def anneal(s, table, eci, rng, temperatures, sweeps):
    n = len(s)
    for kt in temperatures:
        for _ in range(sweeps * n):
            a, b = rng.randrange(n), rng.randrange(n)
            if s[a] == s[b]:
                continue
            # Swap = flip a, then flip b (with a already flipped).
            d = -2 * s[a] * field(s, a, table, eci[1])
            s[a] = -s[a]
            d += -2 * s[b] * field(s, b, table, eci[1])
            s[b] = -s[b]
            if d > 0 and rng.random() >= math.exp(-d / kt):
                s[a], s[b] = -s[a], -s[b]
    return s


def main(eci, temperatures, pq_index, mc_size=10, x=0.5, t_start=0.3, steps=6, sweeps=40, **kwargs):
    kt = temperatures[pq_index[-1]]
    rng = random.Random(1000 + pq_index[-1])
    n = mc_size * mc_size
    s = [1] * int(round(x * n)) + [-1] * (n - int(round(x * n)))
    rng.shuffle(s)
    table = neighbours(eci, mc_size)
    schedule = [t_start + (kt - t_start) * k / (steps - 1) for k in range(steps)] if t_start > kt else [kt]
    s = anneal(s, table, eci, rng, schedule, sweeps)
    order = abs(sum(v * (-1) ** (i // mc_size + i % mc_size) for i, v in enumerate(s))) / n
    e = energy_per_site(s, table, eci)
    print(f"kT = {kt}: energy {e:.5f} eV/site, order parameter {order:.3f}")
    return True, {"temperature": kt, "energy": round(e, 6), "order": round(order, 4),
                  "structure": [(v + 1) // 2 for v in s], "mc_size": mc_size, "eci": eci}
