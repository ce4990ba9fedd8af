"""Shared pieces of the baresip tests: the skip rule, bounded event waits, the tone measure."""

from __future__ import annotations

import asyncio
import os
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pycti.drivers.sip import SipDriver

from .baresip import BARESIP, MODULES, SR

# CI installs baresip and must run these; elsewhere a machine without it skips them
needs_baresip = pytest.mark.skipif((BARESIP is None or MODULES is None) and not os.environ.get("CI"),
                                   reason="baresip (Debian package baresip) absent")


async def until(stream: Any, cls: type, timeout_s: float = 10.0, pred: Any = None) -> Any:
    """The next event of type ``cls`` (and ``pred``) on a monitor stream, bounded."""
    async def read() -> Any:
        async for e in stream:
            if isinstance(e, cls) and (pred is None or pred(e)):
                return e
        raise AssertionError(f"stream ended before {cls.__name__}")
    return await asyncio.wait_for(read(), timeout_s)


def measure(x: np.ndarray) -> tuple[float, float]:
    """(peak frequency in Hz by a Hann-windowed FFT, RMS level in dBFS of a full-scale sine
    = 0 dB) of int16 samples at 8 kHz."""
    assert len(x) >= SR // 4, f"only {len(x)} samples"
    f = x.astype(float)
    spectrum = np.abs(np.fft.rfft(f * np.hanning(len(f))))
    rms = float(np.sqrt(np.mean(f ** 2)))
    return float(np.argmax(spectrum) * SR / len(f)), 20 * np.log10(max(rms, 1e-9) / (32767 / np.sqrt(2)))


def relative_db(x: np.ndarray, freq_hz: float, reference_hz: float) -> float:
    """How far below the component at ``reference_hz`` the one at ``freq_hz`` is, in dB (the
    Hann-windowed spectrum's largest bin within 10 Hz of each); e.g. a phone's own tone in
    what it heard, against the far end's tone: an echo or a loop would show up here."""
    f = x.astype(float)
    spectrum = np.abs(np.fft.rfft(f * np.hanning(len(f))))
    hz = np.fft.rfftfreq(len(f), 1 / SR)

    def near(target: float) -> float:
        return float(spectrum[np.abs(hz - target) <= 10].max())

    return float(20 * np.log10(max(near(freq_hz), 1e-9) / max(near(reference_hz), 1e-9)))


def loudest(x: np.ndarray, seconds: float = 0.5) -> np.ndarray:
    """The ``seconds``-long stretch of ``x`` with the most energy (skips the silence around a tone)."""
    n = int(seconds * SR)
    assert len(x) >= n, f"only {len(x)} samples"
    energy = np.convolve(x.astype(float) ** 2, np.ones(n), mode="valid")
    start = int(np.argmax(energy))
    return x[start:start + n]


def recorded_channel(path: Path, channel: int) -> np.ndarray:
    """One channel of a pycti recording (16-bit WAV)."""
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == SR and w.getsampwidth() == 2
        n = w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, n)
    return data[:, channel].astype(np.int16)


async def registered(sip: SipDriver, ext: str, timeout_s: float = 10.0) -> None:
    """Wait (bounded) until ``ext`` has a binding at pycti's registrar."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not sip.registered(ext):
        assert loop.time() < end, f"{ext} did not register"
        await asyncio.sleep(0.05)
