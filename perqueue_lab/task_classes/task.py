"""``Task``: one script run as one entry, with PerQueue's signature.

PerQueue's positional order is kept (``code, args, resources, func, name``) so that its users'
scripts build the same workflows here. Unlike PerQueue, the script is not required to exist
while the workflow is being built: the bridge checks every path when the workflow is submitted
and reports all missing scripts at once.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from perqueue_lab.task_classes._node import SpecNode, check_name, json_args
from perqueue_lab.task_classes.util_classes import Resources

__all__ = ["Task"]

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")

DEFAULT_RESOURCES = "1:local:10m"


class Task(SpecNode):
    """A script (Python with ``main(**kwargs)``, or any executable) and how to run it.

    ``code`` is made absolute (``~`` expanded) when the task is made, so a workflow built in one
    folder runs the same scripts from any other. ``func`` names the function of a Python script
    the runner calls (``main`` by default), as in PerQueue; when the script exists it is read
    (not run) to check that it defines that function.
    """

    kind = "task"

    def __init__(
        self,
        code: str | Path,
        args: dict[str, Any] | None = None,
        resources: str | Resources = DEFAULT_RESOURCES,
        func: str | None = "main",
        name: str | None = None,
        *,
        retries: int = 0,
        preamble: str | None = None,
        keep_processes: bool = False,
    ) -> None:
        if not isinstance(code, (str, Path)) or str(code) == "":
            raise TypeError(f"a Task needs the path of its script as str or Path, got {code!r}")
        self.code = Path(code).expanduser().resolve()
        # An empty name means the script's, as in PerQueue (`name or code.name`).
        self.name = check_name(None if name == "" else name, "Task") or self.code.name
        self.func = _check_func(func, self.code, self.name)
        self.args = args
        self.resources = resources  # the setter parses strings
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"Task {self.name!r}: retries must be a whole number of at least 0, got {retries!r}")
        self.retries = retries
        if preamble is not None and not isinstance(preamble, str):
            raise TypeError(f"Task {self.name!r}: the preamble must be shell text, got {preamble!r}")
        self.preamble = preamble
        if not isinstance(keep_processes, bool):
            raise TypeError(f"Task {self.name!r}: keep_processes must be True or False, got {keep_processes!r}")
        # Processes the task leaves running outlive its normal end (docs/semantics.md).
        self.keep_processes = keep_processes

    @property
    def args(self) -> dict[str, Any]:
        return self._args

    @args.setter
    def args(self, value: dict[str, Any] | None) -> None:
        json_args(value, f"Task {getattr(self, 'name', '')!r}")  # fail now, not at submission
        self._args = dict(value) if value else {}

    @property
    def resources(self) -> Resources:
        return self._resources

    @resources.setter
    def resources(self, value: str | Resources) -> None:
        if isinstance(value, Resources):
            self._resources = value
            return
        try:
            self._resources = Resources.from_string(value)
        except (ValueError, TypeError) as e:
            raise type(e)(f"Task {getattr(self, 'name', '')!r}, field 'resources': {e}") from None

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "kind": "task",
            "name": self.name,
            "code": str(self.code),
            "args": json_args(self._args, f"Task {self.name!r}"),
            "resources": str(self._resources),
        }
        if self.retries:
            spec["retries"] = self.retries
        if self.preamble is not None:
            spec["preamble"] = self.preamble
        if self.func != "main":
            spec["func"] = self.func
        if self.keep_processes:
            spec["keepProcesses"] = True
        return spec

    @classmethod
    def _from_entry(
        cls, code: str | None, args: dict[str, Any], resources: str | dict[str, Any] | None, name: str
    ) -> Task:
        """The task behind a stored entry, as the CLI lists it (no path resolution, no checks)."""
        inst = cls.__new__(cls)
        inst.code = Path(code) if code else None  # type: ignore[assignment]  # manual entries have none
        inst.func = "main"
        inst.name = name
        inst._args = args or {}
        if isinstance(resources, dict):  # the CLI may give the parsed form
            known = ("cores", "processes", "tmax", "nodename", "weight", "gpus", "serial")
            inst._resources = Resources(**{k: v for k, v in resources.items() if k in known})
        else:
            inst._resources = Resources.from_string(resources or DEFAULT_RESOURCES)
        inst.retries = 0
        inst.preamble = None
        inst.keep_processes = False
        return inst

    def __repr__(self) -> str:
        return f"Task(code={self.code!r}, func={self.func}, args={self._args}, resources={self._resources!r})"


def _check_func(func: object, code: Path, name: str) -> str:
    """``func`` as a name, checked against the script's top level when the script can be read."""
    if func is None:
        return "main"
    if not isinstance(func, str) or not _IDENTIFIER.fullmatch(func):
        raise ValueError(f"Task {name!r}, field 'func': expected the name of a Python function, got {func!r}")
    if func == "main" or code.suffix != ".py" or not code.is_file():
        return func  # a missing script is reported on its own field at submission
    try:
        tree = ast.parse(code.read_text(encoding="utf-8"), str(code))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return func  # the runner reports a script that does not load, with its traceback
    bound, functions, dynamic = _top_level_names(tree)
    if func in bound or dynamic:
        return func
    raise ValueError(
        f"Task {name!r}, field 'func': the script '{code}' defines no function {func!r} "
        f"(functions it defines: {', '.join(functions) or 'none'})"
    )


def _top_level_names(tree: ast.Module) -> tuple[set[str], list[str], bool]:
    """Names bound at module level (also inside top-level if/try blocks), its functions, and
    whether names may be made in ways a reader cannot follow (star imports, globals())."""
    bound: set[str] = set()
    functions: list[str] = []
    dynamic = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            dynamic = True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("globals", "exec", "setattr")
        ):
            dynamic = True
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            if not isinstance(node, ast.ClassDef):
                functions.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                bound.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []) or []:
                    stack.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return bound, sorted(functions), dynamic
