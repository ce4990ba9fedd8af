"""DTMF detection throughput, batched over channels, beside the same detector run per channel.

Two loads, 2 s of audio repeated, fed in 20 ms blocks (the media plane's tick):

* ``mixed`` (the headline figure): every channel carries speech-like sound (noise through two
  formant resonators, syllabic envelope, -20 dBm0 average); one channel in ten also carries the
  ten digits 0-9 (80 ms on / 80 ms off, -12 dBm0 per tone) once per 2 s.
* ``speech``: the speech-like sound alone, no digit anywhere: the detector's base cost.
* ``dtmf``: every channel carries the ten digits once per 2 s over white noise 40 dB down, so
  DTMF is present 40 % of the time on every channel: a stress case far beyond a real IVR port.

Figures are channel-seconds of audio per CPU-second on one core
(``benchmark.extra_info["channel_s_per_cpu_s"]``).  The work is linear in channels x seconds, so
the 1,000 channels x 10 s runs stand for 1,000 x 60 s.  The frames are cut before the clock
starts, as the media plane hands them over ready; the detector runs with its default
``batch_ms`` (100 ms: the analysis runs every fifth 20 ms frame).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.signal import lfilter

from pycti.dsp._base import dbm0_to_peak
from pycti.dsp.dtmf import DtmfDetector, DtmfGenerator

BLOCK_SAMPLES = 160
PATTERN_SAMPLES = 16000  # 2 s, repeated


def _digit_strings(channels: int, rng) -> np.ndarray:
    """The ten digits 0-9 once per 2 s on every channel, at a random offset per channel."""
    gen = DtmfGenerator(channels)
    for ch in range(channels):
        gen.start(ch, "0123456789", on_ms=80, off_ms=80, level_dbm0=-12.0)
    tones = gen.read(1600 * 10)
    shifts = rng.integers(0, PATTERN_SAMPLES, channels)
    rows = (np.arange(PATTERN_SAMPLES)[None, :] - shifts[:, None]) % PATTERN_SAMPLES
    return np.take_along_axis(tones, rows, axis=1).astype(np.float32)


def _speech_like(channels: int, rng) -> np.ndarray:
    """Noise through resonators at ~500 and ~1500 Hz with a 4 Hz syllabic envelope."""
    x = rng.standard_normal((channels, PATTERN_SAMPLES))
    for f_hz in (500.0, 1500.0):
        r, theta = 0.97, 2 * np.pi * f_hz / 8000
        x = lfilter([1.0], [1.0, -2 * r * np.cos(theta), r * r], x, axis=1)
    t = np.arange(PATTERN_SAMPLES) / 8000
    x *= np.sin(np.pi * (4.0 * t[None, :] + rng.uniform(0, 1, (channels, 1)))) ** 2
    x *= dbm0_to_peak(-20.0) / np.sqrt(2) / np.sqrt(np.mean(x**2))
    return x.astype(np.float32)


def _load(channels: int, kind: str, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "dtmf":
        audio = _digit_strings(channels, rng) + rng.standard_normal((channels, PATTERN_SAMPLES)).astype(np.float32) * 30
    else:
        audio = _speech_like(channels, rng)
        if kind == "mixed":
            audio[::10] += _digit_strings(len(range(0, channels, 10)), rng)
    return np.rint(audio).clip(-32768, 32767).astype(np.int16)


def _frames(audio: np.ndarray) -> list[np.ndarray]:
    """The media plane's contiguous (channels, 160) frames."""
    return [np.ascontiguousarray(audio[:, s : s + BLOCK_SAMPLES]) for s in range(0, audio.shape[1], BLOCK_SAMPLES)]


def _run_batched(frames: list[np.ndarray], repeats: int):
    det = DtmfDetector(frames[0].shape[0])
    events = []
    for _ in range(repeats):
        for block in frames:
            events += det.process(block)
    return events


def _run_per_channel(frames: list[np.ndarray], repeats: int):
    events = []
    for ch in range(frames[0].shape[0]):
        det = DtmfDetector(1)
        rows = [block[ch : ch + 1] for block in frames]
        for _ in range(repeats):
            for row in rows:
                events += [
                    type(e)(channel=ch, digit=e.digit, start_sample=e.start_sample, end_sample=e.end_sample, level_dbm0=e.level_dbm0)
                    for e in det.process(row)
                ]
    return events


def _throughput(benchmark, func, audio: np.ndarray, repeats: int) -> float:
    cpu = []
    frames = _frames(audio)

    def timed():
        t0 = time.process_time()
        out = func(frames, repeats)
        cpu.append(time.process_time() - t0)
        return out

    benchmark.pedantic(timed, rounds=5, iterations=1)  # the least CPU time of 5: noise only adds
    channel_s = audio.shape[0] * audio.shape[1] * repeats / 8000
    figure = channel_s / max(min(cpu), 1e-9)
    benchmark.extra_info["channels"] = audio.shape[0]
    benchmark.extra_info["audio_s"] = audio.shape[1] * repeats / 8000
    benchmark.extra_info["channel_s_per_cpu_s"] = round(figure)
    return figure


@pytest.fixture(scope="module", params=["mixed", "speech", "dtmf"])
def load_1000(request) -> tuple[str, np.ndarray]:
    return request.param, _load(1000, request.param)


def test_bench_dtmf_batched_1000_channels(benchmark, load_1000) -> None:
    """1,000 channels x 10 s in 20 ms blocks, one detector."""
    kind, audio = load_1000
    benchmark.extra_info["load"] = kind
    _throughput(benchmark, _run_batched, audio, repeats=5)


def test_bench_dtmf_per_channel_loop(benchmark, load_1000) -> None:
    """The same detector, channels=1, one channel at a time: 10 channels x 10 s."""
    kind, audio = load_1000
    benchmark.extra_info["load"] = kind
    _throughput(benchmark, _run_per_channel, audio[:10], repeats=5)


def test_batched_and_per_channel_give_the_same_events(load_1000) -> None:
    kind, audio = load_1000
    audio = audio[:40, :8000]
    frames = _frames(audio)
    batched = sorted(_run_batched(frames, 2), key=lambda e: (e.channel, e.end_sample))
    looped = sorted(_run_per_channel(frames, 2), key=lambda e: (e.channel, e.end_sample))
    assert batched == looped
    assert len(batched) >= {"dtmf": 160, "mixed": 16, "speech": 0}[kind]
    if kind == "speech":
        assert batched == []
