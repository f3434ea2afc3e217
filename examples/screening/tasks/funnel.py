"""The end of the funnel: how many candidates survived each stage, and the best of them.

It joins the candidates that made it through (``pq_parents``); the counts of each stage come
from the records every step wrote, kept or discarded. The report is also written to
``screening-report-wf<ID>.md`` in the project folder.
"""

import os
from pathlib import Path

from screening_common import read_records

STAGES = [
    ("relax_bulk", "stable (E_hull)"),
    ("band_gap", "insulating (band gap)"),
    ("vacancy", "cheap vacancy (>= 1 site)"),
    ("neb", "low barrier (>= 1 site)"),
]


def main(pq_parents, top=10, **kwargs):
    survivors = sorted((p["data"] for p in pq_parents), key=lambda s: s["barrier"])
    rows = read_records(survivors[0]["records"])  # every survivor carries the same folder
    candidates = {r["candidate"].split(".site")[0] for r in rows if r["stage"] == "relax_bulk"}
    funnel = [{"stage": "candidates", "count": len(candidates)}]
    for stage, label in STAGES:
        passed = {r["candidate"].split(".site")[0] for r in rows if r["stage"] == stage and r["passed"]}
        funnel.append({"stage": label, "count": len(passed)})
    assert funnel[-1]["count"] == len(survivors), (funnel, len(survivors))
    best = [{k: s[k] for k in ("name", "barrier", "conductivity", "gap", "e_hull")} for s in survivors[:top]]
    lines = ["# Screening funnel", "", "| stage | candidates left |", "| --- | --- |"]
    lines += [f"| {f['stage']} | {f['count']} |" for f in funnel]
    lines += ["", f"## Best {len(best)} by migration barrier", "", "| candidate | barrier (eV) | σ (mS/cm) | gap (eV) | E_hull (eV/atom) |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {b['name']} | {b['barrier']} | {b['conductivity']:.3g} | {b['gap']} | {b['e_hull']} |" for b in best]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(f"screening-report-wf{os.environ.get('PQ_WORKFLOW_ID', 'manual')}.md").write_text(text)
    return True, {"funnel": funnel, "best": best, "survivors": len(survivors)}
