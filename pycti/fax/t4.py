"""Fax page coding, ITU-T T.4 (Group 3: MH and MR) and T.6 (Group 4: MMR): the public entry.

:func:`encode_page` turns a page (rows x 1728/2048/2432 pixels, 1 = black) into coded octets
or, with :func:`encode_page_bits`, into the bit stream as transmitted; :func:`decode_page`
and :func:`decode_page_bits` turn them back into a :class:`DecodedPage`.

Framing per coding:

* ``Coding.MH`` (T.4 §4.1): EOL, line, fill, EOL, line, ..., fill, RTC (6 x EOL).
* ``Coding.MR`` (T.4 §4.2): as MH with a tag bit after every EOL (1: the next line is coded
  one-dimensionally, 0: two-dimensionally); every K-th line is 1-D (K = 2 at standard, 4 at
  fine resolution); RTC is 6 x EOL+1.
* ``Coding.MMR`` (T.6): 2-D lines against an imaginary white first reference, no EOL, EOFB.
* ``Coding.MH_RLE`` (TIFF Compression=2): MH lines, no EOL, every line padded to an octet.

Fill (T.4 §4.1.3): zero bits before an EOL so that data + fill + EOL of every line lasts at
least ``min_scan_line_ms`` at ``bit_rate_bps`` (T.30 MST of 0, 5, 10, 20 or 40 ms), and, with
``align_eol``, so that every EOL ends on an octet boundary (TIFF T4Options bit 2).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .t4_bits import bits_to_octets, octets_to_bits, windows_of_bits
from .t4_decode import decode_rle, decode_t4
from .t4_encode import encode_bits
from .t4_types import LINE_WIDTHS, BitOrder, Coding, DecodedPage, FaxCodingError, Page, Resolution
from .t6 import decode_t6

__all__ = ["encode_page", "encode_page_bits", "decode_page", "decode_page_bits", "as_page"]


def as_page(image: npt.ArrayLike) -> Page:
    """``image`` as a page array: uint8 0/1 (nonzero or True = black), rows x width."""
    arr = np.asarray(image)
    if arr.ndim != 2 or arr.shape[1] not in LINE_WIDTHS:
        raise FaxCodingError(f"page shape {arr.shape} is not rows x one of {LINE_WIDTHS} pixels")
    page: Page = (arr != 0).astype(np.uint8)
    return page


def _k(coding: Coding, k: int | None, resolution: Resolution) -> int:
    if not isinstance(coding, Coding):
        raise FaxCodingError(f"coding must be a Coding, not {coding!r}")
    if not isinstance(resolution, Resolution):
        raise FaxCodingError(f"resolution must be a Resolution, not {resolution!r}")
    return resolution.k if k is None else k


def encode_page_bits(
    image: npt.ArrayLike,
    coding: Coding,
    *,
    resolution: Resolution = Resolution.STANDARD,
    k: int | None = None,
    min_scan_line_ms: float = 0.0,
    bit_rate_bps: int = 9600,
    align_eol: bool = False,
    rtc: bool = True,
) -> npt.NDArray[np.uint8]:
    """The coded page as a bit stream in transmission order (uint8 array of 0/1).

    ``resolution`` only chooses the MR K parameter unless ``k`` is given.  ``rtc`` adds RTC
    after an MH/MR page (TIFF files leave it out).  Raises :class:`FaxCodingError` for a bad
    width, coding or parameter.
    """
    kk = _k(coding, k, resolution)
    return encode_bits(
        as_page(image),
        coding,
        k=kk,
        min_scan_line_ms=min_scan_line_ms,
        bit_rate_bps=bit_rate_bps,
        align_eol=align_eol,
        rtc=rtc,
    )


def encode_page(
    image: npt.ArrayLike,
    coding: Coding,
    *,
    bit_order: BitOrder = BitOrder.LSB_FIRST,
    resolution: Resolution = Resolution.STANDARD,
    k: int | None = None,
    min_scan_line_ms: float = 0.0,
    bit_rate_bps: int = 9600,
    align_eol: bool = False,
    rtc: bool = True,
) -> bytes:
    """Code a page and pack it into octets (``bit_order``: LSB_FIRST as T.30 sends it and TIFF
    FillOrder=2, MSB_FIRST as TIFF FillOrder=1); the last octet is padded with zeros.

    Parameters as :func:`encode_page_bits`.
    """
    bits = encode_page_bits(
        image,
        coding,
        resolution=resolution,
        k=k,
        min_scan_line_ms=min_scan_line_ms,
        bit_rate_bps=bit_rate_bps,
        align_eol=align_eol,
        rtc=rtc,
    )
    return bits_to_octets(bits, bit_order)


def decode_page_bits(
    bits: npt.NDArray[np.uint8],
    coding: Coding,
    *,
    width: int = 1728,
    rows: int | None = None,
) -> DecodedPage:
    """Decode a bit stream (transmission order, one 0/1 per element).

    ``rows``: stop after that many lines and report a short page (TIFF knows ImageLength);
    ``None`` decodes to RTC/EOFB or the end of the data.
    """
    if not isinstance(coding, Coding):
        raise FaxCodingError(f"coding must be a Coding, not {coding!r}")
    if width not in LINE_WIDTHS:
        raise FaxCodingError(f"line width {width} is not one of {LINE_WIDTHS}")
    if rows is not None and rows < 0:
        raise FaxCodingError(f"rows must be >= 0, not {rows}")
    bw = windows_of_bits(np.asarray(bits, dtype=np.uint8))
    if coding is Coding.MMR:
        return decode_t6(bw, width, rows)
    if coding is Coding.MH_RLE:
        return decode_rle(bw, width, rows)
    return decode_t4(bw, coding, width, rows)


def decode_page(
    data: bytes | bytearray | memoryview,
    coding: Coding,
    *,
    bit_order: BitOrder = BitOrder.LSB_FIRST,
    width: int = 1728,
    rows: int | None = None,
) -> DecodedPage:
    """Decode a coded page held in octets packed in ``bit_order``.

    MH/MR: bad lines are reported and replaced by the previous line; MMR/MH_RLE: the first
    error ends the page.  See :class:`DecodedPage`.
    """
    return decode_page_bits(octets_to_bits(data, bit_order), coding, width=width, rows=rows)
