"""Names shared by the T.4/T.6 coders: codings, bit orders, resolutions, decode results.

* :class:`Coding`: T.4 one-dimensional (Modified Huffman, §4.1), T.4 two-dimensional (Modified
  READ, §4.2), T.6 (MMR), and the TIFF "CCITT RLE" framing (TIFF 6.0 §10, Compression=2: MH
  rows without EOL, each row starting on an octet boundary).
* :class:`BitOrder`: how bits of the T.4 stream are packed into octets.  T.30 sends each octet
  least significant bit first, so the first bit of the coded stream is bit 0 of the first octet
  (TIFF ``FillOrder=2``); TIFF files normally use ``FillOrder=1`` (first bit = MSB).
* :class:`Resolution`: T.4 §2.2 vertical resolutions, 3.85 and 7.7 lines/mm, with the K
  parameter of §4.2.1 (2 and 4) and the TIFF Class F YResolution (98 and 196 dpi).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from pycti.errors import PyctiError

__all__ = [
    "Coding",
    "BitOrder",
    "Resolution",
    "LineError",
    "DecodedPage",
    "FaxCodingError",
    "LINE_WIDTHS",
    "A4_ROWS",
    "T30_MIN_SCAN_LINE_TIMES_MS",
    "Page",
]

#: A page: rows x width, uint8, 1 = black.
Page = npt.NDArray[np.uint8]

#: Scan line widths in pixels T.4 §2.2 allows (215, 255 and 303 mm).
LINE_WIDTHS: Final[tuple[int, ...]] = (1728, 2048, 2432)

#: Minimum scan line times T.30 (Table 2, DIS bits 21-23) offers, in ms.
T30_MIN_SCAN_LINE_TIMES_MS: Final[tuple[int, ...]] = (0, 5, 10, 20, 40)


class FaxCodingError(PyctiError, ValueError):
    """A parameter or an image the T.4/T.6 coder cannot take (the message names the value)."""


class Coding(enum.Enum):
    """Image codings (T.4 §4.1, T.4 §4.2, T.6, TIFF Compression=2)."""

    MH = "MH"  # T.4 1-D with EOL; TIFF Compression=3 with T4Options bit 0 clear
    MR = "MR"  # T.4 2-D; TIFF Compression=3 with T4Options bit 0 set
    MMR = "MMR"  # T.6; TIFF Compression=4
    MH_RLE = "MH_RLE"  # TIFF Compression=2: MH rows, no EOL, octet-aligned rows

    @property
    def tiff_compression(self) -> int:
        """The TIFF Compression tag value (3 for both T.4 codings)."""
        return {"MH": 3, "MR": 3, "MMR": 4, "MH_RLE": 2}[self.value]


class BitOrder(enum.Enum):
    """Octet packing of the coded bit stream; the value is the TIFF FillOrder."""

    MSB_FIRST = 1
    LSB_FIRST = 2


class Resolution(enum.Enum):
    """Vertical resolution (T.4 §2.2); value = (lines per mm, TIFF dpi, T.4 K parameter)."""

    STANDARD = (3.85, 98, 2)
    FINE = (7.7, 196, 4)

    @property
    def lines_per_mm(self) -> float:
        """Scan lines per millimetre."""
        return self.value[0]

    @property
    def dpi(self) -> int:
        """The TIFF Class F YResolution, lines per inch."""
        return self.value[1]

    @property
    def k(self) -> int:
        """T.4 §4.2.1 K: at most K-1 two-dimensional lines follow each one-dimensional line."""
        return self.value[2]


#: Lines of an A4 page (297 mm) at each resolution.
A4_ROWS: Final[dict[Resolution, int]] = {Resolution.STANDARD: 1143, Resolution.FINE: 2287}


@dataclass(frozen=True)
class LineError:
    """A line the decoder could not decode: its index on the page, why, and the bit offset."""

    line: int
    reason: str
    bit_offset: int


@dataclass(frozen=True, eq=False)
class DecodedPage:
    """What a decoder made of one page.

    ``image`` holds the decoded rows (1 = black).  For MH/MR, a bad line is replaced by the
    previous one (or white) and listed in ``errors``; ``bad_lines`` counts them and
    ``consecutive_bad_lines`` is the longest run (the TIFF Class F tags of the same names).
    For MMR and MH_RLE an error ends the page: ``errors`` holds it, ``image`` the lines before.
    ``end_marker`` says whether RTC (T.4) or EOFB (T.6) ended the data.
    """

    image: Page
    errors: tuple[LineError, ...]
    end_marker: bool

    @property
    def bad_lines(self) -> int:
        """How many lines were bad."""
        return len(self.errors)

    @property
    def consecutive_bad_lines(self) -> int:
        """The longest run of consecutive bad lines."""
        best = run = 0
        last = -2
        for err in self.errors:
            run = run + 1 if err.line == last + 1 else 1
            best = max(best, run)
            last = err.line
        return best

    @property
    def rows(self) -> int:
        """Lines on the page."""
        return int(self.image.shape[0])
