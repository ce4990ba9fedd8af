"""Robust T.4 decoding: a bad MH/MR line is reported (line index, reason), replaced by the line
before it, and the decoder picks up again at the next EOL; the rest of the page survives."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.fax import Coding, Resolution, decode_page_bits, encode_page_bits

#: Eight zeros and a one start no run code and no mode code (only EOL has more zeros).
INVALID = [0] * 8 + [1]
EOL = [0] * 11 + [1]


def _page(rows: int = 24) -> np.ndarray:
    rng = np.random.default_rng(3)
    page = np.zeros((rows, 1728), np.uint8)
    page[:, 200:1400] = rng.random((rows, 1200)) < 0.1
    return page


def _eols(bits: np.ndarray) -> list[int]:
    s = "".join(map(str, bits.tolist()))
    out, i = [], s.find("000000000001")
    while i >= 0:
        out.append(i)
        i = s.find("000000000001", i + 12)
    return out


def _bits(*parts: str | list[int]) -> np.ndarray:
    return np.array([int(b) for part in parts for b in part], np.uint8)


def test_bad_mh_line_is_reported_and_repeated():
    page = _page()
    bits = encode_page_bits(page, Coding.MH)
    at = _eols(bits)[10] + 12
    bits[at : at + 9] = INVALID
    got = decode_page_bits(bits, Coding.MH)
    assert [(e.line, e.bit_offset) for e in got.errors] == [(10, at)]
    assert "invalid white run code" in got.errors[0].reason
    assert got.bad_lines == 1 and got.consecutive_bad_lines == 1 and got.end_marker
    expected = page.copy()
    expected[10] = page[9]
    np.testing.assert_array_equal(got.image, expected)


def test_consecutive_bad_lines_repeat_the_last_good_one():
    page = _page()
    bits = encode_page_bits(page, Coding.MH)
    eols = _eols(bits)
    for line in (10, 11, 15):
        bits[eols[line] + 12 : eols[line] + 21] = INVALID
    got = decode_page_bits(bits, Coding.MH)
    assert [e.line for e in got.errors] == [10, 11, 15]
    assert got.bad_lines == 3 and got.consecutive_bad_lines == 2
    for line, source in ((10, 9), (11, 9), (15, 14)):
        np.testing.assert_array_equal(got.image[line], page[source])
    np.testing.assert_array_equal(got.image[12:15], page[12:15])


def test_bad_first_line_becomes_white():
    page = _page(4)
    page[0, :100] = 1
    bits = encode_page_bits(page, Coding.MH)
    bits[12:21] = INVALID
    got = decode_page_bits(bits, Coding.MH)
    assert [e.line for e in got.errors] == [0] and not got.image[0].any()
    np.testing.assert_array_equal(got.image[1:], page[1:])


def test_bad_mr_line_spoils_only_lines_up_to_the_next_1d_line():
    page = _page()
    bits = encode_page_bits(page, Coding.MR, resolution=Resolution.FINE)  # K = 4
    at = _eols(bits)[5] + 13  # line 5 is two-dimensional
    bits[at : at + 9] = INVALID
    got = decode_page_bits(bits, Coding.MR)
    assert got.errors[0].line == 5 and "invalid mode code" in got.errors[0].reason
    assert {e.line for e in got.errors} <= {5, 6, 7}
    assert got.rows == page.shape[0]
    np.testing.assert_array_equal(got.image[5], page[4])
    np.testing.assert_array_equal(got.image[:5], page[:5])
    np.testing.assert_array_equal(got.image[8:], page[8:])  # line 8 is 1-D again


def test_line_too_long_and_line_too_short():
    white_1728 = "010011011" + "00110101"
    bits = _bits(EOL, white_1728, "1100", EOL, "11011" + "00110101", EOL, white_1728, EOL, EOL)
    got = decode_page_bits(bits, Coding.MH)
    # Line 0 has 1728 white then data that is not fill; line 1 is 64 pixels long.
    assert [e.line for e in got.errors] == [0, 1]
    assert "not fill" in got.errors[0].reason
    assert "EOL inside the line" in got.errors[1].reason
    assert got.rows == 3 and got.end_marker
    assert not got.image.any()


def test_runs_past_the_line_end():
    bits = _bits(EOL, "010011011", "1100", EOL, "010011011" + "00110101", EOL, EOL)  # 1728 + 5
    got = decode_page_bits(bits, Coding.MH)
    assert [e.line for e in got.errors] == [0] and "past the line width" in got.errors[0].reason
    assert got.rows == 2


def test_truncated_page_keeps_what_arrived():
    page = _page()
    bits = encode_page_bits(page, Coding.MH)
    cut = _eols(bits)[10] + 40
    got = decode_page_bits(bits[:cut], Coding.MH)
    assert not got.end_marker
    assert [e.line for e in got.errors] == [10]
    np.testing.assert_array_equal(got.image[:10], page[:10])


def test_noise_before_the_first_eol_and_data_after_rtc_are_ignored():
    page = _page(6)
    bits = encode_page_bits(page, Coding.MH)
    noisy = np.concatenate([_bits("1011011101"), bits, _bits("1101101")])
    got = decode_page_bits(noisy, Coding.MH)
    assert got.errors == () and got.end_marker
    np.testing.assert_array_equal(got.image, page)


def test_expected_rows_bound_and_short_page():
    page = _page(8)
    bits = encode_page_bits(page, Coding.MH, rtc=False)
    assert decode_page_bits(bits, Coding.MH, rows=5).rows == 5
    got = decode_page_bits(bits, Coding.MH, rows=12)
    assert got.rows == 8 and got.errors[-1].reason == "page ends after 8 of 12 rows"


@pytest.mark.parametrize("seed", range(4))
def test_random_bit_errors_never_crash_and_keep_the_page_size(seed):
    rng = np.random.default_rng(seed)
    page = _page()
    for coding in (Coding.MH, Coding.MR):
        bits = encode_page_bits(page, coding)
        flips = rng.integers(0, bits.size - 200, 5)
        bits[flips] ^= 1
        got = decode_page_bits(bits, coding)
        assert got.image.shape[1] == 1728
        assert abs(got.rows - page.shape[0]) <= 5  # a flip can forge or destroy an EOL
        assert all(0 <= e.line < got.rows for e in got.errors)
        good = [y for y in range(min(got.rows, page.shape[0])) if y not in {e.line for e in got.errors}]
        assert len(good) >= page.shape[0] - 5 * (4 if coding is Coding.MR else 1) - 5
