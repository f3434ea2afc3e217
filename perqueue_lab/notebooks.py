"""Notebooks as steps: the injected parameters cell, and reading a notebook's result.

A notebook gets its entry's inputs the way papermill passes parameters: a code cell tagged
``injected-parameters`` placed right after the cell tagged ``parameters`` (or first when there
is none), holding one assignment per input as a Python literal. Values JSON cannot hold
(NumPy arrays, non-finite floats, tuples, ...) are written in the extended JSON codec and
decoded by ``pq_decode(...)``. The exact text is described in docs/contracts.md section 6, so
the bridge can prepare a manual step's notebook the same way.

This module imports only the standard library; nbformat is not needed to inject (a notebook
is a plain dict here).
"""

from __future__ import annotations

import json
import keyword
import math
import os
from collections.abc import Callable, MutableMapping
from typing import Any

__all__ = [
    "INJECTED_TAG",
    "PARAMETERS_TAG",
    "find_injected_cell",
    "injected_source",
    "inject_parameters",
    "python_literal",
]

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
INJECTED_CELL_ID = "pq-injected-parameters"
HEADER = "# Parameters injected by PerQueue Lab"
DECODE_IMPORT = "from perqueue_lab.codec import decode as pq_decode"
CODEC_TAG = "__pq__"


def python_literal(value: Any) -> str:
    """Python source that evaluates to a plain JSON value (None, bool, number, str, list, dict).

    Raises ValueError for anything else, including non-finite floats (write them with the codec).
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no Python literal")
        return repr(float(value))
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"dict key {k!r} is not a string")
            items.append(f"{python_literal(k)}: {python_literal(v)}")
        return "{" + ", ".join(items) + "}"
    raise ValueError(f"{type(value).__name__} is not a plain JSON value")


def _has_tag(encoded: Any) -> bool:
    if isinstance(encoded, dict):
        return CODEC_TAG in encoded or any(_has_tag(v) for v in encoded.values())
    if isinstance(encoded, list):
        return any(_has_tag(v) for v in encoded)
    return False


def _value_source(encoded: Any) -> str:
    """The right-hand side for one encoded value: a literal, or ``pq_decode(<literal>)``."""
    literal = python_literal(encoded)
    return f"pq_decode({literal})" if _has_tag(encoded) else literal


def is_variable_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def injected_source(
    params: dict[str, Any], entry_id: int | None, *, encoded: bool = False, project: str | None = None
) -> str:
    """The text of the injected-parameters cell.

    ``params`` are Python values (encoded here with the extended JSON codec) or, with
    ``encoded=True``, values already in the codec's JSON form (as in a run folder's input.json).
    ``project``: the project folder, written as ``pq_project`` (for ``perqueue_lab.complete``
    in a notebook copy that lives outside the project).
    """
    encode = (lambda v, _where: v) if encoded else _encoder()
    lines = [HEADER]
    body: list[str] = []
    entries: list[str] = []
    needs_decode = False
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"parameter names must be strings, got {name!r}")
        wire = encode(value, f"params[{name!r}]")
        source = _value_source(wire)
        needs_decode = needs_decode or source.startswith("pq_decode(")
        if is_variable_name(name):
            body.append(f"{name} = {source}")
            entries.append(f"{python_literal(name)}: {name}")
        else:
            entries.append(f"{python_literal(name)}: {source}")
    if needs_decode:
        lines.append(DECODE_IMPORT)
    lines.extend(body)
    lines.append(f"pq_entry_id = {python_literal(entry_id)}")
    if project is not None:
        lines.append(f"pq_project = {python_literal(str(project))}")
    lines.append("pq_params = {" + ", ".join(entries) + "}")
    return "\n".join(lines) + "\n"


def _encoder() -> Callable[[Any, str], Any]:
    from perqueue_lab import codec

    return codec.encode


def _tags(cell: MutableMapping[str, Any]) -> list[str]:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return [t for t in tags if isinstance(t, str)]


def find_injected_cell(nb: MutableMapping[str, Any]) -> int | None:
    """Index of the notebook's injected-parameters cell, or None."""
    for i, cell in enumerate(nb.get("cells") or []):
        if INJECTED_TAG in _tags(cell):
            return i
    return None


def inject_parameters(
    nb: MutableMapping[str, Any],
    params: dict[str, Any],
    entry_id: int | None,
    *,
    encoded: bool = False,
    project: str | None = None,
) -> MutableMapping[str, Any]:
    """Put the injected-parameters cell into ``nb`` (a notebook dict, nbformat 4) and return it.

    A previous injected-parameters cell is removed first, so a notebook executed before can be
    executed again. The cell goes right after the first cell tagged ``parameters``, or first.
    The notebook is changed in place.
    """
    cells = nb.setdefault("cells", [])
    cells[:] = [c for c in cells if INJECTED_TAG not in _tags(c)]
    position = 0
    for i, existing in enumerate(cells):
        if PARAMETERS_TAG in _tags(existing):
            position = i + 1
            break
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": [INJECTED_TAG]},
        "outputs": [],
        "source": injected_source(params, entry_id, encoded=encoded, project=project),
    }
    if _wants_ids(nb):
        cell["id"] = _unique_id(cells, INJECTED_CELL_ID)
    cells.insert(position, cell)
    return nb


def _wants_ids(nb: MutableMapping[str, Any]) -> bool:
    """Cell ids exist from nbformat 4.5 on."""
    major, minor = nb.get("nbformat", 4), nb.get("nbformat_minor", 5)
    return (major, minor) >= (4, 5) or any("id" in c for c in nb.get("cells") or [])


def _unique_id(cells: list[Any], base: str) -> str:
    taken = {c.get("id") for c in cells}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# --------------------------------------------------------------------------------------------
# Inside the kernel of a notebook task: the last (helper) cell calls this.


def save_result(namespace: dict[str, Any], path: str) -> None:
    """Write the notebook's ``result`` and ``ok`` to ``path`` for the runner; never raises.

    The file holds ``{"ok": bool, "data": <codec JSON>}`` or ``{"problem": "..."}``; the runner
    decides what a problem means, so a bad result is reported as such and not as a failed cell.
    """
    try:
        record = _result_record(namespace)
    except Exception as e:  # noqa: BLE001 - every problem must reach the runner as text
        record = {"problem": f"{type(e).__name__}: {e}", "type": type(e).__name__}
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(record if isinstance(record, str) else json.dumps(record))
    os.replace(tmp, path)


def _result_record(namespace: dict[str, Any]) -> Any:
    from perqueue_lab import codec

    result = namespace.get("result")
    if result is None:
        result = {}
    if not isinstance(result, dict):
        return {
            "problem": f"the notebook's `result` is a {type(result).__name__}, not a dict: "
            "set `result = {...}` (or leave it undefined for an empty result)",
            "type": "TypeError",
        }
    ok = namespace.get("ok", True)
    try:
        data = codec.encode(result, "result")
        text = json.dumps({"ok": bool(ok), "data": data}, allow_nan=False)
    except (TypeError, ValueError) as e:
        return {"problem": f"the notebook's `result` cannot be stored: {e}", "type": type(e).__name__}
    return text
