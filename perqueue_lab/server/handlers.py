"""HTTP and WebSocket handlers that expose the project's bridge under ``<base_url>/perqueue/api``.

Every request passes Jupyter's own authentication (token or cookie) and, for writes, its XSRF
check, before it is forwarded to the bridge over the project's Unix socket (checked to be this
user's before every connection, see ``bridge.py``).
"""

from __future__ import annotations

import getpass
import json
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.auth.identity import IdentityProvider, LegacyIdentityProvider, PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import web, websocket
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.ioloop import IOLoop

from .bridge import BridgeConnection, BridgeConnector, BridgeUnavailable
from .projects import ProjectRegistry, UnknownProject

AUTH_RESOURCE = "perqueue"

#: Headers copied from the bridge's answer to the browser.
_PASSED_HEADERS = ("Content-Type",)

#: Requests whose tasks run with the submitter's environment (docs/guide/environment.md).
_SUBMITTING = re.compile(r"^(workflows|entries/\d+/retry)$")


def with_server_environment(path: str, body: bytes) -> bytes:
    """A submission or retry made in JupyterLab comes from this server: its environment (the
    shell or spawner that started JupyterLab, with its modules and venv) is the submitter's."""
    if not _SUBMITTING.match(path):
        return body
    return _set_field(body, "environment", lambda: dict(os.environ), replace=False)


def _set_field(body: bytes, key: str, value: Callable[[], Any], *, replace: bool) -> bytes:
    """The JSON object ``body`` with ``key`` set (kept when present and not ``replace``); a body
    that is not a JSON object goes on unchanged: the bridge names what is wrong with it."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    if not isinstance(doc, dict) or (key in doc and not replace):
        return body
    doc[key] = value()
    return json.dumps(doc).encode()


#: Requests that record who answered a human step (the bridge stores ``by``).
_ANSWERING = re.compile(r"^entries/\d+/(approve|reject)$")

#: Jupyter's own identity providers: one shared token or password, whose users are random
#: "Anonymous ..." names made per browser. Whoever holds the token acts as the server's account.
_SHARED_SECRET_PROVIDERS = (IdentityProvider, PasswordIdentityProvider, LegacyIdentityProvider)


def server_account() -> str:
    """The account that runs this Jupyter server (the JupyterHub user on a hub)."""
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if hub_user:
        return hub_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def authenticated_person(identity_provider: Any, user: Any) -> str:
    """The name recorded for an approval or rejection made through this server.

    An identity provider that tells people apart (JupyterHub, a site's own) gives the user's
    ``username``: the login, which the person cannot rename (``name`` and ``display_name`` may be
    updatable). Jupyter's shared-secret providers identify no one, so the server's account is
    recorded rather than their random name.
    """
    if type(identity_provider) in _SHARED_SECRET_PROVIDERS or user is None:
        return server_account()
    username = getattr(user, "username", None) or (user.get("name") if isinstance(user, dict) else None)
    return str(username) if username else server_account()


def with_authenticated_person(path: str, body: bytes, person: str) -> bytes:
    """An approval or rejection is recorded under the server's authenticated user; a ``by`` sent
    by the browser (JupyterLab's collaborator name, or anything typed) is replaced."""
    if not _ANSWERING.match(path):
        return body
    return _set_field(body, "by", lambda: person, replace=True)


class _BridgeMixin:
    """Access to the shared connector, and the 503 answer when the bridge is unavailable."""

    auth_resource = AUTH_RESOURCE

    @property
    def projects(self) -> ProjectRegistry:
        projects: ProjectRegistry = self.settings["perqueue_lab_projects"]  # type: ignore[attr-defined]
        return projects

    @property
    def connector(self) -> BridgeConnector:
        """The bridge of the project named by the ``project`` query parameter (404 if unknown)."""
        try:
            return self.projects.connector(self.get_query_argument("project", None))  # type: ignore[attr-defined]
        except UnknownProject as error:
            raise web.HTTPError(404, str(error)) from None

    def bridge_query(self) -> str:
        """The request's query for the bridge: without ``project``, which only this server reads."""
        pairs = [(k, v) for k, values in self.request.query_arguments.items() for v in values if k != "project"]  # type: ignore[attr-defined]
        return urlencode([(k, v.decode("utf-8")) for k, v in pairs])

    @property
    def extension_version(self) -> str:
        version: str = self.settings["perqueue_lab_version"]  # type: ignore[attr-defined]
        return version

    def _unavailable(self, error: BridgeUnavailable) -> None:
        self.log.warning("PerQueue Lab: %s %s", error.message, error.fix)  # type: ignore[attr-defined]
        self.set_status(503)  # type: ignore[attr-defined]
        self.set_header("Content-Type", "application/json")  # type: ignore[attr-defined]
        body = {**error.to_json(), "serverExtension": self.extension_version}
        self.finish(json.dumps(body))  # type: ignore[attr-defined]


class BridgeProxyHandler(_BridgeMixin, APIHandler):
    """Forwards ``/perqueue/api/<path>`` to the bridge's ``/api/<path>``."""

    async def _forward(self, path: str) -> None:
        connector = self.connector
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH") else None
        if body is not None and not body:
            body = b"{}"
        if body is not None and self.request.method == "POST":
            body = with_server_environment(path, body)
            person = authenticated_person(self.identity_provider, self.current_user)
            body = with_authenticated_person(path, body, person)
        timeout = 60.0
        if path == "events":
            # A long poll waits up to `timeout` seconds at the bridge.
            try:
                timeout = min(float(self.get_query_argument("timeout", "0")), 60.0) + 15.0
            except ValueError:
                timeout = 75.0
        for attempt in (1, 2):
            try:
                bridge = await connector.connection()
            except BridgeUnavailable as error:
                self._unavailable(error)
                return
            url = f"{bridge.http_base}/api/{path}"
            query = self.bridge_query()
            if query:
                url += f"?{query}"
            headers = dict(bridge.headers)
            if body is not None:
                headers["Content-Type"] = self.request.headers.get("Content-Type", "application/json")
            request = HTTPRequest(
                url,
                method=self.request.method,
                headers=headers,
                body=body,
                connect_timeout=5,
                request_timeout=timeout,
                allow_nonstandard_methods=True,
            )
            try:
                response = await connector.http.fetch(request, raise_error=False)
                failure = str(response.error) if response.code == 599 else ""
            except (OSError, HTTPClientError) as error:
                response = None
                failure = str(error)
            if response is not None and response.code != 599:
                self.set_status(response.code)
                for name in _PASSED_HEADERS:
                    value = response.headers.get(name)
                    if value:
                        self.set_header(name, value)
                self.finish(response.body or b"")
                return
            # The bridge stopped answering: forget it and find or start it once more.
            connector.forget(bridge)
            if attempt == 2:
                self._unavailable(
                    BridgeUnavailable(
                        f"The bridge for {connector.project_dir} stopped answering: {failure}",
                        missing="bridge-connection",
                        fix="Reload JupyterLab; if this repeats, look at .perqueue/bridge.log in the project.",
                    )
                )

    # One decorated method per HTTP verb, never one shared by aliases: `authorized` picks its action
    # (read, write) from the first request it sees and keeps it, so a shared one would let a POST
    # through as a 'read' after a GET.
    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def put(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def patch(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def delete(self, path: str) -> None:
        await self._forward(path)


class VersionHandler(_BridgeMixin, APIHandler):
    """The version handshake: the bridge's version and API version, plus this extension's."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        connector = self.connector
        try:
            bridge = await connector.connection()
        except BridgeUnavailable as error:
            self._unavailable(error)
            return
        answer: dict[str, Any] = {
            "version": bridge.version,
            "apiVersion": bridge.api_version,
            "bridge": {"version": bridge.version, "apiVersion": bridge.api_version, "pid": bridge.pid},
            "serverExtension": self.extension_version,
            "projectDir": str(connector.project_dir),
            "project": self.projects.name_of(connector.project_dir),
        }
        try:
            response = await connector.http.fetch(
                HTTPRequest(f"{bridge.http_base}/api/version", headers=bridge.headers, request_timeout=10),
                raise_error=False,
            )
            if response.code == 200:
                live = json.loads(response.body)
                answer.update({k: v for k, v in live.items() if k not in ("bridge", "serverExtension")})
                answer["bridge"].update(live)
        except (OSError, HTTPClientError, ValueError):
            connector.forget(bridge)
        self.finish(json.dumps(answer))


class EventsWebSocketHandler(_BridgeMixin, WebSocketMixin, websocket.WebSocketHandler, JupyterHandler):
    """Relays the bridge's event socket (``/api/events/ws?since=SEQ``) to the browser."""

    def set_default_headers(self) -> None:
        """JupyterHandler's API headers make no sense on a websocket upgrade."""

    async def pre_get(self) -> None:
        user = self.current_user
        allowed = await ensure_async(self.authorizer.is_authorized(self, user, "read", AUTH_RESOURCE))
        if not allowed:
            raise web.HTTPError(403)

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        await self.pre_get()
        self._pending: list[str] = []
        self._opened = False
        self._upstream: websocket.WebSocketClientConnection | None = None
        connector = self.connector
        try:
            bridge = await connector.connection()
            self._upstream = await self._connect(connector, bridge)
        except BridgeUnavailable as error:
            self._unavailable(error)
            return
        except (OSError, HTTPClientError, websocket.WebSocketError) as error:
            connector.forget()
            self._unavailable(
                BridgeUnavailable(
                    f"The bridge's event stream cannot be opened: {error}",
                    missing="bridge-connection",
                    fix="Reload JupyterLab; the live view falls back to polling meanwhile.",
                )
            )
            return
        result = super().get(*args, **kwargs)
        if result is not None:
            await result

    async def _connect(
        self, connector: BridgeConnector, bridge: BridgeConnection
    ) -> websocket.WebSocketClientConnection:
        url = f"{bridge.ws_base}/api/events/ws"
        since = self.get_query_argument("since", None)
        if since is not None:
            if not since.isdigit():
                raise web.HTTPError(400, "since must be a sequence number")
            url += f"?since={since}"
        request = HTTPRequest(url, headers=bridge.headers, connect_timeout=5, request_timeout=10)
        return await websocket.websocket_connect(
            request, on_message_callback=self._from_bridge, resolver=connector.resolver
        )

    def _from_bridge(self, message: str | bytes | None) -> None:
        if message is None:
            # The bridge closed: close the browser side so it reconnects and resumes.
            if self._opened:
                self.close(1011, "bridge closed the event stream")
            return
        text = message.decode("utf-8") if isinstance(message, bytes) else message
        if not self._opened:
            self._pending.append(text)
            return
        try:
            self.write_message(text)
        except websocket.WebSocketClosedError:
            self._close_upstream()

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self._opened = True
        pending, self._pending = self._pending, []
        for text in pending:
            self.write_message(text)
        if self._upstream is not None and self._upstream.protocol is None:
            IOLoop.current().add_callback(self.close, 1011, "bridge closed the event stream")

    def on_message(self, message: str | bytes) -> None:
        """The stream is one-way; messages from the browser are ignored."""

    def on_close(self) -> None:
        self._close_upstream()

    def _close_upstream(self) -> None:
        upstream, self._upstream = self._upstream, None
        if upstream is not None:
            upstream.close()


class ProjectsHandler(_BridgeMixin, APIHandler):
    """The projects this server can show: its own first, then those found below its root."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        # The search reads folders: off the event loop, so other requests go on meanwhile.
        found = await IOLoop.current().run_in_executor(None, self.projects.find)
        self.finish(json.dumps(found))


class OpenWorkflowHandler(JupyterHandler):
    """``<base_url>/perqueue/open``: JupyterLab showing the newest workflow's graph (or
    ``?workflow=ID``'s). A start address without a query of its own, so that Jupyter can print it
    with ``?token=...`` appended and the token logs the browser in; someone without the token
    logs in first and then lands here again."""

    @web.authenticated
    def get(self) -> None:
        wanted = self.get_argument("workflow", "latest")
        if wanted != "latest" and not (wanted.isdigit() and int(wanted) > 0):
            raise web.HTTPError(400, f"workflow must be 'latest' or a workflow id, got {wanted!r}")
        self.redirect(url_path_join(self.base_url, "lab") + "?" + urlencode({"perqueue-open": wanted}))


def setup_handlers(web_app: web.Application, projects: ProjectRegistry, version: str) -> None:
    """Register the routes; the socket and version routes come before the catch-all proxy."""
    base_url = web_app.settings["base_url"]
    web_app.settings["perqueue_lab_projects"] = projects
    web_app.settings["perqueue_lab_version"] = version
    api = url_path_join(base_url, "perqueue", "api")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, "perqueue", "projects"), ProjectsHandler),
            (url_path_join(base_url, "perqueue", "open"), OpenWorkflowHandler),
            (url_path_join(api, "events", "ws"), EventsWebSocketHandler),
            (url_path_join(api, "version"), VersionHandler),
            (url_path_join(api, "(.*)"), BridgeProxyHandler),
        ],
    )
