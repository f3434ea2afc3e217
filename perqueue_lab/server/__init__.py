"""The Jupyter server extension of PerQueue Lab: it finds or starts the project's bridge and
exposes it to JupyterLab under ``<base_url>/perqueue/api``, behind Jupyter's authentication.

Configuration (``jupyter_server_config.py``)::

    c.PerQueueLab.project_dir = "/path/to/project"   # default: the server's root_dir
    c.PerQueueLab.node_path = "/usr/bin/node"         # default: found like the pql CLI does
"""

from __future__ import annotations

from traitlets import Float, Unicode
from traitlets.config import Configurable

from .bridge import BridgeConnector, BridgeUnavailable
from .handlers import setup_handlers

__all__ = ["BridgeConnector", "BridgeUnavailable", "PerQueueLab", "load"]


class PerQueueLab(Configurable):
    """Settings of the PerQueue Lab server extension."""

    project_dir = Unicode(
        "",
        config=True,
        help="Project folder whose bridge JupyterLab shows (holds .perqueue/). Default: the server's root_dir.",
    )
    node_path = Unicode("", config=True, help="Node.js >= 22 used to start the bridge. Default: found automatically.")
    bridge_cli = Unicode("", config=True, help="Path of the bundled pql.mjs. Default: the one inside perqueue_lab.")
    start_timeout = Float(30.0, config=True, help="Seconds to wait for the bridge to start.")


def load(server_app, version: str) -> PerQueueLab:
    """Read the configuration and register the handlers; the bridge starts on first use."""
    settings = PerQueueLab(parent=server_app, config=server_app.config)
    project_dir = settings.project_dir or server_app.root_dir
    connector = BridgeConnector(
        project_dir,
        node=settings.node_path,
        cli=settings.bridge_cli,
        start_timeout=settings.start_timeout,
        log=server_app.log,
    )
    setup_handlers(server_app.web_app, connector, version)
    server_app.log.info("PerQueue Lab: serving the bridge of %s under /perqueue/api", connector.project_dir)
    return settings
