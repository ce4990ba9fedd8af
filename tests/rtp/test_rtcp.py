"""RTCP packets (RFC 3550 §6.4-§6.6), compound validity (A.2) and the interval (§6.3.1, A.7)."""

from __future__ import annotations

import math
import random
import struct

import pytest

from pycti.rtp.packet import RtpError
from pycti.rtp.rtcp import (
    NTP_UNIX_OFFSET_S,
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpUnknown,
    SdesChunk,
    SenderReport,
    SourceDescription,
    build_compound,
    build_rtcp,
    ntp_middle32,
    ntp_timestamp,
    parse_compound,
    rtcp_interval,
    update_avg_rtcp_size,
)

BLOCK = ReportBlock(0x11223344, 25, -3, 0x0001_0005, 77, 0xAABBCCDD, 65536 * 2)


def test_receiver_report_bytes_follow_the_rfc_layout():
    data = build_rtcp(ReceiverReport(0xCAFEBABE, (BLOCK,)))
    assert data[:4] == bytes([0x81, 201, 0, 7])  # V=2 RC=1, PT=201, length 7 words - 1
    assert struct.unpack_from("!II", data, 4) == (0xCAFEBABE, 0x11223344)
    assert data[12] == 25 and data[13:16] == b"\xff\xff\xfd"  # fraction, 24-bit -3
    assert struct.unpack_from("!IIII", data, 16) == (0x10005, 77, 0xAABBCCDD, 131072)


def test_compound_round_trip_sr_sdes_bye():
    sr = SenderReport(1, ntp_timestamp(NTP_UNIX_OFFSET_S + 1.5), 160_000, 50, 8000, (BLOCK,))
    sdes = SourceDescription((SdesChunk(1, ((1, "pycti@192.0.2.1"), (6, "pycti"))), SdesChunk(2, ((1, "x"),))))
    bye = Bye((1, 2), "hangup")
    data = build_compound([sr, sdes, bye])
    assert len(data) % 4 == 0
    got = parse_compound(data)
    assert got == [sr, sdes, bye]
    assert got[1].chunks[0].cname == "pycti@192.0.2.1"
    assert sr.ntp >> 32 == NTP_UNIX_OFFSET_S + 1 and sr.ntp & 0xFFFFFFFF == 1 << 31


def test_sdes_item_lengths_put_every_chunk_on_a_word_boundary():
    for n in range(0, 9):  # item lengths around each padding case
        chunk = SdesChunk(9, ((1, "c" * n),))
        data = build_rtcp(SourceDescription((chunk, chunk)))
        assert len(data) % 4 == 0
        rr = build_rtcp(ReceiverReport(9))
        assert parse_compound(rr + data)[1] == SourceDescription((chunk, chunk))


def test_unknown_packet_types_are_kept():
    app = RtcpUnknown(204, 1, b"\x00\x00\x00\x09name1234")
    got = parse_compound(build_rtcp(ReceiverReport(5)) + build_rtcp(app))
    assert got[1] == app


def test_ntp_middle_bits_for_lsr():
    ntp = (0x12345678 << 32) | 0x9ABCDEF0
    assert ntp_middle32(ntp) == 0x56789ABC


@pytest.mark.parametrize(("data", "needle"), [
    (build_rtcp(SourceDescription((SdesChunk(1, ((1, "a"),)),))), "starts with packet type 202"),
    (bytes([0x40, 201, 0, 1]) + bytes(4), "version 1"),
    (bytes([0x80, 201, 0, 5]) + bytes(4), "claims 24 octets"),
    (bytes([0x81, 201, 0, 1]) + bytes(4), "RR with 1 report blocks"),
    (bytes([0xA0, 201, 0, 1]) + bytes(4) + build_rtcp(Bye((1,))), "not the last"),
    (build_rtcp(ReceiverReport(1)) + b"\x80", "stray octets"),
])
def test_invalid_compounds_are_refused(data: bytes, needle: str):
    with pytest.raises(RtpError, match=needle):
        parse_compound(data)


def test_build_refuses_a_compound_not_starting_with_a_report():
    with pytest.raises(RtpError, match="SR or RR"):
        build_compound([Bye((1,))])
    with pytest.raises(RtpError, match="cumulative 8388608"):
        build_rtcp(ReceiverReport(1, (ReportBlock(1, 0, 0x800000, 0, 0),)))


def test_interval_two_party_call_uses_the_minimum():
    rng = random.Random(7)
    bw = 0.05 * 64000 / 8  # 5 % of a 64 kbit/s session, octets/s
    draws = [rtcp_interval(members=2, senders=2, rtcp_bw_octets_s=bw, we_sent=True, avg_rtcp_size_octets=100,
                           initial=False, rng=rng) for _ in range(2000)]
    lo, hi = 0.5 * 5 / (math.e - 1.5), 1.5 * 5 / (math.e - 1.5)
    assert lo <= min(draws) and max(draws) < hi
    assert sum(draws) / len(draws) == pytest.approx(5 / (math.e - 1.5), rel=0.03)
    first = rtcp_interval(members=2, senders=2, rtcp_bw_octets_s=bw, we_sent=True, avg_rtcp_size_octets=100,
                          initial=True, rng=random.Random(1))
    again = rtcp_interval(members=2, senders=2, rtcp_bw_octets_s=bw, we_sent=True, avg_rtcp_size_octets=100,
                          initial=True, rng=random.Random(1))
    assert first == again and first < 1.5 * 2.5 / (math.e - 1.5)  # halved minimum at start


def test_interval_large_session_splits_bandwidth_between_senders_and_receivers():
    rng = random.Random(3)
    kw = dict(members=1000, senders=1, rtcp_bw_octets_s=400.0, avg_rtcp_size_octets=100.0, initial=False)
    u = random.Random(3).random() + 0.5
    receiver = rtcp_interval(we_sent=False, rng=rng, **kw)  # 999 receivers share 75 %
    assert receiver == pytest.approx(100 * 999 / 300 * u / (math.e - 1.5))
    sender = rtcp_interval(we_sent=True, rng=random.Random(3), **kw)  # the one sender has 25 %
    assert sender == pytest.approx(max(100 * 1 / 100, 5.0) * u / (math.e - 1.5))


def test_average_size_update():
    assert update_avg_rtcp_size(100.0, 260) == pytest.approx(110.0)


def test_compound_report_from_the_streams():
    from pycti.rtp.stream import ReceiveStream, SendStream, rtcp_bye, rtcp_report

    tx = SendStream(ssrc=0x1111, sequence=0, timestamp=0)
    peer = SendStream(ssrc=0x2222, sequence=500, timestamp=0)
    rx = ReceiveStream()
    for k in range(20):
        tx.send_codes(b"\xff" * 160)
        if k != 7:  # one of the peer's packets is lost
            rx.receive(peer.send_codes(b"\xff" * 160)[0], ("192.0.2.9", 4000), 0.02 * k)
        else:
            peer.send_codes(b"\xff" * 160)
    sr, sdes = parse_compound(rtcp_report(tx, rx, cname="pycti@192.0.2.1", ntp_s=NTP_UNIX_OFFSET_S + 10.0,
                                          now_s=0.5, sent_since_last=True))
    assert isinstance(sr, SenderReport) and (sr.ssrc, sr.packet_count, sr.octet_count, sr.rtp_timestamp) == (0x1111, 20, 3200, 3200)
    (block,) = sr.reports
    assert (block.ssrc, block.cumulative_lost, block.highest_sequence) == (0x2222, 1, 519)
    assert sdes.chunks[0].cname == "pycti@192.0.2.1"
    rr, _, bye = parse_compound(rtcp_bye(tx, rx, cname="pycti@192.0.2.1", now_s=0.6, reason="bye"))
    assert isinstance(rr, ReceiverReport) and bye == Bye((0x1111,), "bye")
    rr2, _ = parse_compound(rtcp_report(tx, None, cname="c", ntp_s=0.0, now_s=0.0, sent_since_last=False))
    assert rr2 == ReceiverReport(0x1111, ())


def test_scheduler_runs_the_timer_with_reconsideration():
    from pycti.rtp.rtcp import RtcpScheduler

    sched = RtcpScheduler(session_bw_bps=64000, now_s=100.0, rng=random.Random(8))
    comp = math.e - 1.5
    assert 100.0 + 0.5 * 2.5 / comp <= sched.next_s < 100.0 + 1.5 * 2.5 / comp  # halved minimum at start
    sends = []
    now = sched.next_s
    for _ in range(200):  # drive the timer for a two-party call where both send
        if sched.expire(now, members=2, senders=2, we_sent=True):
            sched.sent(now, 120, members=2, senders=2, we_sent=True)
            sends.append(now)
        now = sched.next_s
    gaps = [b - a for a, b in zip(sends, sends[1:])]
    assert len(sends) > 20 and min(gaps) >= 0.5 * 5 / comp - 1e-9 and max(gaps) < 1.5 * 5 / comp
    assert sched.avg_rtcp_size_octets == pytest.approx(120, abs=1.0)  # the average converged
    again = RtcpScheduler(session_bw_bps=64000, now_s=100.0, rng=random.Random(8))
    assert again.next_s == RtcpScheduler(session_bw_bps=64000, now_s=100.0, rng=random.Random(8)).next_s
