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

The package holds the connection (``connection``: ``connect``, ``Bridge``), a submitted
workflow and how it displays (``handle``), and the helpers a manual step's notebook calls
(``steps``: ``complete``, ``reject``).
"""

from __future__ import annotations

from perqueue_lab._bridge import BridgeError
from perqueue_lab._client import find_project
from perqueue_lab._trust import UnsafeProject
from perqueue_lab.kernel.connection import Bridge, connect
from perqueue_lab.kernel.handle import WorkflowHandle, WorkflowStatus
from perqueue_lab.kernel.steps import complete, reject

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
