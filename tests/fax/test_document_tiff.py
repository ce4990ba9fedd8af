"""TIFF Class F in and out, cross-checked against libtiff (through Pillow) both ways: files we
write decode in libtiff to our pixels, libtiff's G3/G4 strips decode in our decoder to its
pixels, and our encoder produces libtiff's strips bit for bit."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from pycti.fax import (
    BitOrder,
    Coding,
    DocumentError,
    FaxPage,
    Resolution,
    encode_page,
    load_document,
    read_tiff,
    read_tiff_coded,
    write_tiff,
)
from pycti.fax.image_samples import sample_page

CODINGS = [Coding.MH, Coding.MR, Coding.MMR, Coding.MH_RLE]


def _pages() -> list[FaxPage]:
    return [
        FaxPage(sample_page(Resolution.STANDARD, rows=400, seed=1), Resolution.STANDARD),
        FaxPage(sample_page(Resolution.FINE, rows=500, seed=2), Resolution.FINE),
    ]


def _pillow_pixels(data: bytes) -> list[np.ndarray]:
    """Black pixels (1) of every page as Pillow/libtiff decodes the file."""
    image = Image.open(io.BytesIO(data))
    out = []
    for i in range(image.n_frames):
        image.seek(i)
        out.append((~np.asarray(image.convert("1"), dtype=bool)).astype(np.uint8))
    return out


@pytest.mark.parametrize("fill_order", list(BitOrder))
@pytest.mark.parametrize("coding", CODINGS)
def test_written_tiff_decodes_identically_in_libtiff(coding, fill_order, tmp_path):
    pages = _pages()
    path = tmp_path / "doc.tif"
    write_tiff(path, pages, coding, fill_order=fill_order)
    data = path.read_bytes()
    for mine, theirs in zip(pages, _pillow_pixels(data), strict=True):
        np.testing.assert_array_equal(theirs, mine.image)
    back = read_tiff(path)
    assert [p.resolution for p in back] == [Resolution.STANDARD, Resolution.FINE]
    for a, b in zip(back, pages):
        np.testing.assert_array_equal(a.image, b.image)


@pytest.mark.parametrize("coding", [Coding.MH, Coding.MR])
def test_aligned_eols_decode_in_libtiff(coding):
    pages = _pages()[:1]
    data = write_tiff(None, pages, coding, align_eol=True)
    np.testing.assert_array_equal(_pillow_pixels(data)[0], pages[0].image)


@pytest.mark.parametrize("coding", CODINGS)
def test_class_f_tags(coding):
    data = write_tiff(None, _pages(), coding, fill_order=BitOrder.LSB_FIRST)
    image = Image.open(io.BytesIO(data))
    for index, dpi in enumerate((98, 196)):
        image.seek(index)
        tags = image.tag_v2
        assert tags[256] == 1728 and tags[258] == (1,) and tags[259] == coding.tiff_compression
        assert tags[262] == 0 and tags[266] == 2 and tags[254] == 2
        assert float(tags[282]) == 204 and float(tags[283]) == dpi and tags[296] == 2
        assert tags[297] == (index, 2)
        if coding in (Coding.MH, Coding.MR):
            assert tags[292] == (1 if coding is Coding.MR else 0)
        if coding is Coding.MMR:
            assert tags[293] == 0


def _libtiff_file(page: np.ndarray, compression: str, **kw: object) -> bytes:
    """``page`` written by Pillow/libtiff (its mode "1" stores white as 1)."""
    out = io.BytesIO()
    Image.fromarray(((1 - page) * 255).astype(np.uint8)).convert("1").save(
        out, format="TIFF", compression=compression, **kw
    )
    return out.getvalue()


def _t4_options(value: int) -> TiffImagePlugin.ImageFileDirectory_v2:
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[292] = value
    return ifd


LIBTIFF_CASES = [
    ("tiff_ccitt", {}, Coding.MH_RLE, {}),
    ("group3", {}, Coding.MH, {}),
    ("group3", {"tiffinfo": _t4_options(4)}, Coding.MH, {"align_eol": True}),
    ("group3", {"tiffinfo": _t4_options(1), "dpi": (204, 98)}, Coding.MR, {"k": 2}),
    ("group3", {"tiffinfo": _t4_options(1), "dpi": (204, 196)}, Coding.MR, {"k": 4}),
    ("group3", {"tiffinfo": _t4_options(5), "dpi": (204, 196)}, Coding.MR, {"k": 4, "align_eol": True}),
    ("group4", {}, Coding.MMR, {}),
]


@pytest.mark.parametrize("compression,kw,coding,ours", LIBTIFF_CASES)
def test_libtiff_strips_decode_in_ours_and_ours_match_them(compression, kw, coding, ours):
    page = sample_page(Resolution.FINE, rows=300, seed=5)
    data = _libtiff_file(page, compression, **kw)
    [coded] = read_tiff_coded(data)
    assert coded.coding is coding and coded.rows == 300
    np.testing.assert_array_equal(coded.decode().image, page)
    np.testing.assert_array_equal(read_tiff(data)[0].image, page)
    if len(coded.strips) == 1:
        # libtiff codes the bits it stores (white = 1 in Pillow's "1" mode) as given.
        mine = encode_page(1 - page, coding, bit_order=coded.fill_order, rtc=False, **ours)
        assert mine == coded.strips[0]


@pytest.mark.parametrize("density", [0.01, 0.3, 0.7])
@pytest.mark.parametrize("compression,kw,coding,ours", [LIBTIFF_CASES[4], LIBTIFF_CASES[6]])
def test_noise_pages_code_like_libtiff(compression, kw, coding, ours, density):
    rng = np.random.default_rng(int(density * 100))
    page = (rng.random((64, 1728)) < density).astype(np.uint8)
    page[20:40] = np.roll(page[20:40], 2, axis=1) | page[20:40]  # some vertical correlation
    [coded] = read_tiff_coded(_libtiff_file(page, compression, **kw))
    np.testing.assert_array_equal(coded.decode().image, page)
    assert encode_page(1 - page, coding, bit_order=coded.fill_order, rtc=False, **ours) == coded.strips[0]


@pytest.mark.parametrize("compression", ["group3", "group4"])
def test_multi_strip_libtiff_file(compression):
    page = sample_page(Resolution.STANDARD, rows=120, seed=6)
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[278] = 50  # RowsPerStrip: strips of 50, 50 and 20 lines, each coded afresh
    [coded] = read_tiff_coded(_libtiff_file(page, compression, tiffinfo=ifd))
    assert len(coded.strips) == 3 and coded.rows_per_strip == 50
    np.testing.assert_array_equal(coded.decode().image, page)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the garbage too
def test_malformed_files_raise_document_error(tmp_path):
    good = write_tiff(None, _pages()[:1], Coding.MMR)
    cases = {
        "garbage.tif": b"II*\0" + bytes(range(200)),
        "truncated.tif": good[: len(good) // 3],
        "empty.tif": b"",
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DocumentError, match=name):
            read_tiff(path)


def test_unsupported_page_width_and_compression(tmp_path):
    narrow = tmp_path / "narrow.tif"
    narrow.write_bytes(_libtiff_file(np.zeros((10, 1000), np.uint8), "group4"))
    with pytest.raises(DocumentError, match=r"narrow\.tif page 1: page width 1000"):
        read_tiff(narrow)
    raw = tmp_path / "raw.tif"
    raw.write_bytes(_libtiff_file(np.zeros((10, 1728), np.uint8), "raw"))
    with pytest.raises(DocumentError, match="compression 1"):
        read_tiff(raw)
    png = tmp_path / "picture.png"
    Image.new("L", (20, 20)).save(png)
    with pytest.raises(DocumentError, match="PNG, not TIFF"):
        read_tiff(png)
    with pytest.raises(DocumentError, match="width"):
        write_tiff(None, [FaxPage(np.zeros((4, 1000), np.uint8), Resolution.FINE)])
    with pytest.raises(DocumentError, match="at least one page"):
        write_tiff(None, [])


def test_load_document_reads_tiff(tmp_path):
    path = tmp_path / "fax.tiff"
    pages = _pages()
    write_tiff(path, pages, Coding.MR)
    loaded = load_document(path)
    assert len(loaded) == 2
    np.testing.assert_array_equal(loaded[1].image, pages[1].image)
