"""A realistic sample fax page for tests, demos and timing: lines of text rendered with Pillow's
built-in font, and a photo-like area (a smooth grey pattern) made bilevel by Floyd-Steinberg
error diffusion, the way a fax machine sends a photograph.  The page is A4 long (1143 or 2287
lines, T.4 §2.2) unless ``rows`` says otherwise.
"""

from __future__ import annotations

import numpy as np

from .image_convert import bilevel
from .t4_types import A4_ROWS, Page, Resolution

__all__ = ["sample_page"]


def sample_page(
    resolution: Resolution = Resolution.FINE,
    *,
    width: int = 1728,
    rows: int | None = None,
    photo: bool = True,
    seed: int = 0,
) -> Page:
    """A text page (top half) with, if ``photo``, a dithered picture below it (1 = black)."""
    from PIL import Image, ImageDraw, ImageFont

    n = A4_ROWS[resolution] if rows is None else rows
    rng = np.random.default_rng(seed)
    canvas = Image.new("L", (width, n), 255)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    step = 22 if resolution is Resolution.FINE else 11
    words = ["fax", "line", "T.4", "coding", "page", "run", "length", "MMR", "scan", "0123456789"]
    for y in range(40, n // 2, step):
        text = " ".join(words[i] for i in rng.integers(0, len(words), 24))
        draw.text((80, y), text, fill=0, font=font)
    if photo:
        ph, pw = n // 3, min(900, width - 500)
        yy, xx = np.mgrid[0:ph, 0:pw]
        grey = 128 + 100 * np.sin(xx / 60.0) * np.cos(yy / 45.0)
        area = bilevel(Image.fromarray(grey.astype(np.uint8)), dither=True)
        page = (np.asarray(canvas) < 128).astype(np.uint8)
        top = n // 2 + n // 20
        page[top : top + ph, 400 : 400 + pw] = area
        return page
    return (np.asarray(canvas) < 128).astype(np.uint8)
