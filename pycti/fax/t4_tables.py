"""The code tables of ITU-T T.4 and their lookup forms.

* Modified Huffman (T.4 §4.1.1, Tables 2/T.4 and 3/T.4): terminating codes for white and black
  runs 0..63, make-up codes 64..1728 per colour, and the extended make-up codes 1792..2560 that
  both colours share (used by the 2048 and 2432 pixel line widths).
* Two-dimensional mode codes (T.4 §4.2.1.3.3, Table 4/T.4; T.6 uses the same): pass,
  horizontal, vertical V0, VR1..VR3, VL1..VL3, and the extension prefix 0000001xxx.
* EOL = 000000000001 (T.4 §4.1.2).

Codes are written as bit strings, first transmitted bit first.  The encoder takes them as
``(value, length)`` arrays indexed by run length; the decoder as 13-bit lookup tables: entry
``w`` of a table answers "which code starts the 13 bits ``w``" (the longest code is 13 bits).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "WHITE_TERMINATING",
    "BLACK_TERMINATING",
    "WHITE_MAKEUP",
    "BLACK_MAKEUP",
    "EXTENDED_MAKEUP",
    "MODE_CODES",
    "VERTICAL_BY_DELTA",
    "EOL_CODE",
    "EOL_BITS",
    "LUT_BITS",
    "MAX_RUN",
    "run_code_arrays",
    "run_lut",
    "mode_lut",
    "LUT_INVALID",
    "LUT_EOL",
    "MODE_PASS",
    "MODE_HORIZONTAL",
    "MODE_V0",
]

WHITE_TERMINATING: Final[tuple[str, ...]] = (
    "00110101", "000111", "0111", "1000", "1011", "1100", "1110", "1111",
    "10011", "10100", "00111", "01000", "001000", "000011", "110100", "110101",
    "101010", "101011", "0100111", "0001100", "0001000", "0010111", "0000011", "0000100",
    "0101000", "0101011", "0010011", "0100100", "0011000", "00000010", "00000011", "00011010",
    "00011011", "00010010", "00010011", "00010100", "00010101", "00010110", "00010111", "00101000",
    "00101001", "00101010", "00101011", "00101100", "00101101", "00000100", "00000101", "00001010",
    "00001011", "01010010", "01010011", "01010100", "01010101", "00100100", "00100101", "01011000",
    "01011001", "01011010", "01011011", "01001010", "01001011", "00110010", "00110011", "00110100",
)  # fmt: skip

BLACK_TERMINATING: Final[tuple[str, ...]] = (
    "0000110111", "010", "11", "10", "011", "0011", "0010", "00011",
    "000101", "000100", "0000100", "0000101", "0000111", "00000100", "00000111", "000011000",
    "0000010111", "0000011000", "0000001000", "00001100111", "00001101000", "00001101100",
    "00000110111", "00000101000", "00000010111", "00000011000", "000011001010", "000011001011",
    "000011001100", "000011001101", "000001101000", "000001101001", "000001101010", "000001101011",
    "000011010010", "000011010011", "000011010100", "000011010101", "000011010110", "000011010111",
    "000001101100", "000001101101", "000011011010", "000011011011", "000001010100", "000001010101",
    "000001010110", "000001010111", "000001100100", "000001100101", "000001010010", "000001010011",
    "000000100100", "000000110111", "000000111000", "000000100111", "000000101000", "000001011000",
    "000001011001", "000000101011", "000000101100", "000001011010", "000001100110", "000001100111",
)  # fmt: skip

#: Make-up codes for 64, 128, ..., 1728 (index i is run 64*(i+1)).
WHITE_MAKEUP: Final[tuple[str, ...]] = (
    "11011", "10010", "010111", "0110111", "00110110", "00110111", "01100100", "01100101",
    "01101000", "01100111", "011001100", "011001101", "011010010", "011010011", "011010100",
    "011010101", "011010110", "011010111", "011011000", "011011001", "011011010", "011011011",
    "010011000", "010011001", "010011010", "011000", "010011011",
)  # fmt: skip

BLACK_MAKEUP: Final[tuple[str, ...]] = (
    "0000001111", "000011001000", "000011001001", "000001011011", "000000110011", "000000110100",
    "000000110101", "0000001101100", "0000001101101", "0000001001010", "0000001001011",
    "0000001001100", "0000001001101", "0000001110010", "0000001110011", "0000001110100",
    "0000001110101", "0000001110110", "0000001110111", "0000001010010", "0000001010011",
    "0000001010100", "0000001010101", "0000001011010", "0000001011011", "0000001100100",
    "0000001100101",
)  # fmt: skip

#: Extended make-up codes 1792, 1856, ..., 2560, the same for white and black (Table 3/T.4).
EXTENDED_MAKEUP: Final[tuple[str, ...]] = (
    "00000001000", "00000001100", "00000001101", "000000010010", "000000010011", "000000010100",
    "000000010101", "000000010110", "000000010111", "000000011100", "000000011101",
    "000000011110", "000000011111",
)  # fmt: skip

#: Mode codes of Table 4/T.4 by name; vertical modes are keyed by a1 - b1.
MODE_CODES: Final[dict[str, str]] = {
    "P": "0001",
    "H": "001",
    "V0": "1",
    "VR1": "011",
    "VR2": "000011",
    "VR3": "0000011",
    "VL1": "010",
    "VL2": "000010",
    "VL3": "0000010",
}

#: The vertical mode code for each a1 - b1 in -3..3.
VERTICAL_BY_DELTA: Final[dict[int, str]] = {
    -3: "VL3", -2: "VL2", -1: "VL1", 0: "V0", 1: "VR1", 2: "VR2", 3: "VR3",
}  # fmt: skip

EOL_CODE: Final[str] = "000000000001"
EOL_BITS: Final[int] = 12
#: Bits a decoder looks at per code: the longest code (black make-up) has 13.
LUT_BITS: Final[int] = 13
#: The longest run one make-up code plus one terminating code can code.
MAX_RUN: Final[int] = 2560 + 63

#: Lookup entries: ``run << 4 | code length`` for runs; these negatives otherwise.
LUT_INVALID: Final[int] = -1
LUT_EOL: Final[int] = -2
#: Mode lookup entries are ``kind << 4 | length``; kind 0 pass, 1 horizontal, 2..8 vertical
#: with a1 - b1 = kind - 5.
MODE_PASS: Final[int] = 0
MODE_HORIZONTAL: Final[int] = 1
MODE_V0: Final[int] = 5

IntArray = npt.NDArray[np.int64]


def _codes_by_run(colour: int) -> dict[int, str]:
    term = WHITE_TERMINATING if colour == 0 else BLACK_TERMINATING
    makeup = WHITE_MAKEUP if colour == 0 else BLACK_MAKEUP
    codes = {run: code for run, code in enumerate(term)}
    codes.update({64 * (i + 1): code for i, code in enumerate(makeup)})
    codes.update({1792 + 64 * i: code for i, code in enumerate(EXTENDED_MAKEUP)})
    return codes


def run_code_arrays(colour: int) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """``(term_value, term_length, makeup_value, makeup_length)`` for ``colour`` (0 white).

    ``term_*[r]`` codes a run ``r`` < 64; ``makeup_*[m]`` codes the make-up run ``64 * m``
    (m = 1..40; entry 0 is unused).
    """
    codes = _codes_by_run(colour)
    tv = np.array([int(codes[r], 2) for r in range(64)], dtype=np.int64)
    tl = np.array([len(codes[r]) for r in range(64)], dtype=np.int64)
    mv = np.zeros(41, dtype=np.int64)
    ml = np.zeros(41, dtype=np.int64)
    for m in range(1, 41):
        mv[m] = int(codes[64 * m], 2)
        ml[m] = len(codes[64 * m])
    return tv, tl, mv, ml


def _fill(lut: list[int], code: str, entry: int) -> None:
    shift = LUT_BITS - len(code)
    start = int(code, 2) << shift
    for w in range(start, start + (1 << shift)):
        lut[w] = entry


def _with_eol(lut: list[int]) -> list[int]:
    _fill(lut, EOL_CODE, LUT_EOL)
    return lut


def run_lut(colour: int) -> list[int]:
    """The 13-bit decoding table of the run codes of ``colour`` (0 white, 1 black)."""
    lut = [LUT_INVALID] * (1 << LUT_BITS)
    for run, code in _codes_by_run(colour).items():
        _fill(lut, code, run << 4 | len(code))
    return _with_eol(lut)


def mode_lut() -> list[int]:
    """The 13-bit decoding table of the two-dimensional mode codes (extensions are invalid)."""
    lut = [LUT_INVALID] * (1 << LUT_BITS)
    _fill(lut, MODE_CODES["P"], MODE_PASS << 4 | 4)
    _fill(lut, MODE_CODES["H"], MODE_HORIZONTAL << 4 | 3)
    for delta, name in VERTICAL_BY_DELTA.items():
        code = MODE_CODES[name]
        _fill(lut, code, (MODE_V0 + delta) << 4 | len(code))
    return _with_eol(lut)
