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

* incoming blocks are staged channel-major, ``(channels, batch samples)``, so that a full batch
  reshapes without copying to the ``(channels * halves, 40)`` operand of one ``sgemm``;
* the product's columns interleave the two tables (``A`` then ``B`` for each real or imaginary
  part), and the product is written one row down in a buffer whose first row is zero, so that the
  ``A[j-1]`` and ``B[j]`` of every window are 33 floats apart: all the windows of a batch are
  one strided addition, written into a ``(channels, halves + 1, ...)`` array whose slot 0 holds
  each channel's previous window (then window ``k``'s predecessor is always the row before).

Digital silence costs (almost) nothing: a channel is *live* from its first non-zero sample
until an evaluation finds it quiet again (its caller, :class:`pycti.dsp.dtmf.DtmfDetector`, says
when: see :meth:`HalfWindowBank.release`).  Only live channels are evaluated; the others are all
zero -- their staged samples, their last half and window -- and a batch of zeros leaves them so,
which is what evaluating them would have given.  A :class:`WindowBlock` names its channels.

Every half is computed from its own 40 samples only, so a window does not depend on where block
or batch boundaries fall -- up to float32 rounding.  A BLAS ``sgemm`` (and ``einsum``) may sum a
row in a different order for a different number of rows (OpenBLAS chooses kernels by shape and
CPU), so two batchings of one signal can give a window a few ulps apart: at most about
``40 * 2**-24`` of ``sqrt(window energy * kernel energy)``, the Cauchy-Schwarz bound of a window
component.  The detector's decision statistics are nowhere near their thresholds on that scale:
``tests/dsp/test_dtmf_float_margin.py`` moves every window by 1e-5 of it (and every half energy
by 1e-5 relative) without changing one event of the Q.24 vector set, and
``tests/dsp/test_dtmf.py`` compares batchings to within that 1e-5.  So digits and their sample
positions are the same for any block partition and batch length; a reported level, rounded to
0.01 dB, can fall one rounding step apart.
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
    "bin_power",
    "nonzero_rows",
    "window_gain",
]

HALF_SAMPLES = 40  #: length of one half window (5 ms at 8 kHz)
WINDOW_SAMPLES = 2 * HALF_SAMPLES  #: analysis window (10 ms), Hann
HOP_SAMPLES = HALF_SAMPLES  #: windows start every half window


def _hann(n: int) -> np.ndarray:
    """Hann window sampled at the centres of n samples (no zero end points)."""
    return np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2


def nonzero_rows(x: np.ndarray) -> np.ndarray:
    """Which rows of the 2-D block ``x`` (at least one column) hold a non-zero sample."""
    if x.dtype == np.int16 and x.flags.c_contiguous and x.shape[1] % 4 == 0:
        # Four samples per 64-bit word: a row is all zero exactly when its largest word is
        # zero, and a row's argmax is cheaper than a reduction along it.
        words = x.view(np.uint64)
        top = words.argmax(axis=1)
        top += np.arange(0, words.size, words.shape[1])
        found: np.ndarray = words.reshape(-1)[top] != 0
        return found
    plain: np.ndarray = np.any(x != 0, axis=1)
    return plain


def bin_power(windows: np.ndarray) -> np.ndarray:
    """Squared magnitude of each frequency of ``windows`` (last axis (real, imaginary) pairs).

    Elementwise, so a window's powers are the same whether it is evaluated alone or in a batch.
    """
    squares = np.square(windows)
    power: np.ndarray = squares[..., 0::2] + squares[..., 1::2]
    return power


def window_gain() -> float:
    """Sum of the analysis window: a sine of amplitude a at a bin centre gives |W| = a*gain/2."""
    return float(_hann(WINDOW_SAMPLES).sum())


@dataclass(frozen=True, slots=True)
class WindowBlock:
    """The windows ending with each half of one batch, per channel.

    ``windows``: float32 ``(channels, halves + 1, 2 * freqs)``, slot ``k + 1`` being the window
    that ends with the batch's half ``k`` as (real, imaginary) per frequency, slot 0 the window
    before the batch's first (zeros at the stream's start; :func:`bin_power` gives their squared
    magnitudes); ``energy``: float32 ``(channels, halves)`` sum of squares of each half;
    ``first_half``: absolute index of the batch's first half (slot ``k + 1`` ends with half
    ``first_half + k``); ``rows``: which channels the rows are (the live ones, see
    :class:`HalfWindowBank`), ``None`` for all of them in order.  A channel left out is silent
    throughout: all its windows and energies are zero.
    """

    windows: np.ndarray
    energy: np.ndarray
    first_half: int
    #: the bank's channel of each row (sorted), or None when the rows are all the channels
    rows: np.ndarray | None = None

    @property
    def halves(self) -> int:
        """Halves (and new windows) per channel in the batch."""
        return int(self.energy.shape[1])


class HalfWindowBank:
    """Cuts a multichannel stream into 40-sample halves and evaluates the windows they complete.

    ``push(block)`` takes ``(channels, n)`` samples (any ``n >= 0``) and stages every half it
    completes; once at least ``batch_halves`` halves are staged it evaluates them all and returns
    the windows ending with each as a :class:`WindowBlock` (``None`` until then).  ``evaluate()``
    forces the evaluation of whatever is staged.  The first window of the stream sees silence
    before the stream.  Only the :attr:`live` channels are evaluated (see the module docstring).
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
        self._stage = np.empty((channels, batch_halves * HALF_SAMPLES), dtype=np.float32)
        # int16 blocks of whole halves are staged as they come (half the bytes of float32,
        # no conversion) and only the live channels converted, at evaluation
        self._stage16: np.ndarray | None = None
        self._staged_int = False  # the staged halves are in _stage16, not _stage
        self._staged = 0  # halves staged
        self._first_last = np.zeros((channels, 2 * nf), dtype=np.float32)  # A of the last half
        self._window_last = np.zeros((channels, 2 * nf), dtype=np.float32)
        self.halves_done = 0  #: halves evaluated so far (same for every channel)
        #: channels that may hold a non-zero sample, half or window: set by :meth:`push` for each
        #: channel with a non-zero sample, cleared by :meth:`release` and :meth:`reset_channels`
        self.live = np.zeros(channels, dtype=bool)

    @property
    def pending_samples(self) -> int:
        """Samples received that do not yet complete a half."""
        return int(self._pending.shape[1])

    def pending_rows(self, rows: np.ndarray | None) -> np.ndarray:
        """The pending samples of channels ``rows`` (None: all), ``(len(rows), pending)``."""
        return self._pending if rows is None else self._pending[rows]

    @property
    def staged_halves(self) -> int:
        """Halves completed but not yet evaluated."""
        return self._staged

    def reset_channels(self, rows: np.ndarray) -> None:
        """Make channels ``rows`` as if they had been silent since the stream began (their
        staged and pending samples and their window overlap are zeroed); the others and the
        stream position are unchanged."""
        self._pending[rows] = 0.0
        self._stage[rows] = 0.0
        if self._stage16 is not None:
            self._stage16[rows] = 0
        self._first_last[rows] = 0.0
        self._window_last[rows] = 0.0
        self.live[rows] = False

    def release(self, rows: np.ndarray) -> None:
        """Stop evaluating channels ``rows`` until their next non-zero sample.  The caller
        vouches that they are quiet: their last two halves and the samples pending since were
        zero (so their last half's and window's values are zero and stay so on silence)."""
        self._first_last[rows] = 0.0
        self._window_last[rows] = 0.0
        self.live[rows] = False

    def _mark_live(self, x: np.ndarray) -> None:
        """Mark the channels of block ``x`` that hold a non-zero sample live."""
        if x.shape[1] == 0:
            return
        self.live |= nonzero_rows(x)

    def push(self, block: np.ndarray) -> WindowBlock | None:
        """Stage ``block`` (channels, n); evaluate and return the batch once it is full."""
        x = np.asarray(block)
        self._mark_live(x)
        h = self._staged * HALF_SAMPLES
        if (x.dtype == np.int16 and x.shape[1] % HALF_SAMPLES == 0 and not self._pending.shape[1]
                and h + x.shape[1] <= self._stage.shape[1] and (self._staged_int or not h)):
            if self._stage16 is None:
                self._stage16 = np.empty(self._stage.shape, dtype=np.int16)
            np.copyto(self._stage16[:, h : h + x.shape[1]], x)
            self._staged_int = True
            self._staged += x.shape[1] // HALF_SAMPLES
            if self._staged < self.batch_halves:
                return None
            return self._evaluate(self._stage16)
        self._staged_as_float()
        if self._pending.shape[1]:
            x = np.concatenate([self._pending, x.astype(np.float32, copy=False)], axis=1)
        n_halves = x.shape[1] // HALF_SAMPLES
        used = n_halves * HALF_SAMPLES
        if used < x.shape[1] or self._pending.shape[1]:
            self._pending = np.array(x[:, used:], dtype=np.float32)
        if h + used <= self._stage.shape[1]:
            np.copyto(self._stage[:, h : h + used], x[:, :used])
            self._staged += n_halves
            if self._staged < self.batch_halves:
                return None
            return self._evaluate(self._stage)
        # A block larger than the room left: evaluate what is staged and the block together.
        if h:
            samples = np.concatenate([self._stage[:, :h], x[:, :used].astype(np.float32, copy=False)], axis=1)
        else:
            samples = np.ascontiguousarray(x[:, :used], dtype=np.float32)
        self._staged = 0
        return self._evaluate(samples)

    def evaluate(self) -> WindowBlock | None:
        """Evaluate the windows ending with every staged half (``None`` if none is staged)."""
        if self._staged == 0:
            return None
        stage = self._stage16 if self._staged_int and self._stage16 is not None else self._stage
        return self._evaluate(stage[:, : self._staged * HALF_SAMPLES])

    def _staged_as_float(self) -> None:
        """Move halves staged as int16 to the float32 stage (a block that is not whole int16
        halves joins them there)."""
        if self._staged_int and self._stage16 is not None and self._staged:
            h = self._staged * HALF_SAMPLES
            np.copyto(self._stage[:, :h], self._stage16[:, :h])
        self._staged_int = False

    def _evaluate(self, samples: np.ndarray) -> WindowBlock:
        """Windows ending with each half of ``samples`` (float32 or int16, ``(channels, halves
        * 40)``), for the live channels (converted to float32: int16 samples exactly)."""
        n = samples.shape[1] // HALF_SAMPLES
        live = self.live.nonzero()[0]
        self._staged_int = False
        if live.size == self.channels:
            return self._evaluate_rows(np.ascontiguousarray(samples, dtype=np.float32), n, None)
        return self._evaluate_rows(samples[live].astype(np.float32, copy=False), n, live)

    def _evaluate_rows(self, samples: np.ndarray, n: int, live: np.ndarray | None) -> WindowBlock:
        """:meth:`_evaluate` for the channels ``live`` (None: all), whose samples are given."""
        c, q = samples.shape[0], 2 * self.n_freqs
        rows = c * n
        halves = samples.reshape(rows, HALF_SAMPLES)
        # Product one row down: row r + 1 holds half r, row 0 is zero (the "half before").
        prod = np.empty((rows + 1, 2 * q), dtype=np.float32)
        prod[0] = 0.0
        np.matmul(halves, self._table, out=prod[1:])
        energy = np.einsum("ij,ij->i", halves, halves).reshape(c, n)
        flat = prod.reshape(-1)
        windows = np.empty((c, n + 1, q), dtype=np.float32)
        first_last = self._first_last if live is None else self._first_last[live]
        windows[:, 0] = self._window_last if live is None else self._window_last[live]
        # Window of half r = A[r - 1] + B[r]: flat[2q r + 2i] + flat[2q (r + 1) + 2i + 1].
        a_prev = flat[: 2 * q * rows : 2].reshape(c, n, q)
        b_this = flat[2 * q + 1 :: 2].reshape(c, n, q)
        np.add(a_prev, b_this, out=windows[:, 1:])
        np.add(first_last, prod[1::n, 1::2][:c], out=windows[:, 1])  # across batches
        if live is None:
            self._first_last = prod[n::n, 0::2].copy()
            self._window_last = windows[:, n].copy()
        else:
            self._first_last[live] = prod[n::n, 0::2]
            self._window_last[live] = windows[:, n]
        start = self.halves_done
        self.halves_done += n
        self._staged = 0
        return WindowBlock(windows=windows, energy=energy, first_half=start, rows=live)
