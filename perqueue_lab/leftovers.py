"""Ending the processes a Python task leaves behind (docs/semantics.md, "Processes a task starts").

A task process calls :func:`guard` before the task runs and :func:`end` after it returns. On
Linux the task process becomes a child subreaper (``PR_SET_CHILD_SUBREAPER``): a process the
task started stays its descendant even when it leaves the task's process group (``setsid``) and
its parent exits, so it can be found through ``/proc/<pid>/task/<tid>/children`` and ended:
SIGTERM first, SIGKILL after a grace period. A SIGTERM to the task process (a cancel, a time
limit) ends those descendants too before the task process goes. Where the kernel offers
neither, the launcher's end of the task's process group is what remains.

A task whose entry sets ``keepProcesses`` (environment ``PQ_KEEP_PROCESSES=1``) is left alone at
its normal end.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator

GRACE_S = 2.0
_PR_SET_CHILD_SUBREAPER = 36
_prctl: Callable[..., int] | bool | None = None  # None: not looked up yet; False: not there
_task_pid = -1


def _load_prctl() -> Callable[..., int] | None:
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        try:
            import ctypes

            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            _prctl = False
    return _prctl if callable(_prctl) else None


def keeps_processes() -> bool:
    return os.environ.get("PQ_KEEP_PROCESSES", "") not in ("", "0")


def guard() -> None:
    """Make this process the keeper of what the task starts, and end that on SIGTERM."""
    global _task_pid
    _task_pid = os.getpid()
    prctl = _load_prctl()
    if prctl is not None:
        prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGTERM, _on_term)


def _on_term(signum: int, frame: object) -> None:
    if os.getpid() != _task_pid:  # a forked child of the task: die as SIGTERM would
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    end(grace=GRACE_S / 4)
    os._exit(128 + signal.SIGTERM)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                found.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return found


def _descendants(pid: int) -> list[int]:
    found, todo = [], _children(pid)
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(_children(p))
    return found


def ended_children() -> Iterator[tuple[int, int]]:
    """(pid, wait status) of each child of this process that has ended, reaped without blocking."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        yield pid, status


def _reap() -> None:
    for _ in ended_children():
        pass


def end(grace: float = GRACE_S) -> int:
    """End every descendant of this process: SIGTERM, then SIGKILL after ``grace`` seconds.

    Returns how many were found. Gives up on processes that outlive SIGKILL for a second (stuck in
    the kernel): they are not the task's to wait for."""
    if keeps_processes():
        return 0
    _reap()
    left = _descendants(os.getpid())
    if not left:
        return 0
    found = set(left)
    start = time.monotonic()
    sig = signal.SIGTERM
    while left:
        waited = time.monotonic() - start
        if waited > grace + 1.0:
            break
        if waited > grace:
            sig = signal.SIGKILL
        for pid in left:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        time.sleep(0.02)
        _reap()
        left = [p for p in _descendants(os.getpid()) if not _is_zombie(p)]
        found.update(left)
    return len(found)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2 : stat.rfind(")") + 3] == "Z"
