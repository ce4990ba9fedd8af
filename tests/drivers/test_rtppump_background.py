"""The pump's background send (its own C thread): frames leave in tick order with consecutive
sequence numbers and timestamps, exactly as a plain send would send them; channels opened,
re-addressed and closed while a send runs are safe and take effect; freeing the pump with a
send under way waits for it."""

from __future__ import annotations

import random
import socket
import time

import numpy as np

from pycti.drivers.rtppump import RtpPump
from pycti.rtp.packet import parse_rtp

N = 300
TICKS = 20


def sink() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2.0)
    return s


def collect(s: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """(source port, datagram) of ``count`` datagrams."""
    out = []
    while len(out) < count:
        data, addr = s.recvfrom(2048)
        out.append((addr[1], data))
    return out


def frames_for(tick: int) -> np.ndarray:
    """A different constant level per tick and channel, so a frame says where it came from."""
    return np.full((N, 160), 0, dtype=np.int16) + np.arange(N, dtype=np.int16)[:, None] * 10 + tick * 100


def test_background_sends_equal_plain_sends_packet_for_packet() -> None:
    results = []
    for background in (False, True):
        with RtpPump(N) as pump, sink() as peer:
            rng = random.Random(5)
            port_of = {}
            for ch in range(N):
                port_of[pump.open(ch)] = ch
                pump.set_remote(ch, peer.getsockname())
                pump.randomize_send(ch, rng)
            for tick in range(TICKS):
                pump.exchange(frames_for(tick), background=background)
            assert pump.send_wait() == (N if background else 0)  # the last background job's packets
            got = collect(peer, N * TICKS)
            per_channel: dict[int, list[bytes]] = {}
            for src, data in got:
                per_channel.setdefault(port_of[src], []).append(data)
            results.append({ch: [(p.sequence, p.timestamp, p.ssrc, p.payload) for p in map(parse_rtp, pkts)]
                            for ch, pkts in per_channel.items()})
            assert int(pump.stats().packets_sent.sum()) == N * TICKS
    plain, background_run = results
    assert background_run == plain
    for ch, pkts in background_run.items():  # tick order: sequence and timestamp step by one frame
        seqs = [(s - pkts[0][0]) & 0xFFFF for s, _, _, _ in pkts]
        stamps = [(t - pkts[0][1]) & 0xFFFFFFFF for _, t, _, _ in pkts]
        assert seqs == list(range(TICKS)) and stamps == [160 * k for k in range(TICKS)], ch


def test_channels_change_while_a_send_runs() -> None:
    with RtpPump(N) as pump, sink() as first, sink() as second:
        for ch in range(N):
            pump.open(ch)
            pump.set_remote(ch, first.getsockname())
            pump.randomize_send(ch, random.Random(ch))
        frames = frames_for(1)
        for tick in range(TICKS):
            pump.exchange(frames, background=True)
            # what the SIP side does meanwhile: a call ends, a new one starts, one moves
            pump.close(tick)
            pump.open(tick)
            pump.set_remote(tick, second.getsockname())
            pump.randomize_send(tick, random.Random(1000 + tick))
            assert pump.is_open(tick) and pump.stats().packets_sent.shape == (N,)
        pump.send_wait()
        pump.send(frames)  # one more tick, plain: every channel sends once more
        # every re-addressed channel's packets reach the second peer, from its new socket
        second.settimeout(0.2)
        moved = set()
        try:
            while True:
                moved.add(second.recvfrom(2048)[1][1])
        except TimeoutError:
            pass
        assert moved == {pump.local_port(ch) for ch in range(TICKS)}


def test_free_waits_for_the_send_under_way() -> None:
    peer = sink()
    try:
        pump = RtpPump(N)
        for ch in range(N):
            pump.open(ch)
            pump.set_remote(ch, peer.getsockname())
        pump.send_start(frames_for(3))
        pump.free()  # joins the sender after its job: every packet went out
        assert len(collect(peer, N)) == N
        time.sleep(0.05)
        peer.settimeout(0.05)
        try:
            peer.recv(2048)
            raise AssertionError("a packet beyond the one job")
        except TimeoutError:
            pass
    finally:
        peer.close()
