"""Clocks: virtual time moves only when advanced; real pacing keeps absolute deadlines."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from pycti.clock import Clock, Metronome, RealClock, VirtualClock
from pycti.media.plane import MediaPlane
from pycti.media.bench import speech_like


def test_both_clocks_implement_the_protocol() -> None:
    assert isinstance(VirtualClock(), Clock)
    assert isinstance(RealClock(), Clock)


def test_virtual_time_moves_only_when_advanced() -> None:
    clock = VirtualClock(start=10.0)
    assert clock.now() == clock.now() == 10.0
    assert clock.advance(0.5) == 10.5
    with pytest.raises(ValueError):
        clock.advance(-0.1)
    assert clock.now() == 10.5


async def test_virtual_sleep_jumps_forward_never_back() -> None:
    clock = VirtualClock()
    loop = asyncio.get_running_loop()
    wall0 = loop.time()
    await clock.sleep_until(3600.0)  # an hour of virtual time
    assert clock.now() == 3600.0
    await clock.sleep_until(10.0)
    assert clock.now() == 3600.0
    assert loop.time() - wall0 < 5.0  # it did not wait the hour


async def simulate(seed: int, ticks: int) -> tuple[list[float], np.ndarray, list[tuple[int, int, str]]]:
    """A small seeded media run paced by a metronome on a virtual clock."""
    rng = np.random.default_rng(seed)
    clock = VirtualClock()
    metronome = Metronome(clock)
    plane = MediaPlane(6)
    plane.set_parties("call", [0, 1])
    plane.set_parties("conf", [2, 3, 4])
    stamps: list[float] = []
    digest = np.zeros((6, 160), dtype=np.int64)
    events: list[tuple[int, int, str]] = []
    for _ in range(ticks):
        k = await metronome.next_tick()
        stamps.append(clock.now())
        if rng.random() < 0.1:
            plane.play(int(rng.integers(6)), speech_like(int(rng.integers(100, 900)), rng), replace=False)
        inbound = rng.integers(-3000, 3000, (6, 160)).astype(np.int16)
        r = plane.tick(inbound)
        digest += r.outbound
        events += [(k, e.channel, e.reason) for e in r.events]
    return stamps, digest, events


async def test_a_seeded_run_on_a_virtual_clock_repeats_exactly() -> None:
    first = await simulate(seed=42, ticks=200)
    second = await simulate(seed=42, ticks=200)
    other = await simulate(seed=43, ticks=200)
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert first[2] == second[2] and first[2]
    assert not np.array_equal(first[1], other[1])
    # Deadlines are start + k * 20 ms, computed from k, so no rounding drift accumulates.
    assert first[0] == [k * 0.020 for k in range(200)]


async def test_real_clock_metronome_is_drift_free() -> None:
    clock = RealClock()
    metronome = Metronome(clock, period_s=0.010)
    start = clock.now()
    for _ in range(10):
        k = await metronome.next_tick()
        assert clock.now() >= metronome.deadline(k)
        if k == 3:
            await asyncio.sleep(0.025)  # one slow tick: later deadlines are not shifted by it
    assert metronome.deadline(9) == pytest.approx(start + 0.090, abs=1e-3)
    assert clock.now() >= start + 0.090


async def test_a_late_metronome_catches_up_without_skipping_ticks() -> None:
    clock = VirtualClock()
    metronome = Metronome(clock, period_s=0.020)
    assert await metronome.next_tick() == 0
    clock.advance(0.09)  # the loop stalled for four and a half periods
    ticks = [await metronome.next_tick() for _ in range(6)]
    assert ticks == [1, 2, 3, 4, 5, 6]
    assert clock.now() == pytest.approx(0.12)  # caught up: tick 6 ran on time
    assert metronome.late_ticks == 3  # ticks 1, 2, 3 started more than a period late
    assert metronome.max_lateness_s == pytest.approx(0.07)
