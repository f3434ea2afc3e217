"""A submitted workflow seen from the kernel: ``WorkflowStatus``, and ``WorkflowHandle`` with
its reading, changing and display (the live graph widget in a kernel, a summary as text)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perqueue_lab._bridge import BridgeError

if TYPE_CHECKING:
    from perqueue_lab.kernel.connection import Bridge

#: Kinds of nodes that are entries of the workflow's tasks (the others are group placeholders).
ENTRY_KINDS = ("task", "manual")


def _states_param(states: str | Iterable[Any] | None) -> str | None:
    """States as the bridge reads them: names separated by commas (letters are accepted too)."""
    if states is None:
        return None
    if isinstance(states, str):
        return states
    names = []
    for s in states:
        name = getattr(s, "name", s)
        names.append(str(name))
    return ",".join(names)


@dataclass(frozen=True)
class WorkflowStatus:
    """A workflow's overall ``state`` and how many of its nodes are in each state."""

    id: int
    name: str
    state: str
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0

    @property
    def done(self) -> bool:
        """Nothing will move without someone: no entry queued or running, and none waiting
        except below a manual step that waits for a person."""
        return _settled(self.counts)

    def __getitem__(self, state: str) -> int:
        return self.counts.get(state, 0)

    def summary(self) -> str:
        counts = ", ".join(f"{s} {n}" for s, n in sorted(self.counts.items()) if n)
        return f"workflow {self.id} {self.name!r}: {self.state} ({counts or 'no entries'})"

    @classmethod
    def from_json(cls, s: Mapping[str, Any]) -> WorkflowStatus:
        counts = {str(k): int(v) for k, v in (s.get("counts") or {}).items() if v}
        state = str(s.get("state", ""))
        if state == "running" and _settled(counts) and counts.get("awaiting_input"):
            state = "awaiting_input"  # what still waits, waits for the person
        return cls(int(s["id"]), str(s.get("name", "")), state, counts, int(s.get("total", 0)))


def _settled(counts: Mapping[str, int]) -> bool:
    if counts.get("queued", 0) or counts.get("running", 0):
        return False
    return not counts.get("waiting", 0) or counts.get("awaiting_input", 0) > 0


class WorkflowHandle:
    """A submitted workflow: its status, entries and outputs, and what can be done to it."""

    def __init__(self, bridge: Bridge, workflow_id: int, *, _summary: Mapping[str, Any] | None = None) -> None:
        self.bridge = bridge
        self.id = int(workflow_id)
        self._last = WorkflowStatus.from_json(_summary) if _summary else None

    @property
    def project(self) -> Path:
        return self.bridge.project

    def __repr__(self) -> str:
        return f"WorkflowHandle(id={self.id}, project={str(self.project)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkflowHandle) and (other.id, other.project) == (self.id, self.project)

    def __hash__(self) -> int:
        return hash((self.id, self.project))

    # --- reading ----------------------------------------------------------------------------
    def status(self) -> WorkflowStatus:
        """The overall state ('running', 'awaiting_input', 'failed', 'cancelled', 'succeeded') and counts."""
        out = self.bridge.request("GET", f"/api/workflows/{self.id}")
        self._last = WorkflowStatus.from_json(out["workflow"])
        return self._last

    @property
    def name(self) -> str:
        return (self._last or self.status()).name

    def entries(self, states: str | Iterable[Any] | None = None) -> list[Any]:
        """The workflow's entries (``Entry`` objects, PerQueue's attribute names), by id.

        ``states``: names or letters as ``pql ls -s`` takes them (``"sf"``, ``"failed,blocked"``),
        or a list of names / EntryState members.
        """
        from urllib.parse import urlencode

        from perqueue_lab.task_classes.entry import Entry

        query = {"workflow": str(self.id)}
        wanted = _states_param(states)
        if wanted:
            query["states"] = wanted
        return [Entry.from_json(r) for r in self.bridge.request("GET", f"/api/entries?{urlencode(query)}")]

    def outputs(self, name: str | None = None) -> list[dict[str, Any]]:
        """What the succeeded entries returned (NumPy arrays as arrays), in entry order.

        ``name``: only the entries of the task or manual step of that name.
        """
        from perqueue_lab.task_classes.util_classes import EntryState

        return [
            e.data if e.data is not None else {}
            for e in self.entries([EntryState.succeeded])
            if e.kind in ENTRY_KINDS and (name is None or e.name == name)
        ]

    def wait(self, timeout: float | None = None, *, poll: float = 0.1) -> WorkflowStatus:
        """Block until nothing is queued or running and nothing waits but for a person.

        A workflow stopped at a manual step returns with state 'awaiting_input'. Raises
        TimeoutError after ``timeout`` seconds. Interrupting the kernel stops the wait only.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = poll
        while True:
            status = self.status()
            if status.done:
                return status
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"after {timeout} s: {status.summary()}")
            pause = delay if deadline is None else min(delay, max(0.0, deadline - time.monotonic()))
            time.sleep(pause)
            delay = min(delay * 1.5, 1.0)

    # --- changing ---------------------------------------------------------------------------
    def retry(self, entry_id: int) -> None:
        """Run a failed, timed-out, cancelled or discarded entry again (with this kernel's environment);
        what is below it then goes on."""
        self.bridge.request("POST", f"/api/entries/{int(entry_id)}/retry", {"environment": dict(os.environ)})

    def cancel(self) -> list[int]:
        """Cancel the whole workflow (running jobs are killed); returns the ids the bridge reports."""
        return list(self.bridge.request("POST", f"/api/workflows/{self.id}/cancel").get("cancelled") or [])

    def remove(self, keep_files: bool = False) -> dict[str, Any]:
        """Remove this workflow from the project once nothing moves in it (succeeded, failed or
        cancelled): its entries and their data, logs and run folders (``keep_files`` keeps the
        folders). A running workflow, or one waiting for a person, is refused: cancel it first.
        Returns the bridge's answer (name, entries, runDir, filesRemoved)."""
        return dict(self.bridge.request("POST", f"/api/workflows/{self.id}/remove", {"keepFiles": bool(keep_files)}))

    def cancel_entry(self, entry_id: int) -> list[int]:
        """Cancel one entry and everything below it; returns the ids the bridge reports."""
        return list(self.bridge.request("POST", f"/api/entries/{int(entry_id)}/cancel").get("cancelled") or [])

    def modify(
        self,
        entry_id: int,
        args: Mapping[str, Any] | None = None,
        resources: str | None = None,
        max_tries: int | None = None,
        width: int | None = None,
        retries: int | None = None,
    ) -> None:
        """Change an entry before it runs (again): its args, resources (a resource string or
        Resources), automatic retries, a cyclical group's max_tries or a dynamic group's width."""
        from perqueue_lab.task_classes._node import json_args

        body: dict[str, Any] = {}
        if args is not None:
            body["args"] = json_args(dict(args), f"entry {entry_id}")
        if resources is not None:
            body["resources"] = str(resources)
        if max_tries is not None:
            body["maxTries"] = int(max_tries)
        if width is not None:
            body["width"] = int(width)
        if retries is not None:
            body["retries"] = int(retries)
        if not body:
            raise ValueError("modify needs args, resources, max_tries, width or retries")
        self.bridge.request("POST", f"/api/entries/{int(entry_id)}/modify", body)

    # --- display ----------------------------------------------------------------------------
    def graph(self, height: str = "420px") -> Any:
        """The live graph widget of this workflow (needs ipywidgets and the JupyterLab extension)."""
        from perqueue_lab.widgets import WorkflowGraph

        return WorkflowGraph(workflow_id=self.id, project=str(self.project), height=height)

    def _summary_text(self) -> str:
        try:
            return self.status().summary() + f" in {self.project}"
        except (BridgeError, OSError) as e:
            return f"workflow {self.id} in {self.project} (status unavailable: {e})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        text = self._summary_text()
        widget = self._widget_or_none()
        if widget is None:
            return {"text/plain": text}
        bundle = dict(widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/plain"] = text
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)

    def _widget_or_none(self) -> Any:
        """The graph widget inside a running kernel with ipywidgets, else None (text only)."""
        if not _in_kernel():
            return None
        try:
            return self.graph()
        except ImportError:
            return None


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
