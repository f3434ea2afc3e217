"""Jupyter widgets of PerQueue Lab (the Python halves; the views ship in the labextension).

``WorkflowGraph`` is a thin handle: it carries which workflow of which project to show and
nothing else. Its view subscribes to the bridge's events itself (through the Jupyter server),
so the graph keeps updating while the kernel is busy, and the kernel never relays state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ipywidgets
from traitlets import Int, Unicode, validate

from perqueue_lab._frontend import MODULE_NAME, MODULE_VERSION

__all__ = ["WorkflowGraph"]


class WorkflowGraph(ipywidgets.DOMWidget):  # type: ignore[misc]  # ipywidgets ships no types
    """The live graph of one workflow.

    ``workflow_id``: the workflow's id in the project; ``project``: the project folder (an
    absolute path, the folder holding ``.perqueue/``); ``height``: a CSS height of the view.
    """

    _model_name = Unicode("WorkflowGraphModel").tag(sync=True)
    _view_name = Unicode("WorkflowGraphView").tag(sync=True)
    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    workflow_id = Int(0, help="The workflow's id in its project.").tag(sync=True)
    project = Unicode("", help="Absolute path of the project folder (the one holding .perqueue/).").tag(sync=True)
    height = Unicode("420px", help="CSS height of the graph view.").tag(sync=True)

    def __init__(self, workflow_id: int = 0, project: str | os.PathLike[str] | None = None, **kwargs: object) -> None:
        if project is not None:
            kwargs["project"] = os.fspath(project)
        super().__init__(workflow_id=workflow_id, **kwargs)

    @validate("project")
    def _absolute_project(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        return str(Path(value).expanduser().resolve()) if value else ""

    @validate("workflow_id")
    def _positive_id(self, proposal: dict[str, Any]) -> int:
        value: int = proposal["value"]
        if value < 0:
            raise ValueError(f"a workflow id is a number of at least 1, got {value}")
        return value

    def __repr__(self) -> str:
        return f"WorkflowGraph(workflow_id={self.workflow_id}, project={self.project!r})"
