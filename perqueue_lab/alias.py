"""The ``perqueue`` import alias: PerQueue task and submission scripts run unchanged.

Scripts written for the published ``perqueue`` package import ``perqueue``,
``perqueue.constants``, ``perqueue.task_classes.task`` and so on. :func:`install` appends a
meta-path finder that answers those imports with this package's modules, by the table
:data:`ALIASES` below: ``perqueue.constants`` *is* ``perqueue_lab.constants`` (the same module
object, so classes and constants compare identical), not a copy.

A real ``perqueue`` installation is never shadowed: before answering ``import perqueue`` the
finder asks every other finder on ``sys.meta_path`` for a ``perqueue``, and it answers for a
submodule only when ``perqueue`` itself is the alias. It sits first on ``sys.meta_path``
because the submodules must not reach the path finder: that one would load a second copy of,
say, ``perqueue_lab/queue.py`` under the name ``perqueue.queue`` from the aliased package's
``__path__``. Every other import pays one string comparison. Modules of PerQueue that have no counterpart here (its database backends, its
CLI, its runner, its schedulers) raise a ``ModuleNotFoundError`` saying what to use instead
(:data:`NOT_PROVIDED`).

The runner and the fork server install it in every task process; ``pql submit script.py``
runs a submission script with it installed (``python -m perqueue_lab.alias script.py``).
Only the standard library is imported: a cold task start pays one list insert.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["ALIASES", "NOT_PROVIDED", "PerqueueAlias", "install", "preload", "uninstall", "is_installed", "main"]

#: PerQueue 0.3.2 module -> the module of this package that stands for it.
ALIASES: dict[str, str] = {
    "perqueue": "perqueue_lab",
    "perqueue.constants": "perqueue_lab.constants",
    "perqueue.queue": "perqueue_lab.queue",
    "perqueue.selection": "perqueue_lab.selection",
    "perqueue.task_classes": "perqueue_lab.task_classes",
    "perqueue.task_classes.task": "perqueue_lab.task_classes.task",
    "perqueue.task_classes.task_groups": "perqueue_lab.task_classes.task_groups",
    "perqueue.task_classes.entry": "perqueue_lab.task_classes.entry",
    "perqueue.task_classes.util_classes": "perqueue_lab.task_classes.util_classes",
    "perqueue.utils": "perqueue_lab.utils",
    "perqueue.utils.serial_utils": "perqueue_lab.utils.serial_utils",
    "perqueue.utils.graph_utils": "perqueue_lab.utils.graph_utils",
    "perqueue.external": "perqueue_lab.external",
    "perqueue.external.python_workflow_definition": "perqueue_lab.external.python_workflow_definition",
}

#: PerQueue 0.3.2 modules (and their submodules) with no counterpart, and what to use instead.
NOT_PROVIDED: dict[str, str] = {
    "perqueue.__main__": "PerQueue's `pq` command line: use `pql` (pql --help)",
    "perqueue.cli": "PerQueue's `pq` command line: use `pql` (pql --help)",
    "perqueue.backend": "PerQueue's database backends: the project's state lives in the bridge's store; use PersistentQueue or pql",
    "perqueue.coordinator": "PerQueue's coordinator: workflows are advanced by the bridge; use PersistentQueue or pql",
    "perqueue.runner": "PerQueue's runner (`python -m perqueue.runner <key> <walltime>`): tasks are run by perqueue_lab.runner from their run folder",
    "perqueue.schedulers": "PerQueue's MyQueue/local submission: the bridge's executors (local pool, Slurm, PBS, LSF) start the jobs",
    "perqueue.console": "PerQueue's rich console (parprint): use print",
    "perqueue.task_classes.entry_group": "PerQueue's EntryGroup (a networkx graph of entries): read entries with PersistentQueue.get_entries()",
}

# PerQueue modules that are packages: importing their submodules needs a __path__.
_PACKAGES = {"perqueue", "perqueue.task_classes", "perqueue.utils", "perqueue.external"}


def _not_provided(fullname: str) -> str | None:
    for name, why in NOT_PROVIDED.items():
        if fullname == name or fullname.startswith(name + "."):
            return why
    return None


class _AliasLoader(importlib.abc.Loader):
    """Loads ``perqueue.x`` as the already importable ``perqueue_lab.y`` module object."""

    def __init__(self, target: str, package: bool) -> None:
        self.target = target
        self.package = package
        self._own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias spec on the module: give it back its own, so that
        # reload, runpy and pickling still see perqueue_lab's name.
        module.__spec__ = self._own_spec
        if self.package and not hasattr(module, "__path__"):
            module.__path__ = []  # a module standing for a PerQueue package: its submodules resolve here too


class PerqueueAlias(importlib.abc.MetaPathFinder):
    """Meta-path finder answering ``perqueue[.x]`` with ``perqueue_lab[.y]`` (see ALIASES)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "perqueue" and not fullname.startswith("perqueue."):
            return None
        if fullname == "perqueue":
            if self._real_perqueue_elsewhere():
                return None
        elif not _is_alias(sys.modules.get("perqueue")):
            return None  # a real perqueue (or none at all): never answer for its submodules
        why = _not_provided(fullname)
        if why is not None:
            raise ModuleNotFoundError(
                f"{fullname} is not provided by perqueue_lab ({why}); see docs/guide/from-perqueue.md",
                name=fullname,
            )
        target_name = ALIASES.get(fullname)
        if target_name is None:
            return None  # the usual "No module named ..." error
        if importlib.util.find_spec(target_name) is None:
            raise ModuleNotFoundError(
                f"{fullname} stands for {target_name}, which this perqueue_lab installation does not have",
                name=fullname,
            )
        package = fullname in _PACKAGES
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(target_name, package), is_package=package)

    def _real_perqueue_elsewhere(self) -> bool:
        """Whether any other finder (path entries, editable installs, ...) finds a ``perqueue``."""
        for finder in list(sys.meta_path):
            if finder is self or isinstance(finder, PerqueueAlias):
                continue
            find = getattr(finder, "find_spec", None)
            if find is not None and find("perqueue", None) is not None:
                return True
        return False


def _is_alias(module: ModuleType | None) -> bool:
    return module is not None and module is sys.modules.get("perqueue_lab")


def is_installed() -> bool:
    return any(isinstance(f, PerqueueAlias) for f in sys.meta_path)


def install() -> None:
    """Put the alias first on ``sys.meta_path`` (once); see the module's docstring for why.

    ``PQ_PERQUEUE_ALIAS=0`` in the environment leaves it out (the benchmark's baseline)."""
    if os.environ.get("PQ_PERQUEUE_ALIAS") == "0":
        return
    if not is_installed():
        sys.meta_path.insert(0, PerqueueAlias())


def preload() -> None:
    """Resolve ``perqueue`` and ``perqueue.constants`` now, when the alias answers for them (no
    real perqueue): a fork server does it once, so its children find them in ``sys.modules``."""
    finder = next((f for f in sys.meta_path if isinstance(f, PerqueueAlias)), None)
    if finder is None or finder._real_perqueue_elsewhere():
        return  # a real perqueue is the tasks' own business: it is not imported here
    importlib.import_module("perqueue")
    importlib.import_module("perqueue.constants")


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, PerqueueAlias)]


def main(argv: list[str] | None = None) -> int:
    """``python -m perqueue_lab.alias script.py [args...]``: run a script as ``python script.py``
    would, with the alias installed (how ``pql submit`` runs a PerQueue submission script)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m perqueue_lab.alias <script.py> [args...]", file=sys.stderr)
        return 2
    install()
    script = argv[0]
    sys.argv = list(argv)
    # Like `python script.py`: the script's folder, not the current one (-m's), starts the path.
    from pathlib import Path

    sys.path[0] = str(Path(script).resolve().parent)
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
