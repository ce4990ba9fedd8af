"""The media-plane sizing workload, shared by ``pycti bench switch`` and ``bench/test_bench_media.py``.

Workload: every channel bridged to a neighbour (pairs 0-1, 2-3 ...), DTMF detection on every
inbound stream, inbound audio speech-like (band-limited noise with a syllabic envelope) with a
DTMF digit on every tenth channel.  The inbound audio is a cycle of ``CYCLE_TICKS`` precomputed
frames, so producing it costs nothing inside the timed loop.

:class:`PerChannelLoop` does the same work the way a per-channel design would (one Python
iteration per bridge, one 1-channel detector per channel); it is the reference the batched
plane is checked against and compared with.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from pycti.dsp._base import FS_HZ, dbm0_to_peak
from pycti.media.plane import FRAME_SAMPLES, MediaPlane

__all__ = [
    "CYCLE_TICKS",
    "sine",
    "speech_like",
    "bench_inbound",
    "bridged_plane",
    "PerChannelLoop",
    "measure_tick_cost",
]

#: Inbound audio repeats every CYCLE_TICKS ticks (200 ms: an 80 ms digit and a 120 ms pause).
CYCLE_TICKS = 10
_DIGITS = "0123456789*#ABCD"


def sine(freq_hz: float, n_samples: int, *, level_dbm0: float = -10.0, phase_rad: float = 0.0) -> np.ndarray:
    """An int16 sine of ``freq_hz`` at ``level_dbm0``, ``n_samples`` long at 8 kHz."""
    t = np.arange(n_samples) / FS_HZ
    wave: np.ndarray = np.round(dbm0_to_peak(level_dbm0) * np.sin(2 * np.pi * freq_hz * t + phase_rad))
    out: np.ndarray = wave.astype(np.int16)
    return out


def speech_like(n_samples: int, rng: np.random.Generator, *, level_dbm0: float = -20.0) -> np.ndarray:
    """int16 speech-like audio: noise shaped to a speech spectrum (300-3400 Hz, tilted down)
    under a 3-6 Hz syllabic envelope with pauses; RMS about ``level_dbm0`` while talking."""
    from scipy.signal import butter, sosfilt

    sos = butter(2, [300.0, 3400.0], btype="bandpass", fs=FS_HZ, output="sos")
    tilt = butter(1, 800.0, btype="lowpass", fs=FS_HZ, output="sos")
    noise = rng.standard_normal(n_samples)
    voiced = sosfilt(sos, noise) + 2.0 * sosfilt(np.vstack([sos, tilt]), noise)
    t = np.arange(n_samples) / FS_HZ
    rate_hz = rng.uniform(3.0, 6.0)
    envelope = np.clip(np.sin(2 * np.pi * rate_hz * t + rng.uniform(0, 2 * np.pi)), 0.0, None) ** 0.7
    x = voiced * envelope
    rms = np.sqrt(np.mean(x**2)) or 1.0
    target_rms = dbm0_to_peak(level_dbm0) / np.sqrt(2.0)
    out: np.ndarray = np.clip(np.round(x * (target_rms / rms)), -32768, 32767).astype(np.int16)
    return out


def bench_inbound(channels: int, *, seed: int = 0, dtmf_every: int = 10) -> np.ndarray:
    """The workload's inbound audio: int16 ``(CYCLE_TICKS, channels, 160)``, tick ``k`` uses
    ``[k % CYCLE_TICKS]``.  Channel ``c`` with ``c % dtmf_every == 0`` sends digit
    ``"0123456789*#ABCD"[(c // dtmf_every) % 16]`` for 80 ms of every 200 ms over quiet speech."""
    from pycti.dsp.dtmf import dtmf_tones

    rng = np.random.default_rng(seed)
    n = CYCLE_TICKS * FRAME_SAMPLES
    pool_size = min(channels, 32)
    pool = np.stack([speech_like(n, rng) for _ in range(pool_size)])
    shifts = rng.integers(0, n, channels)
    rows = np.arange(channels) % pool_size
    audio = pool[rows[:, None], (shifts[:, None] + np.arange(n)) % n]
    dtmf_rows = np.arange(0, channels, dtmf_every)
    if dtmf_rows.size:
        tones = {d: np.asarray(dtmf_tones(d, on_ms=80, off_ms=120), dtype=np.int32)[:n] for d in _DIGITS}
        digit_of_row = [(int(c) // dtmf_every) % len(_DIGITS) for c in dtmf_rows]
        burst = np.stack([tones[_DIGITS[i]] for i in digit_of_row])
        quiet = audio[dtmf_rows].astype(np.int32) // 10  # speech 20 dB below the digit
        audio[dtmf_rows] = np.clip(quiet + burst, -32768, 32767).astype(np.int16)
    return np.ascontiguousarray(audio.reshape(channels, CYCLE_TICKS, FRAME_SAMPLES).transpose(1, 0, 2))


def bridged_plane(channels: int) -> MediaPlane:
    """A plane with channels bridged in pairs (0-1, 2-3 ...) and a DtmfDetector on every channel."""
    from pycti.dsp.dtmf import DtmfDetector

    plane = MediaPlane(channels)
    for a in range(0, channels - 1, 2):
        plane.set_parties(f"call-{a}", (a, a + 1))
    plane.add_detector("dtmf", DtmfDetector(channels))
    return plane


class PerChannelLoop:
    """The bench workload done one channel at a time: a Python iteration per bridge direction
    and a separate 1-channel DtmfDetector per channel.  Reference for :func:`bridged_plane`."""

    def __init__(self, channels: int) -> None:
        from pycti.dsp.dtmf import DtmfDetector

        self.channels = channels
        self.pairs = [(a, a + 1) for a in range(0, channels - 1, 2)]
        self.detectors = [DtmfDetector(1) for _ in range(channels)]

    def tick(self, inbound: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """Outbound frames and digit events (plane channel indices) for one inbound frame."""
        out = np.zeros_like(inbound)
        for a, b in self.pairs:
            out[a] = inbound[b]
            out[b] = inbound[a]
        events: list[Any] = []
        for c, det in enumerate(self.detectors):
            events.extend(dataclasses.replace(ev, channel=c) for ev in det.process(inbound[c : c + 1]))
        return out, events


def measure_tick_cost(channels: int, ticks: int) -> dict[str, float]:
    """Time ``ticks`` media-plane ticks of the bench workload on ``channels`` channels.

    Returns ``channels``, ``ticks``, ``ms_per_tick`` (mean wall time of one tick),
    ``ms_per_tick_best`` (fastest of the ticks, the least disturbed by other load),
    ``percent_of_real_time`` (mean cost over the 20 ms a tick represents) and
    ``digits_detected``.  Two warm-up ticks run first and are not counted.
    """
    if channels < 2 or ticks < 1:
        raise ValueError(f"need channels >= 2 and ticks >= 1, got {channels}, {ticks}")
    frames = bench_inbound(channels)
    plane = bridged_plane(channels)
    for k in range(2):
        plane.tick(frames[k % CYCLE_TICKS])
    digits = 0
    times = np.empty(ticks)
    for k in range(ticks):
        frame = frames[(k + 2) % CYCLE_TICKS]
        t0 = time.perf_counter()
        result = plane.tick(frame)
        times[k] = time.perf_counter() - t0
        digits += len(result.events)
    ms = float(times.mean() * 1e3)
    tick_ms = 1000.0 * FRAME_SAMPLES / FS_HZ
    return {
        "channels": channels,
        "ticks": ticks,
        "ms_per_tick": ms,
        "ms_per_tick_best": float(times.min() * 1e3),
        "percent_of_real_time": 100.0 * ms / tick_ms,
        "digits_detected": digits,
    }
