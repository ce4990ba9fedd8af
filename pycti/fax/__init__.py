"""Fax: ITU-T T.4/T.6 image coding and TIFF Class F documents (the T.30 engine lives in the
``t30*`` modules).

* :mod:`pycti.fax.t4` — :func:`encode_page` / :func:`decode_page` for MH, MR (T.4) and MMR
  (T.6), pages as numpy arrays (rows x 1728, 1 = black).
* :mod:`pycti.fax.document` — read and write multi-page TIFF Class F, and turn PNG/JPEG/PDF
  pages into fax pages.
"""

from .document import (
    CodedTiffPage,
    DocumentError,
    FaxPage,
    load_document,
    pdf_to_pages,
    picture_to_page,
    read_tiff,
    read_tiff_coded,
    write_tiff,
)
from .t4 import as_page, decode_page, decode_page_bits, encode_page, encode_page_bits
from .t4_types import (
    A4_ROWS,
    LINE_WIDTHS,
    T30_MIN_SCAN_LINE_TIMES_MS,
    BitOrder,
    Coding,
    DecodedPage,
    FaxCodingError,
    LineError,
    Resolution,
)

__all__ = [
    "CodedTiffPage",
    "DocumentError",
    "FaxPage",
    "load_document",
    "pdf_to_pages",
    "picture_to_page",
    "read_tiff",
    "read_tiff_coded",
    "write_tiff",
    "A4_ROWS",
    "LINE_WIDTHS",
    "T30_MIN_SCAN_LINE_TIMES_MS",
    "BitOrder",
    "Coding",
    "DecodedPage",
    "FaxCodingError",
    "LineError",
    "Resolution",
    "as_page",
    "decode_page",
    "decode_page_bits",
    "encode_page",
    "encode_page_bits",
]
