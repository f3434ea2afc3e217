"""The Python lock (requirements-lock.txt) is what an install gets: every distribution in this
environment is pinned there at the version installed, and every pin is installed, so a fresh
machine installs what these tests ran on (scripts/install.sh passes the lock to pip)."""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Needed only to build this package (hatchling and what it needs, in pip's isolated build
#: environment), never installed.
BUILD_ONLY = {"hatchling", "pathspec", "tomlkit", "trove-classifiers"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s=;]+)", line)
        assert match, f"{path.name}:{number}: not 'name==version': {line!r}"
        name = normalise(match[1])
        assert name not in pins, f"{path.name}:{number}: {name} pinned twice"
        pins[name] = match[2]
    return pins


def locked_python() -> str:
    text = (REPO / "requirements-lock.txt").read_text()
    match = re.search(r"^# python: (\d+\.\d+)$", text, re.M)
    assert match, "requirements-lock.txt names the Python it was resolved for"
    return match[1]


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="the lock describes the project's virtual environment")
def test_the_environment_is_exactly_the_lock():
    if "{}.{}".format(*sys.version_info[:2]) != locked_python():
        pytest.skip(f"the lock is for Python {locked_python()}; scripts/install.sh installs unlocked on others")
    pins = read_lock(REPO / "requirements-lock.txt")
    installed = {normalise(d.metadata["Name"]): d.version for d in distributions()}
    installed.pop("perqueue-lab", None)  # this package, installed from the working tree
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, f"installed but not in requirements-lock.txt (run scripts/lock-python.sh): {unpinned}"
    other = {n: (v, pins[n]) for n, v in installed.items() if pins[n] != v}
    assert not other, f"installed (left) at other versions than locked (right): {other}"
    missing = sorted(set(pins) - set(installed) - BUILD_ONLY)
    assert not missing, f"locked but not installed (a stale lock: run scripts/lock-python.sh): {missing}"


def test_the_baseline_lock_pins_what_the_comparison_names():
    pins = read_lock(REPO / "bench" / "baseline" / "requirements-lock.txt")
    setup = (REPO / "bench" / "baseline" / "setup.sh").read_text()
    for name in ("perqueue", "myqueue", "networkx", "rich", "psutil"):
        assert name in pins, name
    assert f"PQ_BASELINE_PERQUEUE:-{pins['perqueue']}" in setup
    assert f"PQ_BASELINE_MYQUEUE:-{pins['myqueue']}" in setup
