"""Framing and tone-subspace energies shared by the call-progress and fax-tone detectors.

Audio is cut into frames of ``FRAME_SAMPLES`` (20 ms) on a grid fixed from the first sample,
so a signal gives the same frames whatever block sizes it arrives in.  For each frame the
detectors need, per "band" (a set of sinusoid frequencies), the energy of the least-squares fit
of the frame onto the sines and cosines of those frequencies.  For a band with basis ``B``
(``N x 2m``) that energy is ``c^T (B^T B)^-1 c`` with ``c = B^T x``; writing
``(B^T B)^-1 = L L^T`` (Cholesky) it is ``||x^T B L||^2``.  All bands' ``B L`` are stacked
into one matrix, so the energies of every band, frame and channel come from one matrix product,
a square and a segmented sum.  The share of the frame's energy that a band explains is the
detectors' main feature: near 1 for a tone of those frequencies, small for speech and noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import check_block, check_channels, check_fs

__all__ = ["FRAME_SAMPLES", "BandBank", "Features", "Framer", "ToneFrontEnd", "frame_energy"]

#: Frame length of the tone detectors: 20 ms at 8 kHz, the media plane's block size.
FRAME_SAMPLES = 160


class Framer:
    """Cuts ``(channels, n)`` blocks of any length into whole frames, keeping the remainder."""

    def __init__(self, channels: int, frame_samples: int = FRAME_SAMPLES) -> None:
        self.channels = check_channels(channels)
        self.frame_samples = frame_samples
        self._rest = np.zeros((channels, 0), dtype=np.float32)

    @property
    def pending_samples(self) -> int:
        """Samples held back until a frame is complete."""
        return self._rest.shape[1]

    def push(self, block: np.ndarray) -> np.ndarray:
        """Add a ``(channels, n)`` block (int16 or float, checked by ``check_block``); return
        the completed frames ``(channels, k, N)`` as float32."""
        a = check_block(block, self.channels)  # shape, channel count and dtype checks only
        block = (a if a.ndim == 2 else a[np.newaxis, :]).astype(np.float32, copy=False)
        n = self.frame_samples
        if self._rest.shape[1]:
            block = np.concatenate([self._rest, block], axis=1)
        k = block.shape[1] // n
        self._rest = block[:, k * n:]
        return block[:, : k * n].reshape(self.channels, k, n)

    def drain(self) -> np.ndarray:
        """The held-back samples zero-padded to one frame (``(channels, 0 or 1, N)``); resets."""
        rest, self._rest = self._rest, np.zeros((self.channels, 0), dtype=np.float32)
        if not rest.shape[1]:
            return np.zeros((self.channels, 0, self.frame_samples), dtype=np.float32)
        pad = np.zeros((self.channels, self.frame_samples - rest.shape[1]), dtype=np.float32)
        return np.concatenate([rest, pad], axis=1)[:, np.newaxis, :]


class BandBank:
    """Least-squares energies of each frame in a set of sinusoid bands.

    ``bands[i]`` is a tuple of frequencies in Hz; ``energies(frames)`` returns the energy (sum
    of squares, 16-bit units) of each frame's projection onto each band and the frame's total
    energy.  ``pair(i)`` gives the columns of the stacked product that hold band ``i``'s
    whitened cosine and sine coefficients (for a single-frequency band whose frame holds a
    whole number of cycles, these are the plain correlations scaled by ``sqrt(2/N)``: their
    angle is the tone's phase at the frame start).
    """

    def __init__(self, bands: Sequence[Sequence[float]], *, frame_samples: int = FRAME_SAMPLES,
                 fs_hz: int = 8000) -> None:
        check_fs(fs_hz)
        self.bands = tuple(tuple(float(f) for f in b) for b in bands)
        n = np.arange(frame_samples)
        cols: list[np.ndarray] = []
        starts: list[int] = []
        width = 0
        for band in self.bands:
            w = 2.0 * np.pi * np.asarray(band)[np.newaxis, :] * n[:, np.newaxis] / fs_hz
            basis = np.concatenate([np.cos(w), np.sin(w)], axis=1)
            gram_inv = np.linalg.inv(basis.T @ basis)
            chol = np.linalg.cholesky(gram_inv)
            cols.append(basis @ chol)
            starts.append(width)
            width += basis.shape[1]
        self._starts = np.asarray(starts)
        self.matrix = np.concatenate(cols, axis=1).astype(np.float32)
        # Sums the squared coefficients of each band: (columns, bands) of ones.
        self._band_sum = np.zeros((width, len(self.bands)), dtype=np.float32)
        for i, start in enumerate(starts):
            self._band_sum[start: start + 2 * len(self.bands[i]), i] = 1.0

    def pair(self, band: int) -> tuple[int, int]:
        """Column indices of the first cosine and first sine of ``band`` in :meth:`project`."""
        start = int(self._starts[band])
        m = len(self.bands[band])
        return start, start + m

    def project(self, frames: np.ndarray) -> np.ndarray:
        """Whitened coefficients ``(channels, k, columns)`` of float frames ``(channels, k, N)``."""
        c, k, n = frames.shape
        # One 2-D product: a 3-D stack @ 2-D would run one small product per frame.
        return (frames.reshape(c * k, n) @ self.matrix).reshape(c, k, self.matrix.shape[1])

    def energies(self, coeffs: np.ndarray) -> np.ndarray:
        """Per-band energies ``(channels, k, bands)`` from :meth:`project`'s coefficients."""
        c, k, m = coeffs.shape
        sq = coeffs.reshape(c * k, m)
        out: np.ndarray = ((sq * sq) @ self._band_sum).reshape(c, k, len(self.bands))
        return out


def frame_energy(frames: np.ndarray) -> np.ndarray:
    """Total energy (sum of squares) of each frame: ``(channels, k, N) -> (channels, k)``."""
    out: np.ndarray = np.einsum("ckn,ckn->ck", frames, frames)
    return out


@dataclass(frozen=True, slots=True)
class Features:
    """What the tone detectors read of each frame: ``coeffs`` ``(channels, k, columns)``,
    band ``energies`` ``(channels, k, bands)`` and ``total`` frame energy ``(channels, k)``."""

    coeffs: np.ndarray
    energies: np.ndarray
    total: np.ndarray


class ToneFrontEnd:
    """Framer plus band bank: blocks in, per-frame :class:`Features` out."""

    def __init__(self, channels: int, bands: Sequence[Sequence[float]], *, fs_hz: int = 8000
                 ) -> None:
        self.framer = Framer(channels)
        self.bank = BandBank(bands, fs_hz=fs_hz)

    def features(self, frames: np.ndarray) -> Features:
        """Features of float32 frames ``(rows, k, N)`` given directly (any rows: the framer
        is not involved)."""
        return self._features(frames)

    def _features(self, frames: np.ndarray) -> Features:
        coeffs = self.bank.project(frames)
        return Features(coeffs, self.bank.energies(coeffs),
                        np.maximum(frame_energy(frames), np.float32(1e-6)))

    def push(self, block: np.ndarray) -> Features:
        """Features of the frames completed by ``block``."""
        return self._features(self.framer.push(block))

    def drain(self) -> Features:
        """Features of the held-back samples zero-padded to a frame (0 or 1 frame); resets."""
        return self._features(self.framer.drain())
