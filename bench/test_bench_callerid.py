"""FSK caller ID receiver throughput: the gated receiver, the full (ungated) path, and the same
receiver run per channel.

Two loads, fed in 20 ms blocks (the media plane's tick) through one reused frame buffer, as a
media plane hands them over; only :meth:`FskCallerIdReceiver.process` is timed:

* ``mixed`` (the headline figure), 1,000 channels x 2 s, interleaved so that every slice of 100
  channels has the same mix: 45 % digital silence, 45 % idle-channel noise (-65 dBm0), 5 %
  speech-like noise (200-900 Hz shaped noise in syllable bursts, -30 to -12 dBm0), 4 % DTMF
  (digit strings, 70 ms on / 70 ms off, -8 dBm0) and 1 % a caller ID (MDMF, 35 bytes, Bell 202
  and V.23 alternately, -15 dBm0, at a random offset).
* ``legacy``, the load of the first version of this file: 256 channels x 2 s of white noise at
  -50 dBm0 everywhere, a caller ID on every 4th channel.  No channel is quiet enough to gate.

Figures are channel-seconds of audio per CPU-second on one core (``time.process_time``, best of
the rounds), in ``benchmark.extra_info["channel_s_per_cpu_s"]``.  Run for figures::

    python -m pytest bench/test_bench_callerid.py --benchmark-columns=mean,min,rounds -p no:cacheprovider

The ``test_*_agree`` tests check that the three paths report the same events.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from pycti.dsp._base import dbm0_to_peak
from pycti.dsp.callerid import CallerId, CallerIdEvent, encode_mdmf
from pycti.dsp.callerid_fsk import (
    FskCallerIdParams,
    FskCallerIdReceiver,
    fsk_callerid_signal,
)
from pycti.dsp.dtmf_gen import dtmf_tones

BLOCK_SAMPLES = 160
SECONDS = 2.0
MESSAGE = encode_mdmf(CallerId(number="6095551212", name="JOHN DOE", month=3, day=24, hour=9, minute=2))
FULL_PATH = FskCallerIdParams(gate_quiet_channels=False)

Runner = Callable[[np.ndarray], tuple[list[CallerIdEvent], float]]


def _speech_like(n: int, rng: np.random.Generator, level_dbm0: float) -> np.ndarray:
    sos = np.vstack([butter(2, 200, "highpass", fs=8000, output="sos"), butter(2, 900, "lowpass", fs=8000, output="sos")])
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(1.0, 3.0) * np.arange(n) / 8000 + rng.uniform(0, 6)), 0, None)
    s = sosfilt(sos, rng.normal(0.0, 1.0, n)) * envelope
    return s * dbm0_to_peak(level_dbm0) / np.sqrt(2.0) / np.sqrt(np.mean(s**2))


def _mixed_load(channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(SECONDS * 8000)
    audio = np.zeros((channels, n))
    signals = [fsk_callerid_signal(MESSAGE, standard=s, level_dbm0=-15.0) for s in ("bell202", "v23")]
    for ch in range(channels):
        kind = ch % 100
        if kind == 0:
            sig = signals[(ch // 100) % 2]
            offset = int(rng.integers(0, n - sig.size))
            audio[ch, offset : offset + sig.size] = sig
        elif kind <= 5:
            audio[ch] = _speech_like(n, rng, rng.uniform(-30.0, -12.0))
        elif kind <= 9:
            digits = dtmf_tones("0123456789*#"[ch % 12 :] * 2, on_ms=70, off_ms=70, level_dbm0=-8.0)
            offset = int(rng.integers(0, n // 2))
            part = digits[: n - offset]
            audio[ch, offset : offset + part.size] = part
        elif kind >= 55:
            audio[ch] = rng.normal(0.0, dbm0_to_peak(-65.0) / np.sqrt(2.0), n)
    return audio


def _legacy_load(channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(SECONDS * 8000)
    audio = rng.normal(0.0, dbm0_to_peak(-50.0) / np.sqrt(2.0), (channels, n))
    signals = [fsk_callerid_signal(MESSAGE, standard=s, level_dbm0=-15.0) for s in ("bell202", "v23")]
    for ch in range(0, channels, 4):
        sig = signals[(ch // 4) % 2]
        offset = int(rng.integers(0, n - sig.size))
        audio[ch, offset : offset + sig.size] += sig
    return audio


def _run_batched(audio: np.ndarray, params: FskCallerIdParams | None = None) -> tuple[list[CallerIdEvent], float]:
    """One receiver for all channels; returns the events and the CPU seconds in ``process``."""
    rx = FskCallerIdReceiver(audio.shape[0], params=params or FskCallerIdParams())
    frame = np.empty((audio.shape[0], BLOCK_SAMPLES))
    events: list[CallerIdEvent] = []
    cpu = 0.0
    for s in range(0, audio.shape[1], BLOCK_SAMPLES):
        np.copyto(frame, audio[:, s : s + BLOCK_SAMPLES])
        t0 = time.process_time()
        events += rx.process(frame)
        cpu += time.process_time() - t0
    return events + rx.flush(), cpu


def _run_full_path(audio: np.ndarray) -> tuple[list[CallerIdEvent], float]:
    return _run_batched(audio, FULL_PATH)


def _run_per_channel(audio: np.ndarray) -> tuple[list[CallerIdEvent], float]:
    """A receiver with channels=1 per channel, one channel at a time."""
    receivers = [FskCallerIdReceiver(1) for _ in range(audio.shape[0])]
    frame = np.empty((1, BLOCK_SAMPLES))
    events: list[CallerIdEvent] = []
    cpu = 0.0
    for s in range(0, audio.shape[1], BLOCK_SAMPLES):
        for ch, rx in enumerate(receivers):
            np.copyto(frame, audio[ch : ch + 1, s : s + BLOCK_SAMPLES])
            t0 = time.process_time()
            found = rx.process(frame)
            cpu += time.process_time() - t0
            events += [dataclasses.replace(e, channel=ch) for e in found]
    for ch, rx in enumerate(receivers):
        events += [dataclasses.replace(e, channel=ch) for e in rx.flush()]
    return events, cpu


def _throughput(benchmark, run: Runner, audio: np.ndarray) -> float:
    cpu: list[float] = []

    def timed() -> list[CallerIdEvent]:
        events, seconds = run(audio)
        cpu.append(seconds)
        return events

    benchmark.pedantic(timed, rounds=3, iterations=1)
    figure = audio.shape[0] * audio.shape[1] / 8000 / max(min(cpu), 1e-9)
    benchmark.extra_info["channels"] = audio.shape[0]
    benchmark.extra_info["channel_s_per_cpu_s"] = round(figure)
    return figure


def _by_channel(events: list[CallerIdEvent]) -> list[CallerIdEvent]:
    return sorted(events, key=lambda e: (e.channel, e.end_sample, e.start_sample))


@pytest.fixture(scope="module")
def mixed_1000() -> np.ndarray:
    return _mixed_load(1000)


@pytest.fixture(scope="module")
def legacy_256() -> np.ndarray:
    return _legacy_load(256)


def test_bench_callerid_mixed_gated_1000_channels(benchmark, mixed_1000) -> None:
    """The headline: 1,000 mixed channels x 2 s, one gated receiver."""
    _throughput(benchmark, _run_batched, mixed_1000)


def test_bench_callerid_mixed_full_path_1000_channels(benchmark, mixed_1000) -> None:
    """The same with the gate off: every channel demodulated every block."""
    _throughput(benchmark, _run_full_path, mixed_1000)


def test_bench_callerid_mixed_per_channel_loop(benchmark, mixed_1000) -> None:
    """A receiver per channel, Python loop over channels: the first 100 mixed channels x 2 s."""
    _throughput(benchmark, _run_per_channel, mixed_1000[:100])


def test_bench_callerid_legacy_gated_256_channels(benchmark, legacy_256) -> None:
    _throughput(benchmark, _run_batched, legacy_256)


def test_bench_callerid_legacy_full_path_256_channels(benchmark, legacy_256) -> None:
    _throughput(benchmark, _run_full_path, legacy_256)


def test_bench_callerid_legacy_per_channel_loop(benchmark, legacy_256) -> None:
    """The first 32 legacy channels, a receiver per channel."""
    _throughput(benchmark, _run_per_channel, legacy_256[:32])


def test_mixed_gated_full_path_and_per_channel_agree(mixed_1000) -> None:
    audio = mixed_1000[:200]
    gated, _ = _run_batched(audio)
    assert _run_full_path(audio)[0] == gated
    assert _by_channel(_run_per_channel(audio)[0]) == _by_channel(gated)
    good = [e for e in gated if e.error is None]
    assert sorted(e.channel for e in good) == [0, 100]
    assert all(e.raw == MESSAGE for e in good)


def test_legacy_gated_full_path_and_per_channel_agree(legacy_256) -> None:
    audio = legacy_256[:32]
    gated, _ = _run_batched(audio)
    assert _run_full_path(audio)[0] == gated
    assert _by_channel(_run_per_channel(audio)[0]) == _by_channel(gated)
    assert [e.channel for e in _by_channel(gated)] == list(range(0, 32, 4))
    assert all(e.raw == MESSAGE and e.error is None for e in gated)
