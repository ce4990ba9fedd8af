"""Clocks that drive both planes of the switch: a real one for production, a virtual one for tests.

The switch core never reads a clock; the asyncio layer reads one and passes ``now`` in.  Both
clocks implement :class:`Clock`: ``now()`` in seconds and ``await sleep_until(t_s)``.

* :class:`RealClock` paces in wall time through the running event loop's clock.
* :class:`VirtualClock` moves only when told to: ``advance(dt_s)`` by a test or driver loop, or
  ``sleep_until(t_s)``, which jumps straight to ``t_s``.  A loop on a virtual clock therefore runs
  as fast as the CPU allows and, with a seeded workload, repeats exactly.

:class:`Metronome` turns either clock into a drift-free 20 ms tick source: tick ``k`` is due at
``start + k * period`` (absolute deadlines, so lateness of one tick never shifts the next).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable

__all__ = ["TICK_PERIOD_S", "Clock", "VirtualClock", "RealClock", "Metronome"]

#: Media tick period: 20 ms = 160 samples at 8 kHz (the G.711/RTP packetisation interval).
TICK_PERIOD_S = 0.020


@runtime_checkable
class Clock(Protocol):
    """What the switch needs from a clock."""

    def now(self) -> float:
        """Current time in seconds (monotonic; origin is the clock's ``start``)."""
        ...

    async def sleep_until(self, t_s: float) -> None:
        """Return once ``now() >= t_s`` (at once if that is already so)."""
        ...


class VirtualClock:
    """A clock whose time moves only when advanced.

    ``sleep_until(t_s)`` jumps the clock forward to ``t_s`` (never backwards) and yields once
    to the event loop, so a pacing loop on this clock runs without waiting.  It is meant for one
    pacing loop (the media/driver loop); everything else takes ``now`` as an input.
    """

    __slots__ = ("_now_s",)

    def __init__(self, start: float = 0.0) -> None:
        self._now_s = float(start)

    def now(self) -> float:
        """Current virtual time in seconds."""
        return self._now_s

    def advance(self, dt_s: float) -> float:
        """Move time forward by ``dt_s`` seconds (``ValueError`` if negative); return the new time."""
        if dt_s < 0:
            raise ValueError(f"a clock cannot go backwards: dt_s={dt_s!r}")
        self._now_s += float(dt_s)
        return self._now_s

    async def sleep_until(self, t_s: float) -> None:
        """Jump to ``t_s`` if it lies ahead, then yield once to the event loop."""
        if t_s > self._now_s:
            self._now_s = float(t_s)
        await asyncio.sleep(0)


class RealClock:
    """Wall-clock time from the event loop's monotonic clock (``loop.time()``).

    ``now()`` is seconds since construction plus ``start``.  ``sleep_until`` schedules the wake-up
    at an absolute loop time, so repeated sleeps to ``start + k * period`` do not drift.
    """

    __slots__ = ("_origin", "_start_s")

    def __init__(self, start: float = 0.0) -> None:
        self._start_s = float(start)
        self._origin = self._loop_time()

    @staticmethod
    def _loop_time() -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return time.monotonic()  # the default event loop's clock

    def now(self) -> float:
        """Seconds since construction, plus ``start``."""
        return self._start_s + (self._loop_time() - self._origin)

    async def sleep_until(self, t_s: float) -> None:
        """Sleep until ``now() >= t_s`` (returns after one loop pass if already due)."""
        loop = asyncio.get_running_loop()
        deadline = self._origin + (t_s - self._start_s)
        while True:
            delay = deadline - loop.time()
            if delay <= 0:
                await asyncio.sleep(0)
                return
            await asyncio.sleep(delay)


class Metronome:
    """Drift-free tick source: tick ``k`` is due at ``start_s + k * period_s``.

    ``await next_tick()`` waits for the next deadline and returns its index.  A tick that starts
    more than one period after its deadline counts in ``late_ticks``; ticks are never skipped
    (every 20 ms of audio must be processed), so a late loop catches up by running back to back.
    """

    __slots__ = ("clock", "period_s", "start_s", "_k", "late_ticks", "max_lateness_s")

    def __init__(self, clock: Clock, period_s: float = TICK_PERIOD_S, *, start_s: float | None = None) -> None:
        if period_s <= 0:
            raise ValueError(f"period_s must be positive, got {period_s!r}")
        self.clock = clock
        self.period_s = float(period_s)
        self.start_s = clock.now() if start_s is None else float(start_s)
        self._k = 0
        self.late_ticks = 0
        self.max_lateness_s = 0.0

    def deadline(self, k: int) -> float:
        """Time in seconds at which tick ``k`` is due."""
        return self.start_s + k * self.period_s

    async def next_tick(self) -> int:
        """Wait for the next tick's deadline and return the tick index (0, 1, 2 ...)."""
        k = self._k
        due = self.deadline(k)
        await self.clock.sleep_until(due)
        lateness = self.clock.now() - due
        self.max_lateness_s = max(self.max_lateness_s, lateness)
        if lateness > self.period_s:
            self.late_ticks += 1
        self._k = k + 1
        return k
