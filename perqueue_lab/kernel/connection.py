"""The kernel's connection to its project's bridge: ``connect()`` and ``Bridge``, whose calls
are the bridge's API (finding, starting and talking to the bridge is ``perqueue_lab._client``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from perqueue_lab._bridge import BridgeError
from perqueue_lab._client import SyncBridgeClient, project_folder, submitter_context
from perqueue_lab.kernel.handle import WorkflowHandle
from perqueue_lab.kernel.steps import encode_result, who


def connect(project: str | os.PathLike[str] | None = None, *, start: bool = True) -> Bridge:
    """The bridge of ``project`` (default: ``PQ_PROJECT``, else the nearest folder at or above the
    current one holding ``.perqueue/``, else the current folder), started when it is not running.

    ``start=False`` raises BridgeError instead of starting a bridge.
    """
    bridge = Bridge(project_folder(project))
    bridge._ensure(start=start)
    return bridge


class Bridge(SyncBridgeClient):
    """A connection to one project's bridge. Cheap to make; holds no socket between calls."""

    def __repr__(self) -> str:
        where = f"pid {self._conn.pid}" if self._conn else "not connected"
        return f"Bridge(project={str(self.project)!r}, {where})"

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
        body: dict[str, Any] = {"spec": node.to_document(name), **submitter_context()}
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
        payload = encode_result(data)
        self.request("POST", f"/api/entries/{int(entry_id)}/approve", {"data": payload, "by": by or who()})

    def reject(self, entry_id: int, reason: str = "", *, by: str | None = None) -> None:
        """Reject a manual step: its branch is discarded, or it fails, as the step declares."""
        self.request("POST", f"/api/entries/{int(entry_id)}/reject", {"reason": str(reason), "by": by or who()})

    def entry(self, entry_id: int) -> Any:
        """One entry (an ``Entry``, as ``PersistentQueue.get_entry`` gives)."""
        from perqueue_lab.task_classes.entry import Entry

        return Entry.from_json(self.request("GET", f"/api/entries/{int(entry_id)}")["node"])
