"""Attacks by a second local user on the Python clients of a bridge owned by root: the kernel API
and the Jupyter server extension. Each attack must be refused, with nothing changed and nothing
sent to the attacker. The suite makes that user with ``useradd`` (so it runs as root, as the
README's test command does) and removes it afterwards; without root it skips, unless
PQ_REQUIRE_ROOT is set. The bridge's own side is tests/bridge/security.test.ts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_server_extension import Server, _needs_bridge, _stop_bridge

from perqueue_lab._bridge import BridgeError, cli_path, find_node
from perqueue_lab.kernel import UnsafeProject, connect

ATTACKER_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class OtherUser:
    def __init__(self, name: str) -> None:
        self.name = name
        self.uid = int(subprocess.check_output(["id", "-u", name], text=True))
        self.gid = int(subprocess.check_output(["id", "-g", name], text=True))

    def run(self, code: str, *args: str, cwd: str = "/") -> subprocess.CompletedProcess[str]:
        """Python code run as this user (stdlib only, its own interpreter)."""
        return subprocess.run(
            [ATTACKER_PYTHON, "-c", code, *args],
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
        )

    def start(self, code: str, *args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [ATTACKER_PYTHON, "-c", code, *args],
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            cwd="/",
            stdout=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "listening"
        return process


@pytest.fixture(scope="module")
def other_user():
    if os.geteuid() != 0:
        why = "the security suite needs root: it creates a second local user (useradd) to attack from"
        if os.environ.get("PQ_REQUIRE_ROOT"):
            pytest.fail(f"{why}, and PQ_REQUIRE_ROOT is set")
        print(f"skipping: {why}")
        pytest.skip(f"{why} (set PQ_REQUIRE_ROOT=1 to make this an error)")
    _needs_bridge()
    name = f"pqsecpy{os.getpid()}"
    subprocess.run(
        ["useradd", "--no-create-home", "--shell", "/bin/sh", "--user-group", name], check=True, capture_output=True
    )
    try:
        yield OtherUser(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture
def shared():
    """A folder both users reach, mode 1777 (like /tmp or a group's shared folder)."""
    folder = Path(tempfile.mkdtemp(prefix="pq-shared-"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def open_root():
    """A root-owned folder others may enter (0755): a Jupyter root or a project's parent."""
    folder = Path(tempfile.mkdtemp(prefix="pq-open-"))
    folder.chmod(0o755)
    yield folder
    for sub in [folder, *folder.rglob("*")]:
        if (sub / ".perqueue" / "bridge.sock").exists():
            _stop_bridge(sub)
    shutil.rmtree(folder, ignore_errors=True)


LISTEN = """
import socket, sys
port, log = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(16)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        data = c.recv(65536)
        if data:
            open(log, "ab").write(data)
    except OSError:
        pass
    c.close()
"""


def _crash_bridge(project: Path) -> int:
    """kill -9 the project's daemon, leaving its stale bridge.json; returns the port it named."""
    info = json.loads((project / ".perqueue" / "bridge.json").read_text())
    os.kill(info["pid"], signal.SIGKILL)
    while Path(f"/proc/{info['pid']}").exists() and "zombie" not in _proc_state(info["pid"]):
        time.sleep(0.02)
    return int(info["port"])


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


def _plant(other_user: OtherUser, folder: Path, listen_port: int | None = None) -> None:
    """The other user makes ``folder/.perqueue`` (and a bridge.json naming its own port)."""
    code = (
        "import json, os, sys; d = sys.argv[1] + '/.perqueue'; os.makedirs(d); os.chmod(sys.argv[1], 0o777)\n"
        "if len(sys.argv) > 2: json.dump({'pid': 1, 'port': int(sys.argv[2]), 'token': 'x', 'version': '0', 'apiVersion': 1},"
        " open(d + '/bridge.json', 'w'))"
    )
    args = [str(folder)] + ([str(listen_port)] if listen_port else [])
    done = other_user.run(code, *args)
    assert done.returncode == 0, done.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- The kernel API -------------------------------------------------------------------------


def test_kernel_api_refuses_a_project_planted_by_another_user(other_user, shared, monkeypatch):
    planted = shared / "planted"
    _plant(other_user, planted)
    inner = planted / "notebooks"
    inner.mkdir()
    monkeypatch.chdir(inner)
    monkeypatch.delenv("PQ_PROJECT", raising=False)
    monkeypatch.delenv("PQ_SAFE_DIRECTORY", raising=False)
    for attempt in (lambda: connect(), lambda: connect(planted)):
        with pytest.raises(UnsafeProject) as refused:
            attempt()
        assert f"belongs to {other_user.name}" in refused.value.message
        assert f"PQ_SAFE_DIRECTORY={planted}" in refused.value.message
    assert os.listdir(planted / ".perqueue") == [], "no daemon was started, nothing was made"


def test_kernel_api_never_talks_to_a_socket_of_another_user_even_in_a_trusted_folder(other_user, shared, monkeypatch):
    planted = shared / "trusted"
    _plant(other_user, planted)
    sock = planted / ".perqueue" / "bridge.sock"
    heard = shared / "heard-unix"
    listener = other_user.start(
        "import socket, sys\ns = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)\n"
        "print('listening', flush=True)\nwhile True:\n    c, _ = s.accept(); open(sys.argv[2], 'ab').write(c.recv(65536) or b'-'); c.close()\n",
        str(sock),
        str(heard),
    )
    try:
        monkeypatch.setenv("PQ_SAFE_DIRECTORY", str(planted))  # the user trusts the folder...
        with pytest.raises(UnsafeProject, match=f"bridge.sock belongs to {other_user.name}"):
            connect(planted, start=False)  # ...but not another user's daemon in it
        assert not heard.exists()
    finally:
        listener.kill()
        listener.wait()


def test_kernel_api_after_a_crash_sends_nothing_to_a_listener_on_the_old_port(other_user, open_root, monkeypatch):
    monkeypatch.delenv("PQ_SAFE_DIRECTORY", raising=False)
    project = open_root / "mine"
    project.mkdir()
    bridge = connect(project)
    assert bridge.workflows() == []
    port = _crash_bridge(project)
    heard = Path(tempfile.mkdtemp(prefix="pq-heard-"))
    heard.chmod(0o777)
    listener = other_user.start(LISTEN, str(port), str(heard / "log"))
    try:
        assert connect(project).workflows() == []  # a new daemon was started and answered
        assert bridge.workflows() == []  # the old handle finds it too
        assert json.loads((project / ".perqueue" / "bridge.json").read_text())["port"] != port
        assert not (heard / "log").exists(), "the listener on the old port received nothing"
    finally:
        listener.kill()
        listener.wait()
        shutil.rmtree(heard, ignore_errors=True)


# --- The Jupyter server extension ----------------------------------------------------------


def test_server_extension_does_not_list_or_start_a_project_planted_below_its_root(other_user, open_root):
    (open_root / "own").mkdir()
    subprocess.run(
        [find_node(), str(cli_path()), "init", "--project", str(open_root / "own")], check=True, capture_output=True
    )
    shared = open_root / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    attacker_port = _free_port()
    heard = shared / "heard"
    listener = other_user.start(LISTEN, str(attacker_port), str(heard))
    _plant(other_user, shared / "evil", listen_port=attacker_port)  # with a bridge.json naming the attacker's port
    # A .perqueue linked to a project outside the root is not served either.
    outside = Path(tempfile.mkdtemp(prefix="pq-outside-"))
    subprocess.run([find_node(), str(cli_path()), "init", "--project", str(outside)], check=True, capture_output=True)
    (open_root / "linked").mkdir()
    (open_root / "linked" / ".perqueue").symlink_to(outside / ".perqueue")
    srv = Server(open_root)
    try:
        status, body, _ = srv.authed("GET", "/perqueue/projects")
        assert status == 200, body
        assert [p["name"] for p in json.loads(body)] == ["", "own"]
        for name, why in [
            ("shared/evil", f"belongs to {other_user.name}"),
            ("linked", "leads outside the folder this server serves"),
        ]:
            for path in ("/perqueue/api/workflows", "/perqueue/api/version"):
                status, body, _ = srv.authed("GET", f"{path}?project={name}")
                assert status == 404, (name, body)
                assert why in json.loads(body)["message"], (name, body)
        status, body, _ = srv.authed("GET", "/perqueue/api/workflows?project=own")
        assert status == 200 and json.loads(body) == [], body
        assert sorted(os.listdir(shared / "evil" / ".perqueue")) == ["bridge.json"], "nothing started or made there"
        assert not heard.exists(), "the planted bridge.json was never followed"
        assert not (outside / ".perqueue" / "bridge.json").exists(), "no bridge started outside the root"
    finally:
        srv.stop()
        listener.kill()
        listener.wait()
        shutil.rmtree(outside, ignore_errors=True)


def test_server_extension_after_a_crash_sends_nothing_to_a_listener_on_the_old_port(other_user, open_root):
    srv = Server(open_root)
    heard = Path(tempfile.mkdtemp(prefix="pq-heard-"))
    heard.chmod(0o777)
    listener = None
    try:
        status, body, _ = srv.authed("GET", "/perqueue/api/workflows")
        assert status == 200, body
        port = _crash_bridge(open_root)
        listener = other_user.start(LISTEN, str(port), str(heard / "log"))
        for path in ("/perqueue/api/workflows", "/perqueue/api/version", "/perqueue/api/events?since=0"):
            status, body, _ = srv.authed("GET", path)
            assert status == 200, (path, body)
        assert not (heard / "log").exists(), "the listener on the old port received nothing (no token, no data)"
    finally:
        srv.stop()
        if listener is not None:
            listener.kill()
            listener.wait()
        shutil.rmtree(heard, ignore_errors=True)


def test_another_user_without_the_jupyter_token_is_refused(other_user, open_root):
    srv = Server(open_root)
    try:
        code = (
            "import sys, urllib.request, urllib.error\nbase = sys.argv[1]\nout = []\n"
            "for method, path in [('GET', '/perqueue/api/workflows'), ('POST', '/perqueue/api/workflows'), ('GET', '/perqueue/projects')]:\n"
            "    req = urllib.request.Request(base + path, data=b'{}' if method == 'POST' else None, method=method)\n"
            "    try:\n        out.append(urllib.request.urlopen(req, timeout=30).status)\n"
            "    except urllib.error.HTTPError as e:\n        out.append(e.code)\nprint(out)\n"
        )
        done = other_user.run(code, srv.base)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[403, 403, 403]"
        assert not (open_root / ".perqueue").exists(), "no bridge was started for the refused requests"
    finally:
        srv.stop()


def test_server_extension_refuses_its_own_project_when_another_user_planted_it(other_user, shared):
    planted = shared / "served"
    _plant(other_user, planted)
    srv = Server(planted)
    try:
        status, body, _ = srv.authed("GET", "/perqueue/api/workflows")
        assert status == 503, body
        answer = json.loads(body)
        assert answer["missing"] == "trusted-project"
        assert f"belongs to {other_user.name}" in answer["message"] and "PQ_SAFE_DIRECTORY" in answer["message"]
        assert os.listdir(planted / ".perqueue") == [], "no bridge was started"
    finally:
        srv.stop()


def test_persistent_queue_refuses_a_project_planted_by_another_user(other_user, shared, monkeypatch):
    from perqueue_lab import PersistentQueue, Task

    planted = shared / "queue"
    _plant(other_user, planted)
    monkeypatch.chdir(planted)
    monkeypatch.delenv("PQ_PROJECT", raising=False)
    monkeypatch.delenv("PQ_SAFE_DIRECTORY", raising=False)
    with pytest.raises(BridgeError, match=f"belongs to {other_user.name}"):
        with PersistentQueue() as pq:
            pq.submit(Task(str(planted / "x.py")))
    assert os.listdir(planted / ".perqueue") == []
