"""T.4 decoders: one-dimensional (MH, §4.1) and two-dimensional (MR, §4.2) lines and pages.

A line decodes into its changing elements (strictly increasing pixel positions where the
colour flips; the line starts white).  Codes are found with 13-bit lookup tables indexed by
the look-ahead window at the current bit position (:mod:`pycti.fax.t4_bits`), so the Python
loop runs once per code, not per bit or pixel.

Pages with EOLs (T.4, TIFF Compression=3) are split at every EOL first (the code set cannot
imitate eleven zeros and a one, T.4 §4.1.2), so each line is decoded between its own EOL and
the next.  A line that holds an invalid code, ends early, or runs past the scan line width is
reported (:class:`LineError`) and replaced by the previous line, as fax receivers do; the next
line starts cleanly at its EOL.  Two EOLs with nothing between them end the page (RTC, §4.1.4).
MH pages decode all their lines at once (:mod:`pycti.fax.t4_mh`); MR lines one by one, as each
two-dimensional line needs the line before it.
"""

from __future__ import annotations

from array import array
from itertools import chain

import numpy as np

from . import t4_tables as tables
from .t4_bits import BitWindows
from .t4_mh import decode_mh_lines
from .t4_types import Coding, DecodedPage, LineError, Page

__all__ = ["LineFault", "decode_line_1d", "decode_line_2d", "decode_t4", "decode_rle", "image_of"]

_WHITE = tables.run_lut(0)
_BLACK = tables.run_lut(1)
_MODES = tables.mode_lut()
_EOL = tables.LUT_EOL


class LineFault(Exception):
    """Raised inside a line decoder: why the line is bad and at which bit."""

    def __init__(self, reason: str, bit_offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.bit_offset = bit_offset


def _bad_code(entry: int, p: int, what: str) -> LineFault:
    if entry == _EOL:
        return LineFault(f"EOL inside the line (while reading {what})", p)
    return LineFault(f"invalid {what} code", p)


def decode_line_1d(win: array[int], p: int, width: int) -> tuple[list[int], int]:
    """Decode one MH line from bit ``p``; return its changing elements and the next bit."""
    out: list[int] = []
    a = 0
    tab, other = _WHITE, _BLACK
    while True:
        run = 0
        while True:  # make-up codes (entries >= 64 << 4), then one terminating code
            e = tab[win[p]]
            if e < 0:
                raise _bad_code(e, p, "white run" if tab is _WHITE else "black run")
            p += e & 15
            run += e >> 4
            if e < 1024:
                break
        a += run
        if a >= width:
            if a > width:
                raise LineFault(f"runs add up to {a} pixels, past the line width {width}", p)
            return out, p
        if run or not out:
            out.append(a)
        else:  # a zero run in mid-line: the colour flips back at the same pixel
            out.pop()
        tab, other = other, tab


def decode_line_2d(win: array[int], p: int, ref: list[int], width: int) -> tuple[list[int], int]:
    """Decode one two-dimensional line (T.4 §4.2 / T.6) from bit ``p`` against the reference
    line's changing elements ``ref``; return the line's changing elements and the next bit.

    The reference elements are split by colour: ``to_black[i]`` = ``ref[2i]``, ``to_white[i]``
    = ``ref[2i+1]``.  With a0 white, b1 is the first ``to_black`` right of a0 and b2 the
    ``to_white`` of the same index; with a0 black, b1 is a ``to_white`` and b2 the next
    ``to_black``.
    """
    to_black = ref[0::2] + [width, width]
    to_white = ref[1::2] + [width, width]
    out: list[int] = []
    a0 = -1
    c = 0  # colour of a0
    ib = iw = 0
    modes, white, black = _MODES, _WHITE, _BLACK
    while a0 < width:
        e = modes[win[p]]
        if e < 0:
            raise _bad_code(e, p, "mode")
        p += e & 15
        if c:
            while to_white[iw] <= a0:
                iw += 1
            b1 = to_white[iw]
        else:
            while to_black[ib] <= a0:
                ib += 1
            b1 = to_black[ib]
        if e >= 32:  # vertical: a1 = b1 + (kind - 5)
            a1 = b1 + (e >> 4) - 5
            if a1 <= a0 or a1 > width:
                raise LineFault(f"vertical mode puts a1 at {a1}, outside ({a0}, {width}]", p)
            out.append(a1)
            a0 = a1
            c ^= 1
        elif e < 16:  # pass: a0 moves under b2
            a0 = to_black[iw + 1] if c else to_white[ib]
        else:  # horizontal: runs a0a1 (colour of a0) and a1a2
            x = a0 if a0 > 0 else 0
            for tab in (black, white) if c else (white, black):
                run = 0
                while True:
                    e = tab[win[p]]
                    if e < 0:
                        raise _bad_code(e, p, "horizontal-mode run")
                    p += e & 15
                    run += e >> 4
                    if e < 1024:
                        break
                x += run
                if x >= width:
                    if x > width:
                        raise LineFault(f"horizontal mode runs end at {x}, past the line width {width}", p)
                elif out and out[-1] == x:  # zero run: the two changes cancel
                    out.pop()
                else:
                    out.append(x)
            a0 = x
    if out and out[-1] == width:
        out.pop()
    return out, p


def image_of(lines: list[list[int]], width: int) -> Page:
    """The page (rows x width, 1 = black) whose rows have the changing elements ``lines``
    (each strictly increasing, all below ``width``)."""
    rows = len(lines)
    counts = np.fromiter((len(x) for x in lines), dtype=np.int64, count=rows)
    xs = np.fromiter(chain.from_iterable(lines), dtype=np.int64, count=int(counts.sum()))
    toggles = np.zeros((rows, width), dtype=np.uint8)
    toggles.ravel()[np.repeat(np.arange(rows, dtype=np.int64) * width, counts) + xs] = 1
    page: Page = np.bitwise_xor.accumulate(toggles, axis=1)
    return page


def _short(rows: int | None, got: int, at: int) -> list[LineError]:
    if rows is not None and got < rows:
        return [LineError(got, f"page ends after {got} of {rows} rows", at)]
    return []


def _decode_mh(bw: BitWindows, width: int, rows: int | None) -> DecodedPage:
    """MH: find the lines between EOLs, decode them all at once (:mod:`pycti.fax.t4_mh`)."""
    eols = bw.eol_positions()
    nbits = bw.nbits
    starts = eols + 12
    ends = np.append(eols[1:], nbits)
    ones = np.zeros(nbits + 1, dtype=np.int64)
    np.cumsum(bw.bits, out=ones[1:])
    empty = (starts >= ends) | (ones[ends] - ones[np.minimum(starts, ends)] == 0)
    count = int(np.argmax(empty)) if empty.any() else int(eols.size)
    end_marker = count + 1 < eols.size and bool(eols[count + 1] == eols[count] + 12)
    if rows is not None:
        count = min(count, rows)
    image, errors = decode_mh_lines(bw, starts[:count], ends[:count], width)
    for err in errors:  # in line order, so a run of bad lines all repeat the last good one
        image[err.line] = image[err.line - 1] if err.line else 0
    errors += _short(rows, count, nbits)
    return DecodedPage(image, tuple(errors), end_marker)


def decode_t4(bw: BitWindows, coding: Coding, width: int, rows: int | None) -> DecodedPage:
    """Decode an MH or MR page with EOLs (see the module docstring)."""
    if coding is Coding.MH:
        return _decode_mh(bw, width, rows)
    tag_bits = 1 if coding is Coding.MR else 0
    eols = bw.eol_positions().tolist()
    nbits = bw.nbits
    win = bw.win
    lines: list[list[int]] = []
    errors: list[LineError] = []
    prev: list[int] = []
    end_marker = False
    for i, eol in enumerate(eols):
        if rows is not None and len(lines) >= rows:
            break
        s = eol + 12 + tag_bits
        e = eols[i + 1] if i + 1 < len(eols) else nbits
        if s >= e or not bw.any_ones(s, e):
            end_marker = i + 1 < len(eols) and eols[i + 1] == eol + 12 + tag_bits
            break
        one_d = tag_bits == 0 or win[eol + 12] >> (tables.LUT_BITS - 1) == 1
        try:
            if one_d:
                changes, p = decode_line_1d(win, s, width)
            else:
                changes, p = decode_line_2d(win, s, prev, width)
            if p > e:
                raise LineFault("line runs into the next EOL", e)
            if bw.any_ones(p, e):
                raise LineFault(f"{e - p} bits after the line's last pixel are not fill", p)
        except LineFault as fault:
            errors.append(LineError(len(lines), fault.reason, fault.bit_offset))
            changes = prev
        lines.append(changes)
        prev = changes
    errors += _short(rows, len(lines), nbits)
    return DecodedPage(image_of(lines, width), tuple(errors), end_marker)


def decode_rle(bw: BitWindows, width: int, rows: int | None) -> DecodedPage:
    """Decode TIFF Compression=2 data: MH rows without EOL, each starting on an octet."""
    lines: list[list[int]] = []
    errors: list[LineError] = []
    p = 0
    while (rows is None or len(lines) < rows) and bw.any_ones(p, bw.nbits):
        try:
            changes, p = decode_line_1d(bw.win, p, width)
        except LineFault as fault:
            errors.append(LineError(len(lines), fault.reason, fault.bit_offset))
            break
        lines.append(changes)
        p = (p + 7) & ~7
    if not errors:
        errors += _short(rows, len(lines), p)
    return DecodedPage(image_of(lines, width), tuple(errors), False)
