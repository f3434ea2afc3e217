"""The node-id rule of tests/fixtures/node-ids/cases.json as the Python builder follows it; the
TypeScript builders (core/builder.ts, the graphical builder) are checked against the same table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perqueue_lab import StaticWidthGroup, Task, Workflow

CASES = json.loads((Path(__file__).parents[1] / "fixtures/node-ids/cases.json").read_text("utf-8"))


@pytest.mark.parametrize("case", CASES["ids"], ids=lambda c: c["name"])
def test_ids_of_a_chain(case):
    chain = Workflow([Task("/work/x.py", name=n) for n in case["names"]]).to_spec()
    assert [n["id"] for n in chain["nodes"]] == case["ids"]
    assert [n["parents"] for n in chain["nodes"]] == [[]] + [[i] for i in case["ids"][:-1]]


@pytest.mark.parametrize("case", CASES["taskNames"], ids=lambda c: c["name"])
def test_task_names(case):
    task = Task(case["code"], name=case["given"])
    assert task.display_name == case["displayName"]
    assert task.to_spec()["name"] == case["displayName"]


@pytest.mark.parametrize("name", CASES["refusedGroupNames"])
def test_an_empty_group_name_is_refused(name):
    with pytest.raises(ValueError, match="must be a non-empty string"):
        StaticWidthGroup(Task("/work/x.py"), 2, name=name)
