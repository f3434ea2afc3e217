"""Running a notebook task headless (docs/contracts.md section 6), for ``perqueue_lab.runner``.

The notebook is executed with nbclient in a fresh kernel of this Python (the environment
that runs the task), in the notebook's own folder, as it ran when someone wrote it in
JupyterLab. Its inputs arrive in an injected parameters cell; a helper cell appended after
the last one hands the variables ``result`` (default: no result, ``{}``) and ``ok`` (default
True) to the runner and is removed again from the saved copy, ``<run folder>/output.ipynb``,
which is written whether the notebook succeeded or not.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perqueue_lab.notebooks import INJECTED_TAG, inject_parameters

if TYPE_CHECKING:  # imported where used: a Python task never loads jupyter_client
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

__all__ = ["run_notebook", "KERNEL_ENV", "TaskError"]

#: Name of an installed kernelspec to run notebooks with instead of this Python's own kernel.
KERNEL_ENV = "PQ_NOTEBOOK_KERNEL"
HELPER_TAG = "pq-result"
RESULT_FILE = ".notebook-result.json"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class TaskError(Exception):
    """A failure described as PerQueue stores it; the runner writes ``pq_error`` to result.json."""

    def __init__(self, type_name: str, text: str, tb: str = "") -> None:
        super().__init__(text)
        self.pq_error = {"type": type_name, "repr": text, "traceback": tb}


#: Run by the kernel before the first cell, outside the notebook: a notebook written for
#: PerQueue imports `perqueue` (perqueue_lab.alias). A kernel without perqueue_lab goes on
#: without it, as it would without the alias.
ALIAS_EXEC_LINE = (
    "--IPKernelApp.exec_lines=try:\n import perqueue_lab.alias as _a; _a.install(); del _a\nexcept ImportError:\n pass"
)


def _helper_source(path: Path) -> str:
    return (
        "from perqueue_lab.notebooks import save_result as __pq_save_result\n"
        f"__pq_save_result(globals(), {str(path)!r})\n"
        "del __pq_save_result\n"
    )


def _own_python_spec_manager() -> KernelSpecManager:
    """A kernelspec manager whose ``python3`` is ipykernel on this very interpreter."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class OwnPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {sys.version_info.major}",
                language="python",
                resource_dir="",
                metadata={},
            )

    return OwnPython()


def _kernel_manager() -> AsyncKernelManager:
    from jupyter_client.manager import AsyncKernelManager

    named = os.environ.get(KERNEL_ENV, "").strip()
    if named:
        return AsyncKernelManager(kernel_name=named)
    try:
        import ipykernel  # noqa: F401 - only to say what is missing before a kernel fails to start
    except ImportError as e:
        raise TaskError(
            "ModuleNotFoundError",
            f"notebook tasks need ipykernel in the task's Python ({sys.executable}): pip install ipykernel",
        ) from e
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=_own_python_spec_manager())


def _tags(cell: dict[str, Any]) -> list[str]:
    return list((cell.get("metadata") or {}).get("tags") or [])


def _first_line(cell: dict[str, Any]) -> str:
    source = cell.get("source") or ""
    text = "".join(source) if isinstance(source, list) else str(source)
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 60 else line[:57] + "..."
    return ""


def _failed_cell(nb: Any) -> tuple[int, dict[str, Any], dict[str, Any]] | None:
    """(index, cell, error output) of the first cell that holds an error output."""
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs") or []:
            if output.get("output_type") == "error":
                return i, cell, output
    return None


def _position(nb: Any, index: int) -> int:
    """1-based position of cell ``index`` among the notebook's own cells (as its author sees them)."""
    own = 0
    for cell in nb.cells[: index + 1]:
        if INJECTED_TAG in _tags(cell) or HELPER_TAG in _tags(cell):
            continue
        own += 1
    return own


def _cell_error(nb: Any, notebook_name: str, error: BaseException) -> TaskError:
    """The failure of a cell as PerQueue stores it: ``Type('value') in cell N of name.ipynb``."""
    found = _failed_cell(nb)
    ename = getattr(error, "ename", None) or type(error).__name__
    evalue = getattr(error, "evalue", None) or str(error)
    tb = _ANSI.sub("", getattr(error, "traceback", "") or "")
    if found is None:
        return TaskError(ename, f"{ename}({evalue!r}) while running {notebook_name}", tb)
    index, cell, output = found
    ename = output.get("ename") or ename
    evalue = output.get("evalue", evalue)
    tb = _ANSI.sub("", "\n".join(output.get("traceback") or [])) or tb
    tags = _tags(cell)
    if INJECTED_TAG in tags:
        where = f"the injected parameters cell of {notebook_name}"
    elif HELPER_TAG in tags:
        where = f"the result cell appended to {notebook_name} (is perqueue_lab installed in the kernel's Python?)"
    else:
        first = _first_line(cell)
        where = f"cell {_position(nb, index)} of {notebook_name}" + (f" (`{first}`)" if first else "")
    return TaskError(ename, f"{ename}({evalue!r}) in {where}", tb)


def _echo_outputs(cell: dict[str, Any]) -> None:
    """Copy a cell's printed text to the job's stdout/stderr, so ``pql logs`` shows it."""
    for output in cell.get("outputs") or []:
        if output.get("output_type") == "stream":
            text = output.get("text") or ""
            stream = sys.stderr if output.get("name") == "stderr" else sys.stdout
            stream.write("".join(text) if isinstance(text, list) else text)
    sys.stdout.flush()
    sys.stderr.flush()


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def run_notebook(
    run_dir: Path,
    code: str,
    kwargs: dict[str, Any],
    entry_id: Any,
    *,
    write: Callable[[Path, str], None],
    check_size: Callable[[str, str], None],
) -> dict[str, Any]:
    """Execute notebook ``code`` for the entry in ``run_dir``; writes result.json and output.ipynb.

    ``write`` writes a file atomically and ``check_size`` refuses an oversized output (the
    runner's own functions).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(code)
    nb = nbformat.read(str(path), as_version=4)
    inject_parameters(nb, kwargs, entry_id)
    result_path = run_dir / RESULT_FILE
    if result_path.exists():
        result_path.unlink()
    helper = nbformat.v4.new_code_cell(_helper_source(result_path), metadata={"tags": [HELPER_TAG]})
    nb.cells.append(helper)
    nb = nbformat.from_dict(nb)

    # A job stopped at its time limit gets SIGTERM: stop the kernel on the way out.
    previous = signal.signal(signal.SIGTERM, _terminate)
    client = NotebookClient(
        nb,
        km=_kernel_manager(),
        timeout=None,
        startup_timeout=120,
        # Headless: the kernel's start-up warnings would only crowd the error tail of the log.
        extra_arguments=["--IPKernelApp.log_level=ERROR", ALIAS_EXEC_LINE],
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=lambda cell, cell_index, execute_reply: _echo_outputs(cell),
    )
    try:
        client.execute()
    except CellExecutionError as e:
        raise _cell_error(nb, path.name, e) from None
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as e:  # the kernel died or could not start
        if type(e).__name__ == "NoSuchKernel":
            raise TaskError(
                "NoSuchKernel",
                f"no Jupyter kernel named {os.environ.get(KERNEL_ENV)!r} ({KERNEL_ENV}): see `jupyter kernelspec list`",
            ) from None
        raise TaskError(type(e).__name__, f"{type(e).__name__}({str(e)!r}) while running {path.name}") from e
    finally:
        signal.signal(signal.SIGTERM, previous)
        nb.cells = [c for c in nb.cells if HELPER_TAG not in _tags(c)]
        try:
            nbformat.write(nb, str(run_dir / "output.ipynb.tmp"))
            os.replace(run_dir / "output.ipynb.tmp", run_dir / "output.ipynb")
        except (OSError, ValueError) as w:
            print(f"perqueue_lab.runner: could not save output.ipynb: {w}", file=sys.stderr)
    return _finish(run_dir, result_path, path.name, write, check_size)


def _finish(
    run_dir: Path,
    result_path: Path,
    notebook_name: str,
    write: Callable[[Path, str], None],
    check_size: Callable[[str, str], None],
) -> dict[str, Any]:
    try:
        record = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TaskError(
            "RuntimeError", f"RuntimeError('{notebook_name} ran but its result could not be read: {e}')"
        ) from None
    finally:
        if result_path.exists():
            result_path.unlink()
    if "problem" in record:
        kind = str(record.get("type") or "TypeError")
        raise TaskError(kind, f"{kind}({record['problem']!r})")
    text = json.dumps({"ok": bool(record.get("ok", True)), "data": record.get("data") or {}}, allow_nan=False)
    check_size(text, f"the `result` of {notebook_name}")
    write(run_dir / "result.json", text)
    return {"ok": bool(record.get("ok", True))}
