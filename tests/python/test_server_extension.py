"""The server extension behind Jupyter's authentication: a real `jupyter server` process on a free
loopback port with a token, in a fresh project folder, talking to the real bridge."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from perqueue_lab._bridge import BridgeError, cli_path, find_node

TOKEN = "perqueue-test-token"


def _bridge_missing() -> str | None:
    """Why the real bridge cannot run here, or None."""
    if not cli_path().is_file():
        return f"the bridge CLI is not built ({cli_path()}): run `npm run build:node`"
    try:
        find_node()
    except BridgeError as error:
        return error.message
    return None


def _needs_bridge() -> None:
    reason = _bridge_missing()
    if reason:
        print(f"skipping: {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A jupyter server process; `request` speaks HTTP to it without any client library."""

    def __init__(self, root: Path, extra_config: str = "") -> None:
        self.root = root
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        home = root.parent / f"jupyter-home-{self.port}"
        home.mkdir()
        config = home / "jupyter_server_config.py"
        config.write_text(
            textwrap.dedent(
                f"""
                c.ServerApp.ip = "127.0.0.1"
                c.ServerApp.port = {self.port}
                c.ServerApp.port_retries = 0
                c.ServerApp.open_browser = False
                c.ServerApp.allow_root = True
                c.ServerApp.root_dir = {str(root)!r}
                c.IdentityProvider.token = {TOKEN!r}
                c.ServerApp.jpserver_extensions = {{"perqueue_lab": True}}
                """
            )
            + extra_config
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(home),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "PQ_PYTHON": sys.executable,
        }
        self.log = open(home / "server.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", f"--config={config}"],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited: {(home / 'server.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.base}/api/status?token={TOKEN}", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("jupyter server did not start within 60 s")

    def request(self, method: str, path: str, body: object | None = None, headers: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=90) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def authed(self, method: str, path: str, body: object | None = None):
        return self.request(method, path, body, {"Authorization": f"token {TOKEN}"})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _task_document(name: str, task: str, script: Path, args: dict | None = None) -> dict:
    """A workflow of one task running `script`."""
    root = {"kind": "task", "name": task, "code": str(script), "args": args or {}, "resources": "1:local:1m"}
    return {"specVersion": 1, "name": name, "root": root}


def _submit(srv: Server, document: dict, query: str = "") -> int:
    """Submits the workflow through the proxy; its id."""
    status, body, _ = srv.authed("POST", f"/perqueue/api/workflows{query}", {"spec": document})
    assert status == 200, body
    return json.loads(body)["workflowId"]


def _stop_bridge(project: Path) -> None:
    if _bridge_missing() is None and (project / ".perqueue").exists():
        subprocess.run(
            [find_node(), str(cli_path()), "daemon", "stop", "--project", str(project)],
            capture_output=True,
            timeout=60,
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    srv = Server(project)
    yield srv
    srv.stop()
    _stop_bridge(project)


# --- Jupyter's authentication applies to every route ------------------------------------------


@pytest.mark.parametrize("path", ["/perqueue/api/version", "/perqueue/api/workflows", "/perqueue/api/events?since=0"])
def test_requests_without_credentials_are_refused(server, path):
    status, _, _ = server.request("GET", path)
    assert status == 403


def test_post_without_token_or_xsrf_is_refused(server):
    status, _, _ = server.request("POST", "/perqueue/api/workflows", {"spec": {}})
    assert status == 403


def test_post_with_login_cookie_but_no_xsrf_header_is_refused(server):
    # A page from another site would carry the login cookie but cannot read the _xsrf cookie.
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    opener.open(f"{server.base}/api/me?token={TOKEN}", timeout=10)  # logs in, keeps the cookie
    if _bridge_missing() is None:
        # The cookie alone authenticates reads...
        assert opener.open(f"{server.base}/perqueue/api/workflows", timeout=60).status == 200
    # ...but a write also needs the X-XSRFToken header that only a same-origin page can send.
    req = urllib.request.Request(
        f"{server.base}/perqueue/api/workflows/1/cancel",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(req, timeout=10)
    assert refused.value.code == 403


def test_event_socket_without_credentials_is_refused(server):
    from tornado.httpclient import HTTPClientError
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    async def connect():
        return await websocket_connect(f"ws://127.0.0.1:{server.port}/perqueue/api/events/ws?since=0")

    with pytest.raises(HTTPClientError) as refused:
        IOLoop.current().run_sync(connect, timeout=30)
    assert refused.value.code == 403


# --- With the token, requests reach the real bridge ----------------------------------------


def test_version_handshake_names_bridge_and_server_extension(server):
    _needs_bridge()
    status, body, _ = server.authed("GET", "/perqueue/api/version")
    assert status == 200, body
    answer = json.loads(body)
    assert answer["apiVersion"] == 1
    assert answer["serverExtension"]
    assert answer["bridge"]["version"]
    assert (server.root / ".perqueue" / "bridge.json").is_file()


def test_workflow_submitted_through_the_proxy_is_listed_with_its_entries(server, tmp_path):
    _needs_bridge()
    script = server.root / "hello.py"
    script.write_text("def main(**kwargs):\n    return True, {'greeting': 'hello'}\n")
    workflow_id = _submit(server, _task_document("proxy-test", "hello.py", script, {"n": 1}))

    status, body, _ = server.authed("GET", "/perqueue/api/workflows")
    assert status == 200
    assert workflow_id in [w["id"] for w in json.loads(body)]

    status, body, _ = server.authed("GET", f"/perqueue/api/workflows/{workflow_id}")
    assert status == 200
    detail = json.loads(body)
    assert [n["name"] for n in detail["nodes"]] == ["hello.py"]


def test_bridge_errors_pass_through_with_their_status(server):
    _needs_bridge()
    status, body, _ = server.authed("GET", "/perqueue/api/workflows/999999")
    assert status == 404
    assert "999999" in json.loads(body)["error"]


def test_event_socket_with_token_relays_bridge_events(server):
    _needs_bridge()
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    script = server.root / "hello.py"
    script.write_text("def main(**kwargs):\n    return True, {}\n")
    spec = _task_document("ws-test", "hello.py", script)

    async def run():
        ws = await websocket_connect(f"ws://127.0.0.1:{server.port}/perqueue/api/events/ws?since=0&token={TOKEN}")
        status, body, _ = server.authed("POST", "/perqueue/api/workflows", {"spec": spec})
        assert status == 200, body
        message = await ws.read_message()
        ws.close()
        return json.loads(message)

    event = IOLoop.current().run_sync(run, timeout=60)
    assert event["seq"] >= 1
    assert event["type"] in ("node", "workflow")


# --- A bridge that cannot start is explained ----------------------------------------------


def test_missing_bridge_program_answers_503_naming_the_part_and_the_fix(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    srv = Server(project, 'c.PerQueueLab.bridge_cli = "/nonexistent/pql.mjs"\n')
    try:
        status, body, _ = srv.authed("GET", "/perqueue/api/version")
        assert status == 503
        answer = json.loads(body)
        assert answer["missing"] == "bridge"
        assert "/nonexistent/pql.mjs" in answer["message"]
        assert answer["fix"]
        assert answer["serverExtension"]
        status, body, _ = srv.authed("GET", "/perqueue/api/workflows")
        assert status == 503
    finally:
        srv.stop()


# --- several projects below the server's root ----------------------------------------------


def _init_project(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [find_node(), str(cli_path()), "init", "--project", str(folder)], check=True, capture_output=True, timeout=60
    )


def test_projects_below_the_root_are_listed_and_reached_by_name(tmp_path_factory):
    _needs_bridge()
    root = tmp_path_factory.mktemp("projects-root")
    for sub in ("screening", "deep/er/md", ".hidden/p", "node_modules/p", "far/a/b/c/too-deep"):
        _init_project(root / sub)
    srv = Server(root)
    try:
        status, body, _ = srv.request("GET", "/perqueue/projects")
        assert status in (401, 403), "Jupyter's authentication applies"
        status, body, _ = srv.authed("GET", "/perqueue/projects")
        assert status == 200, body
        projects = json.loads(body)
        assert [(p["name"], p["default"]) for p in projects] == [
            ("", True),
            ("deep/er/md", False),
            ("screening", False),
        ]
        assert projects[1]["dir"] == str((root / "deep/er/md").resolve())

        script = root / "screening" / "hello.py"
        script.write_text("def main(**kwargs):\n    return True, {}\n")
        workflow_id = _submit(srv, _task_document("in-screening", "hello", script), "?project=screening")

        status, body, _ = srv.authed("GET", "/perqueue/api/workflows?project=screening")
        assert [w["name"] for w in json.loads(body)] == ["in-screening"]
        status, body, _ = srv.authed("GET", "/perqueue/api/workflows")
        assert json.loads(body) == [], "the server's own project is another one"
        status, body, _ = srv.authed("GET", f"/perqueue/api/entries?workflow={workflow_id}&project=screening")
        assert status == 200 and [e["name"] for e in json.loads(body)] == ["hello"], "other query parameters pass on"
        status, body, _ = srv.authed("GET", "/perqueue/api/version?project=screening")
        answer = json.loads(body)
        assert (answer["project"], answer["projectDir"]) == ("screening", str((root / "screening").resolve()))
        assert (root / "screening" / ".perqueue" / "bridge.json").is_file()

        for bad, why in [
            ("../elsewhere", "is not a project name"),
            ("/etc", "is not a project name"),
            ("far", "no PerQueue Lab project in 'far'"),
            ("nowhere", "no PerQueue Lab project in 'nowhere'"),
        ]:
            status, body, _ = srv.authed("GET", f"/perqueue/api/workflows?project={urllib.parse.quote(bad)}")
            assert status == 404, (bad, body)
            assert why in json.loads(body)["message"], (bad, body)
        assert not (root / "far" / ".perqueue").exists(), "nothing is started or made for an unknown project"
    finally:
        srv.stop()
        for sub in ("", "screening"):
            _stop_bridge(root / sub)


def test_the_project_search_stops_after_its_folder_budget(tmp_path):
    from perqueue_lab.server.projects import ProjectRegistry

    for i in range(30):
        (tmp_path / f"d{i:02}" / ".perqueue").mkdir(parents=True)
    registry = ProjectRegistry(tmp_path, tmp_path, lambda folder: folder, max_folders=11)
    names = [p["name"] for p in registry.find()]
    assert names == [""] + [f"d{i:02}" for i in range(10)], "the root and the first ten folders only"
    assert len(ProjectRegistry(tmp_path, tmp_path, lambda folder: folder).find()) == 31


# --- The start address: /perqueue/open -------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get_without_following(server, path):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(f"{server.base}{path}", timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_open_address_logs_in_with_the_token_and_shows_the_newest_workflow(server):
    status, headers = _get_without_following(server, f"/perqueue/open?token={TOKEN}")
    assert status == 302
    assert headers["Location"] == "/lab?perqueue-open=latest"
    status, headers = _get_without_following(server, f"/perqueue/open?workflow=7&token={TOKEN}")
    assert (status, headers["Location"]) == (302, "/lab?perqueue-open=7")


def test_open_address_without_the_token_asks_to_log_in_and_comes_back(server):
    status, headers = _get_without_following(server, "/perqueue/open")
    assert status == 302
    assert headers["Location"].startswith("/login?next=%2Fperqueue%2Fopen")


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1;2"])
def test_open_address_refuses_a_workflow_that_is_not_an_id(server, bad):
    status, _ = _get_without_following(server, f"/perqueue/open?workflow={urllib.parse.quote(bad)}&token={TOKEN}")
    assert status == 400


def test_submissions_and_retries_from_jupyterlab_carry_the_servers_environment(tmp_path_factory):
    """The daemon is started first from another environment: the task gets the server's."""
    _needs_bridge()
    project = tmp_path_factory.mktemp("envproject")
    started = subprocess.run(
        [find_node(), str(cli_path()), "daemon", "start", "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PQ_T_MARK": "the daemon", "PQ_PYTHON": sys.executable},
    )
    assert started.returncode == 0, started.stderr
    script = project / "mark.py"
    script.write_text(
        "import os\n"
        "def main(**kwargs):\n"
        "    if os.path.exists('fail-once'):\n"
        "        os.remove('fail-once')\n"
        "        raise RuntimeError('once')\n"
        "    return True, {'mark': os.environ.get('PQ_T_MARK')}\n"
    )
    (project / "fail-once").write_text("")
    previous = os.environ.get("PQ_T_MARK")
    os.environ["PQ_T_MARK"] = "jupyterlab's server"
    try:
        srv = Server(project)
    finally:
        if previous is None:
            del os.environ["PQ_T_MARK"]
        else:
            os.environ["PQ_T_MARK"] = previous
    try:
        wf = _submit(srv, _task_document("env", "mark", script))
        deadline = time.time() + 60
        node = None
        while time.time() < deadline:
            node = json.loads(srv.authed("GET", f"/perqueue/api/workflows/{wf}")[1])["nodes"][0]
            if node["state"] in ("failed", "succeeded"):
                break
            time.sleep(0.1)
        assert node is not None and node["state"] == "failed", node
        status, body, _ = srv.authed("POST", f"/perqueue/api/entries/{node['id']}/retry", {})
        assert status == 200, body
        while time.time() < deadline:
            node = json.loads(srv.authed("GET", f"/perqueue/api/workflows/{wf}")[1])["nodes"][0]
            if node["state"] == "succeeded":
                break
            time.sleep(0.1)
        assert node["data"] == {"mark": "jupyterlab's server"}
    finally:
        srv.stop()
        _stop_bridge(project)


# --- Human steps are answered in the name of the server's authenticated user ------------------


def _manual_step(srv: Server, name: str) -> int:
    root = {"kind": "manual", "name": "check", "args": {}, "onReject": "discard"}
    wf = _submit(srv, {"specVersion": 1, "name": name, "root": root})
    deadline = time.time() + 60
    while time.time() < deadline:
        node = json.loads(srv.authed("GET", f"/perqueue/api/workflows/{wf}")[1])["nodes"][0]
        if node["state"] == "awaiting_input":
            return wf
        time.sleep(0.1)
    raise AssertionError(f"the step of workflow {wf} never waited for a person: {node}")


def _node(srv: Server, wf: int, headers: dict | None = None) -> dict:
    status, body, _ = srv.request(
        "GET", f"/perqueue/api/workflows/{wf}", None, headers or {"Authorization": f"token {TOKEN}"}
    )
    assert status == 200, body
    return json.loads(body)["nodes"][0]


def test_with_the_shared_token_the_servers_account_approves_whatever_name_the_browser_sends(server):
    """Jupyter's token names no one ("Anonymous Hegemone" is made up per browser): the account
    that runs the server is recorded, and a `by` in the request is ignored."""
    _needs_bridge()
    import getpass

    account = os.environ.get("JUPYTERHUB_USER") or getpass.getuser()
    approved = _manual_step(server, "approved-by-token")
    node = _node(server, approved)
    status, body, _ = server.authed(
        "POST", f"/perqueue/api/entries/{node['id']}/approve", {"data": {"ok": 1}, "by": "Anonymous Hegemone"}
    )
    assert status == 200, body
    node = _node(server, approved)
    assert node["state"] == "succeeded" and node["data"] == {"ok": 1}
    assert node["completedBy"] == account

    rejected = _manual_step(server, "rejected-by-token")
    node = _node(server, rejected)
    status, body, _ = server.authed(
        "POST", f"/perqueue/api/entries/{node['id']}/reject", {"reason": "no", "by": "mallory"}
    )
    assert status == 200, body
    node = _node(server, rejected)
    assert node["state"] == "discarded" and node["completedBy"] == account


IDENTIFYING_PROVIDER = '''
from jupyter_server.auth.identity import IdentityProvider, User

class PersonHeaderIdentity(IdentityProvider):
    """A site's provider that tells people apart (as JupyterHub does), here by a header."""

    def get_user(self, handler):
        login = handler.request.headers.get("X-Test-Login")
        if not login:
            return super().get_user(handler)  # the token, for the test's readiness check
        return User(username=login, name="Renamed " + login, display_name="Renamed " + login)

    def is_token_authenticated(self, handler):
        return True  # no login cookie, so no XSRF check for these API calls

c.ServerApp.identity_provider_class = PersonHeaderIdentity
'''


def test_an_identifying_provider_records_the_users_login_not_the_name_sent(tmp_path_factory):
    _needs_bridge()
    project = tmp_path_factory.mktemp("identified")
    srv = Server(project, IDENTIFYING_PROVIDER)
    try:
        as_ada = {"X-Test-Login": "ada"}
        spec = {
            "specVersion": 1,
            "name": "who",
            "root": {"kind": "manual", "name": "check", "args": {}, "onReject": "fail"},
        }
        status, body, _ = srv.request("POST", "/perqueue/api/workflows", {"spec": spec}, as_ada)
        assert status == 200, body
        wf = json.loads(body)["workflowId"]
        deadline = time.time() + 60
        node = _node(srv, wf, as_ada)
        while node["state"] != "awaiting_input" and time.time() < deadline:
            time.sleep(0.1)
            node = _node(srv, wf, as_ada)
        status, body, _ = srv.request("POST", f"/perqueue/api/entries/{node['id']}/reject", {"by": "grace"}, as_ada)
        assert status == 200, body
        node = _node(srv, wf, as_ada)
        assert node["state"] == "failed" and node["completedBy"] == "ada"
        # Without a login (nor the token) the request is refused.
        assert srv.request("POST", f"/perqueue/api/entries/{node['id']}/approve", {"data": {}})[0] in (401, 403)
    finally:
        srv.stop()
        _stop_bridge(project)
