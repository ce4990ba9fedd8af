"""Turn pictures and PDF pages into fax pages (1-bit scan lines at T.4 resolutions).

Geometry (T.4 §2.2): a 1728-pixel scan line covers 215 mm (8.04 pixels/mm, 2048 on 255 mm and
2432 on 303 mm); lines are 3.85/mm (standard) or 7.7/mm (fine).

* A picture (PNG, JPEG, anything Pillow opens) is scaled so its width fills the scan line
  (A4 width); its height keeps the picture's aspect ratio at the page's vertical resolution.
* A PDF page is rendered at its physical size (points, 1/72 inch), centred on the scan line;
  a page wider than the scan line is scaled down to fit.  An A4 page gives 1143 or 2287 lines.

The grey image is then made bilevel either by Floyd-Steinberg error diffusion (``dither=True``,
for photographs) or by a threshold at mid-grey (``dither=False``, crisper for text and line
art).  PDF support needs the optional package ``pypdfium2``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Final

import numpy as np

from .document_page import DocumentError, FaxPage
from .t4_types import LINE_WIDTHS, Page, Resolution

__all__ = ["picture_to_page", "pdf_to_pages", "bilevel", "SCAN_WIDTH_MM"]

#: Scan line length in mm for each T.4 line width.
SCAN_WIDTH_MM: Final[dict[int, float]] = {1728: 215.0, 2048: 255.0, 2432: 303.0}
_MM_PER_POINT: Final[float] = 25.4 / 72.0


def _pil() -> Any:
    from PIL import Image

    return Image


def bilevel(grey: Any, dither: bool) -> Page:
    """A Pillow ``L`` image as a page array (1 = black), dithered or thresholded at 128."""
    image_mod = _pil()
    if dither:
        one = grey.convert("1", dither=image_mod.Dither.FLOYDSTEINBERG)
        return (~np.asarray(one, dtype=bool)).astype(np.uint8)
    return (np.asarray(grey, dtype=np.uint8) < 128).astype(np.uint8)


def _check(width: int, resolution: Resolution, source: object) -> None:
    if width not in LINE_WIDTHS:
        raise DocumentError(f"{source}: page width {width} is not one of {LINE_WIDTHS}")
    if not isinstance(resolution, Resolution):
        raise DocumentError(f"{source}: resolution must be a Resolution, not {resolution!r}")


def picture_to_page(
    source: str | Path | Any,
    resolution: Resolution = Resolution.FINE,
    *,
    dither: bool = True,
    width: int = 1728,
) -> FaxPage:
    """A picture file (or a Pillow image) as one fax page filling the scan line."""
    _check(width, resolution, source)
    image_mod = _pil()
    if isinstance(source, (str, Path)):
        try:
            with image_mod.open(source) as opened:
                opened.load()
                picture = opened.copy()
        except (OSError, SyntaxError, ValueError) as exc:
            raise DocumentError(f"{source}: not a readable picture ({exc})") from exc
    else:
        picture = source
    if picture.mode in ("RGBA", "LA", "P"):
        picture = picture.convert("RGBA")
        background = image_mod.new("RGBA", picture.size, (255, 255, 255, 255))
        picture = image_mod.alpha_composite(background, picture)
    grey = picture.convert("L")
    w_px, h_px = grey.size
    if w_px == 0 or h_px == 0:
        raise DocumentError(f"{source}: picture has no pixels ({w_px} x {h_px})")
    rows = max(1, round(h_px * SCAN_WIDTH_MM[width] / w_px * resolution.lines_per_mm))
    scaled = grey.resize((width, rows), image_mod.Resampling.LANCZOS)
    return FaxPage(bilevel(scaled, dither), resolution)


def pdf_to_pages(
    path: str | Path,
    resolution: Resolution = Resolution.FINE,
    *,
    dither: bool = False,
    width: int = 1728,
) -> list[FaxPage]:
    """Every page of a PDF as a fax page at its physical size (needs ``pypdfium2``)."""
    _check(width, resolution, path)
    try:
        pypdfium2: Any = importlib.import_module("pypdfium2")
    except ImportError as exc:
        raise DocumentError(f"{path}: reading PDF needs the optional package pypdfium2") from exc
    image_mod = _pil()
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except (pypdfium2.PdfiumError, OSError) as exc:
        raise DocumentError(f"{path}: not a readable PDF ({exc})") from exc
    px_per_mm = width / SCAN_WIDTH_MM[width]
    pages = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            w_mm = page.get_width() * _MM_PER_POINT
            h_mm = page.get_height() * _MM_PER_POINT
            fit = min(1.0, SCAN_WIDTH_MM[width] / w_mm)
            w_px = max(1, round(w_mm * fit * px_per_mm))
            rows = max(1, round(h_mm * fit * resolution.lines_per_mm))
            scale = w_px / page.get_width()
            rendered = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            grey = rendered.resize((w_px, rows), image_mod.Resampling.LANCZOS)
            canvas = image_mod.new("L", (width, rows), 255)
            canvas.paste(grey, ((width - w_px) // 2, 0))
            pages.append(FaxPage(bilevel(canvas, dither), resolution))
    finally:
        pdf.close()
    if not pages:
        raise DocumentError(f"{path}: PDF has no pages")
    return pages
