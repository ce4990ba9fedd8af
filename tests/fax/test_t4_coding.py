"""T.4 MH and MR coding: round trips, the framing T.4 prescribes (EOL, tag bit, K, fill for the
minimum scan line time, octet-aligned EOLs, RTC) and octet order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.fax import (
    BitOrder,
    Coding,
    FaxCodingError,
    Resolution,
    decode_page,
    decode_page_bits,
    encode_page,
    encode_page_bits,
)
from pycti.fax.image_samples import sample_page

EOL = [0] * 11 + [1]
CODINGS = [Coding.MH, Coding.MR, Coding.MMR, Coding.MH_RLE]


def _eols(bits: np.ndarray) -> list[int]:
    s = "".join(map(str, bits.tolist()))
    out, i = [], s.find("000000000001")
    while i >= 0:
        out.append(i)
        i = s.find("000000000001", i + 12)
    return out


def _pages(width: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    noise = (rng.random((40, width)) < 0.4).astype(np.uint8)
    runs = np.zeros((60, width), np.uint8)
    for y in range(60):  # every run length from 0 to the width shows up
        x, colour = 0, 0
        lengths = rng.integers(0, width // 3, 12)
        for length in lengths:
            runs[y, x : x + length] = colour
            x += int(length)
            colour ^= 1
        runs[y, min(x, width) :] = colour
    stripes = np.zeros((8, width), np.uint8)
    stripes[0, ::2] = 1
    stripes[1, 1::2] = 1
    stripes[2, :] = 1
    stripes[3, : width - 1] = 1
    stripes[4, width - 1] = 1
    stripes[5, 0] = 1
    return {"noise": noise, "runs": runs, "stripes": stripes, "white": np.zeros((3, width), np.uint8)}


@pytest.mark.parametrize("width", [1728, 2048, 2432])
@pytest.mark.parametrize("coding", CODINGS)
def test_round_trip_exact(coding, width):
    for name, page in _pages(width).items():
        data = encode_page(page, coding)
        got = decode_page(data, coding, width=width)
        assert got.errors == (), name
        np.testing.assert_array_equal(got.image, page, err_msg=name)


def test_long_runs_use_extended_makeup_codes():
    page = np.zeros((2, 2432), np.uint8)
    page[1, :2100] = 1  # black 2100 = make-up 2048 + terminating 52
    bits = "".join(map(str, encode_page_bits(page, Coding.MH, rtc=False).tolist()))
    assert "000000010011" + "000000100100" in bits  # Table 3/T.4 2048, Table 3/T.4 black 52


@pytest.mark.parametrize("coding", [Coding.MH, Coding.MR, Coding.MMR])
def test_sample_page_round_trip(coding):
    page = sample_page(Resolution.STANDARD)
    got = decode_page(encode_page(page, coding, resolution=Resolution.STANDARD), coding)
    assert got.errors == () and got.end_marker
    np.testing.assert_array_equal(got.image, page)


def test_white_line_is_eol_and_1728_white():
    bits = encode_page_bits(np.zeros((1, 1728), np.uint8), Coding.MH, rtc=False).tolist()
    assert bits == EOL + [int(b) for b in "010011011" + "00110101"]


def test_mh_page_starts_with_eol_and_ends_with_rtc():
    page = _pages(1728)["noise"]
    bits = encode_page_bits(page, Coding.MH)
    eols = _eols(bits)
    assert eols[0] == 0
    assert len(eols) == page.shape[0] + 6
    assert eols[-6:] == [eols[-6] + 12 * i for i in range(6)]  # RTC: six EOLs back to back
    assert eols[-1] + 12 == bits.size


@pytest.mark.parametrize("resolution", list(Resolution))
def test_mr_tag_bits_follow_k(resolution):
    page = _pages(1728)["runs"][:13]
    bits = encode_page_bits(page, Coding.MR, resolution=resolution, rtc=False)
    tags = [int(bits[e + 12]) for e in _eols(bits)]
    k = resolution.k
    assert tags == [1 if y % k == 0 else 0 for y in range(13)]
    assert decode_page_bits(bits, Coding.MR).image.tolist() == page.tolist()


def test_mr_rtc_is_six_eol_plus_one():
    bits = encode_page_bits(np.zeros((2, 1728), np.uint8), Coding.MR)
    tail = bits[-6 * 13 :].tolist()
    assert tail == (EOL + [1]) * 6


@pytest.mark.parametrize("mst_ms,rate_bps", [(5, 9600), (10, 4800), (20, 9600), (40, 14400)])
@pytest.mark.parametrize("coding", [Coding.MH, Coding.MR])
def test_fill_meets_minimum_scan_line_time(coding, mst_ms, rate_bps):
    page = _pages(1728)["stripes"]  # lines from a few bits (white) to thousands (stripes)
    bits = encode_page_bits(page, coding, min_scan_line_ms=mst_ms, bit_rate_bps=rate_bps)
    eols = _eols(bits)
    min_bits = mst_ms * rate_bps // 1000
    # A total coded scan line is DATA + FILL + the EOL (and tag) that follows it (T.4 §4.1.3).
    lengths = np.diff(eols[: page.shape[0] + 1])
    assert (lengths >= min_bits).all()
    assert lengths.min() == min_bits  # short lines are filled exactly to the minimum
    got = decode_page_bits(bits, coding)
    assert got.errors == ()
    np.testing.assert_array_equal(got.image, page)


@pytest.mark.parametrize("coding", [Coding.MH, Coding.MR])
def test_align_eol_ends_every_eol_on_an_octet(coding):
    page = _pages(1728)["noise"][:10]
    bits = encode_page_bits(page, coding, align_eol=True, rtc=False)
    assert all((e + 12) % 8 == 0 for e in _eols(bits))
    np.testing.assert_array_equal(decode_page_bits(bits, coding).image, page)


def test_octet_orders_are_bit_mirrors():
    page = _pages(1728)["noise"][:5]
    lsb = encode_page(page, Coding.MH, bit_order=BitOrder.LSB_FIRST)
    msb = encode_page(page, Coding.MH, bit_order=BitOrder.MSB_FIRST)
    bits = encode_page_bits(page, Coding.MH)
    assert np.unpackbits(np.frombuffer(lsb, np.uint8), bitorder="little")[: bits.size].tolist() == bits.tolist()
    assert np.unpackbits(np.frombuffer(msb, np.uint8))[: bits.size].tolist() == bits.tolist()
    got = decode_page(msb, Coding.MH, bit_order=BitOrder.MSB_FIRST)
    np.testing.assert_array_equal(got.image, page)


def test_rle_rows_start_on_octets():
    page = _pages(1728)["noise"][:6]
    data = encode_page(page, Coding.MH_RLE)
    bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
    assert _eols(bits) == []
    assert decode_page(data, Coding.MH_RLE).image.tolist() == page.tolist()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"image": np.zeros((4, 1000), np.uint8)},
        {"image": np.zeros((0, 1728), np.uint8)},
        {"image": np.zeros(1728, np.uint8)},
        {"k": 0},
        {"min_scan_line_ms": -5},
        {"min_scan_line_ms": 10, "bit_rate_bps": 0},
        {"coding": "MH"},
    ],
)
def test_bad_parameters_raise(kwargs):
    args = {"image": np.zeros((4, 1728), np.uint8), "coding": Coding.MR} | kwargs
    with pytest.raises(FaxCodingError):
        encode_page(args.pop("image"), args.pop("coding"), **args)


def test_decoder_rejects_bad_width():
    with pytest.raises(FaxCodingError, match="1000"):
        decode_page(b"\0", Coding.MH, width=1000)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    density=st.sampled_from([0.002, 0.05, 0.5, 0.97]),
    width=st.sampled_from([1728, 2048, 2432]),
)
def test_any_page_round_trips(seed, density, width):
    """Rows that shift, grow and shrink their runs a little, as scanned text does, plus noise:
    every mode of the 2-D coders (pass, vertical, horizontal) gets used."""
    rng = np.random.default_rng(seed)
    rows = [rng.random(width) < density]
    for _ in range(5):
        row = np.roll(rows[-1], int(rng.integers(-4, 5)))
        row ^= rng.random(width) < density / 10
        rows.append(row)
    page = np.array(rows, np.uint8)
    for coding in CODINGS:
        got = decode_page(encode_page(page, coding, k=3), coding, width=width)
        assert got.errors == ()
        np.testing.assert_array_equal(got.image, page)
