"""Workflow building blocks under PerQueue's import path ``perqueue.task_classes``."""

from perqueue_lab.task_classes.entry import Entry
from perqueue_lab.task_classes.manual import ManualTask
from perqueue_lab.task_classes.task import Task
from perqueue_lab.task_classes.task_groups import (
    CyclicalGroup,
    DynamicTaskGroup,
    DynamicWidthGroup,
    StaticWidthGroup,
    SwitchGroup,
    TaskGroup,
    TaskLike,
    Workflow,
)

__all__ = [
    "CyclicalGroup",
    "DynamicTaskGroup",
    "DynamicWidthGroup",
    "Entry",
    "ManualTask",
    "StaticWidthGroup",
    "SwitchGroup",
    "Task",
    "TaskGroup",
    "TaskLike",
    "Workflow",
]
