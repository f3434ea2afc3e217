"""``ManualTask``: a step done by a person in JupyterLab (a notebook or a form).

It has no script and holds no scheduler slot; its entry waits in ``awaiting_input`` until
someone approves, edits or rejects it. What a person enters becomes the entry's data, exactly
as a script's returned dict would, so the rest of the workflow does not know the difference.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from perqueue_lab.task_classes._node import SpecNode, check_name, json_args, json_object

__all__ = ["ManualTask"]

ON_REJECT = ("discard", "fail")


class ManualTask(SpecNode):
    """A human step.

    ``notebook``: the notebook the person works in (made absolute, checked at submission).
    ``form``: a JSON Schema of a form to fill in instead; the bridge checks it (and ``default``)
    at submission and refuses results that do not match it. ``timeout``: seconds after which
    ``default`` is applied. ``on_reject``: "discard" drops this branch as a filter does,
    "fail" fails the entry.
    """

    kind = "manual"

    def __init__(
        self,
        name: str,
        notebook: str | Path | None = None,
        form: dict[str, Any] | None = None,
        args: dict[str, Any] | None = None,
        timeout: float | None = None,
        default: dict[str, Any] | None = None,
        on_reject: str = "discard",
    ) -> None:
        if name is None:
            raise ValueError("a ManualTask needs a name")
        self.name = check_name(name, "ManualTask")
        owner = f"ManualTask {name!r}"
        self.notebook = Path(notebook).expanduser().resolve() if notebook is not None else None
        self.form = json_object(form, f"the form of {owner}") if form is not None else None
        json_args(args, owner)
        self.args = dict(args) if args else {}
        if timeout is not None:
            if (
                isinstance(timeout, bool)
                or not isinstance(timeout, (int, float))
                or not (math.isfinite(timeout) and timeout > 0)
            ):
                raise ValueError(f"{owner}: the timeout must be a positive number of seconds, got {timeout!r}")
        self.timeout = timeout
        self.default = json_object(default, f"the default of {owner}") if default is not None else None
        if on_reject not in ON_REJECT:
            raise ValueError(f"{owner}: on_reject must be 'discard' or 'fail', got {on_reject!r}")
        self.on_reject = on_reject

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "kind": "manual",
            "name": self.name,
            "args": json_args(self.args, f"ManualTask {self.name!r}"),
        }
        if self.notebook is not None:
            spec["notebook"] = str(self.notebook)
        if self.form is not None:
            spec["form"] = json_object(self.form, "form")
        if self.timeout is not None:
            spec["timeout"] = self.timeout
        if self.default is not None:
            spec["default"] = json_object(self.default, "default")
        spec["onReject"] = self.on_reject
        return spec

    def __repr__(self) -> str:
        return f"ManualTask(name={self.name!r}, notebook={self.notebook!r}, on_reject={self.on_reject!r})"
