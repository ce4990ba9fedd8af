"""The T.4 code tables: sizes, the values T.4 Tables 2-4 give, and that every set a decoder
reads is a prefix code (no code is the start of another) that EOL cannot be confused with."""

from __future__ import annotations

import itertools

import pytest

from pycti.fax import t4_tables as t


def _prefix_free(codes: list[str]) -> bool:
    ordered = sorted(codes)
    return all(not b.startswith(a) for a, b in itertools.pairwise(ordered))


def test_table_sizes_cover_every_run_length():
    assert len(t.WHITE_TERMINATING) == len(t.BLACK_TERMINATING) == 64
    assert len(t.WHITE_MAKEUP) == len(t.BLACK_MAKEUP) == 27  # 64 .. 1728
    assert len(t.EXTENDED_MAKEUP) == 13  # 1792 .. 2560


def test_codes_quoted_from_t4():
    # Table 2/T.4 and 3/T.4 entries, and Table 4/T.4 modes.
    assert t.WHITE_TERMINATING[0] == "00110101"
    assert t.BLACK_TERMINATING[0] == "0000110111"
    assert t.BLACK_TERMINATING[2] == "11"
    assert t.WHITE_MAKEUP[-1] == "010011011"  # white 1728
    assert t.BLACK_MAKEUP[0] == "0000001111"  # black 64
    assert t.EXTENDED_MAKEUP[0] == "00000001000"  # 1792
    assert t.EXTENDED_MAKEUP[-1] == "000000011111"  # 2560
    assert t.MODE_CODES["P"] == "0001" and t.MODE_CODES["H"] == "001" and t.MODE_CODES["V0"] == "1"
    assert t.EOL_CODE == "0" * 11 + "1"


@pytest.mark.parametrize("colour", [0, 1])
def test_run_codes_are_a_prefix_code_with_eol(colour):
    term = t.WHITE_TERMINATING if colour == 0 else t.BLACK_TERMINATING
    makeup = t.WHITE_MAKEUP if colour == 0 else t.BLACK_MAKEUP
    codes = list(term) + list(makeup) + list(t.EXTENDED_MAKEUP) + [t.EOL_CODE]
    assert len(set(codes)) == len(codes)
    assert _prefix_free(codes)
    assert max(map(len, codes)) <= t.LUT_BITS


def test_mode_codes_are_a_prefix_code_with_eol():
    codes = list(t.MODE_CODES.values()) + ["0000001"] + [t.EOL_CODE]  # 0000001xxx: extensions
    assert _prefix_free(codes)


@pytest.mark.parametrize("colour", [0, 1])
def test_lookup_table_finds_every_code(colour):
    lut = t.run_lut(colour)
    term = t.WHITE_TERMINATING if colour == 0 else t.BLACK_TERMINATING
    for run, code in enumerate(term):
        w = int(code, 2) << (t.LUT_BITS - len(code))
        assert lut[w] == run << 4 | len(code)
    assert lut[int(t.EOL_CODE, 2) << 1] == t.LUT_EOL
    assert lut[0] == t.LUT_INVALID  # thirteen zeros are no code
