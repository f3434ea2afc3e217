"""The Python Workflow Definition (PWD) interchange format, read and written as PerQueue 0.3.2 does.

A PWD file is JSON: ``{"version", "nodes", "edges"}``. Function nodes name a Python function as
``package.module.function`` (relative to the current folder: ``package/module.py``), input nodes
carry one argument value, and an output node collects the last functions. Edges join functions
(``sourcePort`` of the parent -> ``targetPort`` of the child: PerQueue's ports) and inputs to
functions.

``read_PWD(path)`` returns ``(Workflow, undefined_scripts)``: one Task per function node calling
that function (``Task(..., func=...)``), inputs as the tasks' args, function edges as ports.
Scripts that do not exist are listed in ``undefined_scripts`` and, with ``write_scripts=True``,
written as placeholders whose function returns ``(True, {})``.
``write_PWD(workflow, path)`` writes a Workflow of Tasks (nested Workflows are flattened) in the
same form PerQueue writes, key for key.

Where PerQueue's reader breaks, this one does not: node ids that are not numbers are matched
with their edges, a function node joined to no other function is kept as a task, and a missing
script without ``write_scripts`` is reported at submission rather than when the file is read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from perqueue_lab.task_classes._node import SpecNode
from perqueue_lab.task_classes.task import Task
from perqueue_lab.task_classes.task_groups import Workflow

__all__ = ["read_PWD", "write_PWD", "create_PWD", "write_temp_script"]

#: PerQueue's default resources for the tasks of a PWD file.
DEFAULT_RESOURCES = "1:1:local:5m"


def write_temp_script(filename: str | Path, func_name: str) -> None:
    """Append a placeholder ``func_name(**kwargs)`` returning ``(True, {})`` to ``filename``."""
    path = Path(filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"def {func_name}(**kwargs): print('not implemented'); return True, {{}}\n")


def _node_id(value: Any) -> str:
    # PerQueue prefixes numeric ids; the same rule on both nodes and edges keeps them matched.
    return f"node_{value}" if str(value).isdigit() else str(value)


def read_PWD(
    PWD_path: str | Path, resources: str = DEFAULT_RESOURCES, write_scripts: bool = False
) -> tuple[Workflow, set[str]]:
    """The workflow of a PWD file and the scripts it names that do not exist (see module doc)."""
    where = str(PWD_path)
    try:
        doc = json.loads(Path(PWD_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{where}: not a readable Python Workflow Definition file ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list) or not isinstance(doc.get("edges"), list):
        raise ValueError(f"{where}: a Python Workflow Definition needs lists 'nodes' and 'edges'")

    tasks: dict[str, Task] = {}
    inputs: dict[str, dict[str, Any]] = {}
    undefined: set[str] = set()
    for i, node in enumerate(doc["nodes"]):
        if not isinstance(node, dict) or "id" not in node or "type" not in node:
            raise ValueError(f"{where}: nodes[{i}] needs an 'id' and a 'type'")
        nid = _node_id(node["id"])
        if node["type"] == "function":
            value = node.get("value")
            if not isinstance(value, str) or "." not in value:
                raise ValueError(
                    f"{where}: nodes[{i}] ('{nid}'), field 'value': expected 'module.function', got {value!r}"
                )
            *module, func = value.split(".")
            code = "/".join(module) + ".py"
            name = node.get("name", f"{code}:{func}")
            if not Path(code).exists() or code in undefined:
                undefined.add(code)
                if write_scripts:
                    write_temp_script(code, func)
                name = "undef " + value
            tasks[nid] = Task(code, {}, resources, func, name)
        elif node["type"] == "input":
            if "name" not in node:
                raise ValueError(f"{where}: nodes[{i}] ('{nid}') is an input without a 'name'")
            inputs[nid] = {node["name"]: node.get("value")}

    deps: dict[Task, dict[Task, dict[str, str]]] = {}
    for i, edge in enumerate(doc["edges"]):
        if not isinstance(edge, dict) or "source" not in edge or "target" not in edge:
            raise ValueError(f"{where}: edges[{i}] needs a 'source' and a 'target'")
        source, target = _node_id(edge["source"]), _node_id(edge["target"])
        if source in inputs and target in tasks:
            tasks[target].args = {**tasks[target].args, **inputs[source]}
        elif source in tasks and target in tasks:
            source_port, target_port = edge.get("sourcePort"), edge.get("targetPort")
            if str(target_port).isdigit():  # PerQueue's rule for numbered ports
                target_port = f"{source_port}{target_port}"
            ports = deps.setdefault(tasks[target], {}).setdefault(tasks[source], {})
            ports[str(source_port)] = str(target_port)
    body: dict[SpecNode, Any] = {node: parents for node, parents in deps.items()}
    for task in tasks.values():
        if task not in body and not any(task in parents for parents in deps.values()):
            body[task] = []
    if not body:
        raise ValueError(f"{where}: the file defines no function node")
    return Workflow(body), undefined


def _flatten(workflow: Workflow) -> tuple[list[Task], dict[Task, dict[Task, dict[str, str]]]]:
    """The tasks of a Workflow in order and their parents with ports; nested Workflows dissolved."""
    order: list[Task] = []
    parents: dict[Task, dict[Task, dict[str, str]]] = {}

    def ends(node: SpecNode, last: bool) -> list[Task]:
        if isinstance(node, Task):
            return [node]
        inner: Workflow = node  # type: ignore[assignment]
        deps = inner._deps
        if last:  # the nodes nothing inside depends on
            used = {p for ps in deps.values() for p in ps}
            picked = [n for n in deps if n not in used]
        else:
            picked = [n for n, ps in deps.items() if not ps]
        return [t for n in picked for t in ends(n, last)]

    def visit(wf: Workflow) -> None:
        for node, ps in wf._deps.items():
            if isinstance(node, Workflow):
                visit(node)
                heads = ends(node, last=False)
            elif isinstance(node, Task):
                if node not in parents:
                    order.append(node)
                    parents[node] = {}
                heads = [node]
            else:
                raise TypeError(
                    f"write_PWD: {type(node).__name__} {node.display_name!r} cannot be written: the Python Workflow "
                    "Definition holds plain functions and their dependencies only (no groups)"
                )
            for p in ps:
                ports = wf._ports.get(node, {}).get(p, {})
                for head in heads:
                    for tail in ends(p, last=True):
                        parents[head].setdefault(tail, {}).update(ports)

    visit(workflow)
    return order, parents


def create_PWD(workflow: Workflow | Task) -> dict[str, Any]:
    """The PWD dict of a Workflow of Tasks, laid out exactly as PerQueue's ``create_PWD``."""
    if isinstance(workflow, Task):
        workflow = Workflow(workflow)
    if not isinstance(workflow, Workflow):
        raise TypeError(f"create_PWD needs a Workflow or Task, got {type(workflow).__name__}")
    order, parents = _flatten(workflow)
    cwd = Path.cwd()
    node_dict: dict[Task, dict[str, Any]] = {}
    for i, task in enumerate(order):
        try:
            module = str(task.code.relative_to(cwd))
        except ValueError:
            raise ValueError(
                f"write_PWD: task {task.name!r}, field 'code': {task.code} is not below the current folder "
                f"{cwd}; a PWD file names functions as modules relative to it"
            ) from None
        value = module.replace("/", ".").rsplit(".", 1)[0] + "." + task.func
        node_dict[task] = {"id": i, "type": "function", "name": task.name, "value": value}
    has_children = {p for ps in parents.values() for p in ps}
    leaves = [node_dict[t] for t in order if t not in has_children]
    edges: list[dict[str, Any]] = []
    for child in order:
        for parent, ports in parents[child].items():
            if ports == {"None": "None"}:
                ports = {}  # all of the parent's data: written as PerQueue writes an edge without ports
            for source_port, target_port in ports.items() if ports else {None: None}.items():
                edges.append(
                    {
                        "target": node_dict[child]["id"],
                        "targetPort": target_port,
                        "source": node_dict[parent]["id"],
                        "sourcePort": source_port,
                    }
                )
    inputs: list[dict[str, Any]] = []
    i = 0
    for task, node in node_dict.items():
        for name, value in task.args.items():
            inputs.append({"id": len(node_dict) + i, "type": "input", "value": value, "name": name})
            edges.append({"target": node["id"], "targetPort": name, "source": len(node_dict) + i, "sourcePort": name})
            i += 1
    nodes = list(node_dict.values()) + inputs
    output = {"id": len(nodes), "type": "output", "name": "result"}
    nodes.append(output)
    for leaf in leaves:
        edges.append({"target": output["id"], "targetPort": None, "source": leaf["id"], "sourcePort": None})
    return {"version": "unknown", "nodes": nodes, "edges": edges}


def write_PWD(workflow: Workflow | Task, output_path: str | Path) -> str | Path:
    """Write ``create_PWD(workflow)`` to ``output_path`` (JSON, indent 4, as PerQueue writes it)."""
    pwd = create_PWD(workflow)
    with open(output_path, "w", encoding="utf-8") as f:
        json.dump(pwd, f, indent=4)
    return output_path
