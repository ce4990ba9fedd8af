"""Tests of caller ID messages (pycti.dsp.callerid): SDMF/MDMF framing, checksum, validation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp.callerid import (
    CallerId,
    CallerIdError,
    checksum,
    decode_message,
    encode_mdmf,
    encode_sdmf,
)
from pycti.errors import PyctiError

# Example messages as published for US caller ID (GR-30-CORE format; e.g. the melabs.com
# "Caller ID" page): an SDMF message, an SDMF with a private number, an MDMF with name first.
# The first one's checksum is right; the other two's published checksum bytes do not satisfy
# the rule (the sums come to 0xF2 + 0x12 and 0x100 - 0x84 + 0x7D), so they serve as checksum
# failures, and with the checksum recomputed as content vectors.
SDMF_EXAMPLE = bytes.fromhex("04 12 30 39 33 30 31 32 32 34 36 30 39 35 35 35 31 32 31 32 51")
SDMF_PRIVATE_EXAMPLE = bytes.fromhex("04 09 30 39 33 30 31 32 32 34 50 12")
MDMF_EXAMPLE = bytes.fromhex(
    "80 20 01 08 30 33 32 34 30 39 30 32 07 08 4A 4F 48 4E 20 44 4F 45 02 0A 38 30 30 35 35 35 31 32 31 32 7D"
)


def _framed(body: bytes) -> bytes:
    return body + bytes([checksum(body)])


def test_published_sdmf_example() -> None:
    cid = decode_message(SDMF_EXAMPLE)
    assert cid == CallerId(number="6095551212", month=9, day=30, hour=12, minute=24)
    assert encode_sdmf(cid) == SDMF_EXAMPLE
    assert checksum(SDMF_EXAMPLE[:-1]) == 0x51


@pytest.mark.parametrize("published", [SDMF_PRIVATE_EXAMPLE, MDMF_EXAMPLE])
def test_published_examples_with_wrong_checksums_are_rejected(published: bytes) -> None:
    with pytest.raises(CallerIdError, match="checksum mismatch"):
        decode_message(published)


def test_published_sdmf_private_example() -> None:
    message = _framed(SDMF_PRIVATE_EXAMPLE[:-1])
    cid = decode_message(message)
    assert cid == CallerId(number_absence="private", month=9, day=30, hour=12, minute=24)
    assert encode_sdmf(cid) == message


def test_published_mdmf_example_decodes_whatever_the_parameter_order() -> None:
    cid = decode_message(_framed(MDMF_EXAMPLE[:-1]))
    assert cid == CallerId(number="8005551212", name="JOHN DOE", month=3, day=24, hour=9, minute=2)
    # Our encoder puts the number before the name: same content and length.
    ours = encode_mdmf(cid)
    assert len(ours) == len(MDMF_EXAMPLE) and decode_message(ours) == cid


def test_checksum_makes_the_message_sum_to_zero() -> None:
    assert sum(encode_mdmf(CallerId(number="1", name="N"))) % 256 == 0
    assert checksum(b"") == 0
    assert checksum(b"\x01\xff") == 0 and checksum(b"\x01") == 0xFF


_digits = st.text(alphabet="0123456789", min_size=1, max_size=20)
_name = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)
_absence = st.sampled_from(["unavailable", "private"])
_date = st.tuples(st.integers(1, 12), st.integers(1, 31), st.integers(0, 23), st.integers(0, 59))


@st.composite
def caller_ids(draw, *, with_name: bool = True, need_date: bool = False) -> CallerId:
    date = draw(_date if need_date else st.none() | _date)
    number_kind = draw(st.sampled_from(["number", "absence", "none"]))
    fields: dict = {}
    if date is not None:
        fields.update(month=date[0], day=date[1], hour=date[2], minute=date[3])
    if number_kind == "number" or (need_date and number_kind == "none"):
        fields["number"] = draw(_digits)
    elif number_kind == "absence":
        fields["number_absence"] = draw(_absence)
    if with_name:
        name_kind = draw(st.sampled_from(["name", "absence", "none"]))
        if name_kind == "name":
            fields["name"] = draw(_name)
        elif name_kind == "absence":
            fields["name_absence"] = draw(_absence)
    return CallerId(**fields)


@settings(deadline=None, max_examples=150)
@given(cid=caller_ids())
def test_mdmf_round_trip(cid: CallerId) -> None:
    message = encode_mdmf(cid)
    assert message[0] == 0x80 and message[1] == len(message) - 3
    assert sum(message) % 256 == 0
    assert decode_message(message) == cid


@settings(deadline=None, max_examples=100)
@given(cid=caller_ids(with_name=False, need_date=True))
def test_sdmf_round_trip(cid: CallerId) -> None:
    message = encode_sdmf(cid)
    assert message[0] == 0x04 and message[2:10] == cid.date_digits().encode()
    assert decode_message(message) == cid


def test_mdmf_each_parameter_type_on_the_wire() -> None:
    cid = CallerId(number_absence="unavailable", name_absence="private", month=12, day=31, hour=23, minute=59)
    message = encode_mdmf(cid)
    assert message[2:] == b"\x01\x0812312359" + b"\x04\x01O" + b"\x08\x01P" + bytes([message[-1]])
    assert decode_message(message) == cid
    named = encode_mdmf(CallerId(number="5551234", name="Ærø Café"))
    assert b"\x02\x075551234" in named and b"\x07\x08" + "Ærø Café".encode("latin-1") in named
    assert decode_message(named).name == "Ærø Café"


def test_mdmf_skips_unknown_parameters() -> None:
    body = b"\x80\x0c" + b"\x03\x045678" + b"\x02\x041234"  # 0x03 called number: not ours
    assert decode_message(body + bytes([checksum(body)])) == CallerId(number="1234")


@pytest.mark.parametrize(
    "message,fragment",
    [
        (b"\x04\x01", "too short"),
        (SDMF_EXAMPLE[:-2] + SDMF_EXAMPLE[-1:], "length byte"),
        (SDMF_EXAMPLE[:-1] + b"\x52", "checksum"),
        (bytes([SDMF_EXAMPLE[0], SDMF_EXAMPLE[1], SDMF_EXAMPLE[2] ^ 0x01]) + SDMF_EXAMPLE[3:], "checksum"),
        (b"\x06\x03\x42\x42\x42" + bytes([checksum(b"\x06\x03\x42\x42\x42")]), "unsupported message type 0x06"),
    ],
)
def test_decode_rejects_broken_frames(message: bytes, fragment: str) -> None:
    with pytest.raises(CallerIdError, match=fragment):
        decode_message(message)


@pytest.mark.parametrize(
    "body,fragment",
    [
        (b"\x04\x0812241200", "no number"),
        (b"\x04\x0a1324120012", "month"),
        (b"\x04\x0a12x4120012", "8 ASCII digits"),
        (b"\x04\x0a12241200\xff1", "not ASCII"),
        (b"\x04\x0a1224120012"[:2] + b"12241200A1", "digits"),
        (b"\x80\x03\x02\x05\x31", "claims 5 bytes"),
        (b"\x80\x01\x02", "truncated"),
        (b"\x80\x06\x02\x011\x02\x012", "appears twice"),
        (b"\x80\x03\x04\x01X", "'O' or 'P'"),
        (b"\x80\x03\x08\x01Q", "'O' or 'P'"),
        (b"\x80\x06\x02\x011\x04\x01O", "mutually exclusive"),
        (b"\x80\x03\x07\x01\x07", "printable"),
    ],
)
def test_decode_rejects_bad_content(body: bytes, fragment: str) -> None:
    with pytest.raises(CallerIdError, match=fragment):
        decode_message(_framed(body))


def test_caller_id_error_is_a_pycti_value_error() -> None:
    assert issubclass(CallerIdError, PyctiError) and issubclass(CallerIdError, ValueError)


@pytest.mark.parametrize(
    "fields",
    [
        {"number": "12a"},
        {"number": ""},
        {"number_absence": "blocked"},
        {"name": "bell\x07"},
        {"month": 1, "day": 2},
        {"month": 0, "day": 1, "hour": 1, "minute": 1},
        {"month": 1, "day": 1, "hour": 24, "minute": 1},
        {"name": "A", "name_absence": "private"},
    ],
)
def test_caller_id_validates_its_fields(fields: dict) -> None:
    with pytest.raises(CallerIdError):
        CallerId(**fields)


def test_encoders_refuse_what_the_format_cannot_carry() -> None:
    with pytest.raises(CallerIdError, match="name"):
        encode_sdmf(CallerId(number="1", name="X", month=1, day=1, hour=0, minute=0))
    with pytest.raises(CallerIdError, match="date"):
        encode_sdmf(CallerId(number="1"))
    with pytest.raises(CallerIdError, match="number or a reason"):
        encode_sdmf(CallerId(month=1, day=1, hour=0, minute=0))
    with pytest.raises(CallerIdError, match="exceeds 255"):
        encode_mdmf(CallerId(number="1" * 200, name="x" * 100))
