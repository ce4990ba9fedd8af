"""G.711 codecs: exhaustive comparison with a scalar transcription of the standard's rules and,
where it still imports, with Python's ``audioop``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pycti.dsp.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

ALL_LINEAR = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)


def _ref_ulaw_encode(sample: int) -> int:
    """G.711 Table 2a, one sample: 14-bit word, magnitude + 33, segment by leading one."""
    pcm = sample >> 2
    sign = 0x00 if pcm < 0 else 0x80
    magnitude = min(abs(pcm), 8159) + 33
    segment = magnitude.bit_length() - 6  # 33..63 -> 0, 64..127 -> 1, ... 4096..8191 -> 7
    if segment > 7:  # beyond the last decision value: top step of segment 7
        segment, step_bits = 7, 0x0F
    else:
        step_bits = (magnitude >> (segment + 1)) & 0x0F
    return (sign | (segment << 4) | step_bits) ^ 0x7F


def _g191_ulaw_encode(sample: int) -> int:
    """The ITU-T G.191 tools' mu-law rule, one sample: a negative input's magnitude is its one's
    complement (``~x >> 2``), biased by 33 and clipped to 13 bits; segment and step bits are
    inverted within the code, the sign bit set for inputs >= 0."""
    biased = min(((~sample if sample < 0 else sample) >> 2) + 33, 0x1FFF)
    segment = biased.bit_length() - 6  # 33..63 -> 0, ..., 4096..8191 -> 7
    code = ((7 - segment) << 4) | (15 - ((biased >> (segment + 1)) & 0x0F))
    return code | (0x80 if sample >= 0 else 0x00)


def _g191_alaw_encode(sample: int) -> int:
    """The ITU-T G.191 tools' A-law rule, one sample: 12-bit one's-complement magnitude
    (``~x >> 4``), segments found by halving until the value fits in 16..31."""
    magnitude = (~sample if sample < 0 else sample) >> 4
    if magnitude > 15:
        exponent = 1
        while magnitude > 31:
            magnitude >>= 1
            exponent += 1
        magnitude += (exponent << 4) - 16
    return (magnitude | (0x80 if sample >= 0 else 0x00)) ^ 0x55


def _ref_ulaw_decode(code: int) -> int:
    """G.711 Table 2b: the decision interval's mid-point, in 16-bit units."""
    c = ~code & 0xFF
    segment = (c >> 4) & 0x07
    step = c & 0x0F
    magnitude = ((2 * step + 33) << segment) - 33  # 14-bit units
    return 4 * (-magnitude if c & 0x80 else magnitude)


def _ref_alaw_encode(sample: int) -> int:
    """G.711 Table 1a, one sample: 13-bit one's-complement magnitude, even bits inverted."""
    pcm = sample >> 3
    sign = 0x80 if pcm >= 0 else 0x00
    magnitude = pcm if pcm >= 0 else -pcm - 1  # 0..4095
    segment = max(magnitude.bit_length() - 5, 0)  # 0..31 -> 0, 32..63 -> 1, ...
    step_bits = (magnitude >> max(segment, 1)) & 0x0F
    return (sign | (segment << 4) | step_bits) ^ 0x55


def _ref_alaw_decode(code: int) -> int:
    """G.711 Table 1b: the decision interval's mid-point, in 16-bit units."""
    c = code ^ 0x55
    segment = (c >> 4) & 0x07
    step = c & 0x0F
    if segment == 0:
        magnitude = 2 * step + 1  # 13-bit units, step 2
    else:
        magnitude = (2 * step + 33) << (segment - 1)
    return 8 * magnitude if c & 0x80 else -8 * magnitude


def test_ulaw_encode_matches_standard_rules_for_every_linear_value() -> None:
    expected = np.array([_ref_ulaw_encode(int(v)) for v in ALL_LINEAR], dtype=np.uint8)
    np.testing.assert_array_equal(ulaw_encode(ALL_LINEAR), expected)


def test_alaw_encode_matches_standard_rules_for_every_linear_value() -> None:
    expected = np.array([_ref_alaw_encode(int(v)) for v in ALL_LINEAR], dtype=np.uint8)
    np.testing.assert_array_equal(alaw_encode(ALL_LINEAR), expected)


def test_g191_convention_matches_the_itu_tools_rule_for_every_linear_value() -> None:
    expected = np.array([_g191_ulaw_encode(int(v)) for v in ALL_LINEAR], dtype=np.uint8)
    np.testing.assert_array_equal(ulaw_encode(ALL_LINEAR, convention="g191"), expected)


def test_conventions_differ_on_508_negative_step_boundaries_only() -> None:
    """audioop and G.191 round negative mu-law inputs differently; A-law they agree everywhere."""
    default, g191 = ulaw_encode(ALL_LINEAR), ulaw_encode(ALL_LINEAR, convention="g191")
    differ = np.flatnonzero(default != g191)
    assert differ.size == 508
    assert (ALL_LINEAR[differ] < 0).all()
    assert (np.abs(default[differ].astype(int) - g191[differ].astype(int)) == 1).all()  # neighbouring steps
    expected_alaw = np.array([_g191_alaw_encode(int(v)) for v in ALL_LINEAR], dtype=np.uint8)
    np.testing.assert_array_equal(alaw_encode(ALL_LINEAR), expected_alaw)
    with pytest.raises(ValueError, match="convention"):
        ulaw_encode(ALL_LINEAR, convention="sun")  # type: ignore[arg-type]


def test_decoders_match_standard_rules_for_every_code() -> None:
    np.testing.assert_array_equal(
        ulaw_decode(ALL_CODES), [_ref_ulaw_decode(int(c)) for c in ALL_CODES]
    )
    np.testing.assert_array_equal(
        alaw_decode(ALL_CODES), [_ref_alaw_decode(int(c)) for c in ALL_CODES]
    )


def test_paired_decoding_equals_single_code_decoding_for_every_pair() -> None:
    pairs = np.stack(np.meshgrid(ALL_CODES, ALL_CODES, indexing="ij"), -1).reshape(-1, 2)
    for decode in (ulaw_decode, alaw_decode):
        one_by_one = decode(pairs.ravel()[:-1])  # odd length: the 256-entry table
        np.testing.assert_array_equal(decode(pairs)[:, :].ravel()[:-1], one_by_one)
        np.testing.assert_array_equal(decode(pairs[:, ::-1]), decode(pairs)[:, ::-1])  # strided


def test_known_code_points() -> None:
    # Silence, the end points of the range, and the digital-milliwatt idle patterns.
    assert ulaw_encode(np.array([0], np.int16))[0] == 0xFF
    assert alaw_encode(np.array([0], np.int16))[0] == 0xD5
    assert ulaw_decode(np.array([0x00, 0x80], np.uint8)).tolist() == [-32124, 32124]
    assert alaw_decode(np.array([0x2A, 0xAA], np.uint8)).tolist() == [-32256, 32256]


def test_code_round_trip_is_identity_and_preserves_shape() -> None:
    for encode, decode in ((ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)):
        decoded = decode(ALL_CODES)
        reencoded = encode(decoded)
        # mu-law has two zero codes (0x7F and 0xFF); both decode to 0, which encodes as 0xFF.
        same = reencoded == ALL_CODES
        assert same.sum() >= 255
        block = ALL_LINEAR[:4000].reshape(4, 1000)
        assert encode(block).shape == (4, 1000)
        assert decode(encode(block)).shape == (4, 1000)


def test_quantisation_error_stays_within_half_a_step() -> None:
    for encode, decode, bits in ((ulaw_encode, ulaw_decode, 2), (alaw_encode, alaw_decode, 3)):
        y = decode(encode(ALL_LINEAR)).astype(np.int64)
        x = ALL_LINEAR.astype(np.int64)
        core = np.abs(x) < 30000
        err = np.abs(y - x)[core]
        # Half of the largest step (segment 7) is 2**(9 + bits) 16-bit units; relative < 7 %.
        rel = err / np.maximum(np.abs(x[core]), 256)
        assert rel.max() < 0.07
        assert err.max() <= 2 ** (9 + bits)


def test_wrong_dtypes_are_refused() -> None:
    with pytest.raises(ValueError):
        ulaw_encode(np.zeros(4, np.float32))
    with pytest.raises(ValueError):
        alaw_decode(np.zeros(4, np.int16))


def _audioop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import audioop
        except ImportError:
            return None
    return audioop


@pytest.mark.skipif(_audioop() is None, reason="audioop removed from this Python")
def test_exhaustively_identical_to_audioop() -> None:
    audioop = _audioop()
    raw = ALL_LINEAR.tobytes()
    codes = ALL_CODES.tobytes()
    np.testing.assert_array_equal(ulaw_encode(ALL_LINEAR), np.frombuffer(audioop.lin2ulaw(raw, 2), np.uint8))
    np.testing.assert_array_equal(alaw_encode(ALL_LINEAR), np.frombuffer(audioop.lin2alaw(raw, 2), np.uint8))
    np.testing.assert_array_equal(ulaw_decode(ALL_CODES), np.frombuffer(audioop.ulaw2lin(codes, 2), np.int16))
    np.testing.assert_array_equal(alaw_decode(ALL_CODES), np.frombuffer(audioop.alaw2lin(codes, 2), np.int16))
