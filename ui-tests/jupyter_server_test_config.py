"""Jupyter server configuration for the PerQueue Lab UI tests.

Galata's defaults (port 8888 unless PQ_UI_PORT names another, no token, no XSRF check) plus:
running as root, and a fresh project folder holding a small task script, whose bridge is
stopped (and the folder removed) when the server exits.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 (c is given by Jupyter)

c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.port = int(os.environ.get("PQ_UI_PORT", "8888"))  # noqa: F821

project = Path(tempfile.mkdtemp(prefix="perqueue-ui-"))
(project / "hello.py").write_text("def main(**kwargs):\n    return True, {'greeting': 'hello'}\n")
c.ServerApp.root_dir = str(project)  # noqa: F821
c.PerQueueLab.project_dir = str(project)  # noqa: F821
# Tasks run with this Python, which has perqueue_lab installed.
os.environ.setdefault("PQ_PYTHON", sys.executable)


def _stop_bridge() -> None:
    from perqueue_lab._bridge import BridgeError, run_cli

    if (project / ".perqueue").exists():
        try:
            run_cli(["daemon", "stop", "--project", str(project)])
        except (BridgeError, subprocess.SubprocessError):
            pass
    shutil.rmtree(project, ignore_errors=True)


atexit.register(_stop_bridge)
