"""``Entry``: one run of a task inside a submitted workflow, as the CLI reports it.

Entries are read-only snapshots made from ``pql ls --json`` / ``pql show KEY --json``; they
carry PerQueue's attribute names (``key``, ``state``, ``err_txt``, ``data``, ``pq_args``,
``task``) so scripts that inspect a PerQueue queue read this one the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from perqueue_lab.constants import INDEX_KW, ITER_KW
from perqueue_lab.task_classes.task import Task
from perqueue_lab.task_classes.util_classes import EntryState

__all__ = ["Entry"]


def _decode(value: Any) -> Any:
    """Stored values are in the extended JSON codec; decode them when the codec is installed."""
    if value is None:
        return None
    try:
        from perqueue_lab import codec  # lazy: the codec may import NumPy
    except ImportError:
        return value
    return codec.decode(value)


def _error_text(error: Any) -> str | None:
    """PerQueue keeps ``repr(exception)`` as the error text; the CLI may give it inside an object."""
    if error is None or error == "":
        return None
    if isinstance(error, Mapping):
        for field in ("repr", "message", "text"):
            text = error.get(field)
            if isinstance(text, str):
                return text
    return str(error)


class Entry:
    """A snapshot of one entry. ``key`` (alias ``entry_key``) is what the CLI commands take."""

    def __init__(
        self,
        key: int,
        name: str,
        state: EntryState,
        *,
        workflow_id: int | None = None,
        kind: str = "task",
        task: Task | None = None,
        pq_args: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        err_txt: str | None = None,
        attempt: int = 0,
        mq_id: int | str | None = None,
    ) -> None:
        self.key = key
        self.name = name
        self.state = state
        self.workflow_id = workflow_id
        self.kind = kind
        self.task = task
        self.pq_args = pq_args
        self.data = data
        self.err_txt = err_txt
        self.attempt = attempt
        self.mq_id = mq_id

    @property
    def entry_key(self) -> int:
        return self.key

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Entry:
        """An entry from one element of ``pql ls --json`` (or the object of ``pql show --json``)."""
        if not isinstance(obj, Mapping) or "id" not in obj:
            raise ValueError(f"not an entry record (needs at least 'id'): {obj!r}")
        pq_args: dict[str, Any] = {}
        for kw, field in ((INDEX_KW, "index"), (ITER_KW, "iteration")):
            value = obj.get(field)
            if value:  # entries outside groups have none, as in PerQueue (pq_args None)
                pq_args[kw] = list(value) if isinstance(value, (list, tuple)) else [value]
        name = str(obj.get("name", ""))
        args = _decode(obj.get("args")) or {}
        task = Task._from_entry(obj.get("code"), args, obj.get("resources"), name)
        return cls(
            key=int(obj["id"]),
            name=name,
            state=EntryState.parse(str(obj.get("state", "waiting"))),
            workflow_id=obj.get("workflowId"),
            kind=str(obj.get("kind", "task")),
            task=task,
            pq_args=pq_args or None,
            data=_decode(obj.get("data")),
            err_txt=_error_text(obj.get("error")),
            attempt=int(obj.get("attempt") or 0),
            mq_id=obj.get("jobId"),
        )

    def __repr__(self) -> str:
        return (
            f"Entry(key={self.key}, workflow_id={self.workflow_id}, name={self.name!r}, "
            f"state={self.state.name}, pq_args={self.pq_args!r}, err_txt={self.err_txt!r})"
        )
