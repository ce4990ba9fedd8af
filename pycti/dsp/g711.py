"""ITU-T G.711 mu-law and A-law codecs, vectorised through lookup tables.

The tables are built once, at import, from the segment rules of G.711 (clause 3 and Tables
1a/1b for A-law, 2a/2b for mu-law):

* 16-bit linear input is first reduced to the uniform PCM word G.711 works on by an arithmetic
  right shift: 14 bits for mu-law (``x >> 2``), 13 bits for A-law (``x >> 3``).
* mu-law codes the magnitude of the 14-bit word (clipped to 8159) plus a bias of 33 in one of
  eight segments whose end points are 64 * 2**s - 1; the segment number and the four bits below
  its leading one form the code, and every bit is inverted.
* A-law codes the one's complement magnitude of the 13-bit word in eight segments whose end
  points are 32 * 2**s - 1 (segments 0 and 1 share the step size); the even bits are inverted
  (XOR 0x55) and the sign bit is 1 for positive values.
* Decoding returns the mid-point of the code's decision interval, scaled to 16 bits.

Encoding is one ``take`` into a 65,536-entry table indexed by the 16-bit pattern of the input.
Decoding takes two codes at a time, as one 16-bit index into a 65,536-entry table of decoded
pairs, whenever the array is contiguous with an even last axis (a 256-entry table otherwise),
which halves the lookups of the media plane's (channels, 160) frames.

Two conventions exist for the magnitude of a *negative* mu-law input.  Python's ``audioop`` (and
the Sun reference code it descends from) takes the two's complement value, ``-(x >> 2)``; the
ITU-T G.191 software tools (``ulaw_compress``, and spandsp, which follows them) take the one's
complement, ``~x >> 2``, so that -1 codes as "negative zero" (0x7F).  They give different codes
for 508 of the 65,536 inputs, all negative and each on a step boundary, one step apart.
``ulaw_encode`` follows ``audioop`` by default and G.191 with ``convention="g191"``.  For A-law
both already take the one's complement and agree on every input; decoding is the same in both.
"""

from __future__ import annotations

import sys
from typing import Literal

import numpy as np

__all__ = ["G711Convention", "alaw_decode", "alaw_encode", "ulaw_decode", "ulaw_encode"]

_ULAW_BIAS = 33  # G.711 Table 2a: decision values are offset by 33 in 14-bit units
_ULAW_CLIP = 8159  # largest 14-bit magnitude that mu-law represents
_SEG_MASK = 0x70
_QUANT_MASK = 0x0F
_SIGN_BIT = 0x80
#: Magnitude of a negative mu-law input: two's complement (``audioop``) or one's complement (G.191).
G711Convention = Literal["audioop", "g191"]


def _segment(magnitude: np.ndarray, first_end: int) -> np.ndarray:
    """Segment number of each magnitude, segment s (0..7) ending at first_end * 2**s - 1."""
    ends = first_end * (2 ** np.arange(8)) - 1
    return np.searchsorted(ends, magnitude, side="left")


def _build_ulaw_encode(convention: G711Convention) -> np.ndarray:
    x = np.arange(-32768, 32768, dtype=np.int32)
    pcm14 = x >> 2
    negative = pcm14 < 0
    magnitude = np.abs(pcm14) if convention == "audioop" else np.where(negative, ~pcm14, pcm14)
    mag = np.minimum(magnitude, _ULAW_CLIP) + _ULAW_BIAS
    seg = _segment(mag, 64)
    # mag reaches 8159 + 33 = 8192 only beyond the last decision value: top code of segment 7.
    code = np.where(seg > 7, 0x7F, (seg << 4) | ((mag >> (seg + 1)) & _QUANT_MASK))
    code = np.where(negative, code ^ 0x7F, code ^ 0xFF)
    table = np.empty(65536, dtype=np.uint8)
    table[x.astype(np.uint16)] = code.astype(np.uint8)
    return table


def _build_ulaw_decode() -> np.ndarray:
    inverted = ~np.arange(256, dtype=np.int32) & 0xFF
    seg = (inverted & _SEG_MASK) >> 4
    # Mid-point of the decision interval in 16-bit units: ((2q + 33) << seg) - 33, times 4.
    t = (((inverted & _QUANT_MASK) << 3) + 4 * _ULAW_BIAS) << seg
    value = np.where(inverted & _SIGN_BIT, 4 * _ULAW_BIAS - t, t - 4 * _ULAW_BIAS)
    return value.astype(np.int16)


def _build_alaw_encode() -> np.ndarray:
    x = np.arange(-32768, 32768, dtype=np.int32)
    pcm13 = x >> 3
    negative = pcm13 < 0
    mag = np.where(negative, -pcm13 - 1, pcm13)
    seg = _segment(mag, 32)
    shift = np.maximum(seg, 1)
    code = (seg << 4) | ((mag >> shift) & _QUANT_MASK)
    code = np.where(negative, code ^ 0x55, code ^ 0xD5)
    table = np.empty(65536, dtype=np.uint8)
    table[x.astype(np.uint16)] = code.astype(np.uint8)
    return table


def _build_alaw_decode() -> np.ndarray:
    value = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (value & _SEG_MASK) >> 4
    t = ((value & _QUANT_MASK) << 4) + 8  # mid-point of the step in segments 0 and 1
    t = np.where(seg >= 1, (t + 0x100) << np.maximum(seg - 1, 0), t)
    return np.where(value & _SIGN_BIT, t, -t).astype(np.int16)


def _pair_table(single: np.ndarray) -> np.ndarray:
    """uint32 table: index c0 | c1 << 8 -> the int16 pair (decode(c0), decode(c1)) in memory order."""
    idx = np.arange(65536)
    bits = single.view(np.uint16).astype(np.uint32)
    table: np.ndarray = bits[idx & 0xFF] | (bits[idx >> 8] << 16)
    return table


_ULAW_ENCODE = {convention: _build_ulaw_encode(convention) for convention in ("audioop", "g191")}
_ULAW_DECODE = _build_ulaw_decode()
_ALAW_ENCODE = _build_alaw_encode()
_ALAW_DECODE = _build_alaw_decode()
_ULAW_DECODE_PAIRS = _pair_table(_ULAW_DECODE)
_ALAW_DECODE_PAIRS = _pair_table(_ALAW_DECODE)
for _table in (*_ULAW_ENCODE.values(), _ULAW_DECODE, _ALAW_ENCODE, _ALAW_DECODE, _ULAW_DECODE_PAIRS, _ALAW_DECODE_PAIRS):
    _table.setflags(write=False)
_LITTLE_ENDIAN = sys.byteorder == "little"


def _as_int16(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype != np.int16:
        raise ValueError(f"G.711 encoders take int16 linear samples, got dtype {a.dtype}")
    return a


def _as_codes(codes: np.ndarray) -> np.ndarray:
    a = np.asarray(codes)
    if a.dtype != np.uint8:
        raise ValueError(f"G.711 decoders take uint8 codes, got dtype {a.dtype}")
    return a


def _decode(codes: np.ndarray, single: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    a = _as_codes(codes)
    if _LITTLE_ENDIAN and a.ndim and a.shape[-1] % 2 == 0 and a.size and a.flags.c_contiguous:
        return pairs.take(a.view(np.uint16)).view(np.int16)
    return single.take(a)


def ulaw_encode(x: np.ndarray, *, convention: G711Convention = "audioop") -> np.ndarray:
    """Encode 16-bit linear samples (int16, any shape) to G.711 mu-law codes (uint8).

    ``convention`` chooses how negative inputs are rounded (see the module docstring):
    ``"audioop"`` (default) or ``"g191"`` (ITU-T G.191 tools, spandsp).
    """
    table = _ULAW_ENCODE.get(convention)
    if table is None:
        raise ValueError(f"convention must be 'audioop' or 'g191', got {convention!r}")
    return table.take(_as_int16(x).view(np.uint16))


def ulaw_decode(codes: np.ndarray) -> np.ndarray:
    """Decode G.711 mu-law codes (uint8, any shape) to 16-bit linear samples (int16)."""
    return _decode(codes, _ULAW_DECODE, _ULAW_DECODE_PAIRS)


def alaw_encode(x: np.ndarray) -> np.ndarray:
    """Encode 16-bit linear samples (int16, any shape) to G.711 A-law codes (uint8)."""
    a = _as_int16(x)
    return _ALAW_ENCODE.take(a.view(np.uint16))


def alaw_decode(codes: np.ndarray) -> np.ndarray:
    """Decode G.711 A-law codes (uint8, any shape) to 16-bit linear samples (int16)."""
    return _decode(codes, _ALAW_DECODE, _ALAW_DECODE_PAIRS)
