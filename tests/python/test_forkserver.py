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

    def send(self, run_dir: Path, workflow: int = 1) -> None:
        self.proc.stdin.write(f"{run_dir}\t{workflow}\n")
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
    starts = {l[1]: int(l[2]) for l in lines if l[0] == "S"}
    ends = {l[1]: l[2] for l in lines if l[0] == "E"}
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
    assert ends == {str(hard): "3", str(killed): str(128 + signal.SIGKILL)}
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
