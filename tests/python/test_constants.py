"""The Python constants must equal their TypeScript twins in core/constants.ts, and PerQueue's values."""

from __future__ import annotations

import re
from pathlib import Path

from perqueue_lab import constants

TS_FILE = Path(__file__).resolve().parents[2] / "core" / "constants.ts"


def ts_constants() -> dict[str, object]:
    """Every ``export const NAME = 'text' | number;`` of core/constants.ts."""
    text = TS_FILE.read_text(encoding="utf-8")
    found: dict[str, object] = {}
    for name, s1, s2, num in re.findall(
        r"^export const ([A-Z_][A-Z0-9_]*)\s*=\s*(?:'([^']*)'|\"([^\"]*)\"|(-?\d+(?:\.\d+)?))\s*;",
        text,
        flags=re.M,
    ):
        found[name] = int(num) if num and "." not in num else (float(num) if num else (s1 or s2))
    return found


def test_every_typescript_constant_has_the_same_python_value():
    ts = ts_constants()
    assert ts, f"no constants parsed from {TS_FILE}"
    for name, value in ts.items():
        assert getattr(constants, name, None) == value, (
            f"{name}: TypeScript {value!r}, Python {getattr(constants, name, None)!r}"
        )


def test_every_python_constant_exists_in_typescript():
    ts = ts_constants()
    missing = sorted(set(constants.all_constants) - set(ts))
    assert not missing, f"only in Python: {missing}"


def test_values_are_perqueues():
    assert constants.ITER_KW == "pq_iteration"
    assert constants.INDEX_KW == "pq_index"
    assert constants.MAXTRIES_KW == "pq_max_tries"
    assert constants.CYCLICALGROUP_KEY == "pq_toggle_key"
    assert constants.DYNAMICWIDTHGROUP_KEY == "pq_dwg_width"
    assert constants.SWITCHGROUP_KEY == "pq_switch_key"
    assert constants.SWITCHGROUP_SKIP == "pq_skip_route"
    assert constants.PARENTS_KW == "pq_parents"
    assert constants.DEFAULT_MAX_TRIES == 16
