"""Synthetic voice prompts for the demo (no recordings ship with pycti).

A prompt is a run of vowel-like syllables: a glottal pulse train at a gliding pitch shaped by
two formant resonators, with a syllabic envelope — enough for a caller's "wait until the prompt
ends" logic and for recordings, while staying clear of DTMF pairs.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from ..dsp._base import FS_HZ, dbm0_to_peak

__all__ = ["synthetic_prompt", "hold_music"]

_VOWELS_HZ = ((730, 1090), (270, 2290), (530, 1840), (570, 840), (440, 1020))  # Peterson & Barney


def _resonator(f_hz: float, bw_hz: float) -> tuple[np.ndarray, np.ndarray]:
    r = np.exp(-np.pi * bw_hz / FS_HZ)
    a = np.array([1.0, -2 * r * np.cos(2 * np.pi * f_hz / FS_HZ), r * r])
    return np.array([1.0 - r]), a


def synthetic_prompt(syllables: int = 10, *, seed: int = 1, level_dbm0: float = -18.0) -> np.ndarray:
    """``syllables`` syllables of ~200 ms with 50 ms gaps, int16 at 8 kHz."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(syllables):
        n = int(0.20 * FS_HZ)
        f0 = rng.uniform(110, 180) * np.linspace(1.0, rng.uniform(0.85, 1.1), n)
        phase = np.cumsum(f0 / FS_HZ)
        pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
        f1, f2 = _VOWELS_HZ[int(rng.integers(len(_VOWELS_HZ)))]
        x = pulses
        y = lfilter(*_resonator(f1, 90), x) + 0.5 * lfilter(*_resonator(f2, 120), x)
        y *= np.hanning(n)
        out.append(y)
        out.append(np.zeros(int(0.05 * FS_HZ)))
    sig = np.concatenate(out)
    rms = np.sqrt(np.mean(sig[sig != 0] ** 2)) or 1.0
    sig *= dbm0_to_peak(level_dbm0) / np.sqrt(2) / rms
    return np.clip(np.round(sig), -32768, 32767).astype(np.int16)


def hold_music(*, seed: int = 2, level_dbm0: float = -22.0, notes: int = 16) -> np.ndarray:
    """A few seconds of plucked notes (pentatonic, 250 ms each) to loop while callers wait."""
    rng = np.random.default_rng(seed)
    n = int(0.25 * FS_HZ)
    t = np.arange(n) / FS_HZ
    scale_hz = 262.0 * 2 ** (np.array([0, 2, 4, 7, 9, 12]) / 12)
    env = np.exp(-t * 6.0)
    out = [env * (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t))
           for f in scale_hz[rng.integers(0, len(scale_hz), notes)]]
    sig = np.concatenate(out)
    sig *= dbm0_to_peak(level_dbm0) / np.sqrt(2) / np.sqrt(np.mean(sig**2))
    return np.clip(np.round(sig), -32768, 32767).astype(np.int16)
