"""What the pump leaves to Python reaches its side queue: RFC 4733 events (decoded here by
pycti.rtp.telephone_event into the digit pressed), RTCP (parsed by pycti.rtp.rtcp), payload
types not negotiated, an SSRC change (the stream restarts on the new source), a new source
address (symmetric-RTP latching), foreign packets on a strict channel; the queue is bounded."""

from __future__ import annotations

import random
import socket
import time

import numpy as np

from pycti.drivers.rtppump import RtpPump, RtpPumpConfig, SideKind, SidePacket
from pycti.rtp.packet import RtpPacket, build_rtp, parse_rtp
from pycti.rtp.rtcp import ReceiverReport, ReportBlock, SdesChunk, SourceDescription, build_compound, parse_compound
from pycti.rtp.telephone_event import TelephoneEventReceiver, TelephoneEventSender

TE_PT = 101
SILENT = np.zeros((1, 160), dtype=np.int16)


def linked(rng: random.Random, config: RtpPumpConfig | None = None) -> tuple[RtpPump, RtpPump]:
    a, b = RtpPump(1, config), RtpPump(1, config)
    pa, pb = a.open(0), b.open(0)
    a.set_remote(0, ("127.0.0.1", pb))
    b.set_remote(0, ("127.0.0.1", pa))
    a.randomize_send(0, rng)
    b.set_payload_types(0, telephone_event=TE_PT)
    return a, b


def wait_for(pump: RtpPump, count: int) -> None:
    got = 0
    for _ in range(200):
        got += pump.receive()
        if got >= count:
            return
        time.sleep(0.001)
    raise AssertionError(f"{got} of {count} datagrams arrived")


def kinds(side: list[SidePacket]) -> list[SideKind]:
    return [p.kind for p in side]


def test_rfc4733_digit_goes_through_the_side_queue_in_the_audio_sequence_space() -> None:
    a, b = linked(random.Random(11))
    sender, receiver = TelephoneEventSender(), TelephoneEventReceiver()
    digits = []
    with a, b:
        sender.press("7", 100, -12)
        for k in range(30):
            ts = a.send_state(0).timestamp
            events = sender.tick(ts) if not sender.idle else []
            for ev in events:
                a.send_rtp(0, TE_PT, ev.payload, ev.timestamp, ev.marker)
            covered = sender.covering
            a.send(SILENT, np.array([not covered]))
            wait_for(b, len(events) + (not covered))
            b.tick()
            for p in b.side_packets():
                if p.kind is SideKind.EVENT:
                    pkt = parse_rtp(p.data)
                    digits += receiver.receive(pkt.timestamp, pkt.marker, pkt.payload, k * 0.02)
        s = b.stats()
    assert [(d.digit, d.ended_by, d.volume_dbm0) for d in digits] == [("7", "end", -12)]
    assert digits[0].duration_ms == 100
    assert s.event[0] >= 6  # start, updates, three end packets
    assert s.lost[0] == 0 and s.invalid_sequence[0] == 0  # events and audio share one sequence


def test_rtcp_and_unknown_payload_types_reach_the_side_queue_unplayed() -> None:
    a, b = linked(random.Random(12))
    with a, b:
        ssrc = a.send_state(0).ssrc
        rtcp = build_compound([ReceiverReport(ssrc, (ReportBlock(77, 3, 5, 1000, 20, 0, 0),)),
                               SourceDescription((SdesChunk(ssrc, ((1, "pump@127.0.0.1"),)),))])
        a.send_raw(0, rtcp)
        a.send_rtp(0, 13, b"\x40", a.send_state(0).timestamp)  # comfort noise, not negotiated
        wait_for(b, 2)
        side = b.side_packets()
        s = b.stats()
    rtcp_side = [p for p in side if p.kind is SideKind.RTCP]
    assert len(rtcp_side) == 1 and rtcp_side[0].data == rtcp
    assert parse_compound(rtcp_side[0].data)[0] == ReceiverReport(ssrc, (ReportBlock(77, 3, 5, 1000, 20, 0, 0),))
    assert [parse_rtp(p.data).payload_type for p in side if p.kind is SideKind.UNKNOWN_PT] == [13]
    assert s.rtcp[0] == 1 and s.unknown_pt[0] == 1 and s.audio[0] == 0


def test_ssrc_change_restarts_the_stream_and_is_reported() -> None:
    rng = random.Random(13)
    a, b = linked(rng)
    with a, b:
        first = a.send_state(0)
        for _ in range(5):
            a.send(SILENT)
            wait_for(b, 1)
            b.tick()
        a.set_send(0, ssrc=first.ssrc ^ 0x5A5A5A5A, sequence=100, timestamp=12345)
        for _ in range(5):
            a.send(SILENT)
            wait_for(b, 1)
            b.tick()
        side = b.side_packets()
        s = b.stats()
    new = [parse_rtp(p.data) for p in side if p.kind is SideKind.NEW_SOURCE]
    assert [p.ssrc for p in new] == [first.ssrc, first.ssrc ^ 0x5A5A5A5A]
    assert new[1].sequence == 100
    assert s.new_sources[0] == 2 and s.ssrc[0] == first.ssrc ^ 0x5A5A5A5A
    assert s.received[0] == 5 and s.base_sequence[0] == 100 and s.extended_max[0] == 104
    assert s.lost[0] == 0


def test_new_source_address_is_reported_and_strict_channels_reject_foreign_packets() -> None:
    rng = random.Random(14)
    a, b = linked(rng)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with a, b, other:
        other.bind(("127.0.0.1", 0))
        other_address, a_address = other.getsockname(), ("127.0.0.1", a.local_port(0))
        st = a.send_state(0)
        a.send(SILENT)
        wait_for(b, 1)
        pkt = build_rtp(RtpPacket(0, (st.sequence + 1) & 0xFFFF, st.timestamp + 160, st.ssrc, bytes(160)))
        other.sendto(pkt, ("127.0.0.1", b.local_port(0)))
        wait_for(b, 1)
        moved = b.side_packets()
        b.set_strict(0, True)
        for i in (2, 3):
            pkt = build_rtp(RtpPacket(0, (st.sequence + i) & 0xFFFF, st.timestamp + 160 * i, st.ssrc, bytes(160)))
            other.sendto(pkt, ("127.0.0.1", b.local_port(0)))
        wait_for(b, 2)
        rejected = b.side_packets()
        s = b.stats()
    addresses = [p.source for p in moved if p.kind is SideKind.SOURCE_ADDRESS]
    assert addresses == [a_address, other_address]
    assert kinds(rejected) == [SideKind.REJECTED]  # reported once per foreign address
    assert rejected[0].source == other_address
    assert s.rejected[0] == 2


def test_a_full_side_queue_drops_and_counts_the_excess() -> None:
    a, b = linked(random.Random(15), RtpPumpConfig(side_capacity=3))
    with a, b:
        for i in range(7):
            a.send_raw(0, bytes([0x80, 201, 0, 1]) + i.to_bytes(4, "big"))
        wait_for(b, 7)
        side = b.side_packets()
        assert b.stats().side_dropped[0] == 4
    assert [p.data[-1] for p in side] == [0, 1, 2]  # the oldest are kept, in order
