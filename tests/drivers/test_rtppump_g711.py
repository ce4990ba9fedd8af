"""The pump's C G.711 is bit-identical to pycti.dsp.g711 (audioop convention) on every input."""

from __future__ import annotations

import numpy as np

from pycti.dsp.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from pycti.drivers._rtppump import ffi, lib

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)


def _c_encode(fn, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = np.zeros(x.size, dtype=np.uint8)
    fn(ffi.from_buffer("int16_t[]", x), ffi.from_buffer("uint8_t[]", out, require_writable=True), x.size)
    return out


def _c_decode(fn, codes: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = np.zeros(codes.size, dtype=np.int16)
    fn(ffi.from_buffer("uint8_t[]", codes), ffi.from_buffer("int16_t[]", out, require_writable=True), codes.size)
    return out


def test_ulaw_encode_matches_python_on_all_65536_inputs() -> None:
    c = _c_encode(lib.rtp_g711_ulaw_encode, ALL_SAMPLES)
    assert np.array_equal(c, ulaw_encode(ALL_SAMPLES))
    assert len(np.unique(c)) == 255  # every code but mu-law's "negative zero" 0x7F is reached


def test_alaw_encode_matches_python_on_all_65536_inputs() -> None:
    c = _c_encode(lib.rtp_g711_alaw_encode, ALL_SAMPLES)
    assert np.array_equal(c, alaw_encode(ALL_SAMPLES))
    assert len(np.unique(c)) == 256


def test_decoders_match_python_on_all_256_codes() -> None:
    assert np.array_equal(_c_decode(lib.rtp_g711_ulaw_decode, ALL_CODES), ulaw_decode(ALL_CODES))
    assert np.array_equal(_c_decode(lib.rtp_g711_alaw_decode, ALL_CODES), alaw_decode(ALL_CODES))


def test_round_trip_is_the_identity_on_codes() -> None:
    for enc, dec in ((lib.rtp_g711_ulaw_encode, lib.rtp_g711_ulaw_decode),
                     (lib.rtp_g711_alaw_encode, lib.rtp_g711_alaw_decode)):
        codes = ALL_CODES[ALL_CODES != 0x7F] if enc is lib.rtp_g711_ulaw_encode else ALL_CODES
        assert np.array_equal(_c_encode(enc, _c_decode(dec, codes)), codes)
