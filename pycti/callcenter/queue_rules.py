"""A queue's rules: distribution, limits, overflow, opening hours, exit keys, announcements.

:class:`QueueConfig` holds them; :class:`~pycti.callcenter.acd.Acd` applies them.  The rules,
each checked when it can change:

* **strategy**, **offer_timeout_s**, **min_skill_level** / **relax_skill**: see
  :mod:`pycti.callcenter.acd` and :mod:`pycti.callcenter.strategies`;
* **max_length**: a call arriving to a queue that already holds this many overflows;
* **join_empty** = False: a call arriving while no agent is logged on to the queue overflows;
  **leave_empty** = True: when the last agent logs off, the waiting calls overflow;
* **max_wait_s**: a call that has waited this long overflows;
* **overflow_calls_per_agent**: a call arriving while the waiting calls per *available* agent
  (logged on and ready, or on an ACD call; not in not-ready or wrap-up) would exceed this
  overflows;
* **hours**: outside its :class:`OpeningHours` (and on its holidays) the queue is closed: an
  arriving call goes to ``closed_to``;
* **exit_keys**: a waiting caller who keys a digit listed here leaves for its device;
* **callback_key**: a waiting caller who keys it may hang up: a callback request keeps the
  caller's place in line, and when it reaches the front and an agent is free, the agent's phone
  calls the caller's number (``Acd.callbacks``, ``Acd.called_back``);
* **announcements**: every ``every_s`` the caller hears its position (never larger than the
  one announced before, even when a priority caller moves ahead) and the estimated wait.

Overflow goes to ``overflow_to`` -- any device: another queue, an IVR route, a voicemail
device -- by DeflectCall; with no ``overflow_to`` (or ``closed_to``) the caller is cleared.

The **estimated wait** (:func:`estimate_wait_s`) is the M/M/n conditional mean wait given
the queue (Whitt, "Predicting queueing delays", *Management Science* 45(6), 1999: the
queue-length predictor).  With ``n`` agents serving the queue, all busy, and handling times
exponential of mean ``AHT`` (rate mu = 1/AHT), agents free up as a Poisson process of rate
n mu; the caller with k callers ahead (``position`` = k + 1) is answered at the (k + 1)-th of
those departures, an Erlang(k + 1, n mu) time of mean (k + 1) / (n mu) = position x AHT / n and
standard deviation sqrt(position) x AHT / n.  With ``free`` agents idle and able to take the
call, the first ``free`` callers are answered at once, so in general::

    EWT = max(0, position - free) x AHT / n

The ACD's inputs (:meth:`~pycti.callcenter.acd.Acd.estimated_wait_s`):

* ``n``: the agents *serving* the queue -- logged on to it and ready, ringing, on a call or in
  wrap-up (after-call work); agents not ready (a break) or logged off do not count, for they
  will not free up for the queue.  No agent serving: no estimate (None);
* ``free``: of them, the agents ready with no offer out who may take this call now (skill
  level, not rung out on it);
* ``AHT``: the average *handle* time of the calls that have ended, talk time plus the
  wrap-up that followed (an agent in wrap-up is not free, so a departure is the end of the
  wrap-up, not of the talk); until a call has ended, the queue's ``default_aht_s`` (a prior
  the administrator sets, 180 s by default);
* ``position``: the caller's current place (1 = next); announcements tell the caller a
  position that never goes up, but the wait is estimated from the true one.

The ACD gives the estimate in seconds, not rounded; the announcement's ``render`` rounds it
for speech as it sees fit (whole minutes, say).  Its error, measured in simulation, is in
``docs/callcenter-theory.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import PyctiError
from .strategies import Strategy

__all__ = ["Announcement", "Announcements", "OpeningHours", "QueueConfig", "QueueRuleError", "estimate_wait_s"]


class QueueRuleError(PyctiError, ValueError):
    """A queue rule or an estimator input that cannot hold (the message names the value)."""


def _minutes(hhmm: str) -> int:
    try:
        h, m = hhmm.split(":")
        value = int(h) * 60 + int(m)
    except ValueError:
        raise QueueRuleError(f"opening hours: {hhmm!r} is not HH:MM") from None
    if not 0 <= value <= 24 * 60:
        raise QueueRuleError(f"opening hours: {hhmm!r} is not a time of day")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class OpeningHours:
    """When a queue is open: per weekday (0 = Monday) a list of ``("HH:MM", "HH:MM")`` ranges,
    end excluded, and holidays (dates on which it is closed all day)."""

    weekly: Mapping[int, tuple[tuple[str, str], ...]]
    holidays: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        for day, ranges in self.weekly.items():
            if day not in range(7):
                raise QueueRuleError(f"opening hours: weekday must be 0-6 (Monday-Sunday), got {day!r}")
            for start, end in ranges:
                if _minutes(start) >= _minutes(end):
                    raise QueueRuleError(f"opening hours: {start}-{end} on day {day} ends before it starts")

    def is_open(self, at: dt.datetime) -> bool:
        """Whether the queue is open at local time ``at``."""
        if at.date() in self.holidays:
            return False
        minute = at.hour * 60 + at.minute
        return any(_minutes(s) <= minute < _minutes(e) for s, e in self.weekly.get(at.weekday(), ()))


@dataclass(frozen=True, slots=True)
class Announcement:
    """What a waiting caller is told: ``position`` (1 = next) and the estimated wait in
    seconds (None when no agent is serving the queue: no estimate can be given)."""

    call_id: str
    queue: str
    position: int
    estimated_wait_s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Announcements:
    """Periodic announcements: ``render`` turns an :class:`Announcement` into the audio to
    play (int16 at 8 kHz; prompts joined, or speech synthesis), or None to skip it."""

    render: Callable[[Announcement], np.ndarray | None]
    first_after_s: float = 15.0
    every_s: float = 30.0


def estimate_wait_s(position: int, aht_s: float, serving: int, free: int = 0) -> float:
    """The M/M/n conditional mean wait ``max(0, position - free) x aht_s / serving`` of the
    caller at ``position`` (1 = next) with ``serving`` agents serving the queue, ``free`` of
    them idle (see the module docstring).  :class:`QueueRuleError` for a position below 1, a
    negative or non-finite ``aht_s``, fewer than one agent serving, or ``free`` out of 0..serving."""
    if position < 1:
        raise QueueRuleError(f"estimated wait: position must be >= 1, got {position!r}")
    if not math.isfinite(aht_s) or aht_s < 0:
        raise QueueRuleError(f"estimated wait: aht_s must be a finite number >= 0, got {aht_s!r}")
    if serving < 1:
        raise QueueRuleError(f"estimated wait: needs at least one agent serving the queue, got {serving!r}")
    if not 0 <= free <= serving:
        raise QueueRuleError(f"estimated wait: free agents must be 0..{serving}, got {free!r}")
    return max(0, position - free) * aht_s / serving


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueConfig:
    """One queue's rules (see the module docstring)."""

    name: str
    strategy: Strategy = Strategy.LONGEST_IDLE
    offer_timeout_s: float = 15.0  #: ring-out: an offer unanswered this long comes back
    progressive_step_s: float = 5.0  #: RING_PROGRESSIVELY: one more phone rings this often
    min_skill_level: int = 1
    #: (waited seconds, minimum level) steps: the minimum skill relaxes as the call waits
    relax_skill: tuple[tuple[float, int], ...] = ()
    hold_audio: np.ndarray | None = field(default=None, compare=False)
    max_length: int | None = None
    max_wait_s: float | None = None
    overflow_calls_per_agent: float | None = None
    join_empty: bool = True
    leave_empty: bool = False
    overflow_to: str | None = None
    hours: OpeningHours | None = None
    closed_to: str | None = None
    exit_keys: Mapping[str, str] = field(default_factory=dict)
    #: a waiting caller who keys this digit is called back, keeping the place in line
    callback_key: str | None = None
    announcements: Announcements | None = field(default=None, compare=False)
    default_aht_s: float = 180.0

    def __post_init__(self) -> None:
        if self.offer_timeout_s <= 0:
            raise QueueRuleError(f"queue {self.name}: offer_timeout_s must be > 0, got {self.offer_timeout_s!r}")
        if not math.isfinite(self.default_aht_s) or self.default_aht_s <= 0:
            raise QueueRuleError(f"queue {self.name}: default_aht_s must be a finite number > 0, got {self.default_aht_s!r}")
        if self.max_length is not None and self.max_length < 1:
            raise QueueRuleError(f"queue {self.name}: max_length must be >= 1, got {self.max_length!r}")
        if self.max_wait_s is not None and self.max_wait_s <= 0:
            raise QueueRuleError(f"queue {self.name}: max_wait_s must be > 0, got {self.max_wait_s!r}")
        for key in (*self.exit_keys, *((self.callback_key,) if self.callback_key is not None else ())):
            if len(key) != 1 or key not in "0123456789*#ABCD":
                raise QueueRuleError(f"queue {self.name}: exit key {key!r} is not one DTMF digit")

    def min_level(self, waited_s: float) -> int:
        """The minimum skill level for a call that has waited ``waited_s``."""
        level = self.min_skill_level
        for after_s, relaxed in sorted(self.relax_skill):
            if waited_s >= after_s:
                level = relaxed
        return level

    def with_hold_audio(self, audio: np.ndarray | None) -> QueueConfig:
        """This config with ``audio`` as hold music when it has none."""
        if self.hold_audio is not None or audio is None:
            return self
        import dataclasses

        return dataclasses.replace(self, hold_audio=audio)
