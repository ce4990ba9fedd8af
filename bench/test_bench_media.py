"""Media-plane cost per 20 ms tick: the batched plane beside a per-channel Python loop.

Workload (pycti.media.bench): every channel bridged in pairs, a DtmfDetector on every
inbound stream, speech-like inbound audio with a DTMF digit on every tenth channel.

The per-channel loop runs on ``LOOP_CHANNELS`` channels only (a 10,000-channel loop would take
seconds per tick); its cost is linear in channels, so ``extra_info`` also gives it scaled to
2,000 channels.  ``test_batched_plane_matches_the_per_channel_loop`` checks that both produce
the same outbound audio and the same digit events.

Run for figures on one core::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m pytest bench/test_bench_media.py \
        --benchmark-group-by=group --benchmark-columns=mean,min,max,rounds -p no:cacheprovider

Target: 2,000 channels under 4 ms per tick (20 % of real time).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from pycti.media.bench import CYCLE_TICKS, PerChannelLoop, bench_inbound, bridged_plane

pytest.importorskip("pycti.dsp.dtmf")

TICK_MS = 20.0
LOOP_CHANNELS = 200
_mean_ms: dict[str, float] = {}


def _digit_key(events: list[Any]) -> list[tuple[int, str, int, int]]:
    return sorted((e.channel, e.digit, e.start_sample, e.end_sample) for e in events)


def test_batched_plane_matches_the_per_channel_loop() -> None:
    channels = 64
    frames = bench_inbound(channels)
    plane = bridged_plane(channels)
    loop = PerChannelLoop(channels)
    plane_events: list[Any] = []
    loop_events: list[Any] = []
    for k in range(3 * CYCLE_TICKS):
        result = plane.tick(frames[k % CYCLE_TICKS])
        out, events = loop.tick(frames[k % CYCLE_TICKS])
        np.testing.assert_array_equal(result.outbound, out)
        plane_events += result.events
        loop_events += events
    assert _digit_key(plane_events) == _digit_key(loop_events)
    # Seven channels (0, 10, ... 60) send a digit every 200 ms: 3 cycles, 3 digits each.
    assert len({e.channel for e in plane_events}) == 7
    assert len(plane_events) >= 2 * 7


def _record(benchmark: Any, name: str, channels: int, scale_to: int | None = None) -> None:
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable: nothing measured
        return
    ms = stats.stats.mean * 1e3
    _mean_ms[name] = ms
    benchmark.extra_info["channels"] = channels
    benchmark.extra_info["ms_per_tick"] = round(ms, 3)
    benchmark.extra_info["ms_per_tick_min"] = round(stats.stats.min * 1e3, 3)  # least disturbed
    benchmark.extra_info["percent_of_real_time"] = round(100.0 * ms / TICK_MS, 2)
    benchmark.extra_info["us_per_channel_tick"] = round(1e3 * ms / channels, 3)
    if scale_to is not None:
        scaled = ms * scale_to / channels
        benchmark.extra_info[f"ms_per_tick_scaled_to_{scale_to}"] = round(scaled, 2)
        benchmark.extra_info[f"percent_of_real_time_scaled_to_{scale_to}"] = round(100.0 * scaled / TICK_MS, 1)
        batched = _mean_ms.get(f"plane-{scale_to}")
        if batched:
            benchmark.extra_info[f"loop_over_plane_at_{scale_to}"] = round(scaled / batched, 1)


@pytest.mark.parametrize("channels", [1000, 2000, 10000])
def test_bench_media_plane(benchmark: Any, channels: int) -> None:
    benchmark.group = "media tick"
    frames = bench_inbound(channels)
    plane = bridged_plane(channels)
    counter = itertools.count()
    digits: list[int] = []

    def one_tick() -> None:
        digits.append(len(plane.tick(frames[next(counter) % CYCLE_TICKS]).events))

    benchmark.pedantic(one_tick, rounds=max(20, 100_000 // channels), warmup_rounds=3, iterations=1)
    _record(benchmark, f"plane-{channels}", channels)
    assert sum(digits) > 0 or len(digits) < CYCLE_TICKS


def test_bench_per_channel_loop(benchmark: Any) -> None:
    benchmark.group = "media tick"
    frames = bench_inbound(LOOP_CHANNELS)
    loop = PerChannelLoop(LOOP_CHANNELS)
    counter = itertools.count()
    digits: list[int] = []

    def one_tick() -> None:
        digits.append(len(loop.tick(frames[next(counter) % CYCLE_TICKS])[1]))

    benchmark.pedantic(one_tick, rounds=30, warmup_rounds=3, iterations=1)
    _record(benchmark, f"loop-{LOOP_CHANNELS}", LOOP_CHANNELS, scale_to=2000)
    assert sum(digits) > 0 or len(digits) < CYCLE_TICKS
