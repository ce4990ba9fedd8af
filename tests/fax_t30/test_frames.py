"""T.30 control frames: FCF codes, the X and final bits, identifiers, PPS/PPR/FCD fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycti.errors import PyctiError
from pycti.fax.t30_frames import (
    Fcf,
    FrameError,
    PpsFields,
    T30Frame,
    decode_fcd,
    decode_identifier,
    decode_ppr_map,
    decode_pps,
    encode_fcd,
    encode_identifier,
    encode_ppr_map,
    encode_pps,
)

# T.30 5.3.6.1 patterns, first transmitted bit on the left, turned into octets by hand:
# the leftmost bit is bit 0 (HDLC sends the least significant bit first).
HAND_OCTETS = {
    Fcf.DIS: 0x80,  # 0000 0001
    Fcf.CSI: 0x40,  # 0000 0010
    Fcf.NSF: 0x20,  # 0000 0100
    Fcf.DTC: 0x81,  # 1000 0001
    Fcf.DCS: 0x82,  # X100 0001
    Fcf.TSI: 0x42,  # X100 0010
    Fcf.CFR: 0x84,  # X010 0001
    Fcf.FTT: 0x44,  # X010 0010
    Fcf.CTC: 0x12,  # X100 1000
    Fcf.CTR: 0xC4,  # X010 0011
    Fcf.MPS: 0x4E,  # X111 0010
    Fcf.EOM: 0x8E,  # X111 0001
    Fcf.EOP: 0x2E,  # X111 0100
    Fcf.PPS: 0xBE,  # X111 1101
    Fcf.MCF: 0x8C,  # X011 0001
    Fcf.RTN: 0x4C,  # X011 0010
    Fcf.RTP: 0xCC,  # X011 0011
    Fcf.PPR: 0xBC,  # X011 1101
    Fcf.DCN: 0xFA,  # X101 1111
    Fcf.CRP: 0x1A,  # X101 1000
    Fcf.FCD: 0x06,  # 0110 0000
    Fcf.RCP: 0x86,  # 0110 0001
}


@pytest.mark.parametrize("fcf,octet", HAND_OCTETS.items(), ids=lambda v: getattr(v, "name", v))
def test_fcf_octets_follow_the_t30_bit_patterns(fcf: Fcf, octet: int) -> None:
    assert int(fcf) == octet


def test_x_bit_is_the_first_bit_and_only_where_t30_has_one() -> None:
    dcs = T30Frame(fcf=Fcf.DCS, fif=b"\x00\x46\x00", x_bit=True).encode()
    assert dcs == bytes((0xFF, 0x13, 0x83, 0x00, 0x46, 0x00))
    dis = T30Frame(fcf=Fcf.DIS, x_bit=True).encode()
    assert dis[2] == 0x80  # DIS has no X bit: its first bit is what tells it from DTC
    assert not Fcf.DIS.has_x_bit and Fcf.MCF.has_x_bit


def test_control_field_carries_the_final_bit() -> None:
    assert T30Frame(fcf=Fcf.CSI, final=False).encode()[:2] == b"\xff\x03"
    assert T30Frame(fcf=Fcf.DIS).encode()[:2] == b"\xff\x13"


@pytest.mark.parametrize("fcf", list(Fcf), ids=lambda f: f.name)
@pytest.mark.parametrize("x_bit", [False, True])
def test_every_frame_round_trips(fcf: Fcf, x_bit: bool) -> None:
    frame = T30Frame(fcf=fcf, fif=b"\x01\x02", x_bit=x_bit and fcf.has_x_bit, final=x_bit)
    assert T30Frame.decode(frame.encode()) == frame


@pytest.mark.parametrize("data,word", [
    (b"\xff\x13", "too short"),
    (b"\xfe\x13\x80", "address 0xfe"),
    (b"\xff\x07\x80", "control field 0x07"),
    (b"\xff\x13\x02", "0x02"),
])
def test_bad_frames_are_frame_errors_naming_the_value(data: bytes, word: str) -> None:
    with pytest.raises(FrameError, match=word) as info:
        T30Frame.decode(data)
    assert isinstance(info.value, PyctiError) and isinstance(info.value, ValueError)


def test_identifier_is_sent_last_digit_first_and_padded() -> None:
    fif = encode_identifier("+1 555 0100")
    assert len(fif) == 20
    assert fif == b"0010 555 1+         "
    assert decode_identifier(fif) == "+1 555 0100"


@pytest.mark.parametrize("number,word", [("1" * 21, "longer"), ("ACME", "Table 3")])
def test_identifier_outside_table_3_is_refused(number: str, word: str) -> None:
    with pytest.raises(FrameError, match=word):
        encode_identifier(number)


def test_identifier_decode_is_lenient_about_letters_not_control_octets() -> None:
    assert decode_identifier(b"EMCA" + b" " * 16) == "ACME"
    with pytest.raises(FrameError, match="non-printable"):
        decode_identifier(b"\x00123")


def test_pps_fields() -> None:
    fields = PpsFields(post=Fcf.EOP, page=3, block=1, frame_count=256)
    fif = encode_pps(fields, x_bit=True)
    assert fif == bytes((0x2F, 3, 1, 0xFF))  # EOP with X, counters, frames - 1
    assert decode_pps(fif) == fields
    null = PpsFields(post=None, page=0, block=0, frame_count=1)
    assert encode_pps(null, x_bit=False) == b"\x00\x00\x00\x00"
    assert decode_pps(b"\x00\x00\x00\x00") == null


@pytest.mark.parametrize("fif", [b"\x00\x00\x00", b"\x8c\x00\x00\x00"])
def test_bad_pps_is_a_frame_error(fif: bytes) -> None:
    with pytest.raises(FrameError):
        decode_pps(fif)
    with pytest.raises(FrameError, match="257"):
        encode_pps(PpsFields(post=None, page=0, block=0, frame_count=257), x_bit=False)


def test_ppr_map_bit_order() -> None:
    fif = encode_ppr_map({0, 9, 255})
    assert len(fif) == 32
    assert fif[0] == 0x01 and fif[1] == 0x02 and fif[31] == 0x80
    assert sum(fif) == 0x83


@given(st.frozensets(st.integers(0, 255)))
def test_ppr_map_round_trips(frames: frozenset[int]) -> None:
    assert decode_ppr_map(encode_ppr_map(frames)) == frames


def test_ppr_map_errors() -> None:
    with pytest.raises(FrameError, match="256"):
        encode_ppr_map({256})
    with pytest.raises(FrameError, match="31 octets"):
        decode_ppr_map(bytes(31))


def test_fcd_frame() -> None:
    data = encode_fcd(7, b"\xaa" * 64)
    frame = T30Frame.decode(data)
    assert frame.fcf is Fcf.FCD and data[:4] == b"\xff\x03\x06\x07"
    assert decode_fcd(frame.fif) == (7, b"\xaa" * 64)
    with pytest.raises(FrameError, match="256"):
        encode_fcd(256, b"x")
    with pytest.raises(FrameError):
        decode_fcd(b"\x07")
