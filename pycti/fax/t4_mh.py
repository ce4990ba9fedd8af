"""Whole-page MH decoding (T.4 §4.1) in lockstep: every line of the page at once.

The EOLs of an MH page (found first, :meth:`BitWindows.eol_positions`) delimit the lines, and
one-dimensional lines do not depend on each other, so all lines can be decoded together: each
numpy step reads the next code of every line still running (a 13-bit table lookup per line),
adds make-up codes to the pending run, and on a terminating code ends the run, flips the
line's colour and marks the changing element.  The number of steps is the number of codes in
the busiest line, not in the page.

A line that meets an invalid code or an EOL before its width, whose runs pass the width, or
that leaves non-zero bits before its closing EOL is reported; the caller repeats the line
before it in its place (T.4 leaves error handling to the receiver; repeating is the custom).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from . import t4_tables as tables
from .t4_bits import BitWindows
from .t4_types import LineError, Page

__all__ = ["decode_mh_lines"]

_LUT: Final = np.array([tables.run_lut(0), tables.run_lut(1)], dtype=np.int32).ravel()
_COLOUR = ("white", "black")

I64 = npt.NDArray[np.int64]


def _bad_code(entry: int, colour: int) -> str:
    what = f"{_COLOUR[colour]} run"
    if entry == tables.LUT_EOL:
        return f"EOL inside the line (while reading {what})"
    return f"invalid {what} code"


def decode_mh_lines(bw: BitWindows, starts: I64, ends: I64, width: int) -> tuple[Page, list[LineError]]:
    """Decode the MH lines whose data lie in bits ``starts[i]:ends[i]``; bad lines are listed
    and left for the caller to replace (their rows hold whatever was decoded)."""
    n = int(starts.size)
    win = bw.win_np
    p = starts.copy()
    a = np.zeros(n, dtype=np.int64)
    pending = np.zeros(n, dtype=np.int64)
    colour = np.zeros(n, dtype=np.int64)
    toggles = np.zeros(n * width, dtype=np.uint8)
    errors: dict[int, LineError] = {}
    act = np.arange(n, dtype=np.int64)
    while act.size:
        pa = p[act]
        col = colour[act]
        e = _LUT[(col << tables.LUT_BITS) | win[pa]].astype(np.int64)
        bad = e < 0
        if bad.any():
            for line, entry, c, at in zip(act[bad].tolist(), e[bad].tolist(), col[bad].tolist(), pa[bad].tolist()):
                errors[line] = LineError(line, _bad_code(entry, c), at)
            keep = ~bad
            act, e, pa = act[keep], e[keep], pa[keep]
        p[act] = pa + (e & 15)
        run = pending[act] + (e >> 4)
        term = e < 1024  # terminating codes code runs below 64
        pending[act] = np.where(term, 0, run)
        ended = act[term]
        x = a[ended] + run[term]
        a[ended] = x
        colour[ended] ^= 1
        inside = x < width
        toggles[ended[inside] * width + x[inside]] ^= 1
        if not inside.all():
            over = ~inside
            for line, total, at in zip(ended[over].tolist(), x[over].tolist(), p[ended[over]].tolist()):
                if total > width:
                    errors[line] = LineError(line, f"runs add up to {total} pixels, past the line width {width}", at)
            finished = np.zeros(n, dtype=bool)
            finished[ended[over]] = True
            act = act[~finished[act]]
    _check_ends(bw, p, ends, errors)
    image: Page = np.bitwise_xor.accumulate(toggles.reshape(n, width), axis=1)
    return image, [errors[k] for k in sorted(errors)]


def _check_ends(bw: BitWindows, p: I64, ends: I64, errors: dict[int, LineError]) -> None:
    """Lines must stop before their closing EOL and leave only zero fill bits before it."""
    ones = np.zeros(bw.nbits + 1, dtype=np.int64)
    np.cumsum(bw.bits, out=ones[1:])
    stop = np.minimum(p, bw.nbits)
    over = p > ends
    dirty = (~over) & (ones[ends] - ones[np.minimum(stop, ends)] > 0)
    for line in np.flatnonzero(over | dirty).tolist():
        if line in errors:
            continue
        if over[line]:
            errors[line] = LineError(line, "line runs into the next EOL", int(ends[line]))
        else:
            left = int(ends[line] - p[line])
            errors[line] = LineError(line, f"{left} bits after the line's last pixel are not fill", int(p[line]))
