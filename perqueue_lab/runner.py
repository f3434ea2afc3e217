"""The Python task runner: ``python -m perqueue_lab.runner <run folder>`` (docs/contracts.md §2-3, §6).

It reads ``input.json``, runs the script's ``main(**kwargs)`` the way PerQueue does (loaded with
``runpy.run_path``, every argument by keyword) and writes ``result.json`` atomically. A task
whose code is a notebook (``.ipynb``) is executed headless in a fresh Python kernel instead:
its inputs arrive in an injected parameters cell and its variables ``result`` / ``ok`` are its
output (see ``perqueue_lab.notebook_runner``). It never talks to the database or the bridge:
the job script records the exit code and the bridge reads the run folder, so a job on a compute
node needs nothing but this module and the codec (and nbclient/ipykernel for notebooks).
Only the standard library is imported up front; the codec (which may import NumPy) is loaded
when there is something to decode or encode.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perqueue_lab import alias
from perqueue_lab.constants import INDEX_KW, ITER_KW, PARENTS_KW

__all__ = ["run", "main", "OutputTooLargeError", "DEFAULT_MAX_OUTPUT_BYTES"]

DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024
HEADER_VALUE_CHARS = 2000


class OutputTooLargeError(ValueError):
    """main() returned more than PQ_MAX_OUTPUT_BYTES: big results belong in files."""


class BadReturnError(TypeError):
    """main() returned something other than (ok, dict), (ok, None) or a dict."""


def _codec() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """(encode, decode) of the extended JSON codec; plain JSON when the codec is not installed."""
    try:
        from perqueue_lab import codec
    except ModuleNotFoundError as e:
        if e.name != "perqueue_lab.codec":
            raise
        return (lambda x: x), (lambda x: x)
    return codec.encode, codec.decode


def _max_output_bytes() -> int:
    text = os.environ.get("PQ_MAX_OUTPUT_BYTES", "").strip()
    if not text:
        return DEFAULT_MAX_OUTPUT_BYTES
    try:
        return int(text)
    except ValueError:
        print(f"perqueue_lab.runner: ignoring PQ_MAX_OUTPUT_BYTES={text!r} (not a number)", file=sys.stderr)
        return DEFAULT_MAX_OUTPUT_BYTES


def write_atomic(path: Path, text: str) -> None:
    """Write, then rename: a reader sees the old file or the whole new one. No fsync: the job's
    marker, written after this, is what tells a reader the result is there."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= HEADER_VALUE_CHARS else text[:HEADER_VALUE_CHARS] + f"... ({len(text)} chars)"


def _print_header(entry_id: object, code: str, kwargs: dict[str, Any]) -> None:
    """PerQueue's run header, so logs read the same in both tools."""
    pq_args = {k: v for k, v in kwargs.items() if k in (INDEX_KW, ITER_KW)}
    user_args = {k: v for k, v in kwargs.items() if k not in pq_args}
    header = (
        f"Perqueue key:   {entry_id}\n"
        f"Code:           {code}\n"
        f"User Arguments: {_short(user_args)}\n"
        f"PQ Arguments:   {_short(pq_args)}\n" + "-" * 78 + "\n"
    )
    print(header, flush=True)  # one write


def _load_main(code: str, name: str = "main") -> Callable[..., Any]:
    """The function ``name`` (PerQueue's ``func``, ``main`` by default) of the script ``code``."""
    from runpy import run_path

    # Like `python script.py`: modules next to the script can be imported.
    sys.path.insert(0, str(Path(code).parent))
    sys.argv = [code]
    namespace = run_path(code)
    func: object = namespace.get(name)
    if func is None:
        defined = sorted(
            k for k, v in namespace.items() if callable(v) and getattr(v, "__module__", None) == "<run_path>"
        )
        raise LookupError(
            f"{code} has no function {name}(): define {name}(**kwargs) returning (ok, dict)"
            f" (functions it defines: {', '.join(defined) or 'none'})"
        )
    if not callable(func):
        raise LookupError(f"{code}: {name} is a {type(func).__name__}, not a function")
    return func


def _wants_parents(func: Callable[..., Any]) -> bool:
    """Only a main() that names ``pq_parents`` gets it: PerQueue scripts without **kwargs stay valid."""
    import inspect

    try:
        return PARENTS_KW in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _element_types(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return f", got ({', '.join(type(x).__name__ for x in value)})"
    return ""


def interpret(returned: object) -> tuple[bool, dict[str, Any]]:
    """(ok, data) from what main() returned: (ok, dict), (ok, None) or a bare dict."""
    if isinstance(returned, dict):
        return True, returned
    if isinstance(returned, (tuple, list)) and len(returned) == 2:
        ok, data = returned
        if data is None:
            data = {}
        if isinstance(data, dict):
            return bool(ok), data
    raise BadReturnError(
        f"main() returned {type(returned).__name__}: expected (ok, dict) or dict{_element_types(returned)}"
    )


def check_output_size(text: str, what: str = "the output of main()") -> None:
    """Refuse an output over PQ_MAX_OUTPUT_BYTES with a message naming its size."""
    size, limit = len(text.encode("utf-8")), _max_output_bytes()
    if size > limit:
        raise OutputTooLargeError(
            f"{what} is {size} bytes, over the limit of {limit} bytes "
            "(PQ_MAX_OUTPUT_BYTES): write large results to files and return their paths"
        )


def _with_entry_keys(kwargs: dict[str, Any], joined: dict[str, list[int]]) -> dict[str, Any]:
    """A value gathered from several parents is a dict keyed by their entry ids: integers and in
    PerQueue's order, as PerQueue passes it (JSON carries the keys as strings, sorted)."""
    for key, ids in joined.items():
        value = kwargs.get(key)
        if isinstance(value, dict) and len(value) == len(ids) and all(str(i) in value for i in ids):
            kwargs[key] = {int(i): value[str(i)] for i in ids}
    return kwargs


def run(run_dir: Path) -> dict[str, Any]:
    """Run the entry in ``run_dir`` and return the result record (also written to result.json)."""
    inp = json.loads((run_dir / "input.json").read_text(encoding="utf-8"))
    encode, decode = _codec()
    code = str(inp["code"])
    kwargs = _with_entry_keys(decode(inp.get("kwargs") or {}), inp.get("joined") or {})
    _print_header(inp.get("entryId"), code, kwargs)
    if code.endswith(".ipynb"):
        from perqueue_lab.notebook_runner import run_notebook

        # Helpers are passed in: this module may be running as __main__, not under its own name.
        return run_notebook(run_dir, code, kwargs, inp.get("entryId"), write=write_atomic, check_size=check_output_size)
    func = _load_main(code, str(inp.get("func") or "main"))
    if _wants_parents(func):
        parents = inp.get("pqParents") or []
        kwargs[PARENTS_KW] = [{**p, "data": decode(p.get("data") or {})} for p in parents]
    ok, data = interpret(func(**kwargs))
    text = json.dumps({"ok": ok, "data": encode(data)}, allow_nan=False)
    check_output_size(text)
    write_atomic(run_dir / "result.json", text)
    return {"ok": ok}


def _error_record(e: BaseException) -> dict[str, Any]:
    described = getattr(e, "pq_error", None)  # a failure already told as PerQueue stores it
    if isinstance(described, dict):
        return {"error": described}
    if isinstance(e, BadReturnError):
        # The user's mistake is the value, not a line of the runner: report a plain TypeError.
        return {"error": {"type": "TypeError", "repr": repr(TypeError(*e.args)), "traceback": ""}}
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return {"error": {"type": type(e).__name__, "repr": repr(e), "traceback": tb}}


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 after a result, 1 after an error)."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m perqueue_lab.runner <run folder>", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    # Task scripts written for PerQueue import `perqueue`: answer with this package unless a
    # real perqueue is installed (perqueue_lab.alias).
    alias.install()
    try:
        run(run_dir)
        return 0
    except BaseException as e:  # noqa: BLE001 - every failure of a task must reach result.json
        record = _error_record(e)
        if getattr(e, "pq_error", None):
            print(record["error"]["repr"], record["error"].get("traceback", ""), sep="\n", file=sys.stderr)
        else:
            traceback.print_exception(type(e), e, e.__traceback__)
        try:
            write_atomic(run_dir / "result.json", json.dumps(record))
        except OSError as w:
            print(f"perqueue_lab.runner: could not write result.json: {w}", file=sys.stderr)
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    # Run by a job script: this process keeps and, at the end, ends what the task started.
    from perqueue_lab import leftovers

    leftovers.guard()
    _code = main()
    leftovers.end()
    sys.exit(_code)
