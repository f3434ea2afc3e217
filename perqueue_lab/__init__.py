"""PerQueue Lab: PerQueue's workflow API, run by a Node bridge and watched from JupyterLab.

A PerQueue script runs here after replacing ``perqueue`` by ``perqueue_lab`` in its imports.
The public names are loaded on first use (PEP 562): every task job imports this package to
start the runner, and its start-up time bounds how many small tasks run per second.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> module that defines it.
_EXPORTS = {
    "PersistentQueue": "perqueue_lab.queue",
    "Selection": "perqueue_lab.selection",
    "Task": "perqueue_lab.task_classes.task",
    "ManualTask": "perqueue_lab.task_classes.manual",
    "Workflow": "perqueue_lab.task_classes.task_groups",
    "StaticWidthGroup": "perqueue_lab.task_classes.task_groups",
    "DynamicWidthGroup": "perqueue_lab.task_classes.task_groups",
    "CyclicalGroup": "perqueue_lab.task_classes.task_groups",
    "SwitchGroup": "perqueue_lab.task_classes.task_groups",
    # Notebooks: the kernel-side API, human steps and the live graph widget.
    "connect": "perqueue_lab.kernel",
    "complete": "perqueue_lab.kernel",
    "reject": "perqueue_lab.kernel",
    "Bridge": "perqueue_lab.kernel",
    "WorkflowHandle": "perqueue_lab.kernel",
    "BridgeError": "perqueue_lab._bridge",
    "WorkflowGraph": "perqueue_lab.widgets",
}

__all__ = [
    "Bridge",
    "BridgeError",
    "PersistentQueue",
    "CyclicalGroup",
    "DynamicWidthGroup",
    "ManualTask",
    "Selection",
    "StaticWidthGroup",
    "SwitchGroup",
    "Task",
    "Workflow",
    "WorkflowGraph",
    "WorkflowHandle",
    "complete",
    "connect",
    "constants",
    "reject",
]


# Submodules reachable as attributes after a bare import, as after `import perqueue` (which
# imports them eagerly): `perqueue.constants.INDEX_KW`, `perqueue.queue.PersistentQueue`.
_SUBMODULES = {"constants", "queue", "selection", "task_classes", "utils", "external"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        try:
            return import_module(f"perqueue_lab.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"perqueue_lab.{name}":
                raise
            raise AttributeError(f"module 'perqueue_lab' has no attribute {name!r}") from None
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'perqueue_lab' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from perqueue_lab import constants
    from perqueue_lab._bridge import BridgeError
    from perqueue_lab.kernel import Bridge, WorkflowHandle, complete, connect, reject
    from perqueue_lab.queue import PersistentQueue
    from perqueue_lab.selection import Selection
    from perqueue_lab.task_classes.manual import ManualTask
    from perqueue_lab.task_classes.task import Task
    from perqueue_lab.task_classes.task_groups import (
        CyclicalGroup,
        DynamicWidthGroup,
        StaticWidthGroup,
        SwitchGroup,
        Workflow,
    )
    from perqueue_lab.widgets import WorkflowGraph


# JupyterLab hooks. They import the server extension only when Jupyter calls them, so task jobs
# that import this package pay nothing for them.


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "perqueue-lab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "perqueue_lab"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from perqueue_lab.server import load

    load(server_app, __version__)
