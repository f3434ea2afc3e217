"""Records every call of a conformance case's task scripts, the same way on both systems.

A stand-in task script decorates its ``main`` with :func:`recorded`. Each call appends one JSON
line to the file named by ``PQ_CONFORMANCE_LOG``: the script, ``pq_index``, ``pq_iteration``,
the other inputs, the outputs, ok, and the exception if one was raised. The harness compares the
lines of the two systems as multisets.

A value PerQueue gathered from several parents is a dict keyed by the parents' entry keys
(integers; every other dict reaching ``main`` came through JSON and has string keys). The keys
differ between systems, their order and type do not: such a dict is recorded as its values in
order, with the type of its keys.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Callable

RESERVED = ("pq_index", "pq_iteration")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if value and all(isinstance(k, int) and not isinstance(k, bool) for k in value):
            return {"__join__": [_plain(v) for v in value.values()], "__keys__": "int"}
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"__repr__": type(value).__name__}


def _append(record: dict[str, Any]) -> None:
    path = os.environ.get("PQ_CONFORMANCE_LOG")
    if not path:
        return
    line = json.dumps(record, sort_keys=True) + "\n"
    # One write on an O_APPEND descriptor: lines of parallel tasks never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def recorded(main: Callable[..., Any]) -> Callable[..., Any]:
    task = Path(main.__code__.co_filename).stem

    @functools.wraps(main)
    def wrapper(**kwargs: Any) -> Any:
        record: dict[str, Any] = {
            "task": task,
            "pq_index": _plain(kwargs.get("pq_index")),
            "pq_iteration": _plain(kwargs.get("pq_iteration")),
            "inputs": {k: _plain(v) for k, v in kwargs.items() if k not in RESERVED},
        }
        try:
            result = main(**kwargs)
        except Exception as e:
            record.update(ok=None, outputs=None, error=type(e).__name__)
            _append(record)
            raise
        ok, data = result
        record.update(ok=bool(ok), outputs=_plain(data), error=None)
        _append(record)
        return result

    return wrapper
