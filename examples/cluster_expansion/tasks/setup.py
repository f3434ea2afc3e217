"""Start the cluster expansion: the cell, the first structures and how to relax them.

``relax_method`` is the reference method of the relaxations: ``dft`` or ``mlip`` (an
interatomic potential, e.g. one trained with the active-learning example).
"""


def main(size=6, n_first=6, relax_method="dft", **kwargs):
    return True, {
        "size": size,
        "relax_method": relax_method,
        "training": [],  # relaxed structures: {"occ": [...], "energy": e}
        "cv_history": [],
        "n_structures": n_first,
        "pq_switch_key": "random",  # no model yet: the first structures are random
    }
