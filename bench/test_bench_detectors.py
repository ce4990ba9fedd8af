"""Tone detectors over 1,000 channels in 20 ms blocks, beside a per-channel Python loop.

Workload (pycti.cli.dsp_bench.workload): 2 s of speech-like audio on every channel; every 4th
channel carries DTMF digits, the next CNG then CED, the next China busy tone.  The set "all"
is DTMF + CNG + CED + busy (``DtmfDetector`` plus ``CallToneDetector``, which runs the fax and
call-progress detectors from one shared front end) on every channel.

The reference is the same detector classes driven one channel at a time by a Python loop
(``LOOP_CHANNELS`` channels; its cost is linear in channels).
``test_batched_matches_the_per_channel_loop`` checks that both report the same events.

Figures are channel-seconds of audio per CPU-second (``time.process_time``; the best of the
rounds, as the least disturbed on a shared machine), in ``extra_info``.  Run for figures::

    python -m pytest bench/test_bench_detectors.py --benchmark-group-by=group \
        --benchmark-columns=mean,min,rounds -p no:cacheprovider

Target for "all": >= 15,000 channel-seconds per CPU-second (spandsp: 4,132).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from pycti.cli.dsp_bench import make_detectors, run_detectors, workload
from pycti.dsp._base import DigitEvent

pytest.importorskip("pycti.dsp.dtmf")

CHANNELS = 1000
SECONDS = 2.0
LOOP_CHANNELS = 8
BLOCK = 160
AUDIO = workload(CHANNELS, SECONDS, seed=0)
_rates: dict[str, float] = {}


def _key(e: Any) -> tuple:
    name = e.digit if isinstance(e, DigitEvent) else e.tone
    return (e.channel, e.start_sample, e.end_sample, name, round(e.level_dbm0, 2))


def _loop(name: str, audio: np.ndarray) -> list[Any]:
    """The same detectors, one instance per channel, driven channel by channel per block."""
    per_channel = [make_detectors(name, 1) for _ in range(audio.shape[0])]
    events: list[Any] = []
    for pos in range(0, audio.shape[1], BLOCK):
        for ch, dets in enumerate(per_channel):
            for d in dets:
                events += [_relabel(e, ch) for e in d.process(audio[ch: ch + 1, pos: pos + BLOCK])]
    for ch, dets in enumerate(per_channel):
        for d in dets:
            events += [_relabel(e, ch) for e in d.flush()]
    return events


def _relabel(e: Any, channel: int) -> Any:
    fields = {f: getattr(e, f) for f in e.__dataclass_fields__}
    fields["channel"] = channel
    return type(e)(**fields)


def test_batched_matches_the_per_channel_loop() -> None:
    audio = AUDIO[:16]
    batched = run_detectors(make_detectors("all", 16), audio, BLOCK)
    looped = _loop("all", audio)
    assert sorted(map(_key, batched)) == sorted(map(_key, looped))
    names = {(e.channel % 4, _key(e)[3]) for e in batched}
    assert {(1, "CNG"), (1, "CED"), (2, "BUSY")} <= names
    assert any(kind == 0 and len(n) == 1 for kind, n in names)  # digits on DTMF channels
    assert not any(kind == 3 for kind, _ in names)  # speech-only channels stay silent


def _measure(benchmark: Any, label: str, channels: int, run: Any) -> None:
    cpu: list[float] = []
    found: list[int] = []

    def once() -> None:
        t0 = time.process_time()
        found.append(len(run()))
        cpu.append(time.process_time() - t0)

    benchmark.pedantic(once, rounds=3, warmup_rounds=0, iterations=1)
    assert found and found[-1] > 0
    rate = channels * SECONDS / max(min(cpu), 1e-9)
    _rates[label] = rate
    benchmark.extra_info["channels"] = channels
    benchmark.extra_info["channel_seconds_per_cpu_second"] = round(rate)
    benchmark.extra_info["cpu_seconds_best"] = round(min(cpu), 4)


@pytest.mark.parametrize("name", ["dtmf", "progress", "fax", "all"])
def test_bench_batched(benchmark: Any, name: str) -> None:
    benchmark.group = "detectors, 1000 channels, 20 ms blocks"
    _measure(benchmark, name, CHANNELS,
             lambda: run_detectors(make_detectors(name, CHANNELS), AUDIO, BLOCK))
    if name == "all":
        benchmark.extra_info["target"] = 15000
        benchmark.extra_info["spandsp_reference"] = 4132


def test_bench_per_channel_loop(benchmark: Any) -> None:
    benchmark.group = "detectors, 1000 channels, 20 ms blocks"
    _measure(benchmark, "loop", LOOP_CHANNELS, lambda: _loop("all", AUDIO[:LOOP_CHANNELS]))
    if "all" in _rates and "loop" in _rates:
        benchmark.extra_info["batched_over_loop"] = round(_rates["all"] / _rates["loop"], 1)
