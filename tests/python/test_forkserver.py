"""The warm fork server as the local pool drives it: a real ``python -m perqueue_lab.forkserver``
process, lines on its stdin, ``S``/``E`` lines on its stdout, real run folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


class Server:
    def __init__(self, project: Path):
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "perqueue_lab.forkserver", str(project)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        # Ready once the runner is imported: the pool tells a crash from "cannot start" by it.
        assert self.line() == ["R", "", str(self.proc.pid)]

    def send(self, run_dir: Path, workflow: int = 1, keep: bool = False) -> None:
        self.proc.stdin.write(f"{run_dir}\t{workflow}\t{'1' if keep else ''}\n")
        self.proc.stdin.flush()

    def line(self) -> list[str]:
        text = self.proc.stdout.readline()
        assert text, f"the server closed its output; stderr: {self.proc.stderr.read()}"
        return text.rstrip("\n").split("\t")

    def close(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path):
    s = Server(tmp_path)
    yield s
    if s.proc.poll() is None:
        s.proc.kill()
        s.proc.wait()


def run_folder(project: Path, entry: int, code: str, kwargs: dict | None = None) -> Path:
    script = project / f"task{entry}.py"
    script.write_text(code)
    d = project / "runs" / f"{entry}.1"
    d.mkdir(parents=True)
    (d / "input.json").write_text(json.dumps({"entryId": entry, "code": str(script), "kwargs": kwargs or {}}))
    return d


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_runs_entries_and_tells_start_and_end(server: Server, tmp_path: Path):
    a = run_folder(tmp_path, 1, "def main(x=0, **kw):\n    print('hello')\n    return True, {'y': x + 1}\n", {"x": 41})
    b = run_folder(tmp_path, 2, "def main(**kw):\n    return False, {}\n")
    server.send(a)
    server.send(b)
    lines = [server.line() for _ in range(4)]
    starts = {line[1]: int(line[2]) for line in lines if line[0] == "S"}
    ends = {line[1]: line[2] for line in lines if line[0] == "E"}
    assert set(starts) == set(ends) == {str(a), str(b)}
    assert ends == {str(a): "0", str(b): "0"}
    assert json.loads((a / "result.json").read_text()) == {"ok": True, "data": {"y": 42}}
    assert json.loads((b / "result.json").read_text()) == {"ok": False, "data": {}}
    assert (a / "marker").read_text() == "0\n"
    assert int((a / "pid").read_text()) == starts[str(a)]
    out = (a / "stdout").read_text()
    assert out.startswith("Perqueue key:   1\n") and "hello" in out
    assert server.close() == 0


def test_a_child_that_dies_without_reporting_is_told_with_its_exit_status(server: Server, tmp_path: Path):
    hard = run_folder(tmp_path, 1, "import os\ndef main(**kw):\n    os._exit(3)\n")
    killed = run_folder(tmp_path, 2, "import os, signal\ndef main(**kw):\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    server.send(hard)
    server.send(killed)
    ends = {}
    while len(ends) < 2:
        kind, folder, value = server.line()
        if kind == "E":
            ends[folder] = value
    # A signal is told as such (-N), not as an exit code that a task could also have chosen.
    assert ends == {str(hard): "3", str(killed): str(-signal.SIGKILL)}
    assert not (hard / "marker").exists()


def test_a_running_task_leads_its_own_process_group(server: Server, tmp_path: Path):
    d = run_folder(tmp_path, 1, "import time\ndef main(**kw):\n    time.sleep(30)\n    return True, {}\n")
    server.send(d)
    kind, _, pid = server.line()
    assert kind == "S"
    for _ in range(100):
        if (d / "pid").exists() and (d / "pid").read_text().endswith("\n"):
            break
        time.sleep(0.05)
    pid = int(pid)
    assert int((d / "pid").read_text()) == pid
    assert os.getpgid(pid) == pid
    os.killpg(pid, signal.SIGTERM)
    assert server.line() == ["E", str(d), str(128 + signal.SIGTERM)]


def test_a_run_folder_already_claimed_is_not_run_again(server: Server, tmp_path: Path):
    d = run_folder(tmp_path, 1, "def main(**kw):\n    open('ran', 'a').write('x')\n    return True, {}\n")
    (d / "pid").write_text("12345\n")
    server.send(d)
    assert server.line()[0] == "S"
    assert server.line() == ["E", str(d), "0"]
    assert not (tmp_path / "ran").exists()
    assert not (d / "marker").exists()


def test_on_end_of_input_it_finishes_what_runs_and_leaves_no_spare(server: Server, tmp_path: Path):
    d = run_folder(tmp_path, 1, "import time\ndef main(**kw):\n    time.sleep(0.5)\n    return True, {}\n")
    server.send(d)
    assert server.line()[0] == "S"
    children_before: set[int] = set()
    for _ in range(100):  # the next spare is forked right after the start is told
        children_before = set(_children(server.proc.pid))
        if len(children_before) == 2:
            break
        time.sleep(0.02)
    assert len(children_before) == 2  # the running entry and the spare forked ahead
    assert server.close() == 0
    assert (d / "marker").read_text() == "0\n"
    deadline = time.time() + 10
    while time.time() < deadline and any(alive(p) for p in children_before):
        time.sleep(0.05)
    assert not any(alive(p) for p in children_before)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


LEAVER = (
    "import os, subprocess\n"
    "def main(**kw):\n"
    "    a = subprocess.Popen(['sleep', '300'])\n"
    "    b = subprocess.run('setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!', shell=True,"
    " capture_output=True, text=True)\n"
    "    return True, {'pids': [a.pid, int(b.stdout)]}\n"
)


def _pids(d: Path) -> list[int]:
    return json.loads((d / "result.json").read_text())["data"]["pids"]


def test_processes_a_task_leaves_are_ended_before_its_marker(server: Server, tmp_path: Path):
    d = run_folder(tmp_path, 1, LEAVER)
    server.send(d)
    assert server.line()[0] == "S"
    assert server.line() == ["E", str(d), "0"]
    assert (d / "marker").read_text() == "0\n"
    for pid in _pids(d):  # the one in its group and the one that left it (setsid)
        assert not alive(pid), f"process {pid} outlived its task"


def test_a_task_that_keeps_its_processes_keeps_them(server: Server, tmp_path: Path):
    d = run_folder(tmp_path, 1, LEAVER)
    server.send(d, keep=True)
    assert server.line()[0] == "S"
    assert server.line() == ["E", str(d), "0"]
    pids = _pids(d)
    try:
        time.sleep(0.5)
        assert all(alive(pid) for pid in pids)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)


def test_the_group_of_a_child_that_died_without_ending_it_is_ended(server: Server, tmp_path: Path):
    d = run_folder(
        tmp_path,
        1,
        "import os, subprocess\ndef main(**kw):\n"
        "    p = subprocess.Popen(['sleep', '300'])\n"
        "    open('left.pid', 'w').write(str(p.pid))\n"
        "    os._exit(0)\n",
    )
    server.send(d)
    assert server.line()[0] == "S"
    assert server.line() == ["E", str(d), "0"]
    pid = int((tmp_path / "left.pid").read_text())
    for _ in range(100):
        if not alive(pid):
            break
        time.sleep(0.05)
    assert not alive(pid)
