"""Enumerate the candidate materials; their number is the width of the per-candidate group."""

import os
from pathlib import Path

from screening_common import candidate_list


def main(n_candidates=300, seed=2020, **kwargs):
    candidates = candidate_list(n_candidates, seed)
    # Where every step records its verdict (tasks run in the project folder).
    records = Path.cwd() / "screening-records" / f"wf{os.environ.get('PQ_WORKFLOW_ID', 'manual')}"
    records.mkdir(parents=True, exist_ok=True)
    print(f"{len(candidates)} candidates, records in {records}")
    return True, {"candidates": candidates, "records": str(records), "pq_dwg_width": len(candidates)}
