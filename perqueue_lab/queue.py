"""``PersistentQueue``: PerQueue's entry point, talking to the project's queue through ``pql``.

The project is the one the CLI finds from the current folder (like PerQueue's database in the
working folder; submitting makes one there if none exists) unless a folder is given. Every
method is a CLI call, so what a notebook does is exactly what the same command typed in a
terminal does. PerQueue requires a ``with`` block for changes; here
it is accepted and optional, because there is no transaction to hold open on the Python side.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from perqueue_lab import _bridge
from perqueue_lab.selection import Selection
from perqueue_lab.task_classes._node import SpecNode, json_args
from perqueue_lab.task_classes.entry import Entry
from perqueue_lab.task_classes.task_groups import Workflow
from perqueue_lab.task_classes.util_classes import EntryState, Resources

__all__ = ["PersistentQueue"]


def _key(entry: Entry | int) -> str:
    """Commands take keys; PerQueue passes Entry objects to some of them."""
    if isinstance(entry, Entry):
        return str(entry.key)
    if isinstance(entry, bool) or not isinstance(entry, int):
        raise TypeError(f"expected an entry key (int) or an Entry, got {entry!r}")
    return str(entry)


class PersistentQueue:
    """The queue of the project in ``project`` (default: the current folder at each call)."""

    def __init__(self, project: str | os.PathLike[str] | None = None) -> None:
        self._project = Path(project).resolve() if project is not None else None

    def __enter__(self) -> PersistentQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @property
    def project(self) -> Path:
        return self._project if self._project is not None else Path.cwd()

    def _args(self, args: Sequence[str]) -> list[str]:
        return [*args, "--project", str(self._project)] if self._project is not None else list(args)

    def _run(self, args: Sequence[str], input: str | None = None) -> str:
        return _bridge.run_cli(self._args(args), input=input, cwd=self.project).stdout

    def _json(self, args: Sequence[str], input: str | None = None) -> Any:
        return _bridge.run_json(self._args(args), input=input, cwd=self.project)

    # --- submitting -------------------------------------------------------------------------
    def submit(self, tasklike: Any, name: str | None = None) -> int:
        """Submit a Task, group or Workflow (a list or dict is read as ``Workflow(...)``).

        Returns the new workflow's id. The bridge validates the whole spec first (scripts
        exist, no cycle, groups placed where they can resolve) and stores nothing if it fails.
        Python tasks run with this interpreter unless PQ_PYTHON names another, with this
        process's environment (``pql`` inherits it) and in its current folder, as PerQueue's do.
        """
        node = tasklike if isinstance(tasklike, SpecNode) else Workflow(tasklike)
        document = node.to_document(name)
        args = ["submit", "--spec", "-", "--json", "--cwd", os.getcwd()]
        if not os.environ.get("PQ_PYTHON") and sys.executable:
            args += ["--python", sys.executable]
        out = self._json(args, input=json.dumps(document))
        try:
            return int(out["workflowId"])
        except (TypeError, KeyError, ValueError) as e:
            raise _bridge.BridgeError(f"pql submit did not report a workflowId: {out!r}") from e

    # --- reading ----------------------------------------------------------------------------
    def get_entries(
        self, keys: Sequence[int] | Selection | None = None, selection: Selection | None = None
    ) -> list[Entry]:
        """All entries of the project, or those with the given keys and/or passing ``selection``.

        PerQueue's order ``(keys, selection)`` is kept; a Selection given first is understood.
        """
        if isinstance(keys, Selection):
            keys, selection = None, keys
        records = self._json(["ls", "--json"])
        if not isinstance(records, list):
            raise _bridge.BridgeError(f"pql ls --json did not print a list: {str(records)[:300]}")
        # As PerQueue: entries are tasks (and here also manual steps); the placeholders standing
        # for dynamic groups and their gates are not entries and have no code.
        entries = [Entry.from_json(r) for r in records if r.get("kind") not in GROUP_KINDS]
        if keys is not None:
            wanted = {int(k) for k in keys}
            entries = [e for e in entries if e.key in wanted]
        return selection.filter(entries) if selection is not None else entries

    def get_entry(self, key: int) -> Entry:
        """One entry by key."""
        out = self._json(["show", _key(key), "--json"])
        if isinstance(out, dict) and "id" not in out and isinstance(out.get("entry"), dict):
            out = out["entry"]
        return Entry.from_json(out)

    def get_args(self, key: int) -> dict[str, Any]:
        """The task's own arguments of an entry (PerQueue: ``entry.task.args``)."""
        task = self.get_entry(key).task
        return dict(task.args) if task is not None else {}

    def get_code(self, key: int) -> Path | None:
        """The script of an entry (None for a manual step)."""
        task = self.get_entry(key).task
        return task.code if task is not None else None

    def get_data(self, key: int) -> dict[str, Any] | None:
        """What the entry's script returned (None before it finished)."""
        return self.get_entry(key).data

    def get_parent_data(self, key: Entry | int) -> dict[str, Any]:
        """The parents' outputs as they reach the entry (through its ports), without its own args.

        As in PerQueue, a key that several parents return with different values holds them by
        parent entry key (``{"12": v1, "13": v2}``; JSON keys are strings).
        """
        detail = self._json(["show", _key(key), "--json"])
        data = detail.get("parentData") if isinstance(detail, dict) else None
        if not isinstance(data, dict):
            raise _bridge.BridgeError(
                f"pql show did not report the parent data of entry {_key(key)}: {str(detail)[:300]}"
            )
        from perqueue_lab.task_classes.entry import _decode

        decoded: dict[str, Any] = _decode(data)
        return decoded

    def get_dependency_graph(self, entry_key: Entry | int) -> Any:
        """The dependency graph of the workflow the entry belongs to: a networkx ``DiGraph`` of
        entry keys with PerQueue's edge direction (child -> parent). Group placeholders are nodes
        too, as PerQueue's dynamic groups are."""
        try:
            from networkx import DiGraph
        except ImportError as e:
            raise ImportError("get_dependency_graph returns a networkx DiGraph: pip install networkx") from e
        detail = self._json(["show", _key(entry_key), "--json"])
        workflow = detail["entry"]["workflowId"]
        graph = DiGraph()
        graph.add_nodes_from(int(r["id"]) for r in self._json(["ls", "-w", str(workflow), "--json"]))
        graph.add_edges_from((int(child), int(parent)) for child, parent in detail["edges"])
        return graph

    def get_dynamic_group_template(self, dynamic_key: int) -> Any:
        """Not kept: a group's template is part of its workflow's spec, not a graph of its own."""
        raise NotImplementedError(
            "PerQueue Lab keeps no separate template graph per dynamic group; read the group's "
            "spec from the workflow (pql show / the Workflows panel) instead"
        )

    def is_dynamic_group_constructed(self, dynamic_key: Entry | int) -> bool:
        """Whether a dynamic group's placeholder has made its entries (it has then succeeded)."""
        entry = self.get_entry(int(_key(dynamic_key)))
        if entry.kind not in GROUP_KINDS:
            raise ValueError(f"entry {entry.key} ({entry.name!r}) is a {entry.kind}, not a dynamic group")
        return entry.state is EntryState.succeeded

    def get_special_args(self, key: int) -> dict[str, Any]:
        """``pq_index`` / ``pq_iteration`` of an entry ({} outside groups)."""
        return self.get_entry(key).pq_args or {}

    # --- changing ---------------------------------------------------------------------------
    def save_args(self, key: int, new_args: dict[str, Any], all: bool = False) -> None:
        """Replace an entry's arguments before it runs (again).

        ``all``: also every entry of the same task, as PerQueue does for entries sharing one
        task row: the entries of the same workflow with the same script, name, args and
        resources that can still be edited.
        """
        if not isinstance(new_args, dict):
            raise ValueError("`new_args` must be a dict!")
        args_json = json.dumps(json_args(new_args, f"entry {key}"))
        self._run(["modify", *self._targets(key, all), "--args", args_json])

    def save_resources(self, key: int, new_res: Resources | str, all: bool = False) -> None:
        """Replace an entry's resources (``all``: every entry of the same task, as for save_args)."""
        if not isinstance(new_res, (Resources, str)):
            raise ValueError("`new_res` must be a Resources object or a resource string!")
        res = new_res if isinstance(new_res, Resources) else Resources.from_string(new_res)
        self._run(["modify", *self._targets(key, all), "--resources", str(res)])

    def _targets(self, key: int, all: bool) -> list[str]:
        """The keys a modify applies to: the entry, plus its task's other editable entries."""
        if not all:
            return [_key(key)]
        entries = self.get_entries()
        target = next((e for e in entries if e.key == int(key)), None)
        if target is None:
            return [_key(key)]  # the CLI explains that the entry does not exist
        same = [e for e in entries if e.key != target.key and e.state in _EDITABLE and _same_task(e, target)]
        return [_key(target.key), *(_key(e.key) for e in same)]

    def save_code(self, key: int, new_code: str | os.PathLike[str], all: bool = False) -> None:
        """Replace an entry's script (``all``: every entry of the same task, as for save_args).

        PerQueue requires a ``pathlib.Path``; a str is accepted too. The bridge refuses a script
        that does not exist."""
        if not isinstance(new_code, (str, os.PathLike)):
            raise ValueError("`new_code` must be a `pathlib.Path` object!")
        code = str(Path(new_code).expanduser().resolve())
        self._run(["modify", *self._targets(key, all), "--code", code])

    # --- states by hand, PerQueue's complete / discard / fail -------------------------------
    def complete(self, key: Entry | int, data: dict[str, Any] | None = None) -> None:
        """Mark a task entry succeeded with ``data``; what waits below it goes ahead."""
        self._run(["complete", _key(key), "--data", self._result(data)])

    def discard(self, key: Entry | int, data: dict[str, Any] | None = None) -> None:
        """Mark a task entry discarded (with ``data``); what waits below it is skipped."""
        self._run(["discard", _key(key), "--data", self._result(data)])

    def fail(self, key: Entry | int, err: BaseException | str | None = None) -> None:
        """Mark a task entry failed; ``err`` is kept as its error text (``repr`` of an exception,
        as PerQueue stores it). What waits below it is blocked until it is retried."""
        args = ["fail", _key(key)]
        if err is not None:
            args += ["--error", err if isinstance(err, str) else repr(err)]
        self._run(args)

    @staticmethod
    def _result(data: dict[str, Any] | None) -> str:
        if data is not None and not isinstance(data, dict):
            raise ValueError("`data` must be either `None` or a `dict`!")
        return json.dumps(json_args(data, "the data") if data is not None else None)

    def running(self, key: Entry | int) -> None:
        """PerQueue's runner marks its own entry running; here the executor does, so this refuses."""
        raise RuntimeError(_EXECUTOR_STATE.format(what="running", key=_key(key)))

    def timeout(self, key: Entry | int) -> None:
        """PerQueue's runner marks its own entry timed out; here the executor does, so this refuses."""
        raise RuntimeError(_EXECUTOR_STATE.format(what="timed out", key=_key(key)))

    def set_mqid(self, key: Entry | int) -> None:
        """PerQueue records MyQueue's job id from inside the job; here the executor does."""
        raise RuntimeError(_EXECUTOR_STATE.format(what="given a job id", key=_key(key)))

    def start_ready_entries(self) -> None:
        """Make sure the project's bridge runs: it starts entries as soon as they are ready."""
        self._run(["daemon", "start"])

    def remove(self, key: Entry | int) -> list[int]:
        """Remove an entry and everything below it; returns the removed keys.

        An entry cannot leave the graph it is part of here, so this removes whole workflows
        only: when the entry and what is below it are its entire (settled) workflow, that
        workflow goes, with its run folders. Otherwise nothing is removed and ValueError says so.
        """
        detail = self._json(["show", _key(key), "--json"])
        entry_id = int(detail["entry"]["id"])
        workflow = int(detail["entry"]["workflowId"])
        children: dict[int, list[int]] = {}
        for child, parent in detail["edges"]:
            children.setdefault(int(parent), []).append(int(child))
        below, stack = set(), [entry_id]
        while stack:
            cur = stack.pop()
            if cur not in below:
                below.add(cur)
                stack.extend(children.get(cur, []))
        everything = {int(r["id"]) for r in self._json(["ls", "-w", str(workflow), "--json"])}
        if below != everything:
            raise ValueError(
                f"entry {entry_id} is not the root of workflow {workflow}: entries cannot be removed one by one "
                f"(cancel it with pq.cancel({entry_id}), or remove the whole workflow with `pql rm -w {workflow}`)"
            )
        self._run(["rm", "-w", str(workflow)])
        return sorted(everything)

    def resubmit(self, entry: Entry | int) -> None:
        """Run a failed, timed-out, cancelled or discarded entry again; its descendants then go on."""
        self._run(["retry", _key(entry)])

    def cancel(self, key: Entry | int) -> None:
        """Cancel an entry and everything below it."""
        self._run(["cancel", _key(key)])


#: Placeholders of dynamic groups and their gates: kept in the graph, but not PerQueue entries.
GROUP_KINDS = frozenset({"dynamic_width", "cyclical", "toggle", "switch"})

_EXECUTOR_STATE = (
    "entry {key} cannot be marked {what} by hand: the executor that runs it records that "
    "(use complete, discard or fail to set a result)"
)

# States in which the bridge accepts new args or resources.
_EDITABLE = {
    EntryState.waiting,
    EntryState.blocked,
    EntryState.failed,
    EntryState.timed_out,
    EntryState.cancelled,
    EntryState.discarded,
}


def _same_task(a: Entry, b: Entry) -> bool:
    """PerQueue's "same task row": same workflow, kind, script, name, args and resources."""
    if (a.workflow_id, a.kind, a.name) != (b.workflow_id, b.kind, b.name) or a.task is None or b.task is None:
        return False
    return (a.task.code, a.task.args, str(a.task.resources)) == (b.task.code, b.task.args, str(b.task.resources))
