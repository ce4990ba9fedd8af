"""The fax terminal's pages: a document as the T.30 engine's page source, and the sink that
decodes and keeps what arrives, complete pages and the part of a page a call lost.

* :class:`DocumentSource` codes each :class:`~pycti.fax.document_page.FaxPage` when the engine
  asks, with the parameters phase B negotiated: MH/MR (T.4 4.1/4.2) with the fill of the
  minimum scan line time at the bit rate (T.4 4.1.3, non-ECM only), or MMR (T.6) with ECM.
  A fine page goes out as standard by dropping every other line when the far end has only
  standard resolution (T.4 2.2: 3.85 lines/mm is half of 7.7).
* :class:`PageCollector` decodes every page with :func:`pycti.fax.t4.decode_page`; a page
  sent again after RTN replaces the one rejected.  :meth:`PageCollector.keep_partial` decodes
  the data of a page the call ended in the middle of and keeps it marked incomplete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pycti.fax.document_page import FaxPage
from pycti.fax.t30_dis import RecordingWidth
from pycti.fax.t30_io import PageCheck, PageParams, ReceivedPage
from pycti.fax.t4 import decode_page, encode_page
from pycti.fax.t4_types import Resolution
from pycti.fax.terminal_modems import FaxTerminalError

__all__ = ["DocumentSource", "PageCollector", "ReceivedFaxPage", "WIDTH_PIXELS"]

#: Pixels per scan line of each recording width (T.4 2.2: 8 pels/mm over 215, 255, 303 mm).
WIDTH_PIXELS: dict[RecordingWidth, int] = {
    RecordingWidth.A4_215MM: 1728,
    RecordingWidth.B4_255MM: 2048,
    RecordingWidth.A3_303MM: 2432,
}


class DocumentSource:
    """The pages of a document as a :class:`~pycti.fax.t30_io.PageSource` (A4 width only:
    the terminal announces 215 mm)."""

    def __init__(self, pages: Sequence[FaxPage]) -> None:
        if not pages:
            raise FaxTerminalError("the document has no pages")
        for number, page in enumerate(pages, 1):
            if page.image.ndim != 2 or page.width != 1728:
                raise FaxTerminalError(
                    f"page {number} is {page.width} pixels wide; the terminal sends 1728-pixel "
                    "(A4, 215 mm) pages only")
            if page.rows < 1:
                raise FaxTerminalError(f"page {number} has no scan lines")
        self.pages = tuple(pages)

    def page_count(self) -> int:
        """Number of pages."""
        return len(self.pages)

    def page_resolution(self, index: int) -> Resolution:
        """The resolution page ``index`` was made at."""
        return self.pages[index].resolution

    def page_image(self, index: int, resolution: Resolution) -> np.ndarray:
        """Page ``index`` at ``resolution`` (fine to standard drops every other line, standard
        to fine repeats each line)."""
        page = self.pages[index]
        if page.resolution is resolution:
            return page.image
        if resolution is Resolution.STANDARD:
            return page.image[::2]
        return np.repeat(page.image, 2, axis=0)

    def page_data(self, index: int, params: PageParams) -> bytes:
        """Page ``index`` coded for ``params`` (octets LSB first, as T.30 sends them)."""
        return encode_page(self.page_image(index, params.resolution), params.coding,
                           resolution=params.resolution,
                           min_scan_line_ms=0 if params.ecm else params.min_scan_line_time_ms,
                           bit_rate_bps=params.rate_bps)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedFaxPage:
    """A page as received: its image, the lines the decoder flagged, and whether the page
    arrived whole (``complete=False``: the call ended during it)."""

    page_number: int
    page: FaxPage
    bad_lines: int
    complete: bool


class PageCollector:
    """A :class:`~pycti.fax.t30_io.PageSink` that decodes and keeps the pages in order."""

    def __init__(self) -> None:
        self._pages: dict[int, ReceivedFaxPage] = {}

    @property
    def pages(self) -> list[ReceivedFaxPage]:
        """The pages so far, by page number."""
        return [self._pages[n] for n in sorted(self._pages)]

    def _decode(self, page_number: int, data: bytes, params: PageParams, complete: bool
                ) -> ReceivedFaxPage:
        decoded = decode_page(data, params.coding, width=WIDTH_PIXELS[params.width])
        kept = ReceivedFaxPage(page_number=page_number,
                               page=FaxPage(decoded.image, params.resolution),
                               bad_lines=decoded.bad_lines, complete=complete)
        self._pages[page_number] = kept
        return kept

    def page_received(self, page: ReceivedPage) -> PageCheck:
        """Decode a whole page and keep it (a repeat after RTN replaces the earlier one)."""
        kept = self._decode(page.page_number, page.data, page.params, True)
        return PageCheck(lines=kept.page.rows, bad_lines=kept.bad_lines)

    def keep_partial(self, page_number: int, data: bytes, params: PageParams
                     ) -> ReceivedFaxPage | None:
        """Decode the data of a page the call ended in; kept (marked incomplete) when at
        least one line decoded and no whole page of that number is already kept."""
        if page_number in self._pages or not data:
            return None
        kept = self._decode(page_number, data, params, False)
        if kept.page.rows == 0:
            del self._pages[page_number]
            return None
        return kept
