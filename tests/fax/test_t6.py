"""T.6 (MMR): 2-D coding against an imaginary white first line, no EOL, EOFB at the end; the
mode choice of T.4 §4.2.1.3 (pass, vertical, horizontal) checked on hand-worked lines; an error
ends the page with the lines before it kept."""

from __future__ import annotations

import numpy as np

from pycti.fax import BitOrder, Coding, decode_page, decode_page_bits, encode_page, encode_page_bits

EOFB = "000000000001" * 2


def _s(bits: np.ndarray) -> str:
    return "".join(map(str, bits.tolist()))


def _coded_lines(page: np.ndarray) -> str:
    """The bits before EOFB and its padding."""
    s = _s(encode_page_bits(page, Coding.MMR))
    return s[: s.rindex(EOFB)]


def _rows(*blacks: list[tuple[int, int]]) -> np.ndarray:
    page = np.zeros((len(blacks), 1728), np.uint8)
    for y, spans in enumerate(blacks):
        for a, b in spans:
            page[y, a:b] = 1
    return page


def test_white_page_is_one_v0_per_line_then_eofb():
    s = _s(encode_page_bits(np.zeros((5, 1728), np.uint8), Coding.MMR))
    assert s == "11111" + EOFB + "000"  # padded to an octet


def test_black_first_line_is_horizontal_against_the_white_reference():
    # a1 = 0, b1 = 1728 (imaginary white line): horizontal, white 0 then black 1728.
    assert _coded_lines(_rows([(0, 1728)])) == "001" + "00110101" + "0000001100101" + "0000110111"


def test_pass_mode_under_a_run_the_coding_line_lacks():
    # Line 0: white 100 (make-up 64 + 36), black 10, then V0 at the line end.
    # Line 1 (all white): b1 = 100, b2 = 110 < a1 = 1728: pass, then V0.
    expected = "001" + "11011" + "00010101" + "0000100" + "1" + "0001" + "1"
    assert _coded_lines(_rows([(100, 110)], [])) == expected


def test_vertical_modes():
    # a1 = 101 vs b1 = 100: VR1; a1 = 108 vs b1 = 110: VL2; end: V0.
    page = _rows([(100, 110)], [(101, 108)])
    assert _coded_lines(page).endswith("1" + "011" + "000010" + "1")
    wide = _rows([(100, 110)], [(103, 113)], [(100, 110)])  # VR3 then VR3; VL3 then VL3
    assert _coded_lines(wide).endswith("0000011" * 2 + "1" + "0000010" * 2 + "1")


def test_round_trip_and_eofb():
    rng = np.random.default_rng(11)
    page = (rng.random((50, 1728)) < 0.2).astype(np.uint8)
    got = decode_page(encode_page(page, Coding.MMR, bit_order=BitOrder.MSB_FIRST), Coding.MMR, bit_order=BitOrder.MSB_FIRST)
    assert got.errors == () and got.end_marker
    np.testing.assert_array_equal(got.image, page)


def test_error_ends_the_page_with_the_lines_before_it():
    rng = np.random.default_rng(12)
    page = (rng.random((20, 1728)) < 0.05).astype(np.uint8)
    bits = encode_page_bits(page, Coding.MMR)
    # Lines 0..6 code the same with or without the rest (no EOLs, each line needs only the one above).
    prefix = len(_coded_lines(page[:7]))
    bits[prefix : prefix + 9] = [0] * 8 + [1]
    got = decode_page_bits(bits, Coding.MMR)
    assert not got.end_marker
    assert [(e.line, e.bit_offset) for e in got.errors] == [(7, prefix)]
    np.testing.assert_array_equal(got.image, page[:7])


def test_missing_eofb_and_expected_rows():
    page = np.zeros((6, 1728), np.uint8)
    page[:, 500:510] = 1
    full = encode_page_bits(page, Coding.MMR)
    bits = full[: _s(full).rindex(EOFB)]  # EOFB and padding gone
    got = decode_page_bits(bits, Coding.MMR)
    assert got.rows == 6 and got.errors == () and not got.end_marker
    got = decode_page_bits(bits, Coding.MMR, rows=9)
    assert got.errors[-1].reason == "page ends after 6 of 9 rows"
    assert decode_page_bits(bits, Coding.MMR, rows=4).rows == 4
