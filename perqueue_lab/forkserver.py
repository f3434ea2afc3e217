"""A warm start for Python tasks on the local pool: ``python -m perqueue_lab.forkserver <project folder>``.

A fresh interpreter costs tens of milliseconds before a task's first line runs, which bounds how
fast short Python tasks go through a workflow. This parent imports the runner (and the modules
named in ``PQ_PRELOAD``, e.g. ``numpy``) once and forks a child per task: the isolation of a
process at the cost of a fork.

It speaks the local pool's launcher protocol on stdin/stdout: once the runner is imported it
says ``R\\t\\t<its pid>`` (ready: a server that ends before saying so cannot run tasks); it reads
``<run folder>\\t<workflow id>\\t<keep>\\t<working folder>`` lines and answers
``S\\t<run folder>\\t<pid>`` when a child starts and ``E\\t<run folder>\\t<exit code>`` when it
ends, where a child killed by signal N is told as ``-N``. Each child does what the bash job script does (docs/contracts.md §2): claims
the run folder by creating ``pid`` exclusively, appends to ``stdout``/``stderr``, runs the entry
from its working folder (its submitter's; empty: the folder given at start), ends the processes
the task left behind (unless ``keep`` is ``1``: ``perqueue_lab.leftovers``) and writes ``marker``
last. Its environment is the server's own: the bridge starts one per interpreter and submitter's
environment.
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import signal
import sys
import time

from perqueue_lab import alias, leftovers, runner


def _claim(run_dir: str) -> bool:
    """Create ``pid`` exclusively: only one start of a run folder may run it."""
    try:
        fd = os.open(os.path.join(run_dir, "pid"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    os.write(fd, f"{os.getpid()}\n".encode())
    os.close(fd)
    return True


def _detach() -> None:
    """A fresh child: its own process group (so the pool can stop the task and what it started),
    default signal handling, and /dev/null for stdin."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    os.dup2(_devnull, 0)  # sys.stdin reads fd 0: now /dev/null, opened once by the server


def _child(run_dir: str, workflow_id: str, work_dir: str, keep: bool) -> int:
    """One entry in a detached child; returns the exit code."""
    if not _claim(run_dir):
        return 0
    if keep:
        os.environ["PQ_KEEP_PROCESSES"] = "1"
    else:
        leftovers.guard()
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(os.path.join(run_dir, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, fd)
        os.close(target)
    run = os.path.basename(run_dir)
    entry, _, attempt = run.partition(".")
    os.environ.update(
        PQ_RUN_DIR=run_dir,
        PQ_INPUT=os.path.join(run_dir, "input.json"),
        PQ_OUTPUT=os.path.join(run_dir, "output.json"),
        PQ_ENTRY_ID=entry,
        PQ_ATTEMPT=attempt,
        PQ_WORKFLOW_ID=workflow_id,
    )
    try:
        os.chdir(work_dir)
    except OSError as e:
        # Exit 97 like the bash job script: the folder the task was submitted from is gone.
        print(f"perqueue_lab: cannot enter the task's working folder {work_dir}: {e.strerror}", file=sys.stderr)
        code = 97
    else:
        code = runner.main([run_dir])
    sys.stdout.flush()
    sys.stderr.flush()
    leftovers.end()
    with open(os.path.join(run_dir, "marker"), "w", encoding="ascii") as marker:
        marker.write(f"{code}\n")
    return code


# What every child would otherwise import for itself (the runner keeps them lazy so a cold job
# starts fast): the codec, and what loading a script and reading its signature need.
_ALWAYS = ("perqueue_lab.codec", "runpy", "pkgutil", "inspect", "encodings.ascii")


def _preload() -> None:
    for name in _ALWAYS:
        importlib.import_module(name)
    for name in filter(None, (os.environ.get("PQ_PRELOAD") or "").split(",")):
        try:
            importlib.import_module(name.strip())
        except ImportError as e:
            print(f"perqueue_lab.forkserver: cannot preload {name}: {e}", file=sys.stderr)


_devnull = -1


def _spare(command: int, report: int, work_dir: str) -> int:
    """A child forked ahead: wait for one ``<run folder>\\t<workflow id>`` line, run it, report.

    Returns without running anything when the server closes the command pipe first."""
    _detach()
    data = b""
    while b"\n" not in data:
        chunk = os.read(command, 65536)
        if not chunk:
            return 0
        data += chunk
    os.close(command)
    run_dir, workflow_id, keep, task_dir = (data.split(b"\n", 1)[0].decode().split("\t") + ["", "", ""])[:4]
    code = _child(run_dir, workflow_id, task_dir or work_dir, keep == "1")
    os.write(report, f"{os.getpid()}\t{code}\n".encode())  # one short write: atomic on a pipe
    return code


def serve(work_dir: str) -> None:
    global _devnull
    alias.install()  # before the preloads, which may import PerQueue-style modules too
    alias.preload()
    _preload()
    leftovers._load_prctl()  # once here, not in every child
    _devnull = os.open(os.devnull, os.O_RDONLY)
    # Everything loaded so far is shared with every child: keep the collector from touching it
    # (a collection in a child would copy the pages it writes to).
    gc.collect()
    gc.freeze()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes select through the pipe
    report_r, report_w = os.pipe()
    out = sys.stdout
    stdin = sys.stdin.fileno()

    def fork_spare() -> tuple[int, int]:
        command_r, command_w = os.pipe()
        out.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.set_wakeup_fd(-1)  # before its pipe is closed here
                for fd in (command_w, report_r, wake_r, wake_w):
                    os.close(fd)
                code = _spare(command_r, report_w, work_dir)
            finally:
                os._exit(code)
        os.close(command_r)
        return pid, command_w

    running: dict[int, str] = {}  # started, end not told yet
    keeps: set[int] = set()  # children whose task keeps what it started
    lingering: dict[int, float] = {}  # process group of a child that ended -> when to SIGKILL it

    def end_group(pid: int) -> None:
        """A child that died without ending its task's processes (os._exit, a crash, a signal):
        end its process group, SIGKILL after the grace period."""
        if pid in keeps:
            keeps.discard(pid)
            return
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            return
        lingering[pid] = time.monotonic() + leftovers.GRACE_S

    out.write(f"R\t\t{os.getpid()}\n")
    out.flush()
    spare: tuple[int, int] | None = None
    commands = reports = b""
    reading = True
    while reading or running:
        if reading and spare is None:
            spare = fork_spare()
        watched = [stdin, wake_r, report_r] if reading else [wake_r, report_r]
        ready, _, _ = select.select(watched, [], [], 0.2 if lingering else 1.0)
        for pgid, when in list(lingering.items()):
            if time.monotonic() >= when:
                del lingering[pgid]
                if pgid in running or (spare is not None and pgid == spare[0]):
                    continue  # the number went to a child of ours since: not the old group
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except OSError:
                    pass
        if wake_r in ready:
            os.read(wake_r, 4096)
        if report_r in ready:
            reports += os.read(report_r, 65536)
            while b"\n" in reports:
                line, reports = reports.split(b"\n", 1)
                pid_text, _, code = line.decode().partition("\t")
                pid = int(pid_text)
                if pid in running:  # reaped later, with nothing more to tell
                    out.write(f"E\t{running.pop(pid)}\t{code}\n")
        if stdin in ready:
            chunk = os.read(stdin, 65536)
            if not chunk:
                reading = False  # the bridge is gone: finish what runs, start nothing new
                if spare is not None:
                    os.close(spare[1])  # the spare leaves without running anything
                    spare = None
            commands += chunk
            while b"\n" in commands:
                line, commands = commands.split(b"\n", 1)
                if spare is None:
                    spare = fork_spare()
                pid, command_w = spare
                spare = None
                os.write(command_w, line + b"\n")
                os.close(command_w)
                fields = line.decode().split("\t")
                running[pid] = fields[0]
                if len(fields) > 2 and fields[2] == "1":
                    keeps.add(pid)
                out.write(f"S\t{running[pid]}\t{pid}\n")
        for pid, status in leftovers.ended_children():
            if pid in running:  # ended without a report: crashed or killed (then -signal)
                out.write(f"E\t{running.pop(pid)}\t{os.waitstatus_to_exitcode(status)}\n")
                end_group(pid)
            elif spare is not None and pid == spare[0]:
                os.close(spare[1])  # the spare died before any work: fork another
                spare = None
            else:
                keeps.discard(pid)
        out.flush()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m perqueue_lab.forkserver <project folder>", file=sys.stderr)
        sys.exit(2)
    serve(sys.argv[1])
