"""Shared by the screening steps: the synthetic materials and the screening record.

The numbers are stand-ins for DFT results: each property is drawn from a random generator
seeded with the candidate's name, so every step gives the same answer for the same candidate
on any machine, and a re-run gives the same funnel.
"""

import json
import os
import random
from pathlib import Path

A_SITE = ["Li", "Na", "K", "Mg"]
B_SITE = ["P", "As", "Sb", "Si", "Ge", "Sn", "Al", "Ga"]
X_SITE = ["O", "S", "Se", "Cl", "Br", "I"]


def rng(*parts: object) -> random.Random:
    """A generator seeded by the candidate (and site, and stage): reproducible everywhere."""
    return random.Random("/".join(str(p) for p in parts))


def candidate_list(n: int, seed: int) -> list[dict]:
    """``n`` decorations of an A3BX4 prototype; past the 192 element combinations, polymorphs."""
    combos = [(a, b, x) for a in A_SITE for b in B_SITE for x in X_SITE]
    random.Random(seed).shuffle(combos)
    out = []
    for i in range(n):
        a, b, x = combos[i % len(combos)]
        polymorph = i // len(combos)
        formula = f"{a}3{b}{x}4"
        out.append({"name": f"{formula}-p{polymorph}", "formula": formula, "A": a, "B": b, "X": x})
    return out


def record(records: str, candidate: str, stage: str, passed: bool, **values: object) -> None:
    """One line of the screening database: a file per candidate, stage and site.

    Every step writes one, kept or discarded; ``funnel`` counts them. (A real screening keeps
    the same thing in an ASE database next to the structures.)
    """
    folder = Path(records)
    folder.mkdir(parents=True, exist_ok=True)
    row = {"candidate": candidate, "stage": stage, "passed": bool(passed), **values}
    path = folder / f"{candidate}.{stage}.json"
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(row))
    os.replace(tmp, path)


def read_records(records: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(Path(records).glob("*.json"))]
