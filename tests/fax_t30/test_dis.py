"""DIS/DTC/DCS fields (Table 2/T.30), rate fall-back, CTC, and the ECM block helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycti.fax.t30_dis import (
    DcsFields,
    DisFields,
    DisModems,
    ModemRate,
    RecordingLength,
    RecordingWidth,
    decode_ctc,
    encode_ctc,
    fallback_rate,
)
from pycti.fax.t30_ecm import EcmBlockReceiver, EcmPageSender
from pycti.fax.t30_frames import Fcf, FrameError, T30Frame
from pycti.fax.t4_types import Coding, Resolution


def test_dis_vector_assembled_from_table_2() -> None:
    # Octet 1: bits 1-8 clear.  Octet 2: bit 10 receive (0x02), bits 11-14 = 1,1,0,1
    # (V.27ter+V.29+V.17: 0x04 0x08 0x20), bit 15 fine (0x40), bit 16 MR (0x80) -> 0xEE.
    # Octet 3: width 00, length 0,1 (bit 20: 0x08), scan 1,1,1 = 0 ms (0x70), extend -> 0xF8.
    # Octet 4: bit 27 ECM (0x04), bit 31 T.6 (0x40) -> 0x44, no extend.
    dis = DisFields(modems=DisModems.V27TER_V29_V17, fine=True, mr=True, ecm=True, t6=True,
                    length=RecordingLength.UNLIMITED, min_scan_line_time_ms=0)
    assert dis.encode() == bytes((0x00, 0xEE, 0xF8, 0x44))
    assert DisFields.decode(dis.encode()) == dis


def test_dcs_vector_assembled_from_table_2() -> None:
    # V.29 9600 = bits 11-14 1,0,0,0 (0x04) + bit 10 (0x02) + fine (0x40); MH, A4, 20 ms (000).
    dcs = DcsFields(rate=ModemRate.V29_9600, resolution=Resolution.FINE, coding=Coding.MH)
    assert dcs.encode() == bytes((0x00, 0x46, 0x00))
    assert DcsFields.decode(dcs.encode()) == dcs


def test_dcs_rate_codes_of_table_2() -> None:
    assert {r.name: r.dcs_code for r in ModemRate} == {
        "V17_14400": "0001", "V17_12000": "0101", "V17_9600": "1001", "V17_7200": "1101",
        "V29_9600": "1000", "V29_7200": "1100", "V27TER_4800": "0100", "V27TER_2400": "0000"}


dis_fields = st.builds(
    DisFields, modems=st.sampled_from(DisModems), fine=st.booleans(), mr=st.booleans(),
    t6=st.booleans(), ecm=st.booleans(), ready_to_transmit=st.booleans(),
    width=st.sampled_from(RecordingWidth), length=st.sampled_from(RecordingLength),
    min_scan_line_time_ms=st.sampled_from([0, 5, 10, 20, 40]),
    extra_bits=st.frozensets(st.sampled_from([1, 3, 33, 34, 47, 49, 50])))


@given(dis_fields)
def test_dis_round_trips(dis: DisFields) -> None:
    assert DisFields.decode(dis.encode()) == dis


@given(st.builds(DcsFields, rate=st.sampled_from(ModemRate),
                 resolution=st.sampled_from(Resolution), coding=st.sampled_from([Coding.MH, Coding.MR]),
                 ecm=st.booleans(), ecm_frame_octets=st.sampled_from([64, 256]),
                 width=st.sampled_from(RecordingWidth), length=st.sampled_from(RecordingLength),
                 min_scan_line_time_ms=st.sampled_from([0, 5, 10, 20, 40])))
def test_dcs_round_trips(dcs: DcsFields) -> None:
    decoded = DcsFields.decode(dcs.encode())
    assert decoded.rate is dcs.rate and decoded.coding is dcs.coding
    assert decoded.min_scan_line_time_ms == dcs.min_scan_line_time_ms
    assert decoded.ecm_frame_octets == (dcs.ecm_frame_octets if dcs.ecm else 256)


def test_halved_scan_time_at_fine() -> None:
    dis = DisFields(min_scan_line_time_ms=20, min_scan_halved_at_fine=True)
    assert dis.encode()[2] & 0x70 == 0x30  # bits 21-23 = 1,1,0
    assert DisFields.decode(dis.encode()).scan_time_ms(Resolution.FINE) == 10
    assert dis.scan_time_ms(Resolution.STANDARD) == 20


@pytest.mark.parametrize("fif,word", [
    (b"\x00\x36\x00", "1011"),  # DIS rate bits 11-14 = 1,0,1,1: reserved
    (b"\x00\x00", "at least 3"),
])
def test_bad_dis(fif: bytes, word: str) -> None:
    with pytest.raises(FrameError, match=word):
        DisFields.decode(fif)


@pytest.mark.parametrize("fif,word", [
    (b"\x00\x3e\x00", "1111"),  # reserved rate
    (b"\x00\x06\x03", "width"),  # bits 17-18 = 1,1
    (b"\x00\x06\x30", "scan"),  # bits 21-23 = 1,1,0: halving is a DIS-only code
    (b"\x00\x06\x80\x80\x80\x01", "R8x15.4"),  # bit 41, three extend bits
])
def test_bad_dcs(fif: bytes, word: str) -> None:
    with pytest.raises(FrameError, match=word):
        DcsFields.decode(fif)


def test_dcs_refuses_what_t30_forbids() -> None:
    with pytest.raises(FrameError, match="ECM"):
        DcsFields(rate=ModemRate.V17_14400, coding=Coding.MMR, ecm=False)
    with pytest.raises(FrameError, match="128"):
        DcsFields(rate=ModemRate.V17_14400, ecm=True, ecm_frame_octets=128)


def test_fallback_chain() -> None:
    allowed = DisModems.V27TER_V29_V17.rates
    chain = [ModemRate.V17_14400]
    while (nxt := fallback_rate(chain[-1], allowed)) is not None:
        chain.append(nxt)
    assert [(r.modem.value, r.rate_bps) for r in chain] == [
        ("V.17", 14400), ("V.17", 12000), ("V.17", 9600), ("V.17", 7200),
        ("V.27ter", 4800), ("V.27ter", 2400)]
    v29 = DisModems.V27TER_V29.rates
    assert fallback_rate(ModemRate.V29_9600, v29) is ModemRate.V29_7200


def test_ctc_carries_the_rate_in_dcs_bits_11_to_14() -> None:
    assert encode_ctc(ModemRate.V17_12000) == bytes((0x00, 0x28))  # bits 12 (0x08), 14 (0x20)
    for rate in ModemRate:
        assert decode_ctc(encode_ctc(rate)) is rate
    with pytest.raises(FrameError):
        decode_ctc(b"\x00")


def test_ecm_sender_cuts_pages_into_blocks_of_256_frames() -> None:
    data = bytes(range(256)) * 65 + b"tail"  # 16644 octets: 261 frames of 64
    tx = EcmPageSender.from_page(data, 64)
    assert [len(b) for b in tx.blocks] == [256, 5]
    assert tx.frame_count == 256 and not tx.last_block
    frames = tx.frames(frozenset({3, 300}))
    assert [T30Frame.decode(f).fcf for f in frames] == [Fcf.FCD, Fcf.RCP, Fcf.RCP, Fcf.RCP]
    tx.block = 1
    assert tx.last_block and tx.blocks[1][-1] == b"tail"
    with pytest.raises(FrameError):
        EcmPageSender.from_page(b"", 64)


def test_ecm_receiver_finds_missing_frames_and_reassembles() -> None:
    tx = EcmPageSender.from_page(bytes(range(200)), 64)
    rx = EcmBlockReceiver()
    for i, f in enumerate(tx.frames()):
        if i != 1:
            rx.add(T30Frame.decode(f))
    assert rx.rcp_seen and rx.missing(4) == {1}
    with pytest.raises(FrameError, match=r"\[1\]"):
        rx.data(4)
    rx.add(T30Frame.decode(tx.frames(frozenset({1}))[0]))
    assert rx.data(4) == bytes(range(200))
