"""Fax documents: TIFF Class F files in and out, and pictures or PDFs turned into fax pages.

* :func:`read_tiff` reads every page of a TIFF Class F file (TIFF 6.0 §10-11, RFC 2306):
  Compression 2 (MH RLE), 3 (T.4 1-D or 2-D) or 4 (T.6), FillOrder 1 or 2, 1 bit per pixel,
  a T.4 line width (1728, 2048, 2432); YResolution picks standard (< 150 lines/inch, normally
  98) or fine (normally 196).  Pixels come from Pillow, which decodes with libtiff.
* :func:`read_tiff_coded` returns the pages' coded strips as they are in the file, with what
  is needed to send or decode them without re-coding.
* :func:`write_tiff` writes a multi-page TIFF-F with :mod:`pycti.fax.document_tiff`.
* :func:`load_document` dispatches on the file's first bytes: TIFF, PDF, else a picture
  (:mod:`pycti.fax.image_convert`).

Every problem raises :class:`DocumentError` naming the file (and the page) and what is wrong.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .document_page import DocumentError, FaxPage
from .document_tiff import tiff_f_bytes
from .image_convert import pdf_to_pages, picture_to_page
from .t4 import decode_page
from .t4_types import LINE_WIDTHS, BitOrder, Coding, Resolution

__all__ = [
    "DocumentError",
    "FaxPage",
    "CodedTiffPage",
    "read_tiff",
    "read_tiff_coded",
    "write_tiff",
    "load_document",
    "picture_to_page",
    "pdf_to_pages",
]

Source = str | Path | bytes


def _name(source: Source) -> str:
    return "<TIFF bytes>" if isinstance(source, bytes) else str(source)


def _open_tiff(source: Source) -> Any:
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (OSError, SyntaxError, ValueError) as exc:
        raise DocumentError(f"{_name(source)}: not a readable TIFF file ({exc})") from exc
    if image.format != "TIFF":
        image.close()
        raise DocumentError(f"{_name(source)}: is {image.format}, not TIFF")
    return image


def _frames(image: Any, name: str) -> range:
    try:
        return range(image.n_frames)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError) as exc:
        raise DocumentError(f"{name}: malformed TIFF directory chain ({exc})") from exc


@dataclass(frozen=True)
class _PageTags:
    coding: Coding
    fill_order: BitOrder
    width: int
    rows: int
    resolution: Resolution
    strips: tuple[tuple[int, int], ...]  # (offset, byte count)
    rows_per_strip: int
    black_is_zero: bool


def _tags(image: Any, name: str) -> _PageTags:
    tags = image.tag_v2
    compression = tags.get(259, 1)
    if compression not in (2, 3, 4):
        raise DocumentError(f"{name}: compression {compression} is not a fax coding (2, 3 or 4)")
    bits = tags.get(258, (1,))
    if tuple(bits) != (1,):
        raise DocumentError(f"{name}: {bits} bits per sample, a fax page has 1")
    width, rows = image.size
    if width not in LINE_WIDTHS:
        raise DocumentError(f"{name}: page width {width} is not a T.4 line width {LINE_WIDTHS}")
    t4_options = int(tags.get(292, 0))
    if compression == 3 and t4_options & 2:
        raise DocumentError(f"{name}: T4Options {t4_options} asks for uncompressed mode")
    coding = {2: Coding.MH_RLE, 4: Coding.MMR}.get(compression, Coding.MR if t4_options & 1 else Coding.MH)
    fill = tags.get(266, 1)
    if fill not in (1, 2):
        raise DocumentError(f"{name}: FillOrder {fill} is neither 1 nor 2")
    y_res = float(tags.get(283, 98))
    if tags.get(296, 2) == 3:  # per centimetre
        y_res *= 2.54
    offsets, counts = tags.get(273), tags.get(279)
    if not offsets or not counts or len(offsets) != len(counts):
        raise DocumentError(f"{name}: strip offsets/byte counts missing or inconsistent")
    return _PageTags(
        coding=coding,
        fill_order=BitOrder(fill),
        width=width,
        rows=rows,
        resolution=Resolution.FINE if y_res >= 150 else Resolution.STANDARD,
        strips=tuple(zip(offsets, counts)),
        rows_per_strip=int(tags.get(278, rows)),
        black_is_zero=tags.get(262, 0) == 1,
    )


def read_tiff(source: Source) -> list[FaxPage]:
    """All pages of a TIFF Class F file (a path or the file's bytes), decoded by libtiff."""
    name = _name(source)
    image = _open_tiff(source)
    pages = []
    with image:
        for index in _frames(image, name):
            where = f"{name} page {index + 1}"
            image.seek(index)
            tags = _tags(image, where)
            try:
                image.load()
                white = np.asarray(image.convert("1"), dtype=bool)
            except (OSError, SyntaxError, ValueError) as exc:
                raise DocumentError(f"{where}: coded data cannot be decoded ({exc})") from exc
            pages.append(FaxPage((~white).astype(np.uint8), tags.resolution))
    return pages


@dataclass(frozen=True)
class CodedTiffPage:
    """One page's coded data as the TIFF holds it: ``strips`` each code ``rows_per_strip`` lines
    (the last may code fewer) and start afresh (a 1-D line, or T.6's white reference).
    ``black_is_zero`` (PhotometricInterpretation=1) means the coded "white" runs are black
    pixels; TIFF Class F files use 0 (WhiteIsZero), as the fax codes do."""

    coding: Coding
    fill_order: BitOrder
    width: int
    rows: int
    resolution: Resolution
    rows_per_strip: int
    strips: tuple[bytes, ...]
    black_is_zero: bool = False

    def decode(self) -> FaxPage:
        """Decode the strips with :func:`pycti.fax.t4.decode_page`; raise
        :class:`DocumentError` if a strip holds a bad line."""
        parts = []
        for index, data in enumerate(self.strips):
            want = min(self.rows_per_strip, self.rows - index * self.rows_per_strip)
            page = decode_page(data, self.coding, bit_order=self.fill_order, width=self.width, rows=want)
            if page.errors:
                raise DocumentError(f"strip {index}: {page.errors[0].reason} at line {page.errors[0].line}")
            parts.append(page.image)
        image = np.concatenate(parts)
        return FaxPage(1 - image if self.black_is_zero else image, self.resolution)


def read_tiff_coded(source: Source) -> list[CodedTiffPage]:
    """The coded strips of every page of a TIFF Class F file, without decoding them."""
    name = _name(source)
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    image = _open_tiff(raw)
    pages = []
    with image:
        for index in _frames(image, name):
            image.seek(index)
            tags = _tags(image, f"{name} page {index + 1}")
            if any(off + cnt > len(raw) for off, cnt in tags.strips):
                raise DocumentError(f"{name} page {index + 1}: a strip runs past the end of the file")
            pages.append(
                CodedTiffPage(
                    coding=tags.coding,
                    fill_order=tags.fill_order,
                    width=tags.width,
                    rows=tags.rows,
                    resolution=tags.resolution,
                    rows_per_strip=tags.rows_per_strip,
                    strips=tuple(raw[off : off + cnt] for off, cnt in tags.strips),
                    black_is_zero=tags.black_is_zero,
                )
            )
    return pages


def write_tiff(
    path: str | Path | None,
    pages: Sequence[FaxPage],
    coding: Coding = Coding.MH,
    *,
    fill_order: BitOrder = BitOrder.MSB_FIRST,
    align_eol: bool = False,
) -> bytes:
    """Write ``pages`` as a multi-page TIFF-F coded with ``coding``; return the file's bytes
    (``path=None`` only returns them)."""
    name = "<TIFF bytes>" if path is None else str(path)
    if not isinstance(coding, Coding):
        raise DocumentError(f"{name}: coding must be a Coding, not {coding!r}")
    for index, page in enumerate(pages):
        if page.image.ndim != 2 or page.width not in LINE_WIDTHS:
            raise DocumentError(f"{name} page {index + 1}: width {page.image.shape} is not one of {LINE_WIDTHS}")
    data = tiff_f_bytes([(p.image, p.resolution) for p in pages], coding, fill_order=fill_order, align_eol=align_eol)
    if path is not None:
        try:
            Path(path).write_bytes(data)
        except OSError as exc:
            raise DocumentError(f"{name}: cannot write ({exc})") from exc
    return data


def load_document(
    path: str | Path,
    resolution: Resolution = Resolution.FINE,
    *,
    dither: bool | None = None,
) -> list[FaxPage]:
    """The fax pages of a TIFF (as stored), a PDF or a picture file (converted at
    ``resolution``; ``dither`` defaults to off for PDF and on for pictures)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc})") from exc
    if head[:4] in (b"II*\0", b"MM\0*"):
        return read_tiff(path)
    if head[:5] == b"%PDF-":
        return pdf_to_pages(path, resolution, dither=bool(dither))
    return [picture_to_page(path, resolution, dither=True if dither is None else dither)]
