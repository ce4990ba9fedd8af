"""Batched sliding DFT at a few fixed frequencies, for all channels at once.

The DTMF detector looks at 80-sample (10 ms) Hann windows every 40 samples (5 ms).  Rather than
run a Goertzel recursion per sample, each 40-sample *half* is correlated once, by one matrix
product for every channel and half of a batch, against two tables: the first half of the
windowed complex exponential (``A``) and the second half (``B``).  A window made of halves
``j-1`` and ``j`` is then ``A[j-1] + B[j]``, so every sample costs 4 multiply-adds per frequency
however the windows overlap.  Phases are referred to the start of each window, so the phase
advance from one window to the next (40 samples later) measures the tone's frequency to within
+/-100 Hz.

Memory layout, chosen so that every step after the product is one operation over one long run
of memory (numpy's per-call cost, not arithmetic, dominates at 20 ms blocks):

* incoming samples are staged *half-major*: row ``k * channels + ch`` is half ``k`` of channel
  ``ch``, so blocks are appended to the staging buffer and a batch is one ``sgemm`` operand;
* the product's columns interleave the two tables (``A`` then ``B`` for each real or imaginary
  part), so ``A[j-1]`` and ``B[j]`` of every component sit ``32 * channels + 1`` floats apart in
  the flat product: all the windows of a batch are one strided addition.

Every half is computed from its own 40 samples by the same row operation (a row of a BLAS
``sgemm`` and of ``einsum`` is evaluated the same way whatever the number of rows), so results do
not depend on how a signal is cut into blocks or batches, which keeps the detector's decisions
identical for any block partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import check_fs

__all__ = [
    "HALF_SAMPLES",
    "HOP_SAMPLES",
    "WINDOW_SAMPLES",
    "HalfWindowBank",
    "WindowBlock",
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
class WindowBlock:
    """The windows ending with each half of one batch, half-major.

    Row ``k * channels + ch`` of ``windows``/``power`` is the window ending with the batch's half
    ``k`` on channel ``ch``.  ``windows``: float32 ``(halves * channels, 2 * freqs)``, (real,
    imaginary) per frequency; ``with_previous``: the same with the window before the batch's first
    (one row per channel) in front, so row ``r + channels`` of it is the window before row ``r``;
    ``power``: float32 ``(halves * channels, freqs)`` squared magnitudes; ``energy``: float32
    ``(halves, channels)`` sum of squares of each half; ``first_half``: absolute index of the
    batch's first half (window ``k`` ends with half ``first_half + k``).
    """

    with_previous: np.ndarray
    power: np.ndarray
    energy: np.ndarray
    first_half: int

    @property
    def windows(self) -> np.ndarray:
        """The batch's windows (without the previous one)."""
        return self.with_previous[self.energy.shape[1] :]

    @property
    def halves(self) -> int:
        """Halves (and windows) per channel in the batch."""
        return int(self.energy.shape[0])


class HalfWindowBank:
    """Cuts a multichannel stream into 40-sample halves and evaluates the windows they complete.

    ``push(block)`` takes ``(channels, n)`` samples (any ``n >= 0``) and stages every half it
    completes; once ``batch_halves`` halves are staged it evaluates them all and returns the
    windows ending with each as a :class:`WindowBlock` (``None`` until then).  ``evaluate()``
    forces the evaluation of whatever is staged.  The first window of the stream sees silence
    before the stream.
    """

    def __init__(self, channels: int, freqs_hz: np.ndarray, *, fs_hz: int = 8000, batch_halves: int = 1) -> None:
        fs = check_fs(fs_hz)
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        if batch_halves < 1:
            raise ValueError(f"batch_halves must be >= 1, got {batch_halves}")
        self.channels = channels
        self.batch_halves = batch_halves
        freqs = np.asarray(freqs_hz, dtype=np.float64)
        self.n_freqs = nf = freqs.size
        n = np.arange(WINDOW_SAMPLES)
        kernel = _hann(WINDOW_SAMPLES)[:, None] * np.exp(-2j * np.pi * np.outer(n, freqs) / fs)
        parts = np.stack([kernel.real, kernel.imag], axis=-1).reshape(WINDOW_SAMPLES, 2 * nf)
        # Column 2q: component q (re/im of a frequency) of the first half, 2q + 1: of the second.
        table = np.empty((HALF_SAMPLES, 4 * nf), dtype=np.float32)
        table[:, 0::2] = parts[:HALF_SAMPLES]
        table[:, 1::2] = parts[HALF_SAMPLES:]
        self._table = table
        self._pending = np.zeros((channels, 0), dtype=np.float32)  # samples short of a half
        self._staged = 0  # halves staged
        self._first_last = np.zeros((channels, 2 * nf), dtype=np.float32)  # A of the last half
        self._window_last = np.zeros((channels, 2 * nf), dtype=np.float32)
        self._alloc(batch_halves + 8)
        self.halves_done = 0  #: halves evaluated so far (same for every channel)

    def _alloc(self, capacity: int) -> None:
        """(Re)allocate the staging and output buffers for ``capacity`` halves, keeping content."""
        c, q = self.channels, 2 * self.n_freqs
        old = getattr(self, "_stage", None)
        self._capacity = capacity
        self._stage = np.empty((capacity, c, HALF_SAMPLES), dtype=np.float32)
        if old is not None:
            self._stage[: self._staged] = old[: self._staged]
        self._prod = np.empty((capacity * c, 2 * q), dtype=np.float32)
        self._ext = np.empty(((capacity + 1) * c, q), dtype=np.float32)
        self._squares = np.empty((capacity * c, q), dtype=np.float32)

    @property
    def pending_samples(self) -> int:
        """Samples received that do not yet complete a half."""
        return int(self._pending.shape[1])

    @property
    def staged_halves(self) -> int:
        """Halves completed but not yet evaluated."""
        return self._staged

    def push(self, block: np.ndarray) -> WindowBlock | None:
        """Stage ``block`` (channels, n); evaluate and return the batch once it is full."""
        x = np.asarray(block)
        if self._pending.shape[1]:
            x = np.concatenate([self._pending, x.astype(np.float32, copy=False)], axis=1)
        n_halves = x.shape[1] // HALF_SAMPLES
        used = n_halves * HALF_SAMPLES
        if used < x.shape[1] or self._pending.shape[1]:
            self._pending = np.array(x[:, used:], dtype=np.float32)
        if n_halves:
            h = self._staged
            if h + n_halves > self._capacity:
                self._alloc(h + n_halves)
            np.copyto(self._stage[h : h + n_halves], x[:, :used].reshape(self.channels, n_halves, HALF_SAMPLES).transpose(1, 0, 2))
            self._staged = h + n_halves
        return self.evaluate() if self._staged >= self.batch_halves else None

    def evaluate(self) -> WindowBlock | None:
        """Evaluate the windows ending with every staged half (``None`` if none is staged)."""
        n = self._staged
        if n == 0:
            return None
        c, q = self.channels, 2 * self.n_freqs
        rows = n * c
        ext = self._ext
        np.copyto(ext[:c], self._window_last)  # (a view of the last batch's ext, or zeros)
        halves = self._stage[:n].reshape(rows, HALF_SAMPLES)
        prod = np.matmul(halves, self._table, out=self._prod[:rows])  # A and B interleaved
        energy = np.einsum("ij,ij->i", halves, halves).reshape(n, c)
        flat = prod.reshape(-1)
        gap = 2 * q * c + 1  # flat distance from A[j-1] to B[j] of the same component
        # Window rows c.. of ext: A of the previous half + B of this half.
        np.add(flat[: 2 * q * (rows - c) : 2], flat[gap::2], out=ext[2 * c : rows + c].reshape(-1))
        np.add(self._first_last, prod[:c, 1::2], out=ext[c : 2 * c])
        np.copyto(self._first_last, prod[rows - c :, 0::2])
        self._window_last = ext[rows : rows + c]
        squares = np.square(ext[c : rows + c], out=self._squares[:rows])
        power = squares[:, 0::2] + squares[:, 1::2]
        start = self.halves_done
        self.halves_done += n
        self._staged = 0
        return WindowBlock(with_previous=ext[: rows + c], power=power, energy=energy, first_half=start)
