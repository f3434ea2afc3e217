"""Shared fixtures for the Python tests that drive a real bridge."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from perqueue_lab._bridge import BridgeError, run_cli


@pytest.fixture
def project_dir(tmp_path: Path):
    """An empty project folder whose bridge daemon, if one was started, is stopped afterwards."""
    yield tmp_path
    if (tmp_path / ".perqueue").exists():
        try:
            run_cli(["daemon", "stop", "--project", str(tmp_path)], cwd=tmp_path)
        except BridgeError:
            pass


@pytest.fixture
def project(project_dir: Path, request: pytest.FixtureRequest):
    """A project folder holding the test module's task scripts: its SCRIPTS, file name -> source."""
    for name, text in request.module.SCRIPTS.items():
        (project_dir / name).write_text(textwrap.dedent(text))
    return project_dir
