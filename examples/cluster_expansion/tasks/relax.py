"""Relax one structure (column ``pq_index`` of the relaxation group) with the reference method."""

from ce_common import reference_energy


def main(structures, size, relax_method, training, cv_history, generation, pq_index, pq_iteration, **kwargs):
    occ = structures[pq_index[-1]]
    energy = reference_energy(occ, size, relax_method, seed=[pq_iteration[-1], pq_index[-1]])
    return True, {"occ": occ, "energy": round(energy, 6), "size": size, "relax_method": relax_method,
                  "training": training, "cv_history": cv_history, "generation": generation}
