"""Deterministic timers for a sans-I/O core (pure: no clock is read here).

The core keeps a :class:`TimerSet`; the I/O loop around it asks :meth:`TimerSet.next_deadline`
how long it may sleep, and when it wakes calls :meth:`TimerSet.pop_expired` with the time it
read, then hands each expired key back to the core (the pattern of aioquic's
``get_timer()`` / ``handle_timer(now)``).  Times are seconds on whatever clock the caller uses.

:class:`TimerConfig` holds the telephony timeouts, in milliseconds (the unit is in each name).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Generic, TypeVar

from pycti.errors import PyctiError

__all__ = ["TimerConfig", "TimerConfigError", "TimerSet"]

K = TypeVar("K", bound=Hashable)


def _finite(what: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number of seconds, got {value!r}")
    return float(value)


class TimerSet(Generic[K]):
    """Pending deadlines by key; each key has at most one.

    * :meth:`set` arms ``key`` (re-arming an armed key replaces its deadline);
    * :meth:`cancel` disarms it;
    * :meth:`pop_expired` removes and returns the keys whose deadline is ``<= now``, earliest
      deadline first; keys with equal deadlines come in the order they were (last) set.

    A binary heap with lazy deletion: set, cancel and each expiry cost O(log n) amortised;
    stale heap entries are dropped when they surface or when they outnumber the live ones.
    Nothing depends on hashing order, so a seeded simulation repeats exactly.
    """

    __slots__ = ("_heap", "_live", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K]] = []
        self._live: dict[K, tuple[float, int]] = {}  # key -> (deadline, seq) of its live entry
        self._seq = 0

    def set(self, key: K, deadline: float) -> None:
        """Arm ``key`` to expire at ``deadline`` (seconds), replacing any earlier setting."""
        when = _finite("deadline", deadline)
        hash(key)  # an unhashable key fails here, not later
        self._seq += 1
        self._live[key] = (when, self._seq)
        heapq.heappush(self._heap, (when, self._seq, key))
        if len(self._heap) > 2 * len(self._live) + 16:
            self._compact()

    def cancel(self, key: K) -> bool:
        """Disarm ``key``; return whether it was armed."""
        found = self._live.pop(key, None) is not None
        if not self._live:
            self._heap.clear()
        return found

    def deadline(self, key: K) -> float | None:
        """``key``'s deadline, or None when it is not armed."""
        entry = self._live.get(key)
        return None if entry is None else entry[0]

    def next_deadline(self) -> float | None:
        """The earliest deadline of an armed key, or None when none is armed."""
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_expired(self, now: float) -> list[K]:
        """Disarm and return every key whose deadline is ``<= now``, in deadline order (ties
        in the order they were set)."""
        limit = _finite("now", now)
        expired: list[K] = []
        heap, live = self._heap, self._live
        while heap:
            when, seq, key = heap[0]
            if live.get(key) != (when, seq):
                heapq.heappop(heap)
                continue
            if when > limit:
                break
            heapq.heappop(heap)
            del live[key]
            expired.append(key)
        return expired

    def clear(self) -> None:
        """Disarm everything."""
        self._heap.clear()
        self._live.clear()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: object) -> bool:
        return key in self._live

    def __iter__(self) -> Iterator[K]:
        """Armed keys in deadline order (ties in the order set); does not disarm."""
        return iter(key for _, key in sorted((entry, key) for key, entry in self._live.items()))

    def _drop_stale(self) -> None:
        heap, live = self._heap, self._live
        while heap and live.get(heap[0][2]) != heap[0][:2]:
            heapq.heappop(heap)

    def _compact(self) -> None:
        self._heap = [(when, seq, key) for key, (when, seq) in self._live.items()]
        heapq.heapify(self._heap)


class TimerConfigError(PyctiError, ValueError):
    """A :class:`TimerConfig` field is negative, not a number, or unknown; names the field."""


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """Telephony timeouts in milliseconds; ``0`` switches a timer off.

    * ``ring_no_answer_ms`` -- how long a call alerts before it is redirected or cleared
      (20 s: three to four ring cycles, a common PBX default);
    * ``first_digit_ms`` -- off-hook to first digit before the caller is treated as having
      abandoned dialling (10 s, a common PBX default);
    * ``inter_digit_ms`` -- between digits; when it runs out an ambiguous dial plan match is
      completed (``DialPlan.match(..., final=True)``) -- 5 s;
    * ``wrap_up_ms`` -- after-call work before an ACD agent is offered the next call (off).

    Values must be finite and ``>= 0`` (ints or floats, not bools); a bad one raises
    :class:`TimerConfigError` (a ``ValueError``) naming the field.
    """

    ring_no_answer_ms: float = 20_000
    first_digit_ms: float = 10_000
    inter_digit_ms: float = 5_000
    wrap_up_ms: float = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TimerConfigError(f"{f.name} must be a number of milliseconds, got {value!r}")
            if math.isnan(value) or math.isinf(value):
                raise TimerConfigError(f"{f.name} must be finite, got {value!r}")
            if value < 0:
                raise TimerConfigError(f"{f.name} must be >= 0 (0 = off), got {value!r}")

    @classmethod
    def from_dict(cls, config: Mapping[str, object]) -> TimerConfig:
        """Build from a mapping (a TOML table); unknown keys raise, naming the key; missing
        keys keep their defaults."""
        known = {f.name for f in fields(cls)}
        for name in config:
            if name not in known:
                raise TimerConfigError(f"unknown timer {name!r} (known: {', '.join(sorted(known))})")
        return cls(**config)  # type: ignore[arg-type]  # field types are checked in __post_init__

    @staticmethod
    def deadline(now: float, duration_ms: float) -> float | None:
        """The deadline (seconds) a timer of ``duration_ms`` started at ``now`` (seconds) has,
        or None when the duration is 0 (timer off)."""
        start = _finite("now", now)
        if isinstance(duration_ms, bool) or not isinstance(duration_ms, (int, float)) or not duration_ms >= 0:
            raise ValueError(f"duration_ms must be >= 0, got {duration_ms!r}")
        if math.isinf(duration_ms):
            raise ValueError(f"duration_ms must be finite, got {duration_ms!r}")
        return None if duration_ms == 0 else start + duration_ms / 1000.0
