"""Finding, starting and talking to a project's bridge: the one place every Python client uses.

The bridge is one Node daemon per project folder, listening on ``<project>/.perqueue/bridge.sock``
(a Unix socket, mode 0600, in the owner's 0700 folder). It is started with
``node pql.mjs daemon start --project DIR`` (idempotent: a running bridge is kept) and spoken to
over that socket only, after checking the project and the socket file are this user's (see
``perqueue_lab._trust``). ``SyncBridgeClient`` makes blocking requests (the kernel API); the
Jupyter server's asynchronous connector (``perqueue_lab.server.bridge``) uses the same project
rules, start command, version reading and submitter context from here.
"""

from __future__ import annotations

import http.client
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perqueue_lab import _bridge
from perqueue_lab._bridge import BridgeError
from perqueue_lab._trust import STATE_DIR, UnsafeProject, bridge_socket, check_project, unix_request

__all__ = [
    "BridgeVersion",
    "SyncBridgeClient",
    "daemon_start_args",
    "find_project",
    "project_folder",
    "read_version",
    "submitter_context",
]

CONNECTION_FILE = "bridge.json"
REQUEST_TIMEOUT = 60.0
START_TIMEOUT = 30.0


def find_project(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current one) holding ``.perqueue/``."""
    folder = Path(start if start is not None else Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / STATE_DIR).is_dir():
            return candidate
    return None


def project_folder(project: str | os.PathLike[str] | None) -> Path:
    """``project`` when given, else ``PQ_PROJECT``, else the nearest project, else the current folder."""
    if project is not None:
        return Path(project).expanduser().resolve()
    explicit = os.environ.get("PQ_PROJECT")
    if explicit:
        return Path(explicit).expanduser().resolve()
    return find_project() or Path.cwd().resolve()


def daemon_start_args(project: Path) -> list[str]:
    """The ``pql`` arguments that start (or keep) the bridge of ``project``."""
    return ["daemon", "start", "--project", str(project)]


def bridge_log(project: Path) -> Path:
    return project / STATE_DIR / "bridge.log"


@dataclass(frozen=True)
class BridgeVersion:
    """The daemon that answered on the project's socket: its pid and versions."""

    pid: int
    version: str
    api_version: int


def read_version(status: int, value: Any) -> BridgeVersion | None:
    """The answer to ``GET /api/version`` as a BridgeVersion, or None when it is not one."""
    if status != 200 or not isinstance(value, dict):
        return None
    try:
        return BridgeVersion(int(value["pid"]), str(value.get("version", "")), int(value.get("apiVersion", 0)))
    except (KeyError, TypeError, ValueError):
        return None


def submitter_context() -> dict[str, Any]:
    """What a submission from this process carries so its tasks run as a ``pql submit`` here
    would: this environment, folder, interpreter and virtual environment."""
    context: dict[str, Any] = {"environment": dict(os.environ), "cwd": os.getcwd()}
    python = os.environ.get("PQ_PYTHON") or sys.executable
    if python:
        context["python"] = python
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        context["virtualEnv"] = venv
    return context


class SyncBridgeClient:
    """Blocking requests to one project's bridge, started when needed; holds no socket between calls."""

    def __init__(self, project: str | os.PathLike[str]) -> None:
        self.project = Path(project).resolve()
        self.connection_file = self.project / STATE_DIR / CONNECTION_FILE
        self.socket = bridge_socket(self.project)
        self._conn: BridgeVersion | None = None

    def _answering(self) -> BridgeVersion | None:
        """The daemon answering on this project's socket (checked to be this user's), or None."""
        try:
            status, value = self._http("GET", "/api/version", None, timeout=5)
        except UnsafeProject:
            raise
        except OSError:
            return None
        return read_version(status, value)

    def _ensure(self, start: bool = True) -> BridgeVersion:
        check_project(self.project)
        conn = self._answering()
        if conn is not None:
            self._conn = conn
            return conn
        if not start:
            raise BridgeError(
                f"no bridge is running for {self.project}: run `pql daemon start --project {self.project}`"
            )
        _bridge.run_cli(daemon_start_args(self.project), cwd=self.project)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            conn = self._answering()
            if conn is not None:
                self._conn = conn
                return conn
            if time.monotonic() > deadline:
                raise BridgeError(
                    f"the bridge for {self.project} started but does not answer on {self.socket}; "
                    f"see {bridge_log(self.project)}"
                )
            time.sleep(0.05)

    def _http(self, method: str, path: str, body: Any, timeout: float) -> tuple[int, Any]:
        return unix_request(self.socket, method, path, body, timeout)

    def request(self, method: str, path: str, body: Any = None, *, timeout: float = REQUEST_TIMEOUT) -> Any:
        """One API call (``path`` like ``/api/workflows``); BridgeError carries the bridge's message.

        When the bridge is gone (stopped, restarted) it is found or started again once; a
        request that never reached it is then sent again.
        """
        if self._conn is None:
            self._ensure()
        try:
            status, value = self._http(method, path, body, timeout)
        except (
            ConnectionRefusedError,
            FileNotFoundError,
            ConnectionResetError,
            http.client.RemoteDisconnected,
        ) as first:
            if isinstance(first, (ConnectionRefusedError, FileNotFoundError)) or method == "GET":
                self._ensure()
                status, value = self._http(method, path, body, timeout)
            else:
                raise BridgeError(
                    f"the bridge for {self.project} closed the connection during {method} {path}"
                ) from first
        except TimeoutError as e:
            raise BridgeError(
                f"the bridge for {self.project} did not answer {method} {path} within {timeout:.0f} s"
            ) from e
        if status >= 400:
            message = value.get("error") if isinstance(value, dict) else None
            error = BridgeError(str(message or value or f"HTTP {status} from {method} {path}"))
            error.status = status  # type: ignore[attr-defined]
            raise error
        return value
