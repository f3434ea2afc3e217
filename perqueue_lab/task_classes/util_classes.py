"""Resources and entry states, under the import path PerQueue uses for them.

The resource grammar is MyQueue's ``cores[:processes][:nodename]:tmax[:weight]`` and must read a
string exactly as ``core/resources.ts`` does, because the bridge validates the spec with that parser.
Python additionally accepts PerQueue's ``local[:time]`` without a core count and writes the
canonical form, which the TypeScript parser reads back to the same values.

Examples (string -> canonical ``str(Resources.from_string(string))``):

======================  =================
``"1:local:10m"``       ``"1:local:10m"``
``"local"``             ``"1:local:1m"``   (PerQueue's default local time is 60 s)
``"local:2h"``          ``"1:local:2h"``
``"24:1:xeon24el8:2d"`` ``"24:1:xeon24el8:2d"``
``"16:7200s"``          ``"16:2h"``
``"8:xeon8:1h:25"``     ``"8:xeon8:1h:25"``
======================  =================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["EntryState", "Resources", "parse_duration", "format_duration"]

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LOCAL_PLAIN = re.compile(r"^(?:\d+:){0,2}local$")
_LOCAL_NO_CORES = re.compile(r"^local:(\d+[smhd])$")


def parse_duration(text: str) -> int:
    """Seconds from ``"10m"``, ``"2h"``, ``"30s"`` or ``"1d"``."""
    m = re.fullmatch(r"(\d+)([smhd])", text)
    if not m:
        raise ValueError(f"bad time {text!r}: use a whole number with s, m, h or d (e.g. 10m)")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def format_duration(seconds: int) -> str:
    """The largest unit that divides ``seconds`` evenly, as MyQueue prints it (7200 -> "2h")."""
    for unit in ("d", "h", "m"):
        n = _UNIT_SECONDS[unit]
        if seconds % n == 0:
            return f"{seconds // n}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class Resources:
    """What a task asks of the executor: cores, processes, node (partition), time limit, weight.

    ``nodename == "local"`` runs the task on the local pool instead of a scheduler.
    """

    cores: int = 1
    processes: int | None = None
    tmax: int = 600
    nodename: str = ""
    weight: float = 0

    def __post_init__(self) -> None:
        if self.processes is None:
            object.__setattr__(self, "processes", self.cores)

    @staticmethod
    def from_string(s: str) -> Resources:
        """Parse a MyQueue resource string; ValueError names the string and what is wrong."""
        if not isinstance(s, str):
            raise TypeError(f"a resource string is needed (e.g. '1:local:10m'), got {s!r}")

        def bad(why: str) -> ValueError:
            return ValueError(f"bad resource string {s!r}: {why}")

        if s.strip() == "":
            raise bad("it is empty")
        parts = s.split(":")
        if _LOCAL_PLAIN.match(s):
            cores = int(parts[0]) if len(parts) > 1 else 1
            return Resources(cores=cores, processes=cores, tmax=60, nodename="local")
        m = _LOCAL_NO_CORES.match(s)
        if m:
            return Resources(cores=1, tmax=parse_duration(m.group(1)), nodename="local")
        if not parts[0].isdigit():
            raise bad(f"cores {parts[0]!r} is not a whole number")
        cores = int(parts[0])
        if cores < 1:
            raise bad("cores must be at least 1")
        rest = parts[1:]
        weight: float = 0
        if rest and not re.search(r"[smhd]$", rest[-1]):
            if not re.fullmatch(r"\d+(\.\d+)?", rest[-1]):
                raise bad(f"{rest[-1]!r} is neither a time (10m) nor a weight")
            weight = float(rest[-1])
            rest = rest[:-1]
        if not rest:
            raise bad("the time limit is missing (e.g. 1:10m)")
        try:
            tmax = parse_duration(rest[-1])
        except ValueError:
            raise bad(f"bad time {rest[-1]!r}: use a whole number with s, m, h or d") from None
        rest = rest[:-1]
        processes = cores
        nodename = ""
        for p in rest:
            if p.isdigit():
                processes = int(p)
            elif re.fullmatch(r"[A-Za-z_][\w.-]*", p):
                nodename = p
            else:
                raise bad(f"{p!r} is neither a process count nor a node name")
        if len(rest) > 2:
            raise bad("too many fields")
        if processes > cores:
            raise bad(f"processes ({processes}) exceed cores ({cores})")
        return Resources(cores=cores, processes=processes, tmax=tmax, nodename=nodename, weight=weight)

    def __str__(self) -> str:
        s = str(self.cores)
        if self.processes != self.cores:
            s += f":{self.processes}"
        if self.nodename:
            s += f":{self.nodename}"
        s += f":{format_duration(self.tmax)}"
        if self.weight > 0:
            s += f":{int(self.weight)}"
        return s

    def __repr__(self) -> str:
        return (
            f"Resources(cores={self.cores}, processes={self.processes}, "
            f"tmax={self.tmax}, nodename={self.nodename!r})"
        )


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
        """A state from its full name (as the CLI prints it) or its letter."""
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
