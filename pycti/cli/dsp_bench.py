"""Synthetic telephone audio and the detector throughput measurement behind ``pycti bench dsp``.

The workload is speech-like audio (vowels from a glottal pulse train through three formant
resonators, syllable envelopes, pauses), seeded, with DTMF digits, fax tones (CNG, CED) and
busy tone mixed in on a share of the channels, so the detectors see both what they must find
and what they must ignore.  Throughput is channel-seconds of audio per CPU-second
(``time.process_time``, which counts every thread of the process).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.signal import lfilter

from pycti.dsp._base import DigitEvent, ToneEvent, dbm0_to_peak
from pycti.dsp.fax_tones import CallToneDetector, FaxToneDetector, ced, cng
from pycti.dsp.progress import ProgressToneDetector, progress_tone

__all__ = [
    "DETECTOR_SETS",
    "BenchResult",
    "babble",
    "bench",
    "bench_g711",
    "dtmf_tones_or_none",
    "make_detectors",
    "run_detectors",
    "speech_like",
    "workload",
]

_FS = 8000
# Formants (F1, F2, F3) of a few vowels, Hz (Peterson & Barney averages, adult male).
_VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410),
           (300, 870, 2240), (660, 1720, 2410), (490, 1350, 1690))


def _resonator(x: np.ndarray, f_hz: float, bw_hz: float) -> np.ndarray:
    r = np.exp(-np.pi * bw_hz / _FS)
    a = [1.0, -2.0 * r * np.cos(2 * np.pi * f_hz / _FS), r * r]
    y: np.ndarray = lfilter([1.0 - r], a, x)
    return y


def speech_like(duration_ms: int, *, rng: np.random.Generator, level_dbm0: float = -18.0,
                f0_hz: tuple[float, float] = (90.0, 240.0)) -> np.ndarray:
    """Speech-like int16 audio: voiced syllables (formant-filtered pulse trains with pitch
    glides), unvoiced hiss and pauses, normalised to ``level_dbm0`` RMS over active parts."""
    n = duration_ms * _FS // 1000
    out = np.zeros(n)
    pos = 0
    while pos < n:
        seg = int(rng.uniform(0.08, 0.32) * _FS)
        kind = rng.random()
        if kind < 0.2:  # pause
            pos += seg
            continue
        m = min(seg, n - pos)
        if kind < 0.3:  # unvoiced
            x = _resonator(rng.normal(0, 1, m), rng.uniform(2500, 3500), 800)
        else:
            f0 = rng.uniform(*f0_hz) * np.linspace(1.0, rng.uniform(0.8, 1.25), m)
            phase = np.cumsum(f0 / _FS)
            pulses = np.diff(np.floor(phase), prepend=0.0) + rng.normal(0, 0.02, m)
            x = pulses
            for f, bw in zip(_VOWELS[rng.integers(len(_VOWELS))], (90, 110, 160)):
                x = _resonator(x, f * rng.uniform(0.9, 1.1), bw) + 0.3 * x
        env = np.sin(np.linspace(0, np.pi, m)) ** 0.5
        x = x * env
        out[pos: pos + m] = x / max(np.sqrt(np.mean(x * x)), 1e-9)
        pos += seg
    out *= dbm0_to_peak(level_dbm0) / np.sqrt(2.0)
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def babble(duration_ms: int, *, rng: np.random.Generator, talkers: int = 5,
           level_dbm0: float = -15.0) -> np.ndarray:
    """Several ``speech_like`` talkers summed (cafeteria babble) at ``level_dbm0``."""
    x = sum(speech_like(duration_ms, rng=rng).astype(np.float64) for _ in range(talkers))
    x *= dbm0_to_peak(level_dbm0) / np.sqrt(2.0) / max(np.sqrt(np.mean(x * x)), 1e-9)
    y: np.ndarray = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    return y


def dtmf_tones_or_none() -> Callable[..., np.ndarray] | None:
    """``dtmf_tones`` from :mod:`pycti.dsp.dtmf` (or its generator module), if present."""
    try:
        from pycti.dsp.dtmf import dtmf_tones
    except ImportError:
        try:
            from pycti.dsp.dtmf_gen import dtmf_tones
        except ImportError:
            return None
    return dtmf_tones


def _place(track: np.ndarray, sound: np.ndarray, at: int) -> None:
    end = min(len(track), at + len(sound))
    if end > at:
        track[at:end] = sound[: end - at]


def workload(channels: int, seconds: float, *, seed: int = 0) -> np.ndarray:
    """``(channels, seconds * 8000)`` int16: speech on every channel; on every 4th channel
    DTMF digits, on the next CNG then CED, on the next busy tone (China), in quiet gaps."""
    rng = np.random.default_rng(seed)
    n = int(seconds * _FS)
    pool = [speech_like(int(seconds * 1000), rng=rng) for _ in range(min(channels, 8))]
    out = np.empty((channels, n), dtype=np.int16)
    make_dtmf = dtmf_tones_or_none()
    for c in range(channels):
        track = np.roll(pool[c % len(pool)], int(rng.integers(n)))
        kind = c % 4
        at = int(rng.integers(0, max(1, n // 4)))
        if kind == 0 and make_dtmf is not None:
            _place(track, make_dtmf("".join(rng.choice(list("0123456789*#"), 4))), at)
        elif kind == 1:
            _place(track, cng(600), at)
            _place(track, ced(2600), at + 2 * _FS // 3)
        elif kind == 2:
            _place(track, progress_tone("CN", "BUSY", 2500), at)
        out[c] = track
    return out


DETECTOR_SETS = ("dtmf", "progress", "fax", "all")


def make_detectors(name: str, channels: int, *, country: str = "CN") -> list[Any]:
    """The detectors of bench set ``name`` (``dtmf``, ``progress``, ``fax`` or ``all``)."""
    dets: list[Any] = []
    if name in ("dtmf", "all"):
        from pycti.dsp.dtmf import DtmfDetector

        dets.append(DtmfDetector(channels))
    if name == "fax":
        dets.append(FaxToneDetector(channels))
    if name == "progress":
        dets.append(ProgressToneDetector(channels, country))
    if name == "all":  # DTMF + CNG + CED + busy
        dets.append(CallToneDetector(channels, country, tones=("BUSY",)))
    if name not in DETECTOR_SETS:
        raise ValueError(f"unknown detector set {name!r}; expected one of {DETECTOR_SETS}")
    return dets


def run_detectors(detectors: Sequence[Any], audio: np.ndarray, block_samples: int = 160
                  ) -> list[DigitEvent | ToneEvent]:
    """Feed ``audio`` (channels, n) to every detector in blocks; return all events + flush."""
    events: list[DigitEvent | ToneEvent] = []
    for pos in range(0, audio.shape[1], block_samples):
        block = audio[:, pos: pos + block_samples]
        for d in detectors:
            events += d.process(block)
    for d in detectors:
        events += d.flush()
    return events


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchResult:
    """One bench line: detector set, channels, seconds of audio, CPU seconds, events found."""

    name: str
    channels: int
    audio_seconds: float
    cpu_seconds: float
    events: int

    @property
    def channel_seconds_per_cpu_second(self) -> float:
        return self.channels * self.audio_seconds / max(self.cpu_seconds, 1e-9)


def _least_cpu_seconds(run: Callable[[], object], repeats: int) -> float:
    """The least CPU time of ``repeats`` calls of ``run`` (a shared machine only ever adds time)."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        run()
        best = min(best, time.process_time() - t0)
    return best


def bench(name: str, audio: np.ndarray, *, block_samples: int = 160, repeats: int = 3) -> BenchResult:
    """Time detector set ``name`` over ``audio`` in ``block_samples`` blocks: the least CPU time
    of ``repeats`` runs, each with new detectors."""
    events: list[DigitEvent | ToneEvent] = []

    def run() -> None:
        dets = make_detectors(name, audio.shape[0])
        events[:] = run_detectors(dets, audio, block_samples)

    cpu = _least_cpu_seconds(run, repeats)
    return BenchResult(name=name, channels=audio.shape[0], audio_seconds=audio.shape[1] / _FS,
                       cpu_seconds=cpu, events=len(events))


def bench_g711(audio: np.ndarray, *, block_samples: int = 160, repeats: int = 3) -> BenchResult:
    """Time G.711 mu-law decode + encode of ``audio``'s frames, as a media plane does per tick.

    The frames are encoded once, untimed (contiguous ``(channels, block_samples)`` codes, as they
    arrive from a trunk); each timed run decodes every frame and encodes it again.
    """
    from pycti.dsp.g711 import ulaw_decode, ulaw_encode

    frames = [ulaw_encode(np.ascontiguousarray(audio[:, pos: pos + block_samples]))
              for pos in range(0, audio.shape[1], block_samples)]

    def run() -> None:
        for codes in frames:
            ulaw_encode(ulaw_decode(codes))

    cpu = _least_cpu_seconds(run, repeats)
    return BenchResult(name="g711", channels=audio.shape[0], audio_seconds=audio.shape[1] / _FS,
                       cpu_seconds=cpu, events=0)
