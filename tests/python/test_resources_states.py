"""Resource strings read as core/resources.ts reads them; entry states carry PerQueue's letters."""

from __future__ import annotations

import pytest

from perqueue_lab.task_classes.util_classes import EntryState, Resources


@pytest.mark.parametrize(
    "text, cores, processes, nodename, tmax, weight, canonical",
    [
        ("1:local:10m", 1, 1, "local", 600, 0, "1:local:10m"),
        ("local", 1, 1, "local", 60, 0, "1:local:1m"),
        ("4:local", 4, 4, "local", 60, 0, "4:local:1m"),
        ("local:2h", 1, 1, "local", 7200, 0, "1:local:2h"),
        ("24:1:xeon24el8:2d", 24, 1, "xeon24el8", 172800, 0, "24:1:xeon24el8:2d"),
        ("8:sm3090el8:3h", 8, 8, "sm3090el8", 10800, 0, "8:sm3090el8:3h"),
        ("16:1:xeon8:2h", 16, 1, "xeon8", 7200, 0, "16:1:xeon8:2h"),
        ("16:1m:25", 16, 16, "", 60, 25, "16:1m:25"),
        ("16:7200s", 16, 16, "", 7200, 0, "16:2h"),
        ("8:xeon8:1:1h", 8, 1, "xeon8", 3600, 0, "8:1:xeon8:1h"),
        ("2:90s", 2, 2, "", 90, 0, "2:90s"),
    ],
)
def test_resource_strings_parse_like_myqueue(text, cores, processes, nodename, tmax, weight, canonical):
    r = Resources.from_string(text)
    assert (r.cores, r.processes, r.nodename, r.tmax, r.weight) == (cores, processes, nodename, tmax, weight)
    assert str(r) == canonical
    assert Resources.from_string(str(r)) == r


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "empty"),
        ("x:10m", "not a whole number"),
        ("0:10m", "at least 1"),
        ("8", "time limit is missing"),
        ("8:xeon8", "neither a time"),
        ("2:4:1h", "exceed cores"),
        ("4:a:b:c:1h", "too many fields"),
        ("4:1:x!:1h", "neither a process count nor a node name"),
    ],
)
def test_bad_resource_strings_say_why(text, why):
    with pytest.raises(ValueError, match=why):
        Resources.from_string(text)


def test_resources_repr_is_perqueues():
    assert repr(Resources.from_string("96:1:epyc96:50h")) == "Resources(cores=96, processes=1, tmax=180000, nodename='epyc96')"


def test_entry_state_letters():
    assert "".join(s.value for s in EntryState) == "wqrsdftcxba"


def test_entry_state_keeps_perqueues_names_as_aliases():
    assert EntryState.queueing is EntryState.queued
    assert EntryState.axed is EntryState.skipped
    assert EntryState.timeout is EntryState.timed_out
    assert EntryState.deserialize("s") is EntryState.succeeded and EntryState.succeeded.serialize() == "s"
    assert str(EntryState.failed) == "failed"


@pytest.mark.parametrize("text, state", [("succeeded", EntryState.succeeded), ("timed_out", EntryState.timed_out), ("a", EntryState.awaiting_input)])
def test_entry_state_parses_cli_names_and_letters(text, state):
    assert EntryState.parse(text) is state


def test_entry_state_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="wqrsdftcxba"):
        EntryState.parse("done")
