"""Inside a manual step's notebook: ``complete()`` and ``reject()`` finish the step the
notebook was prepared for (its entry and project come from the injected parameters cell)."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Mapping
from typing import Any


def who() -> str:
    """Who is completing a step: the JupyterHub user, else the login name."""
    for name in ("JUPYTERHUB_USER", "USER"):
        value = os.environ.get(name)
        if value:
            return value
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database entry (containers)
        return "unknown"


def encode_result(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """A step's result in the extended JSON codec; a clear TypeError naming the bad key otherwise."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise TypeError(f"the result of a manual step must be a dict, got {type(data).__name__}: {data!r}")
    from perqueue_lab import codec

    try:
        encoded: dict[str, Any] = codec.encode(dict(data), "result")
        json.dumps(encoded, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"the result cannot be stored: {e}") from None
    return encoded


def _entry_from_namespace(entry: int | None, caller: str) -> int:
    if entry is not None:
        if isinstance(entry, bool) or not isinstance(entry, int):
            raise TypeError(f"{caller}: entry must be an entry id (int), got {entry!r}")
        return entry
    found = None
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        found = shell.user_ns.get("pq_entry_id")
    if found is None:
        raise ValueError(
            f"{caller}: which entry? Run the notebook's injected parameters cell (it defines "
            "pq_entry_id) or pass entry=ID"
        )
    return int(found)


def _namespace_project() -> str | None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    value = shell.user_ns.get("pq_project") if shell is not None else None
    return str(value) if value else None


def complete(
    result: Mapping[str, Any] | None = None,
    *,
    entry: int | None = None,
    project: str | os.PathLike[str] | None = None,
) -> int:
    """Complete the manual step this notebook was prepared for, with ``result`` as its data.

    The entry is ``pq_entry_id`` of the injected parameters cell unless ``entry`` is given.
    ``result`` must be a dict the extended JSON codec can hold; otherwise TypeError names the
    bad key and nothing is sent. When the step has a form, a result that does not match it is
    refused with a BridgeError naming each field path, and the step keeps waiting. The person
    is recorded (JUPYTERHUB_USER, USER or the login name). Returns the entry id.
    """
    entry_id = _entry_from_namespace(entry, "complete()")
    payload = encode_result(result)  # before connecting: a bad result changes nothing
    from perqueue_lab.kernel.connection import connect

    bridge = connect(project if project is not None else _namespace_project())
    bridge.request("POST", f"/api/entries/{entry_id}/approve", {"data": payload, "by": who()})
    return entry_id


def reject(reason: str = "", *, entry: int | None = None, project: str | os.PathLike[str] | None = None) -> int:
    """Reject the manual step this notebook was prepared for (see :func:`complete`)."""
    entry_id = _entry_from_namespace(entry, "reject()")
    from perqueue_lab.kernel.connection import connect

    bridge = connect(project if project is not None else _namespace_project())
    bridge.reject(entry_id, reason)
    return entry_id
