"""The kernel-side API: a notebook talks to its project's bridge directly.

``connect()`` finds the project (``PQ_PROJECT``, else the nearest folder at or above the
current one holding ``.perqueue/``, else the current folder, where a first submission makes a
project), checks it is this user's own (see ``perqueue_lab._trust``), starts its bridge when
none runs, and talks to it over the project's Unix socket once that socket is found to be this
user's: no token leaves the process, and no other user's listener is ever spoken to. Every call
is one short blocking HTTP request made with the standard library, so it works the same in a
script, in a terminal and inside a running ipykernel event loop.

    from perqueue_lab import connect, Task
    bridge = connect()
    wf = bridge.submit(Task("train.py", {"epochs": 10}))
    wf                      # the live graph (with ipywidgets) or a one-line summary
    wf.wait().state         # 'succeeded'
    wf.outputs()            # [{"loss": ..., "weights": array([...])}]

``complete()`` / ``reject()`` finish a manual step from the notebook prepared for it.
"""

from __future__ import annotations

import getpass
import http.client
import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from perqueue_lab import _bridge
from perqueue_lab._bridge import BridgeError
from perqueue_lab._trust import UnsafeProject, bridge_socket, check_project, unix_request

__all__ = [
    "Bridge",
    "BridgeError",
    "UnsafeProject",
    "WorkflowHandle",
    "WorkflowStatus",
    "complete",
    "connect",
    "find_project",
    "reject",
]

STATE_DIR = ".perqueue"
CONNECTION_FILE = "bridge.json"
#: Kinds of nodes that are entries of the workflow's tasks (the others are group placeholders).
ENTRY_KINDS = ("task", "manual")
REQUEST_TIMEOUT = 60.0
START_TIMEOUT = 30.0


def find_project(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current one) holding ``.perqueue/``."""
    folder = Path(start if start is not None else Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / STATE_DIR).is_dir():
            return candidate
    return None


def _project_folder(project: str | os.PathLike[str] | None) -> Path:
    if project is not None:
        return Path(project).expanduser().resolve()
    explicit = os.environ.get("PQ_PROJECT")
    if explicit:
        return Path(explicit).expanduser().resolve()
    return find_project() or Path.cwd().resolve()


@dataclass(frozen=True)
class _Connection:
    """The daemon that answered on the project's Unix socket."""

    pid: int
    version: str


def connect(project: str | os.PathLike[str] | None = None, *, start: bool = True) -> Bridge:
    """The bridge of ``project`` (default: see the module text), started when it is not running.

    ``start=False`` raises BridgeError instead of starting a bridge.
    """
    bridge = Bridge(_project_folder(project))
    bridge._ensure(start=start)
    return bridge


def _who() -> str:
    """Who is completing a step: the JupyterHub user, else the login name."""
    for name in ("JUPYTERHUB_USER", "USER"):
        value = os.environ.get(name)
        if value:
            return value
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database entry (containers)
        return "unknown"


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


class Bridge:
    """A connection to one project's bridge. Cheap to make; holds no socket between calls."""

    def __init__(self, project: str | os.PathLike[str]) -> None:
        self.project = Path(project).resolve()
        self.connection_file = self.project / STATE_DIR / CONNECTION_FILE
        self.socket = bridge_socket(self.project)
        self._conn: _Connection | None = None

    def __repr__(self) -> str:
        where = f"pid {self._conn.pid}" if self._conn else "not connected"
        return f"Bridge(project={str(self.project)!r}, {where})"

    # --- connection -------------------------------------------------------------------------
    def _answering(self) -> _Connection | None:
        """The daemon answering on this project's socket (checked to be this user's), or None."""
        try:
            status, value = self._http("GET", "/api/version", None, timeout=5)
        except UnsafeProject:
            raise
        except OSError:
            return None
        if status != 200 or not isinstance(value, dict):
            return None
        return _Connection(int(value.get("pid", 0)), str(value.get("version", "")))

    def _ensure(self, start: bool = True) -> _Connection:
        check_project(self.project)
        conn = self._answering()
        if conn is not None:
            self._conn = conn
            return conn
        if not start:
            raise BridgeError(f"no bridge is running for {self.project}: run `pql daemon start --project {self.project}`")
        _bridge.run_cli(["daemon", "start", "--project", str(self.project)], cwd=self.project)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            conn = self._answering()
            if conn is not None:
                self._conn = conn
                return conn
            if time.monotonic() > deadline:
                raise BridgeError(
                    f"the bridge for {self.project} started but does not answer on {self.socket}; "
                    f"see {self.project / STATE_DIR / 'bridge.log'}"
                )
            time.sleep(0.05)

    def _http(self, method: str, path: str, body: Any, timeout: float) -> tuple[int, Any]:
        return unix_request(self.socket, method, path, body, timeout)

    def request(self, method: str, path: str, body: Any = None, *, timeout: float = REQUEST_TIMEOUT) -> Any:
        """One API call (``path`` like ``/api/workflows``); BridgeError carries the bridge's message.

        When the bridge is gone (stopped, restarted on another port) it is found or started again
        once; a request that never reached it is then sent again.
        """
        if self._conn is None:
            self._ensure()
        try:
            status, value = self._http(method, path, body, timeout)
        except (ConnectionRefusedError, FileNotFoundError, ConnectionResetError, http.client.RemoteDisconnected) as first:
            if isinstance(first, (ConnectionRefusedError, FileNotFoundError)) or method == "GET":
                self._ensure()
                status, value = self._http(method, path, body, timeout)
            else:
                raise BridgeError(f"the bridge for {self.project} closed the connection during {method} {path}") from first
        except socket.timeout as e:
            raise BridgeError(f"the bridge for {self.project} did not answer {method} {path} within {timeout:.0f} s") from e
        if status >= 400:
            message = value.get("error") if isinstance(value, dict) else None
            error = BridgeError(str(message or value or f"HTTP {status} from {method} {path}"))
            error.status = status  # type: ignore[attr-defined]
            raise error
        return value

    # --- workflows --------------------------------------------------------------------------
    def submit(self, tasklike: Any, name: str | None = None) -> WorkflowHandle:
        """Submit a Task, ManualTask, group or Workflow (a list or dict is read as ``Workflow(...)``).

        Python and notebook tasks run with this kernel's interpreter and environment, in its
        current folder. The bridge checks the whole workflow first and stores nothing when
        something is wrong (BridgeError says what).
        """
        from perqueue_lab.task_classes._node import SpecNode
        from perqueue_lab.task_classes.task_groups import Workflow

        node = tasklike if isinstance(tasklike, SpecNode) else Workflow(tasklike)
        # The tasks run with this kernel's environment and in its folder, like a `pql submit` here.
        body: dict[str, Any] = {"spec": node.to_document(name), "environment": dict(os.environ), "cwd": os.getcwd()}
        python = os.environ.get("PQ_PYTHON") or sys.executable
        if python:
            body["python"] = python
        out = self.request("POST", "/api/workflows", body)
        try:
            return WorkflowHandle(self, int(out["workflowId"]))
        except (TypeError, KeyError, ValueError) as e:
            raise BridgeError(f"the bridge did not report a workflowId: {out!r}") from e

    def workflows(self) -> list[WorkflowHandle]:
        """Every workflow of the project, oldest first."""
        return [WorkflowHandle(self, int(s["id"]), _summary=s) for s in self.request("GET", "/api/workflows")]

    def workflow(self, workflow_id: int) -> WorkflowHandle:
        """One workflow by id (BridgeError when there is none)."""
        handle = WorkflowHandle(self, int(workflow_id))
        handle.status()
        return handle

    def approvals(self) -> list[dict[str, Any]]:
        """The manual steps waiting for a person: ``{"entry": <entry record>, "spec": <its ManualTask spec>}``."""
        return [{"entry": a.get("node"), "spec": a.get("spec")} for a in self.request("GET", "/api/approvals")]

    def approve(self, entry_id: int, data: Mapping[str, Any] | None = None, *, by: str | None = None) -> None:
        """Complete a manual step with ``data`` as its result (see :func:`complete`)."""
        payload = _encode_result(data)
        self.request("POST", f"/api/entries/{int(entry_id)}/approve", {"data": payload, "by": by or _who()})

    def reject(self, entry_id: int, reason: str = "", *, by: str | None = None) -> None:
        """Reject a manual step: its branch is discarded, or it fails, as the step declares."""
        self.request("POST", f"/api/entries/{int(entry_id)}/reject", {"reason": str(reason), "by": by or _who()})

    def entry(self, entry_id: int) -> Any:
        """One entry (an ``Entry``, as ``PersistentQueue.get_entry`` gives)."""
        from perqueue_lab.task_classes.entry import Entry

        return Entry.from_json(self.request("GET", f"/api/entries/{int(entry_id)}")["node"])


def _encode_result(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """A step's result in the extended JSON codec; a clear TypeError naming the bad key otherwise."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise TypeError(f"the result of a manual step must be a dict, got {type(data).__name__}: {data!r}")
    from perqueue_lab import codec

    try:
        encoded = codec.encode(dict(data), "result")
        json.dumps(encoded, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"the result cannot be stored: {e}") from None
    return encoded


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


# --------------------------------------------------------------------------------------------
# Inside a manual step's notebook


def _entry_from_namespace(entry: int | None, caller: str) -> int:
    if entry is not None:
        if isinstance(entry, bool) or not isinstance(entry, int):
            raise TypeError(f"{caller}: entry must be an entry id (int), got {entry!r}")
        return entry
    found = None
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        found = shell.user_ns.get("pq_entry_id")
    if found is None:
        raise ValueError(
            f"{caller}: which entry? Run the notebook's injected parameters cell (it defines "
            "pq_entry_id) or pass entry=ID"
        )
    return int(found)


def _namespace_project() -> str | None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    value = shell.user_ns.get("pq_project") if shell is not None else None
    return str(value) if value else None


def complete(
    result: Mapping[str, Any] | None = None,
    *,
    entry: int | None = None,
    project: str | os.PathLike[str] | None = None,
) -> int:
    """Complete the manual step this notebook was prepared for, with ``result`` as its data.

    The entry is ``pq_entry_id`` of the injected parameters cell unless ``entry`` is given.
    ``result`` must be a dict the extended JSON codec can hold; otherwise TypeError names the
    bad key and nothing is sent. When the step has a form, a result that does not match it is
    refused with a BridgeError naming each field path, and the step keeps waiting. The person
    is recorded (JUPYTERHUB_USER, USER or the login name). Returns the entry id.
    """
    entry_id = _entry_from_namespace(entry, "complete()")
    payload = _encode_result(result)  # before connecting: a bad result changes nothing
    bridge = connect(project if project is not None else _namespace_project())
    bridge.request("POST", f"/api/entries/{entry_id}/approve", {"data": payload, "by": _who()})
    return entry_id


def reject(
    reason: str = "", *, entry: int | None = None, project: str | os.PathLike[str] | None = None
) -> int:
    """Reject the manual step this notebook was prepared for (see :func:`complete`)."""
    entry_id = _entry_from_namespace(entry, "reject()")
    bridge = connect(project if project is not None else _namespace_project())
    bridge.reject(entry_id, reason)
    return entry_id
