"""What every workflow building block shares: turning itself into the JSON spec.

The spec format is owned by ``core/spec.ts`` (see docs/contracts.md §1). This module only
builds it; the complete validation (cycles, script existence, group placement) happens in the
core when the spec is submitted, so that Python, TypeScript and the graphical builder reject
the same things with the same messages.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

SPEC_VERSION = 1

#: The key that marks a tagged value of the extended JSON codec (docs/contracts.md §4).
CODEC_TAG = "__pq__"

#: Display names of unnamed groups, as PerQueue names them (the capitals of the class name).
DEFAULT_GROUP_NAMES = {
    "workflow": "Workflow",
    "static_width": "SWG",
    "dynamic_width": "DWG",
    "cyclical": "CG",
    "switch": "SG",
}


class SpecNode:
    """Base of Task, ManualTask and the groups: anything that can be a node of a workflow."""

    #: The ``kind`` field of this node's spec.
    kind: str = ""

    def to_spec(self) -> dict[str, Any]:
        """This node as a spec node dict (a fresh object on every call)."""
        raise NotImplementedError

    @property
    def display_name(self) -> str:
        """The name workflow node ids are derived from."""
        name = getattr(self, "name", None)
        return name or DEFAULT_GROUP_NAMES.get(self.kind, self.kind)

    def to_document(self, name: str | None = None) -> dict[str, Any]:
        """A complete workflow document with this node as its root, ready for ``pql submit``."""
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"a workflow name must be a non-empty string, got {name!r}")
        return {"specVersion": SPEC_VERSION, "name": name or self.display_name, "root": self.to_spec()}


def check_name(name: object, owner: str) -> str | None:
    """Group and task names are optional but, when given, non-empty strings."""
    if name is None:
        return None
    if not isinstance(name, str) or name == "":
        raise ValueError(f"the name of a {owner} must be a non-empty string, got {name!r}")
    return name


def json_args(args: object, owner: str) -> dict[str, Any]:
    """Task arguments as a JSON object: ``None`` becomes ``{}``, tuples become lists.

    Values JSON cannot hold (NumPy arrays, NaN, ...) and dicts that look like codec tags are
    written with the extended JSON codec, as PerQueue stored them with its own encoder; tuples
    become lists as in PerQueue's JSON. Anything else raises TypeError naming the key, so the
    mistake shows where the workflow is built.
    """
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise TypeError(f"the args of {owner} must be a dict or None, got {type(args).__name__}: {args!r}")
    return {_key(k, owner): _json_value(v, f"{owner} args[{k!r}]") for k, v in args.items()}


def json_object(value: object, what: str) -> dict[str, Any]:
    """A plain JSON object (forms, defaults): the same rules as args, but None is refused."""
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, got {type(value).__name__}: {value!r}")
    return {_key(k, what): _json_value(v, f"{what}[{k!r}]") for k, v in value.items()}


def _key(k: object, owner: str) -> str:
    if not isinstance(k, str):
        raise TypeError(f"the keys of the args of {owner} must be strings, got {k!r}")
    if k == CODEC_TAG:
        raise ValueError(f"{owner}: {CODEC_TAG!r} is reserved for the extended JSON codec")
    return k


def _json_value(v: object, where: str) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float) and math.isfinite(v) and not v.is_integer():
        return v  # an integral float (2.0) is tagged by the codec so that it stays a float
    if isinstance(v, (list, tuple)):
        return [_json_value(x, f"{where}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, dict) and all(isinstance(k, str) for k in v) and CODEC_TAG not in v:
        return {k: _json_value(x, f"{where}[{k!r}]") for k, x in v.items()}
    return _codec_value(v, where)


def _codec_value(v: object, where: str) -> Any:
    codec: ModuleType | None
    try:
        from perqueue_lab import codec  # lazy: the codec may import NumPy
    except ImportError:
        codec = None
    if codec is not None:
        try:
            return codec.encode(v)
        except Exception as e:  # the codec says what it cannot hold
            raise TypeError(f"{where} cannot be stored: {e}") from e
    raise TypeError(f"{where} is not JSON ({type(v).__name__}: {v!r}); use str, int, float, bool, list or dict")
