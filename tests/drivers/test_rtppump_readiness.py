"""The pump reads only the sockets the kernel reports readable (epoll on Linux): packets on a
few of many channels are all read, in channel order, and nothing else is touched; a channel
closed and opened again (its fd number reused, a duplicate of the old fd still open) reads its
own packets, never the old socket's."""

from __future__ import annotations

import os
import random
import socket
import time

from pycti.drivers.rtppump import RtpPump, SideKind
from pycti.rtp.packet import RtpPacket, build_rtp

N = 200


def rtp(ssrc: int, seq: int, pt: int = 99) -> bytes:
    """A packet of a payload type nobody negotiated: the pump copies it to its side queue,
    where its channel is seen."""
    return build_rtp(RtpPacket(payload_type=pt, sequence=seq, timestamp=seq * 160, ssrc=ssrc,
                               payload=bytes(4)))


def read_all(pump: RtpPump, expected: int) -> int:
    got = 0
    for _ in range(200):
        got += pump.receive()
        if got >= expected:
            return got
        time.sleep(0.001)
    return got


def test_packets_on_a_few_of_many_channels_are_all_read_in_channel_order() -> None:
    with RtpPump(N) as pump, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        ports = [pump.open(ch) for ch in range(N)]
        busy = sorted(random.Random(3).sample(range(N), 17))
        for ch in reversed(busy):  # sent in the opposite order to the pump's channel order
            for seq in range(3):
                peer.sendto(rtp(0x1000 + ch, seq), ("127.0.0.1", ports[ch]))
        assert read_all(pump, 3 * len(busy)) == 3 * len(busy)
        side = pump.side_packets()
        assert [p.channel for p in side] == [ch for ch in busy for _ in range(3)]
        assert {p.kind for p in side} == {SideKind.UNKNOWN_PT}
        assert [ch for ch in range(N) if pump.stats().unknown_pt[ch]] == busy
        assert pump.receive() == 0  # nothing left, nothing read twice


def test_a_reopened_channel_reads_its_new_socket_not_a_duplicate_of_the_old_one() -> None:
    with RtpPump(4) as pump, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        old_port = pump.open(1)
        dup = os.dup(pump.fileno(1))  # the old socket stays alive through this duplicate
        try:
            pump.close(1)
            new_port = pump.open(1)
            peer.sendto(rtp(0x2222, 0), ("127.0.0.1", new_port))
            assert read_all(pump, 1) == 1
            assert [p.channel for p in pump.side_packets()] == [1]
            if new_port != old_port:  # a packet for the old socket is not the pump's any more
                peer.sendto(rtp(0x3333, 0), ("127.0.0.1", old_port))
                time.sleep(0.01)
                assert pump.receive() == 0
                assert os.read(dup, 2048)  # still waiting on the old socket, untouched
        finally:
            os.close(dup)
