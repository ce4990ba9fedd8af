"""A TIFF Class F writer (TIFF 6.0 §10-11, RFC 2306 "TIFF-F").

Each page is one IFD with one strip holding the page coded by :mod:`pycti.fax.t4` (no RTC, as
TIFF-F wants), tags in ascending order: NewSubfileType=2 (page of a multi-page document),
ImageWidth, ImageLength, BitsPerSample=1, Compression (2 MH RLE, 3 T.4, 4 T.6),
PhotometricInterpretation=0 (WhiteIsZero: a 0 bit is white, as the fax codes have it),
FillOrder, StripOffsets, SamplesPerPixel=1, RowsPerStrip, StripByteCounts, XResolution=204,
YResolution=98 or 196, T4Options (bit 0: 2-D coding, bit 2: EOLs octet-aligned) or T6Options,
ResolutionUnit=inch, PageNumber (index, count).  Little-endian ("II").
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Final

from .document_page import DocumentError
from .t4 import encode_page
from .t4_types import BitOrder, Coding, Page, Resolution

__all__ = ["tiff_f_bytes", "X_DPI"]

#: T.4 §2.2: 1728 pixels on 215 mm is 8.04 pixels/mm, which TIFF Class F calls 204 dpi.
X_DPI: Final[int] = 204

_SHORT, _LONG, _RATIONAL = 3, 4, 5


def _ifd(entries: list[tuple[int, int, tuple[int, ...]]], ifd_at: int, next_ifd: int) -> bytes:
    """An IFD at offset ``ifd_at``; RATIONAL values go right after it."""
    body = bytearray(struct.pack("<H", len(entries)))
    extra = bytearray()
    extra_at = ifd_at + 2 + 12 * len(entries) + 4
    for tag, typ, values in sorted(entries):
        if typ == _RATIONAL:
            body += struct.pack("<HHII", tag, typ, len(values) // 2, extra_at + len(extra))
            extra += struct.pack(f"<{len(values)}I", *values)
        elif typ == _SHORT:
            raw = struct.pack(f"<{len(values)}H", *values).ljust(4, b"\0")
            body += struct.pack("<HHI", tag, typ, len(values)) + raw
        else:
            body += struct.pack("<HHII", tag, typ, len(values), values[0])
    body += struct.pack("<I", next_ifd)
    return bytes(body + extra)


def tiff_f_bytes(
    pages: Sequence[tuple[Page, Resolution]],
    coding: Coding,
    *,
    fill_order: BitOrder = BitOrder.MSB_FIRST,
    align_eol: bool = False,
) -> bytes:
    """A multi-page TIFF-F file holding ``pages`` (image, resolution) coded with ``coding``."""
    count = len(pages)
    if count == 0:
        raise DocumentError("a TIFF-F file needs at least one page")
    strips = [
        encode_page(
            image,
            coding,
            bit_order=fill_order,
            resolution=resolution,
            rtc=False,
            align_eol=align_eol and coding in (Coding.MH, Coding.MR),
        )
        for image, resolution in pages
    ]
    # Layout: header, then per page its strip (padded to even length) and its IFD.
    ifd_size = 2 + 12 * (16 if coding is not Coding.MH_RLE else 15) + 4 + 16
    ifd_offsets = []
    at = 8
    for strip in strips:
        at += len(strip) + len(strip) % 2
        ifd_offsets.append(at)
        at += ifd_size
    out = bytearray(b"II*\0" + struct.pack("<I", ifd_offsets[0]))
    for index, ((image, resolution), strip) in enumerate(zip(pages, strips)):
        rows, width = image.shape
        strip_at = len(out)
        out += strip
        if len(out) % 2:
            out += b"\0"
        entries: list[tuple[int, int, tuple[int, ...]]] = [
            (254, _LONG, (2,)),
            (256, _LONG, (width,)),
            (257, _LONG, (rows,)),
            (258, _SHORT, (1,)),
            (259, _SHORT, (coding.tiff_compression,)),
            (262, _SHORT, (0,)),
            (266, _SHORT, (fill_order.value,)),
            (273, _LONG, (strip_at,)),
            (277, _SHORT, (1,)),
            (278, _LONG, (rows,)),
            (279, _LONG, (len(strip),)),
            (282, _RATIONAL, (X_DPI, 1)),
            (283, _RATIONAL, (resolution.dpi, 1)),
            (296, _SHORT, (2,)),
            (297, _SHORT, (index, count)),
        ]
        if coding in (Coding.MH, Coding.MR):
            options = (1 if coding is Coding.MR else 0) | (4 if align_eol else 0)
            entries.append((292, _LONG, (options,)))
        elif coding is Coding.MMR:
            entries.append((293, _LONG, (0,)))
        next_ifd = ifd_offsets[index + 1] if index + 1 < count else 0
        out += _ifd(entries, len(out), next_ifd)
    return bytes(out)
