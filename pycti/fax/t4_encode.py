"""Vectorised T.4/T.6 encoders: whole pages with numpy, no per-pixel or per-run Python.

A page becomes its changing elements (T.4 §4.2.1.3.1: a pixel whose colour differs from the
pixel before it; the pixel before the first is an imaginary white one).  From them:

* one-dimensional lines (T.4 §4.1.1): the alternating white/black runs of a line, each coded
  as an optional make-up code (64..2560) plus a terminating code (0..63); a line starts white.
* two-dimensional lines (T.4 §4.2.1.3, T.6 §2.2): for each changing element a1 of the coding
  line the coder takes a0 = the element before it and b1 = the first changing element of the
  reference line right of a0 with the colour opposite a0's.  Pass modes are emitted while
  b2 < a1; then vertical mode if |a1 - b1| <= 3, else horizontal mode, which codes a0a1 and
  a1a2 as MH runs and consumes a2 too.  Which elements start a coding step (an element taken
  as a2 does not) is found for all elements at once: inside a stretch of consecutive
  "would be horizontal" elements every second one starts.

The codes of all lines are then framed (EOL, the 1-D/2-D tag bit, fill for the minimum scan
line time and for octet-aligned EOLs, RTC or EOFB) and packed to bits.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from . import t4_tables as tables
from .t4_bits import pack_codes
from .t4_types import LINE_WIDTHS, Coding, FaxCodingError, Page

__all__ = ["encode_bits", "changing_elements"]

IntArray = npt.NDArray[np.int32]
Codes = tuple[IntArray, IntArray, IntArray]  # values, lengths, line index


def _tables() -> tuple[IntArray, IntArray, IntArray, IntArray]:
    arrays = [tables.run_code_arrays(c) for c in (0, 1)]
    return tuple(np.stack([a[i] for a in arrays]) for i in range(4))  # type: ignore[return-value]


_TERM_V, _TERM_L, _MAKE_V, _MAKE_L = _tables()
_EOL = int(tables.EOL_CODE, 2)
_P = int(tables.MODE_CODES["P"], 2)
_H = int(tables.MODE_CODES["H"], 2)
_V_VAL = np.array([int(tables.MODE_CODES[tables.VERTICAL_BY_DELTA[d]], 2) for d in range(-3, 4)])
_V_LEN = np.array([len(tables.MODE_CODES[tables.VERTICAL_BY_DELTA[d]]) for d in range(-3, 4)])


def changing_elements(image: Page) -> tuple[IntArray, IntArray]:
    """``(xs, starts)``: the changing elements of every row, concatenated row by row, and
    ``starts[y]:starts[y+1]`` the slice of row ``y``."""
    rows, width = image.shape
    black = image.astype(bool, copy=False)
    diff = np.empty((rows, width), dtype=bool)
    diff[:, 0] = black[:, 0]
    np.not_equal(black[:, 1:], black[:, :-1], out=diff[:, 1:])
    ys, xs = np.nonzero(diff)
    starts = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(np.bincount(ys, minlength=rows), out=starts[1:])
    return xs.astype(np.int32), starts


def _reference_counts(xs: IntArray, starts: IntArray, width: int) -> npt.NDArray[np.int16]:
    """``cum[y, x]``: changing elements of row ``y - 1`` left of pixel ``x`` (row 0: none)."""
    rows = starts.size - 1
    marks = np.zeros((rows + 1) * (width + 1), dtype=np.int16)
    ys = np.repeat(np.arange(1, rows + 1, dtype=np.int32), starts[1:] - starts[:-1])
    marks[ys * (width + 1) + xs + 1] = 1
    return np.cumsum(marks.reshape(rows + 1, width + 1), axis=1, dtype=np.int16)


def _ragged(starts: IntArray, counts: IntArray) -> IntArray:
    """Concatenation of ``arange(starts[i], starts[i] + counts[i])``."""
    total = int(counts.sum())
    first = np.cumsum(counts) - counts
    return np.repeat(starts - first, counts) + np.arange(total, dtype=np.int32)


def _put_runs(val: IntArray, ln: IntArray, pos: IntArray, runs: IntArray, colour: IntArray) -> None:
    """Write the MH codes of ``runs`` (make-up if >= 64, then terminating) at ``pos``."""
    big = runs >= 64
    m = runs >> 6
    val[pos[big]] = _MAKE_V[colour[big], m[big]]
    ln[pos[big]] = _MAKE_L[colour[big], m[big]]
    tpos = pos + big
    val[tpos] = _TERM_V[colour, runs & 63]
    ln[tpos] = _TERM_L[colour, runs & 63]


def _subset(xs: IntArray, starts: IntArray, lines: IntArray) -> tuple[IntArray, IntArray]:
    counts = starts[lines + 1] - starts[lines]
    return xs[_ragged(starts[lines], counts)], counts


def _codes_1d(xs: IntArray, starts: IntArray, lines: IntArray, width: int) -> Codes:
    sub, counts = _subset(xs, starts, lines)
    ends = np.cumsum(counts)
    ext = np.insert(sub, ends, width)  # each line's changes, then the line end
    n_ext = counts + 1
    first = np.cumsum(n_ext) - n_ext
    prev = np.empty_like(ext)
    prev[1:] = ext[:-1]
    prev[first] = 0
    runs = ext - prev
    colour = (np.arange(ext.size, dtype=np.int32) - np.repeat(first, n_ext)) & 1
    per_run = 1 + (runs >= 64)
    pos = np.cumsum(per_run) - per_run
    total = int(per_run.sum())
    val = np.zeros(total, dtype=np.int32)
    ln = np.zeros(total, dtype=np.int32)
    _put_runs(val, ln, pos, runs, colour)
    line = np.repeat(np.repeat(lines, n_ext), per_run)
    return val, ln, line


def _codes_2d(xs: IntArray, starts: IntArray, cum: npt.NDArray[np.int16], lines: IntArray, width: int) -> Codes:
    """Two-dimensional codes of ``lines``; each is coded against the line above (an imaginary
    white line for row 0).  ``cum[y, x]`` counts the changing elements of row ``y - 1`` left
    of pixel ``x`` (row 0 of ``cum`` is all zero)."""
    i32 = np.int32
    counts = starts[1:] - starts[:-1]
    n1 = counts + 1  # the changing elements of a line and the imaginary one at the width
    cand = np.insert(xs, starts[1:], width)
    cstart = np.cumsum(n1, dtype=i32) - n1
    if lines.size == counts.size:
        gi = np.arange(cand.size, dtype=i32)
    else:
        gi = _ragged(cstart[lines], n1[lines])
    y = np.repeat(lines, n1[lines])
    k = gi - cstart[y]
    first = k == 0
    a1 = cand[gi]
    a0 = cand[gi - 1]
    a0[first] = -1
    ybase = y * i32(width + 1)
    flat = cum.ravel()
    j0 = flat[ybase + a0 + 1].astype(i32)  # reference elements at or left of a0
    j0 += (j0 ^ k) & 1  # b1 has the colour opposite a0's: index parity = k parity
    # Pass modes while b2 < a1: with s reference elements left of a1 and b1, b2 at indices
    # j0 + 2i, j0 + 2i + 1, that is (s - j0) // 2 passes; b1 then sits at j0 + 2 * passes.
    n_pass = flat[ybase + a1] - j0
    n_pass >>= 1
    np.maximum(n_pass, 0, out=n_pass)
    # Row y's reference elements are xs[ref_lo[y]:ref_hi[y]] (none for row 0).
    ref_lo = np.concatenate([starts[:1], starts[:-2]]).astype(i32)
    ref_hi = np.concatenate([starts[:1], starts[1:-1]]).astype(i32)
    b1_at = ref_lo[y] + j0 + 2 * n_pass
    xs_pad = np.append(xs, i32(width))
    b1 = xs_pad[np.minimum(b1_at, xs.size)]
    b1[b1_at >= ref_hi[y]] = width
    delta = a1 - b1
    horiz = np.abs(delta) > 3
    # Which candidates start a step: an a2 taken by a horizontal step does not.  A stretch
    # of consecutive would-be-horizontal candidates always begins with a step; inside it
    # every second candidate is a step (the others are its a2s).
    seg_begin = horiz & (first | ~np.roll(horiz, 1))
    idx = np.arange(k.size, dtype=i32)
    seg_start = np.maximum.accumulate(np.where(seg_begin, idx, 0))
    takes_next = horiz & (((idx - seg_start) & 1) == 0)
    si = np.flatnonzero(~(np.roll(takes_next, 1) & ~first))
    # Emit the codes of the steps.
    hs, ps = horiz[si], n_pass[si]
    hi = si[hs]
    a1h = a1[hi]
    # After passes a0 stands under the last b2 (always a real reference element).
    a0h = np.where(n_pass[hi] > 0, xs_pad[b1_at[hi] - 1], np.maximum(a0[hi], 0))
    a2h = np.where(a1h < width, cand[np.minimum(gi[hi] + 1, cand.size - 1)], width)
    run1 = a1h - a0h
    run2 = a2h - a1h
    count = ps + 1
    count[hs] += 2 + (run1 >= 64) + (run2 >= 64)
    off = np.cumsum(count, dtype=i32) - count
    total = int(off[-1] + count[-1]) if count.size else 0
    val = np.zeros(total, dtype=i32)
    ln = np.zeros(total, dtype=i32)
    pi = np.flatnonzero(ps)
    pp = _ragged(off[pi], ps[pi])
    val[pp] = _P
    ln[pp] = 4
    mode_at = off + ps
    vi = np.clip(delta[si] + 3, 0, 6)
    val[mode_at] = np.where(hs, _H, _V_VAL[vi])
    ln[mode_at] = np.where(hs, 3, _V_LEN[vi])
    hpos = mode_at[hs] + 1
    c1 = k[hi] & 1
    _put_runs(val, ln, hpos, run1, c1)
    _put_runs(val, ln, hpos + 1 + (run1 >= 64), run2, 1 - c1)
    line = np.repeat(y[si], count)
    return val, ln, line


def _merge(rows: int, parts: list[Codes]) -> tuple[Codes, IntArray]:
    """Interleave code sets (each sorted by line) into page order; also codes per line."""
    counts = [np.bincount(p[2], minlength=rows) for p in parts]
    total_per_line = np.sum(counts, axis=0).astype(np.int32)
    if len(parts) == 1:
        return parts[0], total_per_line
    gstart = np.cumsum(total_per_line) - total_per_line
    total = int(total_per_line.sum())
    val = np.zeros(total, dtype=np.int32)
    ln = np.zeros(total, dtype=np.int32)
    line = np.zeros(total, dtype=np.int32)
    for (pv, pl, pline), cnt in zip(parts, counts):
        own_start = np.cumsum(cnt) - cnt
        pos = gstart[pline] + np.arange(pline.size, dtype=np.int32) - own_start[pline]
        val[pos], ln[pos], line[pos] = pv, pl, pline
    return (val, ln, line), total_per_line


def _check(image: Page, k: int, min_scan_line_ms: float, bit_rate_bps: int) -> None:
    if image.ndim != 2 or image.shape[1] not in LINE_WIDTHS:
        raise FaxCodingError(f"page shape {image.shape} is not rows x one of {LINE_WIDTHS} pixels")
    if image.shape[0] == 0:
        raise FaxCodingError("page has no rows")
    if k < 1:
        raise FaxCodingError(f"K parameter must be >= 1, not {k}")
    if min_scan_line_ms < 0 or (min_scan_line_ms > 0 and bit_rate_bps <= 0):
        raise FaxCodingError(f"minimum scan line time {min_scan_line_ms} ms at {bit_rate_bps} bit/s")


def encode_bits(
    image: Page,
    coding: Coding,
    *,
    k: int,
    min_scan_line_ms: float = 0.0,
    bit_rate_bps: int = 9600,
    align_eol: bool = False,
    rtc: bool = True,
) -> npt.NDArray[np.uint8]:
    """The coded bit stream of ``image`` (rows x width, nonzero = black) in transmission order.

    See :func:`pycti.fax.t4.encode_page` for the parameters.
    """
    _check(image, k, min_scan_line_ms, bit_rate_bps)
    rows, width = image.shape
    xs, starts = changing_elements(image)
    all_lines = np.arange(rows, dtype=np.int32)
    if coding is Coding.MR:
        one_d = all_lines % k == 0
        parts = [_codes_1d(xs, starts, all_lines[one_d], width)]
        if (~one_d).any():
            parts.append(_codes_2d(xs, starts, _reference_counts(xs, starts, width), all_lines[~one_d], width))
        tag = one_d.astype(np.int32)
    elif coding is Coding.MMR:
        parts = [_codes_2d(xs, starts, _reference_counts(xs, starts, width), all_lines, width)]
    elif coding in (Coding.MH, Coding.MH_RLE):
        parts = [_codes_1d(xs, starts, all_lines, width)]
    else:
        raise FaxCodingError(f"unknown coding {coding!r}")
    (val, ln, line), per_line = _merge(rows, parts)
    data_bits = np.bincount(line, weights=ln, minlength=rows).astype(np.int32)
    prefix_v = np.zeros(rows, dtype=np.int32)
    prefix_l = np.zeros(rows, dtype=np.int32)
    fill = np.zeros(rows, dtype=np.int32)
    head_l = 0
    tail: list[tuple[int, int]] = []
    if coding in (Coding.MH, Coding.MR):
        tag_bits = 1 if coding is Coding.MR else 0
        prefix_v[:] = (_EOL << 1 | tag) if coding is Coding.MR else _EOL
        prefix_l[:] = 12 + tag_bits
        min_bits = math.ceil(min_scan_line_ms * bit_rate_bps / 1000.0 - 1e-9)
        fill = np.maximum(0, min_bits - data_bits - 12 - tag_bits)
        if align_eol:  # each EOL ends on an octet boundary (TIFF T4Options bit 2)
            head_l = 4
            fill += (4 - tag_bits - data_bits - fill) % 8
        if rtc:
            eol = (_EOL << 1 | 1, 13) if coding is Coding.MR else (_EOL, 12)
            tail = [eol] * 6
        else:
            fill[-1] = 0  # fill goes before an EOL; none follows the last line
    elif coding is Coding.MH_RLE:
        fill = (-data_bits) % 8
    else:  # MMR: EOFB, then zero bits to the octet boundary
        tail = [(_EOL, 12), (_EOL, 12)]
        tail_bits = int(data_bits.sum()) + 24
        tail.append((0, (-tail_bits) % 8))
    n = val.size + 2 * rows
    out_v = np.zeros(n + 1 + len(tail), dtype=np.int32)
    out_l = np.zeros_like(out_v)
    out_l[0] = head_l
    line_at = np.cumsum(per_line) - per_line + 2 * np.arange(rows, dtype=np.int32) + 1
    out_v[line_at], out_l[line_at] = prefix_v, prefix_l
    data_at = np.arange(val.size, dtype=np.int32) + 2 * line + 2
    out_v[data_at], out_l[data_at] = val, ln
    out_l[line_at + per_line + 1] = fill
    for i, (tv, tl) in enumerate(tail):
        out_v[n + 1 + i], out_l[n + 1 + i] = tv, tl
    return pack_codes(out_v, out_l)
