"""Differential conformance: each case runs on the published PerQueue 0.3.2 and on PerQueue Lab.

A case is a folder under ``cases/``: a PerQueue submission script ``pq_submit.py`` and its task
scripts, unchanged between the two systems (``import perqueue`` resolves to PerQueue Lab on our
side). Every task call is recorded by ``conformance_record`` and the two logs are compared as
multisets; a difference fails unless docs/semantics.md lists it (the ``conformance-differences``
block: case, task and the side it is seen on).

PerQueue runs with its local runner (resources ``...:local:...``, no MyQueue): it starts each
ready entry as a detached process, so a run has ended when its database holds no entry that is
ready, queued or running (each change is one transaction, and a finished task makes its
children ready in the same one).

Usage: python tests/conformance/harness.py [CASE...]   (prints the differences, exit 1 on any)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CASES = HERE / "cases"
SEMANTICS = REPO / "docs/semantics.md"
BASELINE_PY = Path(os.environ.get("PQ_BASELINE_PYTHON", REPO / "bench/.venv-baseline/bin/python"))
OUR_PY = Path(os.environ.get("PQ_TEST_PYTHON", REPO / ".venv/bin/python"))
PQL = REPO / "perqueue_lab/bridge/pql.mjs"
# A safeguard only (runs end on events): a run is given up on when its entries have not changed
# state for this long. A busy machine makes a run slow, not stuck.
TIMEOUT = float(os.environ.get("PQ_CONFORMANCE_TIMEOUT", "600"))

INIT_PERQUEUE = (
    "from pathlib import Path\n"
    "from perqueue.backend.handler import init_backend\n"
    "from perqueue.backend.sqlitebackend import SQLiteBackend\n"
    "init_backend(backend_type=SQLiteBackend._type, where=Path.cwd(), force=True)\n"
)
ACTIVE = "gqr"  # PerQueue: goahead, queueing, running


class ConformanceError(RuntimeError):
    pass


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "pq_submit.py").exists())


def _node() -> str:
    return subprocess.run([str(REPO / "scripts/find-node.sh")], capture_output=True, text=True, check=True).stdout.strip()


def case_options(name: str) -> dict[str, Any]:
    """A case's ``case.json``: ``perqueue_leaves_waiting`` (why) when PerQueue leaves entries
    waiting for ever by design of the case (they are then not taken for a lost update)."""
    f = CASES / name / "case.json"
    return json.loads(f.read_text()) if f.exists() else {}


def _copy_case(name: str, system: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=f"pq-conf-{system}-{name}-"))
    shutil.copytree(CASES / name, d, dirs_exist_ok=True)
    return d


def _env(log: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PQ_PROJECT", "VIRTUAL_ENV"))}
    env["PYTHONPATH"] = str(HERE)  # conformance_record, nothing else
    env["PQ_CONFORMANCE_LOG"] = str(log)
    return env


def _read_log(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


# PerQueue 0.3.2's detached runners update the workflow graph without a lock of their own, and
# under load two columns finishing together can lose one update: the entries below then wait for
# ever (seen a few times in a hundred runs on a busy machine); a runner can also fail an entry
# before its task runs. Those are races, not behaviour a script relies on, and no case leaves an
# entry waiting otherwise (unless its case.json says so): such a run is repeated.
PERQUEUE_ATTEMPTS = 3


class LostUpdate(ConformanceError):
    pass


def run_perqueue(name: str) -> list[dict[str, Any]]:
    for attempt in range(1, PERQUEUE_ATTEMPTS + 1):
        try:
            return _run_perqueue_once(name)
        except LostUpdate as e:
            if attempt == PERQUEUE_ATTEMPTS:
                raise ConformanceError(f"{e} ({attempt} attempts)") from e
    raise AssertionError("unreachable")


def _run_perqueue_once(name: str) -> list[dict[str, Any]]:
    if not BASELINE_PY.exists():
        raise ConformanceError(f"no PerQueue 0.3.2 baseline at {BASELINE_PY}: run bench/baseline/setup.sh")
    d = _copy_case(name, "perqueue")
    log = d / "calls.jsonl"
    env = _env(log)
    env["PATH"] = f"{BASELINE_PY.parent}:{env['PATH']}"
    try:
        for args in ([str(BASELINE_PY), "-c", INIT_PERQUEUE], [str(BASELINE_PY), "pq_submit.py"]):
            r = subprocess.run(args, cwd=d, env=env, capture_output=True, text=True, timeout=TIMEOUT)
            if r.returncode:
                raise ConformanceError(f"{name} on PerQueue: {' '.join(args[1:])} failed:\n{r.stderr[-3000:]}")
        db = d / ".pq_active-sqlite.db"
        deadline = time.monotonic() + TIMEOUT
        seen: dict[str, int] = {}
        while True:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                states = dict(con.execute("SELECT state, count(*) FROM entries GROUP BY state").fetchall())
            finally:
                con.close()
            active = sum(states.get(s, 0) for s in ACTIVE)
            if states != seen:  # progress: the safeguard starts again
                seen, deadline = states, time.monotonic() + TIMEOUT
            if active == 0:
                if states.get("w") and not case_options(name).get("perqueue_leaves_waiting"):
                    raise LostUpdate(f"{name} on PerQueue: {states['w']} entries left waiting")
                break
            if time.monotonic() > deadline:
                raise ConformanceError(f"{name} on PerQueue: {active} active entries, none changed state for {TIMEOUT:.0f} s: {states}")
            time.sleep(0.1)
        calls = _read_log(log)
        # An entry PerQueue failed outside its task (its runner meeting a locked database on a
        # busy machine, say) has no failed call in the log: the run is repeated too.
        failed_calls = sum(1 for c in calls if c.get("error"))
        if states.get("f", 0) > failed_calls:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                errors = [e for (e,) in con.execute("SELECT err_txt FROM entries WHERE state = 'f' LIMIT 3")]
            finally:
                con.close()
            raise LostUpdate(f"{name} on PerQueue: {states['f']} failed entries, {failed_calls} failed calls: {errors}")
        return calls
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _wait_while_progressing(pql: Any, name: str, wid: str) -> None:
    """`pql wait` in short rounds; give up only when no entry changed state for TIMEOUT."""
    mark, deadline = None, time.monotonic() + TIMEOUT
    while pql("wait", wid, "--timeout", "15").returncode == 2:
        ls = pql("ls", "--json", "-w", wid, check=False)
        now = [(e["id"], e["state"], e.get("attempt")) for e in json.loads(ls.stdout or "[]")] if ls.returncode == 0 else mark
        if now != mark:
            mark, deadline = now, time.monotonic() + TIMEOUT
        elif time.monotonic() > deadline:
            raise ConformanceError(f"{name} on PerQueue Lab: workflow {wid}: no entry changed state for {TIMEOUT:.0f} s")


def run_ours(name: str, node: str) -> list[dict[str, Any]]:
    d = _copy_case(name, "ours")
    log = d / "calls.jsonl"
    env = _env(log)
    env["PQ_PYTHON"] = str(OUR_PY)
    env["PATH"] = f"{OUR_PY.parent}:{env['PATH']}"

    def pql(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([node, str(PQL), *args], cwd=d, env=env, capture_output=True, text=True, timeout=TIMEOUT + 30)
        if check and r.returncode not in (0, 1):  # wait exits 1 when something failed: a result, not an error
            raise ConformanceError(f"{name} on PerQueue Lab: pql {' '.join(args)} failed:\n{r.stdout[-1500:]}{r.stderr[-3000:]}")
        return r

    try:
        pql("init")
        pql("daemon", "start")
        # The submission script unchanged: `pql submit` resolves its `perqueue` imports.
        r = pql("submit", "pq_submit.py", check=False)
        if r.returncode:
            raise ConformanceError(f"{name} on PerQueue Lab: pql submit pq_submit.py failed:\n{r.stdout[-1500:]}{r.stderr[-3000:]}")
        for wf in json.loads(pql("status", "--json").stdout or "[]"):
            wid = str(wf.get("id", wf.get("workflowId")))
            _wait_while_progressing(pql, name, wid)
        return _read_log(log)
    finally:
        pql("daemon", "stop", check=False)
        shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------ comparison


def documented_differences() -> list[dict[str, str]]:
    """The ``conformance-differences`` JSON block of docs/semantics.md."""
    m = re.search(r"```json conformance-differences\n(.*?)```", SEMANTICS.read_text(), re.S)
    if not m:
        raise ConformanceError("docs/semantics.md has no ```json conformance-differences block")
    return json.loads(m.group(1))


def _canon(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)


def compare(name: str, theirs: list[dict[str, Any]], ours: list[dict[str, Any]]) -> list[str]:
    """Differences not documented, one line each (empty when the runs agree). A documented
    difference that did not show is one too: the documentation would no longer be true."""
    a, b = Counter(map(_canon, theirs)), Counter(map(_canon, ours))
    allowed = [x for x in documented_differences() if x["case"] == name]
    seen: set[int] = set()
    problems = []
    for side, extra in (("perqueue", a - b), ("ours", b - a)):
        for text, count in sorted(extra.items()):
            task = json.loads(text)["task"]
            hits = [i for i, x in enumerate(allowed) if x["task"] == task and x["side"] in (side, "both")]
            if hits:
                seen.update(hits)
                continue
            problems.append(f"only on {side} ({count}x): {text}")
    for i, x in enumerate(allowed):
        if i not in seen:
            problems.append(f"documented difference not seen (update docs/semantics.md): {json.dumps(x)}")
    if not theirs:
        problems.append("PerQueue recorded no call at all")
    return problems


def run_case(name: str, node: str | None = None) -> list[str]:
    node = node or _node()
    with ThreadPoolExecutor(2) as pool:
        theirs = pool.submit(run_perqueue, name)
        ours = pool.submit(run_ours, name, node)
        return compare(name, theirs.result(), ours.result())


def main(argv: list[str]) -> int:
    names = argv or case_names()
    node = _node()
    bad = 0
    for name in names:
        t0 = time.monotonic()
        problems = run_case(name, node)
        print(f"{name}: {'ok' if not problems else f'{len(problems)} difference(s)'} ({time.monotonic() - t0:.1f} s)")
        for p in problems:
            print(f"  {p}")
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
