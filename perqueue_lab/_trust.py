"""Whether a project, and the bridge found in it, belong to the user running this code.

A project's daemon runs its queued tasks as whoever starts it, so a ``.perqueue/`` that another
user made (or can write to, in a shared folder) is refused, as git refuses a repository owned by
someone else; ``PQ_SAFE_DIRECTORY`` (folders separated by ``:``, or ``*``) overrides that, like
git's ``safe.directory``. The bridge itself is reached over its Unix socket, after checking the
socket file is this user's: only the daemon this user started can have made it. The same rules
are in ``kernel-bridge/project.ts`` for the CLI.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

from perqueue_lab._bridge import BridgeError

__all__ = [
    "SAFE_DIRECTORY_ENV",
    "UnsafeProject",
    "bridge_socket",
    "check_project",
    "foreign_owner",
    "project_problem",
    "unix_request",
]

STATE_DIR = ".perqueue"
SAFE_DIRECTORY_ENV = "PQ_SAFE_DIRECTORY"


class UnsafeProject(BridgeError):
    """A project or bridge file that must not be used; the message says why and how to override."""


def _user(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def _trusted_by_override(root: Path) -> bool:
    listed = [p for p in os.environ.get(SAFE_DIRECTORY_ENV, "").split(":") if p]
    return any(p == "*" or Path(p).expanduser().resolve() == root for p in listed)


def project_problem(root: str | os.PathLike[str]) -> str | None:
    """Why the project in ``root`` must not be used, or None (also when it has no ``.perqueue/`` yet)."""
    if not hasattr(os, "getuid"):
        return None  # no owners to compare (Windows)
    root = Path(root).resolve()
    state = root / STATE_DIR
    try:
        link = os.lstat(state)
    except OSError:
        return None
    if _trusted_by_override(root):
        return None
    uid = os.getuid()
    override = f"If you trust it, set {SAFE_DIRECTORY_ENV}={root} (folders separated by ':', or '*' for all)."
    if stat.S_ISLNK(link.st_mode) and link.st_uid not in (uid, 0):
        return f"refusing the project in {root}: {state} is a symbolic link made by {_user(link.st_uid)}, not by you. {override}"
    try:
        st = os.stat(state)
    except OSError as e:
        return f"refusing the project in {root}: {state} cannot be read ({e.strerror})"
    if not stat.S_ISDIR(st.st_mode):
        return f"refusing the project in {root}: {state} is not a folder"
    if st.st_uid != uid:
        return (
            f"refusing the project in {root}: {state} belongs to {_user(st.st_uid)}, not to you ({_user(uid)}); "
            f"its daemon would run that user's queued tasks as you. {override}"
        )
    if st.st_mode & 0o022:
        who = "every user" if st.st_mode & 0o002 else "its group"
        return (
            f"refusing the project in {root}: {state} is writable by {who} (mode {st.st_mode & 0o777:o}), so "
            f"someone else could change what runs as you. Make it private with 'chmod 700 {state}'. {override}"
        )
    return None


def check_project(root: str | os.PathLike[str]) -> None:
    """Raise UnsafeProject when the project in ``root`` is not this user's own."""
    problem = project_problem(root)
    if problem:
        raise UnsafeProject(problem)


def foreign_owner(path: Path, kind: str) -> str | None:
    """Why ``path`` (a ``socket`` or a ``file``) is not this user's own, or None (also when missing)."""
    if not hasattr(os, "getuid"):
        return None
    try:
        st = os.lstat(path)
    except OSError:
        return None
    is_kind = stat.S_ISSOCK(st.st_mode) if kind == "socket" else stat.S_ISREG(st.st_mode)
    if not is_kind:
        return f"{path} is not a {kind}: it is not this project's bridge"
    if st.st_uid != os.getuid():
        return f"{path} belongs to {_user(st.st_uid)}, not to you: it is not your bridge"
    if kind == "file" and st.st_mode & 0o022:
        return f"{path} is writable by other users: it is not used"
    return None


def bridge_socket(root: str | os.PathLike[str]) -> Path:
    return Path(root).resolve() / STATE_DIR / "bridge.sock"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("bridge", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def unix_request(sock_path: Path, method: str, path: str, body: Any = None, timeout: float = 60.0) -> tuple[int, Any]:
    """One HTTP request over the bridge's Unix socket, after checking the socket is this user's.

    Raises UnsafeProject for a socket of another owner, OSError when nothing listens.
    """
    problem = foreign_owner(sock_path, "socket")
    if problem:
        raise UnsafeProject(problem)
    client = _UnixConnection(str(sock_path), timeout)
    try:
        payload = None if body is None else json.dumps(body, allow_nan=False).encode("utf-8")
        headers = {"Accept": "application/json", "Host": "bridge"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        client.request(method, path, body=payload, headers=headers)
        response = client.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        client.close()
    try:
        value = json.loads(text) if text else None
    except ValueError:
        value = text
    return response.status, value
