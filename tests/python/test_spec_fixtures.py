"""The committed spec fixtures (tests/fixtures/specs/*.json) are what the Python builders produce.

The TypeScript tests read the same files, so a change here is a change of the shared contract:
regenerate with ``python tests/fixtures/specs/build_fixtures.py`` only on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_scripts import load_script

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


BUILDER = load_script(SPECS / "build_fixtures.py")


@pytest.mark.parametrize("name", sorted(BUILDER.BUILDERS))
def test_builder_output_equals_the_committed_fixture(name):
    path = SPECS / f"{name}.json"
    assert path.is_file(), f"{path} is missing: run python tests/fixtures/specs/build_fixtures.py"
    committed = json.loads(path.read_text(encoding="utf-8"))
    built = BUILDER.BUILDERS[name]()
    assert built == committed, f"the Python builders no longer produce {path.name}"
    assert BUILDER.to_text(built) == path.read_text(encoding="utf-8"), f"{path.name}: same content, different text"


def test_every_committed_fixture_has_a_builder():
    files = {p.stem for p in SPECS.glob("*.json")}
    assert files == set(BUILDER.BUILDERS)


def test_fixtures_cover_the_representative_shapes():
    kinds_by_fixture = {}
    for name, build in BUILDER.BUILDERS.items():
        text = json.dumps(build())
        kinds_by_fixture[name] = {
            k for k in ("static_width", "dynamic_width", "cyclical", "switch", "manual") if f'"{k}"' in text
        }
    assert kinds_by_fixture["active_learning"] == {"cyclical", "dynamic_width"}
    assert kinds_by_fixture["swg_switch"] == {"static_width", "switch"}
    assert kinds_by_fixture["manual_in_cycle"] == {"cyclical", "manual"}
    assert kinds_by_fixture["chain"] == set()
