"""Pictures and PDF pages into fax pages: scan line width, line count from the T.4
resolutions, thresholding versus dithering, and the errors for files that cannot be used."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pycti.fax import DocumentError, Resolution, load_document, pdf_to_pages, picture_to_page
from pycti.fax.image_convert import SCAN_WIDTH_MM


def _half_black(w: int, h: int) -> Image.Image:
    image = Image.new("L", (w, h), 255)
    ImageDraw.Draw(image).rectangle([0, 0, w // 2 - 1, h - 1], fill=0)
    return image


@pytest.mark.parametrize("resolution", list(Resolution))
@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_picture_fills_the_scan_line_at_the_resolution(tmp_path, suffix, resolution):
    path = tmp_path / f"pic{suffix}"
    _half_black(864, 600).save(path)
    page = picture_to_page(path, resolution, dither=False)
    assert page.width == 1728 and page.resolution is resolution
    assert page.rows == round(600 * 215 / 864 * resolution.lines_per_mm)
    assert page.image[:, :850].all() and not page.image[:, 880:].any()  # halves away from the edge


def test_threshold_and_dither_of_grey():
    dark, light = Image.new("L", (300, 100), 120), Image.new("L", (300, 100), 136)
    assert picture_to_page(dark, dither=False).image.all()
    assert not picture_to_page(light, dither=False).image.any()
    dithered = picture_to_page(Image.new("L", (300, 100), 128), dither=True).image
    assert 0.4 < dithered.mean() < 0.6  # error diffusion keeps the grey level
    assert 0 < np.abs(np.diff(dithered.astype(int), axis=1)).mean()  # as a fine pattern


def test_transparent_picture_is_on_white():
    rgba = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    assert not picture_to_page(rgba, Resolution.STANDARD, dither=False).image.any()


def test_wide_line_widths():
    page = picture_to_page(_half_black(400, 100), Resolution.STANDARD, dither=False, width=2432)
    assert page.width == 2432
    assert page.rows == round(100 * SCAN_WIDTH_MM[2432] / 400 * 3.85)


def _a4_pdf(path, pages: int = 2) -> None:
    # 595 x 842 pixels at 72 dpi: an A4 page (210 x 297 mm) with a black box 100 pt from the top.
    images = []
    for i in range(pages):
        image = Image.new("L", (595, 842), 255)
        ImageDraw.Draw(image).rectangle([100, 100 + 50 * i, 299, 199 + 50 * i], fill=0)
        images.append(image.convert("RGB"))
    images[0].save(path, save_all=True, append_images=images[1:], resolution=72.0)


@pytest.mark.parametrize("resolution", list(Resolution))
def test_pdf_pages_at_physical_size(tmp_path, resolution):
    pytest.importorskip("pypdfium2")
    path = tmp_path / "doc.pdf"
    _a4_pdf(path)
    pages = pdf_to_pages(path, resolution)
    assert len(pages) == 2
    a4_rows = round(842 * 25.4 / 72 * resolution.lines_per_mm)  # 1144 / 2287 (A4: 1143 / 2287)
    px_per_mm = 1728 / 215
    margin = (1728 - round(595 * 25.4 / 72 * px_per_mm)) // 2
    for i, page in enumerate(pages):
        assert page.width == 1728 and page.rows == a4_rows
        rows = np.flatnonzero(page.image.any(axis=1))
        cols = np.flatnonzero(page.image.any(axis=0))
        top_mm = (100 + 50 * i) * 25.4 / 72
        assert abs(rows[0] - top_mm * resolution.lines_per_mm) <= 2
        assert abs(cols[0] - (margin + 100 * 25.4 / 72 * px_per_mm)) <= 2
        assert abs(cols[-1] + 1 - (margin + 300 * 25.4 / 72 * px_per_mm)) <= 2
    assert len(load_document(path, resolution)) == 2


def test_pdf_without_pypdfium2_says_so(tmp_path, monkeypatch):
    path = tmp_path / "doc.pdf"
    _a4_pdf(path, 1)
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import now fails
    with pytest.raises(DocumentError, match="pypdfium2"):
        pdf_to_pages(path)


def test_unusable_files(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG not really")
    with pytest.raises(DocumentError, match="bad.png"):
        picture_to_page(bad)
    with pytest.raises(DocumentError, match="bad.png"):
        load_document(bad)
    with pytest.raises(DocumentError, match="missing"):
        load_document(tmp_path / "missing.pdf")
    with pytest.raises(DocumentError, match="width 1000"):
        picture_to_page(_half_black(10, 10), width=1000)
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"%PDF-1.4 nothing else")
    pytest.importorskip("pypdfium2")
    with pytest.raises(DocumentError, match="fake.pdf"):
        pdf_to_pages(fake)
