"""Resources and entry states, under the import path PerQueue uses for them.

The resource grammar is MyQueue's ``[s:|p:]cores[:processes][:gpusG][:nodename]:tmax[:weight]``,
read exactly as ``myqueue/resources.py`` (26.8.1) and ``core/resources.ts`` read it: both are
checked against one table, ``tests/fixtures/resources/cases.json``. PerQueue's ``local``,
``N[:P]:local`` and ``local:T`` forms are read as PerQueue reads them (60 s without a time).
See the header of ``core/resources.ts`` for MyQueue's quirks that are kept and the few
nonsense strings refused here although MyQueue takes them.

Examples (string -> ``str(Resources.from_string(string))``):

=========================  ========================
``"1:local:10m"``          ``"1:local:10m"``
``"local"``                ``"1:local:1m"``
``"8:1:8G:sm3090el8:2h"``  ``"8:1:8G:sm3090el8:2h"`` (8 GPUs per node)
``"16:7200s"``             ``"16:2h"``
``"8:xeon8:1h:2.5"``       ``"8:xeon8:1h:2"`` (MyQueue prints the weight as a whole number)
=========================  ========================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["EntryState", "Resources", "parse_duration", "format_duration"]

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LOCAL_PLAIN = re.compile(r"^(?:\d+:){0,2}local$")
_LOCAL_NO_CORES = re.compile(r"^local:(\d+[smhd])$")
_WHOLE = re.compile(r"\d+")
_WEIGHT = re.compile(r"\d+\.?\d*|\.\d+")
_MAX_SAFE = 2**53 - 1  # what the TypeScript reader holds exactly
_DEFAULT_TMAX = 600
_LOCAL_TMAX = 60


def parse_duration(text: str) -> int:
    """Seconds from ``"10m"``, ``"2h"``, ``"30s"`` or ``"1d"``.

    >>> parse_duration("10m"), parse_duration("2h"), parse_duration("30s"), parse_duration("1d")
    (600, 7200, 30, 86400)
    >>> parse_duration("1.5h")
    Traceback (most recent call last):
    ...
    ValueError: bad time '1.5h': use a whole number with s, m, h or d (e.g. 10m)
    """
    m = re.fullmatch(r"(\d+)([smhd])", text)
    if not m:
        raise ValueError(f"bad time '{text}': use a whole number with s, m, h or d (e.g. 10m)")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def format_duration(seconds: int) -> str:
    """The largest unit that divides ``seconds`` evenly, as MyQueue prints it (7200 -> "2h").

    >>> format_duration(7200), format_duration(5400), format_duration(86400), format_duration(61)
    ('2h', '90m', '1d', '61s')
    """
    seconds = int(seconds)
    for unit in ("d", "h", "m"):
        n = _UNIT_SECONDS[unit]
        if seconds % n == 0:
            return f"{seconds // n}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class Resources:
    """What a task asks of the executor, with MyQueue's fields and defaults.

    ``nodename == "local"`` runs the task on the local pool instead of a scheduler; ``gpus`` is
    GPUs per node; ``weight`` is -1 when not given; ``serial`` is the ``s:``/``p:`` prefix.
    """

    cores: int = 1
    processes: int | None = None
    tmax: int = _DEFAULT_TMAX
    nodename: str = ""
    weight: float = -1.0
    gpus: int = 0
    serial: bool | None = None

    def __post_init__(self) -> None:
        if not self.processes:
            object.__setattr__(self, "processes", self.cores)

    @staticmethod
    def from_string(s: str) -> Resources:
        """Parse a resource string; ValueError names the string and what is wrong.

        >>> r = Resources.from_string("8:1:8G:sm3090el8:2h")
        >>> (r.cores, r.processes, r.gpus, r.nodename, r.tmax)
        (8, 1, 8, 'sm3090el8', 7200)
        >>> str(Resources.from_string("local")), str(Resources.from_string("16:7200s"))
        ('1:local:1m', '16:2h')
        >>> Resources.from_string("8:xeon8:1h:2.5").weight
        2.5
        >>> Resources.from_string("8:xeon8")
        Traceback (most recent call last):
        ...
        ValueError: bad resource string '8:xeon8': 'xeon8' is neither a time (10m) nor a weight
        """
        if not isinstance(s, str):
            raise TypeError(f"a resource string is needed (e.g. '1:local:10m'), got {s!r}")

        def bad(why: str) -> ValueError:
            return ValueError(f"bad resource string '{s}': {why}")

        if s.strip() == "":
            raise bad("it is empty")
        if _LOCAL_PLAIN.match(s):
            fields = s.split(":")
            cores = max(1, int(fields[0])) if len(fields) > 1 else 1
            processes = int(fields[1]) if len(fields) == 3 else 0
            return Resources(cores=cores, processes=processes or cores, tmax=_LOCAL_TMAX, nodename="local")
        m = _LOCAL_NO_CORES.match(s)
        if m:
            return Resources(cores=1, tmax=parse_duration(m.group(1)), nodename="local")

        text, serial = s, None
        if text.startswith("s:"):
            text, serial = text[2:], True
        elif text.startswith("p:"):
            text, serial = text[2:], False

        def whole(field: str, what: str) -> int:
            if not _WHOLE.fullmatch(field):
                raise bad(f"{what} '{field}' is not a whole number")
            if int(field) > _MAX_SAFE:
                raise bad(f"{what} '{field}' is too large")
            return int(field)

        parts = text.split(":")
        cores = whole(parts.pop(0), "cores")
        if not parts:
            raise bad("the time limit is missing (e.g. 1:10m)")
        weight = -1.0
        last = parts[-1]
        if last == "":
            raise bad("a field is empty")
        # MyQueue's rule: a last field that does not end in a time unit is the weight.
        if last[-1] not in "smhd":
            if not _WEIGHT.fullmatch(last):
                raise bad(f"'{last}' is neither a time (10m) nor a weight")
            weight = float(last)
            parts.pop()
        if not parts:
            raise bad("the time limit is missing (e.g. 1:10m)")
        tm = parts.pop()
        try:
            tmax = parse_duration(tm)
        except ValueError:
            raise bad(f"bad time '{tm}': use a whole number with s, m, h or d") from None
        processes = gpus = 0
        nodename = ""
        for p in parts:  # any order; a repeated field overrides, as in MyQueue
            if p == "":
                raise bad("a field is empty")
            if p[0].isdigit():
                if p.endswith("G"):
                    gpus = whole(p[:-1], "GPUs")
                else:
                    processes = whole(p, "processes")
            elif re.fullmatch(r"[^\s:]+", p):
                nodename = p
            else:
                raise bad(f"the node name '{p}' contains white space")
        cores = cores or 1
        return Resources(
            cores=cores,
            processes=processes or cores,
            tmax=tmax or _DEFAULT_TMAX,
            nodename=nodename,
            weight=weight,
            gpus=gpus,
            serial=serial,
        )

    def __str__(self) -> str:
        s = "" if self.serial is None else ("s:" if self.serial else "p:")
        s += str(self.cores)
        if self.processes != self.cores:
            s += f":{self.processes}"
        if self.gpus:
            s += f":{self.gpus}G"
        if self.nodename:
            s += f":{self.nodename}"
        s += f":{format_duration(self.tmax)}"
        if self.weight > 0:
            s += f":{int(self.weight)}"
        return s

    def todict(self) -> dict[str, Any]:
        """The fields that differ from MyQueue's defaults, as ``myqueue`` ``Resources.todict``."""
        dct: dict[str, Any] = {"cores": self.cores}
        if self.serial is not None:
            dct["serial"] = self.serial
        if self.processes != self.cores:
            dct["processes"] = self.processes
        if self.gpus:
            dct["gpus"] = self.gpus
        if self.tmax != _DEFAULT_TMAX:
            dct["tmax"] = self.tmax
        if self.nodename:
            dct["nodename"] = self.nodename
        if self.weight != -1.0:
            dct["weight"] = self.weight
        return dct

    def __repr__(self) -> str:
        return "Resources(" + ", ".join(f"{k}={v!r}" for k, v in self.todict().items()) + ")"


class EntryState(Enum):
    """The state of an entry, by PerQueue Lab's one-letter code.

    PerQueue's names stay usable as aliases (``queueing``, ``axed``, ``timeout``) so that
    scripts comparing ``entry.state`` with them keep working.
    """

    waiting = "w"
    queued = "q"
    running = "r"
    succeeded = "s"
    discarded = "d"
    failed = "f"
    timed_out = "t"
    cancelled = "c"
    skipped = "x"
    blocked = "b"
    awaiting_input = "a"
    # PerQueue's two states that no entry here takes (an entry goes from waiting straight to
    # queued, and every stored entry has a state), kept so that scripts naming them still run.
    goahead = "g"
    undefined = "u"
    # PerQueue's names for the same states (Enum aliases: same members).
    queueing = "q"
    axed = "x"
    timeout = "t"

    def serialize(self) -> str:
        """The one-letter code."""
        return self.value

    @classmethod
    def deserialize(cls, value: str) -> EntryState:
        """A state from its one-letter code."""
        return cls(value)

    @classmethod
    def parse(cls, text: str) -> EntryState:
        """A state from its full name (as the CLI prints it) or its letter.

        >>> EntryState.parse("succeeded"), EntryState.parse("f"), EntryState.parse("axed")
        (<EntryState.succeeded: 's'>, <EntryState.failed: 'f'>, <EntryState.skipped: 'x'>)
        >>> EntryState.parse("done")
        Traceback (most recent call last):
        ...
        ValueError: unknown state 'done': use one of the letters ...
        """
        if text in cls.__members__:
            return cls.__members__[text]
        try:
            return cls(text)
        except ValueError:
            raise ValueError(
                f"unknown state {text!r}: use one of the letters "
                f"{''.join(s.value for s in cls)} or names {', '.join(s.name for s in cls)}"
            ) from None

    def __str__(self) -> str:
        return self.name
