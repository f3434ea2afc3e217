"""The stand-in science of the cluster-expansion example.

* A binary alloy A(1-x)B(x) on a periodic square lattice; a structure is a list of 0/1
  occupations (row by row).
* The reference "relaxation" (DFT, or an interatomic potential) gives the energy per site of a
  known Hamiltonian: pair interactions up to the 4th neighbour shell, a three-body term and a
  little noise. The cluster expansion (empty, point and 3 pair clusters) cannot represent the
  last two exactly, so its cross-validation score has a floor, as in real life.
* Monte Carlo and kinetic Monte Carlo use the fitted effective cluster interactions (ECIs).
"""

import numpy as np

# Neighbour shells of the square lattice: (dy, dx) offsets, each bond counted once.
SHELLS = [
    [(0, 1), (1, 0)],                    # 1st neighbours
    [(1, 1), (1, -1)],                   # 2nd
    [(0, 2), (2, 0)],                    # 3rd
    [(1, 2), (2, 1), (1, -2), (2, -1)],  # 4th (not in the cluster expansion)
]
TRUE_PAIRS = [0.060, -0.018, 0.010, 0.004]  # eV per bond, in spin variables
TRUE_POINT = 0.02
TRUE_TRIPLET = 0.003  # on the corner triangles (i, i+x, i+y)
FORMATION_REF = -0.05
CE_SHELLS = 3  # pair shells in the expansion


def spins(occ, size):
    return 2 * np.asarray(occ, dtype=float).reshape(size, size) - 1


def correlations(occ, size):
    """Cluster correlation functions: empty, point, then one per pair shell in the expansion."""
    s = spins(occ, size)
    out = [1.0, s.mean()]
    for shell in SHELLS[:CE_SHELLS]:
        out.append(np.mean([np.mean(s * np.roll(s, (dy, dx), (0, 1))) for dy, dx in shell]))
    return np.array(out)


def reference_energy(occ, size, method="dft", seed=0):
    """Energy per site from the reference method; an interatomic potential is a bit noisier."""
    s = spins(occ, size)
    e = FORMATION_REF + TRUE_POINT * s.mean()
    for j, shell in zip(TRUE_PAIRS, SHELLS):
        e += j * sum(np.mean(s * np.roll(s, (dy, dx), (0, 1))) for dy, dx in shell)
    e += TRUE_TRIPLET * np.mean(s * np.roll(s, 1, 1) * np.roll(s, 1, 0))
    noise = {"dft": 0.0005, "mlip": 0.002}[method]
    return float(e + np.random.default_rng(seed).normal(scale=noise))


def ce_energy(eci, occ, size):
    return float(np.dot(eci, correlations(occ, size)))


def local_field(eci, s):
    """Energy change per unit spin flip around every site, from the pair ECIs (total, not per site)."""
    h = np.full(s.shape, eci[1])
    for j, shell in zip(eci[2:], SHELLS[:CE_SHELLS]):
        for dy, dx in shell:
            h += j * (np.roll(s, (dy, dx), (0, 1)) + np.roll(s, (-dy, -dx), (0, 1)))
    return h


def random_structure(rng, size, x=None):
    x = rng.uniform(0.1, 0.9) if x is None else x
    n_b = int(round(x * size * size))
    occ = np.zeros(size * size, dtype=int)
    occ[rng.choice(size * size, n_b, replace=False)] = 1
    return occ.tolist()
