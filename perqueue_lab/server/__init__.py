"""The Jupyter server extension of PerQueue Lab: it finds or starts the project's bridge and
exposes it to JupyterLab under ``<base_url>/perqueue/api``, behind Jupyter's authentication.
Other projects below the server's root (folders with a ``.perqueue/``) are listed at
``<base_url>/perqueue/projects`` and reached with ``?project=<path relative to the root>``.

Configuration (``jupyter_server_config.py``)::

    c.PerQueueLab.project_dir = "/path/to/project"   # default: the server's root_dir
    c.PerQueueLab.node_path = "/usr/bin/node"         # default: found like the pql CLI does
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from traitlets import Float, Int, Unicode
from traitlets.config import Configurable

from .bridge import BridgeConnector, BridgeUnavailable
from .handlers import setup_handlers
from .projects import ProjectRegistry

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

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
    project_search_depth = Int(
        3, config=True, help="How many folders deep below the server's root other projects (.perqueue/) are looked for."
    )


def load(server_app: ServerApp, version: str) -> PerQueueLab:
    """Read the configuration and register the handlers; the bridge starts on first use."""
    settings = PerQueueLab(parent=server_app, config=server_app.config)
    project_dir = settings.project_dir or server_app.root_dir

    def connector(folder: Path) -> BridgeConnector:
        return BridgeConnector(
            folder,
            node=settings.node_path,
            cli=settings.bridge_cli,
            start_timeout=settings.start_timeout,
            log=server_app.log,
        )

    projects = ProjectRegistry(
        server_app.root_dir, project_dir, connector, depth=settings.project_search_depth, log=server_app.log
    )
    setup_handlers(server_app.web_app, projects, version)
    server_app.log.info("PerQueue Lab: serving the bridge of %s under /perqueue/api", projects.default.project_dir)
    return settings
