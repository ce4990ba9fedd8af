"""FSK caller ID receiver throughput, batched over channels, beside the same receiver per channel.

Load: 2 s of audio per channel, white noise at -50 dBm0 everywhere; every 4th channel carries
an MDMF caller ID transmission (seizure, mark, 35-byte message; Bell 202 and V.23 alternately,
-15 dBm0) at a random offset, so a quarter of the channels do per-message work.  Audio is fed in
20 ms blocks (the media plane's tick).  Figures are channel-seconds of audio per CPU-second on
one core (``time.process_time``, best of the rounds), in ``extra_info["channel_s_per_cpu_s"]``.
Run for figures::

    python -m pytest bench/test_bench_callerid.py --benchmark-columns=mean,min,rounds -p no:cacheprovider

``test_batched_and_per_channel_give_the_same_events`` checks both paths agree.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from pycti.dsp._base import dbm0_to_peak
from pycti.dsp.callerid import CallerId, CallerIdEvent, encode_mdmf
from pycti.dsp.callerid_fsk import FskCallerIdReceiver, fsk_callerid_signal

BLOCK_SAMPLES = 160
SECONDS = 2.0
MESSAGE = encode_mdmf(CallerId(number="6095551212", name="JOHN DOE", month=3, day=24, hour=9, minute=2))


def _load(channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(SECONDS * 8000)
    audio = rng.normal(0.0, dbm0_to_peak(-50.0) / np.sqrt(2.0), (channels, n))
    signals = [fsk_callerid_signal(MESSAGE, standard=s, level_dbm0=-15.0) for s in ("bell202", "v23")]
    for ch in range(0, channels, 4):
        sig = signals[(ch // 4) % 2]
        offset = int(rng.integers(0, n - sig.size))
        audio[ch, offset : offset + sig.size] += sig
    return audio


def _run_batched(audio: np.ndarray) -> list[CallerIdEvent]:
    rx = FskCallerIdReceiver(audio.shape[0])
    events: list[CallerIdEvent] = []
    for s in range(0, audio.shape[1], BLOCK_SAMPLES):
        events += rx.process(audio[:, s : s + BLOCK_SAMPLES])
    return events + rx.flush()


def _run_per_channel(audio: np.ndarray) -> list[CallerIdEvent]:
    receivers = [FskCallerIdReceiver(1) for _ in range(audio.shape[0])]
    events: list[CallerIdEvent] = []
    for s in range(0, audio.shape[1], BLOCK_SAMPLES):
        for ch, rx in enumerate(receivers):
            events += [
                dataclasses.replace(e, channel=ch) for e in rx.process(audio[ch : ch + 1, s : s + BLOCK_SAMPLES])
            ]
    for ch, rx in enumerate(receivers):
        events += [dataclasses.replace(e, channel=ch) for e in rx.flush()]
    return events


def _throughput(benchmark, func, audio: np.ndarray) -> float:
    cpu: list[float] = []

    def timed():
        t0 = time.process_time()
        out = func(audio)
        cpu.append(time.process_time() - t0)
        return out

    benchmark.pedantic(timed, rounds=3, iterations=1)
    figure = audio.shape[0] * audio.shape[1] / 8000 / max(min(cpu), 1e-9)
    benchmark.extra_info["channels"] = audio.shape[0]
    benchmark.extra_info["channel_s_per_cpu_s"] = round(figure)
    return figure


@pytest.fixture(scope="module")
def load_256() -> np.ndarray:
    return _load(256)


def test_bench_callerid_batched_256_channels(benchmark, load_256) -> None:
    """256 channels x 2 s in 20 ms blocks, one receiver."""
    _throughput(benchmark, _run_batched, load_256)


def test_bench_callerid_per_channel_loop(benchmark, load_256) -> None:
    """The same receiver with channels=1, one channel at a time: 32 channels x 2 s."""
    _throughput(benchmark, _run_per_channel, load_256[:32])


def test_batched_and_per_channel_give_the_same_events(load_256) -> None:
    audio = load_256[:32]
    batched = sorted(_run_batched(audio), key=lambda e: (e.channel, e.end_sample))
    assert sorted(_run_per_channel(audio), key=lambda e: (e.channel, e.end_sample)) == batched
    assert [e.channel for e in batched] == list(range(0, 32, 4))
    assert all(e.raw == MESSAGE and e.error is None for e in batched)
