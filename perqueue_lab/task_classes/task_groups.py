"""Workflows and groups with PerQueue's names and argument forms, producing the JSON spec.

A group's body may be anything PerQueue accepts: one Task or group, a list (a chain), a dict
``{node: [parents]}`` (a DAG), a ``Workflow``, or a networkx ``DiGraph`` in PerQueue's edge
direction (child -> parent). In a dict the parents may also be a dict of ports
``{parent: {"energy": "E"}}`` (PerQueue's edge data): the parent's output ``energy`` reaches the
child as its argument ``E`` and no other key of that parent does; ``{parent: {}}`` passes all.
As in PerQueue, the source ``"None"`` gives the child the parent's first value, and
``{"None": "None"}`` (or ``{None: None}``) passes all of the parent's data (PWD files use
these). Any other port with the Python value ``None`` is refused: PerQueue passes ``None`` for it
whatever the parent returned, or fails the child with a TypeError.

Nodes are identified by object identity, as in PerQueue (its Task hashes by content but
compares by identity): one object used twice in one dict is one node, two equal-looking Tasks
are two nodes. Cycles are not looked for here; the core rejects them with the path of the cycle.
"""

from __future__ import annotations

from typing import Any

from perqueue_lab.constants import DEFAULT_MAX_TRIES, SWITCHGROUP_SKIP
from perqueue_lab.task_classes._node import DEFAULT_GROUP_NAMES, SpecNode, check_name
from perqueue_lab.task_classes.task import Task

__all__ = [
    "TaskGroup",
    "DynamicTaskGroup",
    "Workflow",
    "StaticWidthGroup",
    "DynamicWidthGroup",
    "CyclicalGroup",
    "SwitchGroup",
    "TaskLike",
]

TaskLike = SpecNode
Body = SpecNode | list[SpecNode] | dict[SpecNode, Any] | Any


def _describe(obj: object) -> str:
    text = repr(obj)
    return f"{type(obj).__name__}: {text[:200]}{'...' if len(text) > 200 else ''}"


def _is_graph(obj: object) -> bool:
    """A networkx DiGraph, recognised without importing networkx."""
    return hasattr(obj, "succ") and hasattr(obj, "nodes") and hasattr(obj, "is_directed")


def _check_node(obj: object, owner: str) -> SpecNode:
    if isinstance(obj, SpecNode):
        return obj
    raise TypeError(f"{owner}: expected a Task, ManualTask, group or Workflow as a node, got {_describe(obj)}")


Ports = dict[str, str]


def _port_map(mapping: object, child: SpecNode, parent: SpecNode, owner: str) -> Ports:
    """One parent's ports as ``{parent key: argument name}``, None written "None" as PerQueue does."""
    if not isinstance(mapping, dict):
        raise TypeError(
            f"{owner}: the ports from {parent.display_name!r} to {child.display_name!r} must be a dict "
            f"{{parent key: argument name}}, got {_describe(mapping)}"
        )
    out: Ports = {}
    if mapping == {None: None}:
        return out  # what a PWD file's plain edge reads as: all of the parent's data
    for source, target in mapping.items():
        if source is None or target is None:
            raise TypeError(
                f"{owner}: the port {source!r} -> {target!r} from {parent.display_name!r} to {child.display_name!r} "
                "uses None; name the key the parent returns (the string 'None' stands for its first value)"
            )
        if not isinstance(source, str) or not isinstance(target, str) or not source or not target:
            raise TypeError(
                f"{owner}: the port {source!r} -> {target!r} from {parent.display_name!r} to "
                f"{child.display_name!r} must map a key the parent returns to an argument name (both strings)"
            )
        out[source] = target
    return out


def _ports(value: object, child: SpecNode, owner: str) -> dict[SpecNode, Ports]:
    """The ports given for ``child``'s parents (only parents that name some)."""
    if not isinstance(value, dict):
        return {}
    out = {}
    for parent, mapping in value.items():
        if mapping is None:
            continue
        node = _check_node(parent, owner)
        ports = _port_map(mapping, child, node, owner)
        if ports:
            out[node] = ports
    return out


def _parents(value: object, child: SpecNode, owner: str) -> list[SpecNode]:
    """The parents listed for ``child``: a list (or tuple/set) of nodes, or a dict of ports."""
    if value is None:
        return []
    if isinstance(value, dict):
        items: list[object] = list(value.keys())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        raise TypeError(
            f"{owner}: the parents of {child!r} must be a list of nodes (or a dict of ports), got {_describe(value)}"
        )
    # dict.fromkeys keeps the first of repeated parents; nodes compare by identity.
    return list(dict.fromkeys(_check_node(p, owner) for p in items))


def _dependencies(
    tasks: Body, owner: str
) -> tuple[dict[SpecNode, list[SpecNode]], dict[SpecNode, dict[SpecNode, Ports]]]:
    """``{node: [parents]}`` in PerQueue's insertion order (keys first, then parents not yet seen),
    and the ports by child and parent."""
    ports: dict[SpecNode, dict[SpecNode, Ports]] = {}
    if isinstance(tasks, Workflow):
        return {n: list(ps) for n, ps in tasks._deps.items()}, {c: dict(m) for c, m in tasks._ports.items()}
    if isinstance(tasks, SpecNode):
        return {tasks: []}, ports
    if isinstance(tasks, (list, tuple)):
        if not tasks:
            raise ValueError(f"{owner}: an empty list holds no task")
        chain = [_check_node(t, owner) for t in tasks]
        deps: dict[SpecNode, list[SpecNode]] = {chain[0]: []}
        # Same as PerQueue: a node repeated in a chain gets the parent of its last place.
        deps.update({nxt: [before] for nxt, before in zip(chain[1:], chain, strict=False)})
        return deps, ports
    if _is_graph(tasks):
        graph: Any = tasks
        deps = {}
        for n in graph.nodes:
            child = _check_node(n, owner)
            deps[child] = [_check_node(p, owner) for p in graph.succ[n]]
            named = _ports({p: dict(graph.succ[n][p]) for p in graph.succ[n]}, child, owner)
            if named:
                ports[child] = named
        return deps, ports
    if isinstance(tasks, dict):
        if not tasks:
            raise ValueError(f"{owner}: an empty dict holds no task")
        deps = {}
        for node, value in tasks.items():
            child = _check_node(node, owner)
            deps[child] = _parents(value, child, owner)
            named = _ports(value, child, owner)
            if named:
                ports[child] = named
        for parents in list(deps.values()):
            for p in parents:
                deps.setdefault(p, [])
        return deps, ports
    raise TypeError(
        f"{owner}: expected a Task, group, Workflow, list (chain) or dict {{node: [parents]}}, got {_describe(tasks)}"
    )


def _as_node(body: Body, owner: str) -> SpecNode:
    """A group's body as one spec node: a single node stays itself, lists and dicts become a Workflow."""
    if isinstance(body, SpecNode):
        return body
    return Workflow(body, _owner=owner)


def _unique_ids(nodes: list[SpecNode]) -> dict[SpecNode, str]:
    """Ids from display names, made unique with -2, -3, ... in insertion order."""
    ids: dict[SpecNode, str] = {}
    used: set[str] = set()
    for n in nodes:
        base = n.display_name
        candidate, k = base, 2
        while candidate in used:
            candidate, k = f"{base}-{k}", k + 1
        used.add(candidate)
        ids[n] = candidate
    return ids


class TaskGroup(SpecNode):
    """Base of Workflow and the groups (PerQueue's class of the same name)."""

    _name: str | None = None

    @property
    def name(self) -> str:
        """The given name, else PerQueue's default (the capitals of the class name)."""
        return self._name or DEFAULT_GROUP_NAMES[self.kind]

    def _named(self, spec: dict[str, Any]) -> dict[str, Any]:
        """``kind`` first, then the name only when one was given (names are optional in the spec)."""
        out: dict[str, Any] = {"kind": self.kind}
        if self._name is not None:
            out["name"] = self._name
        out.update(spec)
        return out

    @property
    def tasks(self) -> list[SpecNode]:
        """The nodes directly inside this group."""
        raise NotImplementedError

    def get_tasks(self) -> list[Task]:
        """Every Task inside, recursively, each once."""
        found: dict[Task, None] = {}
        for node in self.tasks:
            if isinstance(node, Task):
                found[node] = None
            elif isinstance(node, TaskGroup):
                found.update(dict.fromkeys(node.get_tasks()))
        return list(found)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tasks={self.tasks})"


class Workflow(TaskGroup):
    """Nodes and their dependencies: ``Workflow({node: [parents]})``, ``Workflow([a, b, c])`` (a chain)."""

    kind = "workflow"

    def __init__(self, tasks: Body, *, name: str | None = None, _owner: str | None = None) -> None:
        self._name = check_name(name, "Workflow")
        self._deps, self._ports = _dependencies(tasks, _owner or "Workflow")

    @property
    def dependencies(self) -> dict[SpecNode, list[SpecNode]]:
        """``{node: [parents]}`` (a copy)."""
        return {n: list(ps) for n, ps in self._deps.items()}

    @property
    def tasks(self) -> list[SpecNode]:
        return list(self._deps)

    def to_spec(self) -> dict[str, Any]:
        ids = _unique_ids(list(self._deps))
        nodes = []
        for n, parents in self._deps.items():
            item: dict[str, Any] = {"id": ids[n], "node": n.to_spec(), "parents": [ids[p] for p in parents]}
            if self._ports.get(n):
                item["ports"] = {ids[p]: dict(m) for p, m in self._ports[n].items()}
            nodes.append(item)
        return self._named({"nodes": nodes})

    @property
    def ports(self) -> dict[SpecNode, dict[SpecNode, Ports]]:
        """``{child: {parent: {parent key: argument name}}}`` for the edges that have ports (a copy)."""
        return {c: {p: dict(m) for p, m in ps.items()} for c, ps in self._ports.items()}


class _BodyGroup(TaskGroup):
    """A group around one body (every group but SwitchGroup)."""

    body: SpecNode

    def _init_body(self, tasks: Body, name: str | None) -> None:
        owner = type(self).__name__
        self._name = check_name(name, owner)
        self.body = _as_node(tasks, owner)

    @property
    def tasks(self) -> list[SpecNode]:
        return self.body.tasks if isinstance(self.body, Workflow) else [self.body]


class StaticWidthGroup(_BodyGroup):
    """``width`` copies (columns) of the body made at submission; column i gets ``pq_index [i]``."""

    kind = "static_width"

    def __init__(self, tasks: Body, width: int, *, name: str | None = None) -> None:
        self._init_body(tasks, name)
        if isinstance(width, bool) or not isinstance(width, int):
            raise TypeError(f"StaticWidthGroup: the width must be a whole number, got {width!r}")
        if width < 1:
            raise ValueError(f"StaticWidthGroup: the width must be at least 1, got {width}")
        self.width = width

    def to_spec(self) -> dict[str, Any]:
        return self._named({"body": self.body.to_spec(), "width": self.width})


class DynamicTaskGroup(_BodyGroup):
    """Base of the groups resolved at run time from their parents' data (PerQueue's class name)."""


class DynamicWidthGroup(DynamicTaskGroup):
    """As many columns as the parents' ``pq_dwg_width`` says, decided when they finish."""

    kind = "dynamic_width"

    def __init__(self, tasks: Body, *, name: str | None = None) -> None:
        self._init_body(tasks, name)

    def to_spec(self) -> dict[str, Any]:
        return self._named({"body": self.body.to_spec()})


class CyclicalGroup(DynamicTaskGroup):
    """The body run again until its last tasks return ``pq_toggle_key: True``, at most ``max_tries`` times."""

    kind = "cyclical"

    def __init__(self, tasks: Body, max_tries: int = DEFAULT_MAX_TRIES, *, name: str | None = None) -> None:
        self._init_body(tasks, name)
        if isinstance(max_tries, bool) or not isinstance(max_tries, int):
            raise TypeError(f"CyclicalGroup: max_tries must be a whole number, got {max_tries!r}")
        if max_tries < 1:
            raise ValueError(
                f"CyclicalGroup: the maximum iteration count (`max_tries`) must be positive, got {max_tries}"
            )
        self.max_tries = max_tries

    def to_spec(self) -> dict[str, Any]:
        return self._named({"body": self.body.to_spec(), "maxTries": self.max_tries})


class SwitchGroup(DynamicTaskGroup):
    """One branch per key; the parents' ``pq_switch_key`` picks the one that runs.

    Keys are stored as strings (the switch key travels through JSON), so ``1`` and ``"1"``
    would name the same branch and are refused together.
    """

    kind = "switch"

    def __init__(self, tasks_dict: dict[Any, Body], *, name: str | None = None) -> None:
        self._name = check_name(name, "SwitchGroup")
        if not isinstance(tasks_dict, dict):
            raise TypeError(f"SwitchGroup: expected a dict {{key: branch}}, got {_describe(tasks_dict)}")
        if not tasks_dict:
            raise ValueError("SwitchGroup: needs at least one branch")
        self.branches: dict[str, SpecNode] = {}
        for key, branch in tasks_dict.items():
            skey = str(key)
            if skey == SWITCHGROUP_SKIP:
                raise ValueError(
                    f"SwitchGroup: {SWITCHGROUP_SKIP!r} is a reserved keyword and can't be used for a branch"
                )
            if skey in self.branches:
                raise ValueError(f"SwitchGroup: the keys {key!r} and {skey!r} both become the branch {skey!r}")
            self.branches[skey] = _as_node(branch, f"SwitchGroup branch {skey!r}")

    @property
    def tasks(self) -> list[SpecNode]:
        out: list[SpecNode] = []
        for b in self.branches.values():
            out.extend(b.tasks if isinstance(b, Workflow) else [b])
        return out

    def to_spec(self) -> dict[str, Any]:
        return self._named({"branches": {k: b.to_spec() for k, b in self.branches.items()}})
