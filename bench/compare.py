"""Side by side: PerQueue Lab vs the published PerQueue (+ MyQueue) on the same workflow shapes.

Shapes (trivial Python tasks, so every second measured is the managers' overhead):
  chain      a chain of N tasks
  fanout     a StaticWidthGroup of width N
  cycle      a CyclicalGroup of N iterations (one task per iteration)
  al         the active-learning shape: an SWG of 3 trainings, then a CyclicalGroup of K iterations of
             [select -> DynamicWidthGroup of W labelings -> retrain]

Systems:
  ours       `pql submit` + `pql wait` against a fresh daemon (Python tasks through perqueue_lab.runner)
  pq-local   PerQueue with resources '1:local:10m': PerQueue's own local runner, no MyQueue
  pq+mq      PerQueue with resources '1:10m' through MyQueue's local scheduler server
             (`python -m myqueue.schedulers.local`). PerQueue 0.3.2's runner asks the environment for
             SLURM_JOBID/PBS_JOBID/LSB_JOBID, which MyQueue's local scheduler does not set, so every task
             fails; `--mq-jobid-workaround` starts the server with SLURM_JOBID=0 to get past that (PerQueue
             then records mq_id 0), and is what run-all.sh uses. Without it the failure is reported.

Reported per system and shape: wall time (submit until every entry finished), overhead per task, peak
RSS (sum over the processes working in the project folder: daemon/server and the task processes; and
the largest single one), database size, and the entry states read back from each system's own database.
Medians of --runs runs (min-max). Every system runs the asked sizes, except the 1,000-wide fan-out: PerQueue's
local runner starts every ready entry at once (no limit), so it gets 50, and through MyQueue it gets 200; our
system also runs those sizes, and the "x ours" column always compares runs of the same size.

Usage: bench/.venv-baseline/bin/python bench/compare.py [--smoke] [--runs N] [--systems ours,pq-local,pq+mq]
       [--shapes chain,fanout,cycle,al] [--mq-jobid-workaround] [--out rows.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BASE_PY = Path(sys.executable)
OUR_PY = Path(os.environ.get("PQ_PYTHON", REPO / ".venv/bin/python"))
PQL = Path(os.environ.get("PQ_BENCH_PQL", REPO / "perqueue_lab/bridge/pql.mjs"))

TASK = "def main(**kw):\n    return True, {'ok': 1}\n"
CYCLE = "def main(pq_iteration=(0,), n=1, **kw):\n    return True, {'pq_toggle_key': pq_iteration[-1] >= n - 1}\n"
SELECT = "def main(w=2, **kw):\n    return True, {'pq_dwg_width': w}\n"


def find_node() -> str:
    return subprocess.run(
        [str(REPO / "scripts/find-node.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()


# ------------------------------------------------------------------ shapes as our JSON specs


def our_task(name, code, args=None):
    return {"kind": "task", "name": name, "code": str(code), "args": args or {}, "resources": "1:local:10m"}


def our_chain(nodes):
    return {
        "kind": "workflow",
        "nodes": [{"id": f"n{i}", "node": n, "parents": [f"n{i - 1}"] if i else []} for i, n in enumerate(nodes)],
    }


def our_spec(shape, size, s):
    if shape == "chain":
        root = our_chain([our_task(f"t{i}", s["task"]) for i in range(size["n"])])
    elif shape == "fanout":
        root = {"kind": "static_width", "name": "SWG", "width": size["n"], "body": our_task("t", s["task"])}
    elif shape == "cycle":
        root = {
            "kind": "cyclical",
            "name": "CG",
            "maxTries": size["n"] + 1,
            "body": our_task("c", s["cycle"], {"n": size["n"]}),
        }
    else:
        train = {"kind": "static_width", "name": "train", "width": 3, "body": our_task("train", s["task"])}
        body = our_chain(
            [
                our_task("select", s["select"], {"w": size["w"]}),
                {"kind": "dynamic_width", "name": "DWG", "body": our_task("label", s["task"])},
                our_task("retrain", s["cycle"], {"n": size["k"]}),
            ]
        )
        cg = {"kind": "cyclical", "name": "AL", "maxTries": size["k"] + 1, "body": body}
        root = {
            "kind": "workflow",
            "nodes": [{"id": "train", "node": train, "parents": []}, {"id": "al", "node": cg, "parents": ["train"]}],
        }
    return {"specVersion": 1, "name": shape, "root": root}


def task_count(shape, size):
    if shape in ("chain", "fanout", "cycle"):
        return size["n"]
    return 3 + size["k"] * (2 + size["w"])


# ------------------------------------------------------------------ the same shapes for PerQueue

PQ_SUBMIT = r"""
import json, sys, pathlib
from perqueue import PersistentQueue, Task, Workflow, StaticWidthGroup, CyclicalGroup
from perqueue.task_classes.task_groups import DynamicWidthGroup
from perqueue.backend.handler import init_backend
from perqueue.backend.sqlitebackend import SQLiteBackend
shape, size, s, res = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
P = pathlib.Path
init_backend(backend_type=SQLiteBackend._type, where=P.cwd(), force=True)
if shape == "chain":
    wf = Workflow([Task(P(s["task"]), {}, res, name=f"t{i}") for i in range(size["n"])])
elif shape == "fanout":
    wf = StaticWidthGroup(Task(P(s["task"]), {}, res, name="t"), width=size["n"])
elif shape == "cycle":
    # A bare CyclicalGroup cannot be submitted (PerQueue 0.3.2 needs a graph at the top).
    wf = Workflow([CyclicalGroup([Task(P(s["cycle"]), {"n": size["n"]}, res, name="c")], max_tries=size["n"] + 1)])
else:
    train = StaticWidthGroup(Task(P(s["task"]), {}, res, name="train"), width=3)
    cg = CyclicalGroup([Task(P(s["select"]), {"w": size["w"]}, res, name="select"),
                        DynamicWidthGroup(Task(P(s["task"]), {}, res, name="label")),
                        Task(P(s["cycle"]), {"n": size["k"]}, res, name="retrain")], max_tries=size["k"] + 1)
    wf = Workflow({train: [], cg: [train]})
with PersistentQueue() as pq:
    pq.submit(wf)
"""


# ------------------------------------------------------------------ measuring


class RssSampler:
    """Peak RSS over the processes whose working folder is inside `root` (and the extra pids)."""

    def __init__(self, root: Path, extra_pids=()):
        self.root = str(root)
        self.extra = set(extra_pids)
        self.peak_sum = 0.0
        self.peak_one = 0.0
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop.is_set():
            total = 0.0
            for p in psutil.process_iter(["pid"]):
                try:
                    if p.pid in self.extra or p.cwd().startswith(self.root):
                        r = p.memory_info().rss / 2**20
                        total += r
                        self.peak_one = max(self.peak_one, r)
                except (psutil.Error, OSError):
                    pass
            self.peak_sum = max(self.peak_sum, total)
            self.stop.wait(0.2)  # sampling itself costs CPU on a 2-core machine

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *a):
        self.stop.set()
        self.t.join()


def db_mb(paths):
    return sum(p.stat().st_size for p in paths if p.exists()) / 2**20


def write_scripts(d: Path):
    s = {}
    for name, text in (("task", TASK), ("cycle", CYCLE), ("select", SELECT)):
        p = d / f"bench_{name}.py"  # not select.py: the folder is on sys.path and would shadow the stdlib
        p.write_text(text)
        s[name] = str(p)
    return s


# Every run's folder is removed when the whole comparison ends, not after the run: on ext4 without
# a journal (this machine's disk) an inode freed in the last minutes makes new files in its block
# group slower to create, so removing one run's files would slow the next run, whichever system.
_scratch: list[Path] = []


def scratch_dir(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=prefix))
    _scratch.append(d)
    return d


def remove_scratch():
    for d in _scratch:
        shutil.rmtree(d, ignore_errors=True)
    _scratch.clear()


def run_ours(shape, size, node, timeout):
    d = scratch_dir("pq-cmp-ours-")
    env = {**os.environ, "PQ_PROJECT": str(d), "PQ_PYTHON": str(OUR_PY), "PYTHONPATH": str(REPO)}
    env.pop("VIRTUAL_ENV", None)

    def pql(*a: str, **k: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run([node, str(PQL), *a], cwd=d, env=env, capture_output=True, text=True, **k)

    try:
        s = write_scripts(d)
        spec = d / "spec.json"
        spec.write_text(json.dumps(our_spec(shape, size, s)))
        r = pql("daemon", "start")
        if r.returncode:
            raise RuntimeError(f"daemon start: {r.stderr}")
        pid = json.loads((d / ".perqueue/bridge.json").read_text())["pid"]
        with RssSampler(d, [pid]) as rss:
            t0 = time.perf_counter()
            r = pql("submit", "--spec", str(spec), "--json")
            if r.returncode:
                raise RuntimeError(f"submit: {r.stderr}")
            wf = json.loads(r.stdout)["workflowId"]
            pql("wait", str(wf), "--timeout", str(timeout), "--quiet")
            wall = time.perf_counter() - t0
        pql("daemon", "stop")
        db = d / ".perqueue/perqueue.sqlite"
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        states = dict(con.execute("SELECT state, count(*) FROM nodes WHERE kind='task' GROUP BY state").fetchall())
        con.close()
        return dict(
            wall=wall,
            rss_sum=rss.peak_sum,
            rss_one=rss.peak_one,
            db=db_mb([db, Path(f"{db}-wal")]),
            states=states,
            ok=states.get("succeeded", 0),
        )
    finally:
        pql("daemon", "stop")


def port_free(port=39999):
    with socket.socket() as s:
        try:
            s.bind(("", port))
            return True
        except OSError:
            return False


MQ_CONFIG = f"config = {{'scheduler': 'local', 'serial_python': {str(BASE_PY)!r}}}\n"
_server: dict = {}


def mq_server(env, workaround):
    """One MyQueue local scheduler for the whole session. The client always dials 127.0.0.1:39999 and the
    server binds without SO_REUSEADDR, so a restarted server waits out TIME_WAIT (up to a minute)."""
    if "proc" in _server:
        return _server["proc"]
    home = Path(tempfile.mkdtemp(prefix="pq-cmp-mqserver-"))
    (home / ".myqueue").mkdir()
    (home / ".myqueue/config.py").write_text(MQ_CONFIG)
    for _ in range(120):
        if port_free():
            break
        time.sleep(1)
    senv = {**env, "SLURM_JOBID": "0"} if workaround else env
    log = home / "server.log"
    proc = subprocess.Popen(
        [str(BASE_PY), "-m", "myqueue.schedulers.local"],
        cwd=home,
        env=senv,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(200):
        if "Listening" in log.read_text():
            break
        time.sleep(0.05)
    if "127.0.0.1:39999" not in log.read_text():
        os.killpg(proc.pid, signal.SIGTERM)
        raise RuntimeError(f"MyQueue server: {log.read_text()[-500:]}")
    _server.update(proc=proc, home=home)
    return proc


def stop_mq_server():
    if "proc" in _server:
        os.killpg(_server["proc"].pid, signal.SIGTERM)
        _server["proc"].wait()
        shutil.rmtree(_server["home"], ignore_errors=True)
        _server.clear()


def run_pq(shape, size, mode, timeout, workaround):
    d = scratch_dir(f"pq-cmp-{mode.replace('+', '')}-")
    env = {**os.environ, "PATH": f"{BASE_PY.parent}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    try:
        s = write_scripts(d)
        extra = []
        if mode == "pq+mq":
            (d / ".myqueue").mkdir()
            (d / ".myqueue/config.py").write_text(MQ_CONFIG)
            extra = [mq_server(env, workaround).pid]
        res = "1:local:10m" if mode == "pq-local" else "1:10m"
        expected = task_count(shape, size)
        dbp = d / ".pq_active-sqlite.db"
        with RssSampler(d, extra) as rss:
            t0 = time.perf_counter()
            r = subprocess.run(
                [str(BASE_PY), "-c", PQ_SUBMIT, shape, json.dumps(size), json.dumps(s), res],
                cwd=d,
                env=env,
                capture_output=True,
                text=True,
            )
            if r.returncode:
                raise RuntimeError(f"PerQueue submit: {r.stderr[-2000:]}")
            states, last_change, last = {}, time.perf_counter(), None
            while time.perf_counter() - t0 < timeout:
                try:
                    con = sqlite3.connect(f"file:{dbp}?mode=ro", uri=True, timeout=5)
                    states = dict(con.execute("SELECT state, count(*) FROM entries GROUP BY state").fetchall())
                    con.close()
                except sqlite3.Error:
                    time.sleep(0.05)
                    continue
                done = states.get("s", 0) + states.get("d", 0)
                if done >= expected and not any(states.get(k) for k in "wgqru"):
                    break
                if states != last:
                    last, last_change = states, time.perf_counter()
                elif not any(states.get(k) for k in "gqr") and time.perf_counter() - last_change > 10:
                    break  # nothing runs, nothing will: failed entries leave their dependents waiting
                time.sleep(0.1)
            wall = time.perf_counter() - t0
        errors = []
        con = sqlite3.connect(f"file:{dbp}?mode=ro", uri=True)
        errors = [e for (e,) in con.execute("SELECT DISTINCT err_txt FROM entries WHERE err_txt IS NOT NULL LIMIT 3")]
        con.close()
        dbs = [dbp] + list((d / ".myqueue").glob("*.sqlite*")) if (d / ".myqueue").exists() else [dbp]
        named = {
            "s": "succeeded",
            "f": "failed",
            "w": "waiting",
            "g": "goahead",
            "q": "queued",
            "r": "running",
            "d": "discarded",
            "t": "timed_out",
            "x": "axed",
            "u": "undefined",
        }
        return dict(
            wall=wall,
            rss_sum=rss.peak_sum,
            rss_one=rss.peak_one,
            db=db_mb(dbs),
            states={named.get(k, k): v for k, v in states.items()},
            ok=states.get("s", 0),
            errors=errors,
        )
    finally:
        # PerQueue's local runs are detached: give stragglers a moment to finish.
        time.sleep(0.5)


def med(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def fmt(s, scale=1.0, digits=2):
    if not s:
        return "-"
    m, lo, hi = s["median"] * scale, s["min"] * scale, s["max"] * scale
    return f"{m:.{digits}f}" if s["n"] == 1 else f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--systems", default="ours,pq-local,pq+mq")
    ap.add_argument("--shapes", default="chain,fanout,cycle,al")
    ap.add_argument("--mq-jobid-workaround", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()
    if a.smoke:
        sizes = {"chain": {"n": 3}, "fanout": {"n": 4}, "cycle": {"n": 3}, "al": {"k": 1, "w": 2}}
        reduced = {}
    else:
        # The sizes the comparison is asked for, for every system, except where PerQueue cannot run
        # them here: its local runner starts every ready entry at once (1,000 Python processes,
        # ~36 GB), and through MyQueue a 1,000-wide fan-out takes minutes per run.
        sizes = {"chain": {"n": 100}, "fanout": {"n": 1000}, "cycle": {"n": 50}, "al": {"k": 5, "w": 8}}
        reduced = {("fanout", "pq-local"): {"n": 50}, ("fanout", "pq+mq"): {"n": 200}}
    runs = a.runs or (1 if a.smoke else 3)
    node = find_node()
    systems = a.systems.split(",")
    rows = []
    print(f"compare: {runs} run(s) per cell; sizes {sizes}; PerQueue reduced to {reduced}", flush=True)
    for shape in a.shapes.split(","):
        plan = []  # (system, size)
        for system in systems:
            if system == "ours":
                # Ours at the asked size, and at every reduced size too, for like-for-like ratios.
                mine = [sizes[shape]] + [z for (sh, sy), z in reduced.items() if sh == shape and sy in systems]
                plan += [("ours", z) for i, z in enumerate(mine) if z not in mine[:i]]
            else:
                plan.append((system, reduced.get((shape, system), sizes[shape])))
        cells = []
        for system, size in plan:
            results = []
            for _ in range(runs):
                try:
                    if system == "ours":
                        r = run_ours(shape, size, node, a.timeout)
                    else:
                        r = run_pq(shape, size, system, a.timeout, a.mq_jobid_workaround)
                except Exception as e:  # reported, not hidden
                    r = {"error": str(e)[-500:]}
                results.append(r)
                print(f"  {shape} {system} {size}: {json.dumps(r)[:300]}", flush=True)
            n = task_count(shape, size)
            good = [r for r in results if "wall" in r]
            row = {
                "shape": shape,
                "system": system,
                "size": size,
                "tasks": n,
                "wall_s": med([r["wall"] for r in good]),
                "per_task_ms": med([1000 * r["wall"] / n for r in good]),
                "rss_sum_mb": med([r["rss_sum"] for r in good]),
                "rss_one_mb": med([r["rss_one"] for r in good]),
                "db_mb": med([r["db"] for r in good]),
                "succeeded": [r.get("ok") for r in good],
                "states": good[-1]["states"] if good else None,
                "errors": sorted(
                    {e for r in results for e in r.get("errors", [])} | {r["error"] for r in results if "error" in r}
                ),
            }
            rows.append(row)
            cells.append(row)
        for c in cells:
            ref = next((o for o in cells if o["system"] == "ours" and o["size"] == c["size"]), None)
            c["ratio_vs_ours"] = (
                c["per_task_ms"]["median"] / ref["per_task_ms"]["median"]
                if ref and c["per_task_ms"] and ref["per_task_ms"]
                else None
            )
    print("\n## Side by side with PerQueue 0.3.2 (+ MyQueue)")
    print(
        "| shape | system | tasks | wall s | overhead per task ms | × ours per task (same size) | peak RSS MB, sum (largest) | db MB | entries (own DB) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        st = ", ".join(f"{k}:{v}" for k, v in sorted((r["states"] or {}).items()))
        err = f" — {'; '.join(r['errors'])[:200]}" if r["errors"] else ""
        ratio = f"{r['ratio_vs_ours']:.1f}×" if r.get("ratio_vs_ours") else "-"
        print(
            f"| {r['shape']} | {r['system']} | {r['tasks']} | {fmt(r['wall_s'])} | {fmt(r['per_task_ms'], digits=1)} | {ratio} | "
            f"{fmt(r['rss_sum_mb'], digits=0)} ({fmt(r['rss_one_mb'], digits=0)}) | {fmt(r['db_mb'])} | {st}{err} |"
        )
    if a.out:
        Path(a.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_mq_server()
        remove_scratch()
