"""Batched sliding DFT at a few fixed frequencies, for all channels at once.

The DTMF detector looks at 80-sample (10 ms) Hann windows every 40 samples (5 ms).  Rather than
run a Goertzel recursion per sample, each 40-sample *half* is correlated once, by one matrix
product for every channel and half of a block, against two tables: the first half of the
windowed complex exponential and the second half.  A window made of halves ``j-1`` and ``j`` is
then ``A[j-1] + B[j]``, so every sample costs 4 multiply-adds per frequency however the
windows overlap.  Phases are referred to the start of each window, so the phase advance from one
window to the next (40 samples later) measures the tone's frequency to within +/-100 Hz.

Every half is computed from its own 40 samples by the same row operation (a row of a BLAS
``sgemm`` and of ``einsum`` is evaluated the same way whatever the number of rows), so results do
not depend on how a signal is cut into blocks, which keeps the detector's decisions identical
for any block partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import check_fs

__all__ = [
    "HALF_SAMPLES",
    "HOP_SAMPLES",
    "WINDOW_SAMPLES",
    "HalfBlock",
    "HalfWindowBank",
    "window_gain",
]

HALF_SAMPLES = 40  #: length of one half window (5 ms at 8 kHz)
WINDOW_SAMPLES = 2 * HALF_SAMPLES  #: analysis window (10 ms), Hann
HOP_SAMPLES = HALF_SAMPLES  #: windows start every half window


def _hann(n: int) -> np.ndarray:
    """Hann window sampled at the centres of n samples (no zero end points)."""
    return np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2


def window_gain() -> float:
    """Sum of the analysis window: a sine of amplitude a at a bin centre gives |W| = a*gain/2."""
    return float(_hann(WINDOW_SAMPLES).sum())


@dataclass(frozen=True, slots=True)
class HalfBlock:
    """Correlations of the halves completed by one block.

    ``first``/``second``: float32 ``(channels, halves, 2 * freqs)`` correlations of each half
    with the first/second half of the windowed exponential, real parts then imaginary parts;
    ``energy``: float32 ``(channels, halves)`` sum of squares of each half; ``first_half``:
    absolute index of the first half.
    """

    first: np.ndarray
    second: np.ndarray
    energy: np.ndarray
    first_half: int


class HalfWindowBank:
    """Cuts a multichannel stream into 40-sample halves and correlates them in one product.

    ``push(block)`` takes ``(channels, n)`` samples (any ``n >= 0``), keeps the samples that do not
    fill a half for the next call, and returns the completed halves as a :class:`HalfBlock`
    (``None`` when no half completed).
    """

    def __init__(self, channels: int, freqs_hz: np.ndarray, *, fs_hz: int = 8000) -> None:
        fs = check_fs(fs_hz)
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        self.channels = channels
        freqs = np.asarray(freqs_hz, dtype=np.float64)
        self.n_freqs = freqs.size
        n = np.arange(WINDOW_SAMPLES)
        kernel = _hann(WINDOW_SAMPLES)[:, None] * np.exp(-2j * np.pi * np.outer(n, freqs) / fs)
        table = np.empty((HALF_SAMPLES, 4 * self.n_freqs), dtype=np.float32)
        # Columns: first-half real, first-half imaginary, second-half real, second-half imaginary.
        nf = self.n_freqs
        for part, rows in enumerate((kernel[:HALF_SAMPLES], kernel[HALF_SAMPLES:])):
            table[:, 2 * nf * part : 2 * nf * part + nf] = rows.real
            table[:, 2 * nf * part + nf : 2 * nf * (part + 1)] = rows.imag
        self._table = table
        self._pending = np.zeros((channels, 0), dtype=np.float32)
        self.halves_done = 0  #: halves completed so far (same for every channel)

    @property
    def pending_samples(self) -> int:
        """Samples received that do not yet complete a half."""
        return int(self._pending.shape[1])

    def push(self, block: np.ndarray) -> HalfBlock | None:
        """Append ``block`` (channels, n) and correlate every half it completes."""
        x = np.asarray(block)
        if self._pending.shape[1]:
            x = np.concatenate([self._pending, x.astype(np.float32, copy=False)], axis=1)
        total = x.shape[1]
        n_halves = total // HALF_SAMPLES
        used = n_halves * HALF_SAMPLES
        self._pending = np.array(x[:, used:], dtype=np.float32)
        if n_halves == 0:
            return None
        halves = x[:, :used].astype(np.float32, copy=False).reshape(self.channels * n_halves, HALF_SAMPLES)
        prod = (halves @ self._table).reshape(self.channels, n_halves, 4 * self.n_freqs)
        energy = np.einsum("ij,ij->i", halves, halves).reshape(self.channels, n_halves)
        first = prod[..., : 2 * self.n_freqs]
        second = prod[..., 2 * self.n_freqs :]
        start = self.halves_done
        self.halves_done += n_halves
        return HalfBlock(first=first, second=second, energy=energy, first_half=start)
