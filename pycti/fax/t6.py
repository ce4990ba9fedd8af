"""T.6 (MMR, Group 4) page decoding.

T.6 §2.2 codes every line two-dimensionally with the T.4 §4.2 mode codes; the reference line of
the first line is an imaginary all-white line, there are no EOLs and no fill, and the page ends
with EOFB (two EOLs, §2.4) padded to an octet.  Without EOLs a decoder cannot find the start of
the next line after an error, so a bad code ends the page: the lines decoded so far are kept and
the error says where it stopped.  The encoder is :func:`pycti.fax.t4_encode.encode_bits` with
``Coding.MMR``.
"""

from __future__ import annotations

from .t4_bits import BitWindows
from .t4_decode import LineFault, decode_line_2d, image_of
from .t4_tables import LUT_BITS
from .t4_types import DecodedPage, LineError

__all__ = ["decode_t6"]


def decode_t6(bw: BitWindows, width: int, rows: int | None) -> DecodedPage:
    """Decode an MMR page; stop at EOFB, at ``rows`` lines, at the end of the data, or at the
    first error."""
    win = bw.win
    nbits = bw.nbits
    lines: list[list[int]] = []
    errors: list[LineError] = []
    prev: list[int] = []
    p = 0
    end_marker = False
    while rows is None or len(lines) < rows:
        w = win[p]
        if w >> (LUT_BITS - 12) == 1:  # EOL at a line start: EOFB
            end_marker = win[p + 12] >> (LUT_BITS - 12) == 1
            if not end_marker:
                errors.append(LineError(len(lines), "EOL where EOFB or a line was expected", p))
            break
        if w == 0 and not bw.any_ones(p, nbits):
            break  # only padding left
        try:
            prev, p = decode_line_2d(win, p, prev, width)
        except LineFault as fault:
            errors.append(LineError(len(lines), fault.reason, fault.bit_offset))
            break
        lines.append(prev)
    if rows is not None and len(lines) < rows and not errors:
        errors.append(LineError(len(lines), f"page ends after {len(lines)} of {rows} rows", p))
    return DecodedPage(image_of(lines, width), tuple(errors), end_marker)
