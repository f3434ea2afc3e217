"""Extended JSON codec, the Python half of core/codec.ts (docs/contracts.md section 4).

Plain JSON stays plain. Values JSON cannot hold become objects with the single reserved key
``"__pq__"`` naming what they are::

    {"__pq__": "ndarray", "dtype": "<f8", "shape": [2, 3], "data": "<base64, C order, little-endian>"}
    {"__pq__": "complex", "real": R, "imag": I}        R, I: numbers or float tags
    {"__pq__": "float", "value": "nan" | "inf" | "-inf" | "-0.0" | N}   N: an integral float, e.g. 2.0
    {"__pq__": "bytes", "data": "<base64>"}
    {"__pq__": "tuple", "items": [...]}
    {"__pq__": "set", "items": [...]}                  set and frozenset; items sorted (below)
    {"__pq__": "datetime", "iso": "2024-05-01T12:00:00"}   also dates ("2024-05-01")
    {"__pq__": "path", "path": "/abs/file"}
    {"__pq__": "dict", "items": [[k, v], ...]}         a user dict that has a "__pq__" key itself

Arrays: bool, int8..int64, uint8..uint64, float16/32/64, complex64/128, any memory order or
byte order on the way in; C order little-endian on the wire. NumPy scalars become plain
numbers/bools (complex and non-finite ones become the tags above); numpy is imported only when
an array has to be decoded, and is never imported to encode.

Dict keys: ``int`` keys become strings (``{1: x}`` comes back as ``{"1": x}``) because JSON
object keys are strings; other non-string keys raise TypeError.

Set order: the encoded items are sorted - by value when all are numbers, by code point when all
are strings, otherwise by their compact JSON text - so that the output is the same on every run
and in both languages. Sets come back as ``set`` (``frozenset`` when inside another set).

Anything else raises TypeError naming its type and where it is, e.g. ``data.models[2]``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import pathlib
import re
import sys
from typing import Any

__all__ = ["TAG", "encode", "decode", "dumps", "loads"]

TAG = "__pq__"

#: Wire dtype (NumPy's ``dtype.str`` for little-endian) -> NumPy name.
DTYPES = {
    "|b1": "bool",
    "|i1": "int8",
    "|u1": "uint8",
    "<i2": "int16",
    "<u2": "uint16",
    "<i4": "int32",
    "<u4": "uint32",
    "<i8": "int64",
    "<u8": "uint64",
    "<f2": "float16",
    "<f4": "float32",
    "<f8": "float64",
    "<c8": "complex64",
    "<c16": "complex128",
}
_BY_NAME = {name: wire for wire, name in DTYPES.items()}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENT.match(key) else f"{path}[{json.dumps(key)}]"


def _type_name(obj: Any) -> str:
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _cannot(obj: Any, path: str, why: str = "") -> TypeError:
    return TypeError(f"cannot encode a value of type {_type_name(obj)} at {path}{why}")


# --------------------------------------------------------------------------------------------
# encode


def encode(obj: Any, root: str = "data") -> Any:
    """Return ``obj`` as plain JSON-able Python (dict/list/str/int/float/bool/None).

    ``root`` names the value in error messages. Raises TypeError for values the format cannot
    carry and ValueError for circular references and for int keys that clash with string keys.
    """
    return _enc(obj, root, set())


def _float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {TAG: "float", "value": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


_JS_SAFE = 2.0**53


def _float_value(x: float) -> Any:
    """A float that keeps its type through JavaScript: JSON.parse reads 2.0 as the number 2 and
    the bridge writes it back as ``2``, which Python would read as an int (a script formatting
    ``f"strain_{s}"`` would then make another folder name than under PerQueue). So an integral
    float the bridge would write as an integer is tagged, and -0.0 (JSON.stringify writes ``0``);
    larger integral floats survive as text (``1e+16``)."""
    if math.isfinite(x) and x.is_integer() and abs(x) < _JS_SAFE:
        if x == 0 and math.copysign(1.0, x) < 0:
            return {TAG: "float", "value": "-0.0"}
        return {TAG: "float", "value": x}
    return _float(x)


def _enc(obj: Any, path: str, active: set[int]) -> Any:
    t = type(obj)
    # Exact types first: they are nearly everything a task returns.
    if obj is None or t is str or t is bool or t is int:
        return obj
    if t is float:
        return _float_value(obj)
    if (
        t is dict
        or t is list
        or t is tuple
        or t is set
        or t is frozenset
        or isinstance(obj, (dict, list, tuple, set, frozenset))
    ):
        return _enc_container(obj, path, active)
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, str):
        return str.__str__(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return _float_value(float(obj))
    if isinstance(obj, complex):
        return {TAG: "complex", "real": _float(obj.real), "imag": _float(obj.imag)}
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return {TAG: "bytes", "data": base64.b64encode(bytes(obj)).decode("ascii")}
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return {TAG: "datetime", "iso": obj.isoformat()}
    if isinstance(obj, pathlib.PurePath):
        return {TAG: "path", "path": str(obj)}
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(obj, np.ndarray):
            return _enc_array(np, obj, path)
        if isinstance(obj, np.generic):
            return _enc_numpy_scalar(np, obj, path)
    registered = _registered_encoder(obj)
    if registered is not None:
        # PerQueue's register_json_encoder: the dict it returns is stored (and encoded in turn).
        if id(obj) in active:
            raise ValueError(f"circular reference at {path}")
        active.add(id(obj))
        try:
            as_dict = registered(obj)
            if not isinstance(as_dict, dict):
                raise TypeError(
                    f"{path}: the encoder registered for {_type_name(obj)} returned {type(as_dict).__name__}, not a dict"
                )
            return _enc(as_dict, path, active)
        finally:
            active.discard(id(obj))
    raise _cannot(obj, path)


def _registered_encoder(obj: Any) -> Any:
    registry = sys.modules.get("perqueue_lab.utils.serial_utils")  # only if someone registered
    return registry.encoder_for(obj) if registry is not None else None


def _enc_container(obj: Any, path: str, active: set[int]) -> Any:
    key = id(obj)
    if key in active:
        raise ValueError(f"circular reference at {path}")
    active.add(key)
    try:
        if isinstance(obj, dict):
            out: dict[str, Any] = {}
            for k, v in obj.items():
                if type(k) is not str:
                    if isinstance(k, str):
                        k = str.__str__(k)
                    elif isinstance(k, int) and not isinstance(k, bool) or _is_numpy_int(k):
                        k = str(int(k))
                        if k in obj or k in out:
                            raise ValueError(f"key {k} at {path} is there both as an int and as a string")
                    else:
                        raise TypeError(
                            f"cannot encode a dict key of type {_type_name(k)} at {path}: "
                            "keys must be strings (int keys are turned into strings)"
                        )
                out[k] = _enc(v, _key_path(path, k), active)
            if TAG in out:
                return {TAG: "dict", "items": [[k, v] for k, v in out.items()]}
            return out
        if isinstance(obj, list):
            return [_enc(v, f"{path}[{i}]", active) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {TAG: "tuple", "items": [_enc(v, f"{path}[{i}]", active) for i, v in enumerate(obj)]}
        # set / frozenset
        items = [_enc(v, f"{path}{{{i}}}", active) for i, v in enumerate(obj)]
        return {TAG: "set", "items": sort_set_items(items)}
    finally:
        active.discard(key)


def _is_numpy_int(k: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(k, np.integer)


def sort_set_items(items: list[Any]) -> list[Any]:
    """The order set items are written in; the same rule as ``sortSetItems`` in core/codec.ts."""

    def is_num(x: Any) -> bool:
        return type(x) in (int, float)

    if all(is_num(x) for x in items):
        return sorted(items)
    if all(type(x) is str for x in items):
        return sorted(items)
    return sorted(items, key=lambda x: _compact(x))


def _enc_numpy_scalar(np: Any, obj: Any, path: str) -> Any:
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        if obj.dtype.itemsize > 8:
            raise _cannot(obj, path, ": a Python float would lose its precision")
        return _float(float(obj))
    if isinstance(obj, np.complexfloating):
        if obj.dtype.itemsize > 16:
            raise _cannot(obj, path, ": a Python complex would lose its precision")
        c = complex(obj)
        return {TAG: "complex", "real": _float(c.real), "imag": _float(c.imag)}
    if isinstance(obj, np.str_):
        return str(obj)
    if isinstance(obj, np.bytes_):
        return {TAG: "bytes", "data": base64.b64encode(bytes(obj)).decode("ascii")}
    raise _cannot(obj, path)


def _enc_array(np: Any, a: Any, path: str) -> Any:
    if isinstance(a, np.ma.MaskedArray):
        raise _cannot(a, path, ": the mask would be lost; use .filled() or send data and mask apart")
    wire = _BY_NAME.get(a.dtype.name) if a.dtype.fields is None else None
    if wire is None:
        raise TypeError(
            f"cannot encode an ndarray of dtype {a.dtype} at {path}: supported dtypes are {', '.join(_BY_NAME)}"
        )
    le = np.ascontiguousarray(a, dtype=np.dtype(wire))
    return {
        TAG: "ndarray",
        "dtype": wire,
        "shape": [int(n) for n in a.shape],
        "data": base64.b64encode(le.tobytes(order="C")).decode("ascii"),
    }


# --------------------------------------------------------------------------------------------
# decode


def decode(obj: Any, root: str = "data") -> Any:
    """The inverse of :func:`encode`. Raises ValueError, naming the path, on a malformed tag."""
    return _dec(obj, root, False)


def _dec(x: Any, path: str, in_set: bool) -> Any:
    t = type(x)
    if t is list:
        return [_dec(v, f"{path}[{i}]", False) for i, v in enumerate(x)]
    if t is not dict:
        return x
    if TAG not in x:
        out = {k: _dec(v, _key_path(path, k), False) for k, v in x.items()}
        registry = sys.modules.get("perqueue_lab.utils.serial_utils")
        if registry is not None and "__type__" in out:
            fn = registry.decoder_for(out)
            if fn is not None:
                return fn(out)
        return out
    tag = x[TAG]

    def bad(why: str) -> ValueError:
        return ValueError(f"bad {json.dumps(tag)} value at {path}: {why}")

    def field(name: str, kind: type, what: str) -> Any:
        v = x.get(name)
        if type(v) is not kind:
            raise bad(f"{name!r} must be {what}")
        return v

    if tag == "ndarray":
        return _dec_array(x, bad)
    if tag == "float":
        if type(x.get("value")) in (int, float):
            return float(x["value"])  # an integral float (see _float_value)
        v = field("value", str, "a string")
        if v not in ("nan", "inf", "-inf", "-0.0"):
            raise bad(f'value must be "nan", "inf", "-inf", "-0.0" or a number, got {v!r}')
        return float(v)
    if tag == "complex":
        parts = []
        for name in ("real", "imag"):
            v = _dec(x.get(name), f"{path}.{name}", False)
            if type(v) not in (int, float):
                raise bad(f"{name!r} must be a number")
            parts.append(v)
        return complex(*parts)
    if tag == "bytes":
        return _b64decode(field("data", str, "a base64 string"), bad)
    if tag == "tuple":
        # Inside a set, a tuple's sets must be frozensets too for the tuple to be hashable.
        return tuple(_dec(v, f"{path}[{i}]", in_set) for i, v in enumerate(field("items", list, "a list")))
    if tag == "set":
        items = [_dec(v, f"{path}{{{i}}}", True) for i, v in enumerate(field("items", list, "a list"))]
        try:
            return frozenset(items) if in_set else set(items)
        except TypeError as e:
            raise bad(f"an item cannot be in a set ({e})") from None
    if tag == "datetime":
        return _dec_datetime(field("iso", str, "an ISO 8601 string"), bad)
    if tag == "path":
        return pathlib.Path(field("path", str, "a string"))
    if tag == "dict":
        out = {}
        for i, kv in enumerate(field("items", list, "a list of [key, value] pairs")):
            if type(kv) is not list or len(kv) != 2 or type(kv[0]) is not str:
                raise bad(f"items[{i}] must be a [string, value] pair")
            out[kv[0]] = _dec(kv[1], _key_path(path, kv[0]), False)
        return out
    raise bad("unknown tag")


def _b64decode(text: str, bad: Any) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as e:
        raise bad(f"bad base64 ({e})") from None


def _dec_datetime(iso: str, bad: Any) -> Any:
    # JavaScript's Date.toISOString() ends in Z, which fromisoformat reads only from Python 3.11.
    text = iso[:-1] + "+00:00" if iso.endswith("Z") else iso
    try:
        if "T" in text:
            return _dt.datetime.fromisoformat(text)
        return _dt.date.fromisoformat(text)
    except ValueError as e:
        raise bad(str(e)) from None


def _dec_array(x: dict[str, Any], bad: Any) -> Any:
    wire = x.get("dtype")
    if wire not in DTYPES:
        raise bad(f"unsupported dtype {wire!r}; expected one of {' '.join(DTYPES)}")
    shape = x.get("shape")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise bad("shape must be a list of whole numbers >= 0")
    data = x.get("data")
    if type(data) is not str:
        raise bad("'data' must be a base64 string")
    raw = _b64decode(data, bad)
    import numpy as np  # only here: plain JSON never needs numpy

    dtype = np.dtype(wire)
    size = math.prod(shape)
    if len(raw) != size * dtype.itemsize:
        raise bad(f"shape {shape} of {dtype.name} needs {size * dtype.itemsize} bytes, got {len(raw)}")
    # frombuffer over bytes is read-only; a task may want to change what it was given.
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


# --------------------------------------------------------------------------------------------
# text


def _compact(jsonable: Any) -> str:
    return json.dumps(jsonable, separators=(",", ":"), allow_nan=False)


def dumps(obj: Any, *, indent: int | None = None, root: str = "data") -> str:
    """Encode and write JSON text: compact (or indented), ASCII only, no NaN literals.

    core/codec.ts ``encodeJson`` writes the same text for the same value.
    """
    enc = encode(obj, root)
    if indent is None:
        return _compact(enc)
    return json.dumps(enc, indent=indent, allow_nan=False)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; non-finite floats are written as {{{TAG!r}: 'float', ...}}")


def loads(text: str | bytes, *, root: str = "data") -> Any:
    """Parse JSON text and decode it. Refuses NaN/Infinity literals, which are not JSON."""
    return decode(json.loads(text, parse_constant=_no_constant), root)
