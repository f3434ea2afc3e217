"""``Selection``: PerQueue's entry filter (by state, key, job id and name glob).

Same argument forms as PerQueue: ``states`` as letters ("sdf") — full names separated by
commas are accepted too; ``ids`` as an int, a list, a ``range`` or a string "1,4-7" (ranges
inclusive at both ends, as in PerQueue); ``names`` as comma-separated globs or a list, matched
case-insensitively against the whole name. As in PerQueue, skipped ("axed") entries are left
out unless the states ask for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any

from perqueue_lab.task_classes.entry import Entry
from perqueue_lab.task_classes.util_classes import EntryState

__all__ = ["Selection", "parse_ids", "parse_states"]

Ids = str | int | Sequence[int | range] | range


def parse_states(states: str | Iterable[EntryState | str]) -> list[EntryState]:
    """Letters ("sdf"), comma-separated names ("succeeded,failed") or a list of either.

    >>> [s.name for s in parse_states("sf")]
    ['succeeded', 'failed']
    >>> [s.name for s in parse_states("succeeded, timed_out")]
    ['succeeded', 'timed_out']
    >>> [s.name for s in parse_states(["g", EntryState.running])]  # PerQueue's goahead is queued
    ['queued', 'running']
    """
    parts: list[EntryState | str]
    if isinstance(states, str):
        text = states.strip()
        if "," in text or text in EntryState.__members__:
            parts = [p.strip() for p in text.split(",") if p.strip()]
        else:
            parts = list(text.lower())
    else:
        parts = list(states)
    parsed = [p if isinstance(p, EntryState) else EntryState.parse(p) for p in parts]
    # PerQueue's "goahead" (ready, not yet handed to MyQueue) is "queued" here, as `pql -s g` reads it.
    return [EntryState.queued if s is EntryState.goahead else s for s in parsed]


def _inclusive(r: range) -> list[int]:
    """PerQueue reads ranges as inclusive of their stop, matching its "1-5" strings.

    >>> _inclusive(range(1, 5)), _inclusive(range(1, 7, 2)), _inclusive(range(3, 3))
    ([1, 2, 3, 4, 5], [1, 3, 5, 7], [3])
    """
    out = list(r)
    end = (out[-1] + r.step) if out else r.start
    if end == r.stop:
        out.append(end)
    return out


def parse_ids(ids: Ids) -> set[int]:
    """All keys an ``ids`` argument names.

    >>> sorted(parse_ids("1,4-7")), sorted(parse_ids([2, range(8, 9)])), parse_ids(3)
    ([1, 4, 5, 6, 7], [2, 8, 9], {3})
    >>> parse_ids("1,x")
    Traceback (most recent call last):
    ...
    ValueError: bad id 'x' in '1,x': use numbers and ranges such as 1,4-7
    """
    if isinstance(ids, bool):
        raise TypeError(f"ids must be keys, got {ids!r}")
    if isinstance(ids, int):
        return {ids}
    if isinstance(ids, range):
        return set(_inclusive(ids))
    if isinstance(ids, str):
        out: set[int] = set()
        for part in ids.split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d+)-(\d+)", part)
            if m:
                out.update(range(int(m.group(1)), int(m.group(2)) + 1))
            elif part.isdigit():
                out.add(int(part))
            else:
                raise ValueError(f"bad id {part!r} in {ids!r}: use numbers and ranges such as 1,4-7")
        return out
    out = set()
    for x in ids:
        out.update(parse_ids(x))
    return out


class Selection:
    """A filter over entries; every given criterion must match (an unset one matches all)."""

    def __init__(
        self,
        states: str | Iterable[EntryState | str] | None = None,
        ids: Ids | None = None,
        mq_ids: Ids | None = None,
        names: str | Sequence[str] | None = None,
    ) -> None:
        self.states = parse_states(states) if states is not None else None
        self.keys = sorted(parse_ids(ids)) if ids is not None else None
        self.mq_ids = sorted(parse_ids(mq_ids)) if mq_ids is not None else None
        if names is None:
            self.names = None
        else:
            self.names = names.split(",") if isinstance(names, str) else list(names)

    def empty(self) -> bool:
        """True when no criterion is set."""
        return self.states is None and self.keys is None and self.mq_ids is None and self.names is None

    def matches(self, entry: Entry) -> bool:
        """Whether one entry passes the filter."""
        if self.keys is not None and entry.key not in self.keys:
            return False
        if self.mq_ids is not None and _as_int(entry.mq_id) not in self.mq_ids:
            return False
        if self.names is not None and not any(fnmatchcase(entry.name.lower(), pat.lower()) for pat in self.names):
            return False
        if self.states is not None:
            return entry.state in self.states
        return entry.state is not EntryState.skipped

    def filter(self, entries: Iterable[Entry]) -> list[Entry]:
        """The entries that pass, in their order."""
        return [e for e in entries if self.matches(e)]

    def __repr__(self) -> str:
        states = "".join(s.value for s in self.states) if self.states is not None else None
        return f"Selection(states={states}, keys={self.keys}, MQ_ids={self.mq_ids}, name={self.names})"


def _as_int(v: Any) -> int | None:
    """Any value int() takes (a number, a numeric string, a NumPy integer); None for the rest."""
    try:
        return int(v)
    except (TypeError, ValueError):
        return None
