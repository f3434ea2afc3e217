"""The injected parameters cell against the cases the bridge's tests read too
(tests/fixtures/notebooks/parameters-cell.json, docs/contracts.md section 6): the same text in
both languages, and text that Python runs back into the entry's values."""

from __future__ import annotations

import json
import keyword
import math
from pathlib import Path

import pytest

from perqueue_lab import codec
from perqueue_lab.notebooks import injected_source

CASES = json.loads((Path(__file__).parents[1] / "fixtures/notebooks/parameters-cell.json").read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_cell_text_is_the_shared_case(case):
    assert injected_source(case["params"], case["entryId"], encoded=True) == case["source"]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_cell_runs_back_into_the_values(case):
    namespace: dict = {}
    exec(case["source"], namespace)
    assert namespace["pq_entry_id"] == case["entryId"]
    decoded = {name: codec.decode(value) for name, value in case["params"].items()}
    assert list(namespace["pq_params"]) == list(decoded)
    for name, value in decoded.items():
        assert _same(namespace["pq_params"][name], value), name
        if name.isidentifier() and not keyword.iskeyword(name):
            assert _same(namespace[name], value), name
