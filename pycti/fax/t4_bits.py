"""Bit-level plumbing of the T.4/T.6 coders: packing codes into a bit stream, octet order, and
the per-position look-ahead windows the decoders index their tables with.

A coded page is first a sequence of ``(value, length)`` codes, first transmitted bit = most
significant bit of ``value`` (T.4 §4.1).  :func:`pack_codes` turns that into the bit stream
(one uint8 0/1 per bit, in transmission order) with numpy alone.  :func:`bits_to_octets`
packs it LSB-first (T.30 transmission, TIFF FillOrder=2) or MSB-first (TIFF FillOrder=1).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .t4_tables import LUT_BITS
from .t4_types import BitOrder, FaxCodingError

__all__ = ["pack_codes", "bits_to_octets", "octets_to_bits", "BitWindows", "windows_of_bits"]

Bits = npt.NDArray[np.uint8]
_PAD = 32
IntArray = npt.NDArray[np.int64]


def pack_codes(values: npt.NDArray[np.int32], lengths: npt.NDArray[np.int32]) -> Bits:
    """The bit stream of the codes ``values[i]`` of ``lengths[i]`` bits (lengths may be 0 and
    may exceed 63 for all-zero fill codes)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint8)
    starts = np.cumsum(lengths, dtype=np.int32) - lengths
    shift = np.repeat(lengths - 1 + starts, lengths) - np.arange(total, dtype=np.int32)
    np.minimum(shift, 30, out=shift)  # codes have at most 13 bits; longer fill is all zeros
    return ((np.repeat(values, lengths) >> shift) & 1).astype(np.uint8)


def bits_to_octets(bits: Bits, order: BitOrder) -> bytes:
    """Pack a bit stream into octets; the last octet is padded with zero bits."""
    return np.packbits(bits, bitorder="big" if order is BitOrder.MSB_FIRST else "little").tobytes()


def octets_to_bits(data: bytes | bytearray | memoryview, order: BitOrder) -> Bits:
    """The bit stream, in transmission order, that ``data`` carries."""
    if not isinstance(order, BitOrder):
        raise FaxCodingError(f"bit order must be a BitOrder, not {order!r}")
    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    return np.unpackbits(raw, bitorder="big" if order is BitOrder.MSB_FIRST else "little")


@dataclass(frozen=True)
class BitWindows:
    """A bit stream with, for every bit position p, the 13 bits starting at p (``win[p]``;
    bits past the end read as 0, and there are 32 zero windows past the end).  ``win`` is an
    ``array('H')`` so Python loops index it at list speed; ``win_np`` is the same as numpy."""

    bits: Bits
    win: array[int]
    win_np: npt.NDArray[np.uint16]

    @property
    def nbits(self) -> int:
        """Bits in the stream."""
        return int(self.bits.size)

    def eol_positions(self) -> IntArray:
        """Start positions of every EOL (eleven 0s then a 1) in the stream."""
        return np.flatnonzero((self.win_np >> (LUT_BITS - 12)) == 1).astype(np.int64)

    def any_ones(self, start: int, stop: int) -> bool:
        """Whether bits ``start:stop`` hold a 1 (fill must be all zeros)."""
        n = stop - start
        if n <= 0:
            return False
        if n <= LUT_BITS:  # the usual short fill: one window answers
            return (self.win[start] >> (LUT_BITS - n)) != 0
        return self.win[start] != 0 or bool(self.bits[start:stop].any())


def windows_of_bits(bits: Bits) -> BitWindows:
    """Build the look-ahead windows of ``bits`` (vectorised: a few numpy passes)."""
    n = int(bits.size)
    octets = np.packbits(np.concatenate([bits, np.zeros(24, dtype=np.uint8)])).astype(np.uint32)
    v24 = (octets[:-2] << 16) | (octets[1:-1] << 8) | octets[2:]
    shifts = (24 - LUT_BITS - np.arange(8, dtype=np.uint32)).astype(np.uint32)
    win_np = np.zeros(n + _PAD, dtype=np.uint16)  # reads past the end see zeros: no code
    win_np[:n] = ((v24[:, None] >> shifts[None, :]) & ((1 << LUT_BITS) - 1)).ravel()[:n]
    win = array("H")
    win.frombytes(win_np.tobytes())
    return BitWindows(bits=bits, win=win, win_np=win_np)
