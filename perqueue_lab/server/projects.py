"""The PerQueue Lab projects JupyterLab can show: the server's own project and every folder below
the server's root that holds a ``.perqueue/`` (one bridge per project, started on first use).

A project is named by its path relative to the server's root (``""`` for the root itself); the
browser passes that name as the ``project`` query parameter. Only folders inside the root with a
``.perqueue/`` are ever served, so a request cannot reach a bridge elsewhere on the machine; a
``.perqueue`` that is a symbolic link must lead to a folder inside the root too. And only projects
that are this user's own are listed or started (``perqueue_lab._trust``): a project another user
planted in a shared folder below the root would otherwise run that user's tasks as this one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from perqueue_lab._trust import project_problem

from .bridge import BridgeConnector

__all__ = ["ProjectRegistry", "UnknownProject"]

#: Folders never searched for projects: environments, caches, version control.
_SKIPPED = {"node_modules", "__pycache__", "site-packages"}


class UnknownProject(Exception):
    """A project name that is not a PerQueue Lab project under the server's root."""


class ProjectRegistry:
    """Finds projects below ``root`` (``depth`` folders deep) and keeps one connector per project."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        default_project: str | os.PathLike[str],
        make_connector: Callable[[Path], BridgeConnector],
        *,
        depth: int = 3,
        limit: int = 100,
        max_folders: int = 5000,
        log: logging.Logger | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.default_dir = Path(default_project).resolve()
        self._make_connector = make_connector
        self._depth = depth
        self._limit = limit
        # A search below a home folder must stay short: it stops after this many folders.
        self._max_folders = max_folders
        self._connectors: dict[Path, BridgeConnector] = {}
        self._log = log
        self._refusals_logged: set[str] = set()
        self.default = self.connector_for_dir(self.default_dir)

    def connector_for_dir(self, folder: Path) -> BridgeConnector:
        connector = self._connectors.get(folder)
        if connector is None:
            connector = self._connectors[folder] = self._make_connector(folder)
        return connector

    def name_of(self, folder: Path) -> str:
        """The project's name as the browser uses it: its path relative to the root."""
        try:
            relative = folder.relative_to(self.root)
        except ValueError:
            return str(folder)  # the configured project may lie outside the root
        return "" if str(relative) == "." else relative.as_posix()

    def connector(self, name: str | None) -> BridgeConnector:
        """The connector of a named project; the default one for None. Raises UnknownProject."""
        if name is None or name == self.name_of(self.default_dir):
            return self.default
        if name and (name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in name.split("/"))):
            raise UnknownProject(f"'{name}' is not a project name (a folder path below the server's root)")
        folder = (self.root / name).resolve() if name else self.root
        if folder != self.root and self.root not in folder.parents:
            # A symbolic link out of the root.
            raise UnknownProject(f"'{name}' is outside the folder this server serves")
        if not (folder / ".perqueue").is_dir():
            raise UnknownProject(f"no PerQueue Lab project in '{name or '.'}' (no .perqueue/ folder there)")
        refusal = self._refusal(folder)
        if refusal:
            raise UnknownProject(refusal)
        return self.connector_for_dir(folder)

    def _refusal(self, folder: Path) -> str | None:
        """Why the project in ``folder`` (below the root) is not served, or None."""
        state = (folder / ".perqueue").resolve()
        if state != self.root and self.root not in state.parents:
            return f"{folder / '.perqueue'} leads outside the folder this server serves"
        return project_problem(folder)

    def find(self) -> list[dict[str, object]]:
        """The default project first, then every folder with a ``.perqueue/`` below the root."""
        found = [self.default_dir]
        budget = [self._max_folders]  # one per search: searches may run in parallel threads
        for folder in self._walk(self.root, 0, budget):
            if folder != self.default_dir and len(found) < self._limit:
                found.append(folder)
        return [
            {"name": self.name_of(folder), "dir": str(folder), "default": folder == self.default_dir}
            for folder in found
        ]

    def _log_refusal(self, refusal: str) -> None:
        """Say once in the server's log why a project found below the root is not listed."""
        if self._log is not None and refusal not in self._refusals_logged:
            self._refusals_logged.add(refusal)
            self._log.warning("PerQueue Lab: %s", refusal)

    def _walk(self, folder: Path, depth: int, budget: list[int]) -> Iterator[Path]:
        budget[0] -= 1
        if budget[0] < 0:
            return
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        if any(e.name == ".perqueue" and e.is_dir() for e in entries):
            refusal = self._refusal(folder)
            if refusal is None:
                yield folder
            else:
                self._log_refusal(refusal)
        if depth >= self._depth:
            return
        for entry in entries:
            if entry.name.startswith(".") or entry.name in _SKIPPED or not entry.is_dir(follow_symlinks=False):
                continue
            yield from self._walk(Path(entry.path), depth + 1, budget)
