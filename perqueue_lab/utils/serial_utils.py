"""PerQueue's JSON encoder registry (``perqueue.utils.serial_utils``).

``register_json_encoder(MyType, fn)`` teaches the queue to store values of ``MyType`` that a
task returns or is given as args: ``fn(value)`` must return a JSON-able dict, conventionally
with a ``"__type__"`` key naming it. ``register_json_decoder("name", fn)`` turns such a dict
back into the object wherever this process reads stored data (``get_data``, a task's inputs).
The extended codec (:mod:`perqueue_lab.codec`) consults this registry for the types it does
not know itself; its own tags (NumPy arrays, complex numbers, ...) take precedence.

As in PerQueue, a task's inputs are decoded before its script is loaded, so decoders that a
task needs for its inputs must be registered by a module imported before (``sitecustomize``,
or a ``.pth`` file); a script may register encoders for what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from json import JSONEncoder, dumps, loads
from typing import Any, TypeVar

__all__ = [
    "register_json_encoder",
    "register_json_decoder",
    "ExpandedJSONEncoder",
    "expanded_decoder",
    "bytein",
    "byteout",
    "encoder_for",
    "decoder_for",
]

T = TypeVar("T")

_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {}
_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {}


def register_json_encoder(object_type: type[T], encoder_func: Callable[[T], dict[str, Any]]) -> None:
    """Store values of ``object_type`` as the dict ``encoder_func`` returns."""
    if not isinstance(object_type, type):
        raise TypeError(f"register_json_encoder needs a type, got {object_type!r}")
    if not callable(encoder_func):
        raise TypeError(f"register_json_encoder needs a function, got {encoder_func!r}")
    _ENCODERS[object_type] = encoder_func


def register_json_decoder(object_name: str, decoder_func: Callable[[dict[str, Any]], Any]) -> None:
    """Turn stored dicts whose ``"__type__"`` is ``object_name`` back into objects."""
    if not isinstance(object_name, str):
        raise TypeError(f"register_json_decoder needs the __type__ name as a string, got {object_name!r}")
    if not callable(decoder_func):
        raise TypeError(f"register_json_decoder needs a function, got {decoder_func!r}")
    _DECODERS[object_name] = decoder_func


def encoder_for(obj: Any) -> Callable[[Any], dict[str, Any]] | None:
    """The encoder registered for the exact type of ``obj`` (PerQueue looks types up exactly)."""
    return _ENCODERS.get(type(obj))


def decoder_for(json_dict: dict[str, Any]) -> Callable[[dict[str, Any]], Any] | None:
    name = json_dict.get("__type__")
    return _DECODERS.get(name) if isinstance(name, str) else None


class ExpandedJSONEncoder(JSONEncoder):
    """A ``json`` encoder that knows the registered types."""

    def default(self, o: Any) -> Any:
        fn = encoder_for(o)
        if fn is not None:
            return fn(o)
        return super().default(o)


def expanded_decoder(json_dict: dict[str, Any]) -> Any:
    """An ``object_hook`` for ``json.loads`` that knows the registered ``__type__`` names."""
    fn = decoder_for(json_dict)
    return fn(json_dict) if fn is not None else json_dict


def bytein(obj: list[Any] | dict[str, Any]) -> bytes:
    """JSON bytes of a list or dict, with the registered encoders."""
    return dumps(obj, cls=ExpandedJSONEncoder).encode("utf-8")


def byteout(b: bytes) -> list[Any] | dict[str, Any]:
    """The list or dict of JSON bytes, with the registered decoders."""
    value: list[Any] | dict[str, Any] = loads(b.decode("utf-8"), object_hook=expanded_decoder)
    return value
