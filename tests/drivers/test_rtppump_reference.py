"""The pump agrees with the pure-Python reference, packet for packet: the same crafted packet
sequence (reordering, duplication, loss, late packets, sequence and timestamp wrap, an SSRC
change, a confirmed sequence restart, RTCP, RFC 4733, comfort noise, malformed headers, CSRC,
extension and padding; 10, 20, 30 and 60 ms packets cut across 20 ms frames) is sent
to a pump channel over a real 127.0.0.1 socket and fed to pycti.rtp.stream.ReceiveStream with a
fixed jitter buffer; both must play the same samples every tick and end with the same RFC 3550
A.1/A.3/A.8 figures and the same per-outcome counts."""

from __future__ import annotations

import random
import socket
import time

import numpy as np
import pytest

from pycti.dsp.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from pycti.drivers.rtppump import PlayedFrame, RtpPump, RtpPumpConfig
from pycti.rtp.jitter import FrameKind, JitterConfig
from pycti.rtp.packet import RtpPacket, build_rtp, parse_rtp
from pycti.rtp.stream import ReceiveStream, RxResult, SendStream

TE_PT = 101
KIND = {FrameKind.AUDIO: PlayedFrame.AUDIO, FrameKind.CONCEALED: PlayedFrame.CONCEALED,
        FrameKind.SILENCE: PlayedFrame.SILENCE}
COUNTS = {RxResult.AUDIO: "audio", RxResult.LATE: "late", RxResult.EVENT: "event",
          RxResult.PROBATION: "probation", RxResult.DUPLICATE: "duplicate",
          RxResult.INVALID_SEQUENCE: "invalid_sequence", RxResult.MALFORMED: "malformed",
          RxResult.UNKNOWN_PT: "unknown_pt", RxResult.RTCP: "rtcp"}


def scenario(seed: int, ticks: int, law: int, ptime_ms: int) -> list[list[bytes]]:
    """Per tick, the datagrams that arrive in it: a SendStream's packets (of ``ptime_ms``,
    with an RFC 4733 key press) through a seeded impaired network."""
    rng = random.Random(seed)
    enc = ulaw_encode if law == 0 else alaw_encode
    n = np.arange(160 * ticks)
    audio = enc(np.round(9000 * np.sin(2 * np.pi * (400 + 50 * seed) * n / 8000)).astype(np.int16))
    # both counters wrap early in the run
    stream = SendStream(ssrc=rng.getrandbits(32), sequence=65536 - 37, timestamp=2**32 - 160 * 50,
                        payload_type=law, ptime_ms=ptime_ms, telephone_event_pt=TE_PT)
    arrive: list[list[bytes]] = [[] for _ in range(ticks + 8)]
    for k in range(ticks):
        if k == ticks // 2:  # the far end changes source: new SSRC, sequence and timestamp bases
            stream = SendStream.create(rng, payload_type=law, ptime_ms=ptime_ms, telephone_event_pt=TE_PT)
        if k == ticks // 3:  # a confirmed jump of 5000 (RFC 3550 A.1 restart)
            stream.sequence = (stream.sequence + 5000) & 0xFFFF
        if k in (40, 200):
            stream.press("5", 100, -10)
        for p in stream.send_codes(bytes(audio[160 * k : 160 * (k + 1)])):
            if rng.random() < 0.1:  # a CSRC, a header extension and padding: parsed past (RFC 3550 5.1, 5.3.1)
                p = build_rtp(parse_rtp(p)._replace(csrcs=(7,), extension=(0xBEDE, bytes(4)), padding=4))
            r = rng.random()
            if r < 0.05:
                continue  # lost
            delay = 0 if r < 0.85 else rng.choice((1, 1, 2, 3, 5))
            arrive[k + delay].append(p)
            if rng.random() < 0.04:
                arrive[k + rng.choice((0, 1))].append(p)  # duplicated
        if rng.random() < 0.1 and len(arrive[k]) > 1:
            arrive[k][-1], arrive[k][-2] = arrive[k][-2], arrive[k][-1]  # reordered
        seq, ts, ssrc = stream.sequence, stream.timestamp, stream.ssrc
        if k % 25 == 7:
            arrive[k].append(bytes([0x81, 200, 0, 6]) + bytes(24))  # an RTCP RR (RFC 3550 6.4.2)
        if k % 31 == 3:
            arrive[k].append(build_rtp(RtpPacket(13, seq, ts, ssrc, b"\x40")))  # comfort noise (RFC 3389)
        if k % 37 == 5:
            arrive[k].append(bytes([0x40, law, 0, 1]) + bytes(8 + 160))  # RTP version 1
            arrive[k].append(bytes([0x8F, law]) + bytes(10 + 16))  # 15 CSRCs in 28 octets
    return arrive[:ticks]


def run_both(law: int, seed: int, ticks: int, ptime_ms: int) -> None:
    cfg = RtpPumpConfig(jitter_depth_ms=40, jitter_max_ms=300, conceal="repeat")
    pump = RtpPump(1, cfg)
    ref = ReceiveStream(telephone_event_pt=TE_PT, jitter=JitterConfig(mode="fixed", depth_ms=40, max_ms=300))
    arrive = scenario(seed, ticks, law, ptime_ms)
    rng = random.Random(seed + 100)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with pump, tx:
        port = pump.open(0)
        pump.set_payload_types(0, telephone_event=TE_PT)
        tx.bind(("127.0.0.1", 0))
        source = tx.getsockname()
        for k, datagrams in enumerate(arrive):
            for d in datagrams:
                arrival = 160 * k + rng.randrange(0, 60)  # 8 kHz units, jittered
                tx.sendto(d, ("127.0.0.1", port))
                for _ in range(200):  # loopback delivers at once; the loop only bounds the wait
                    if pump.receive(arrival_ts=arrival):
                        break
                    time.sleep(0.001)
                else:
                    raise AssertionError(f"tick {k}: a datagram did not arrive")
                ref.receive(d, source, (arrival + 0.5) / 8000)
            out, kinds = pump.tick()
            frame = ref.tick()
            codes = np.frombuffer(frame.codes, dtype=np.uint8)
            want = ulaw_decode(codes) if frame.payload_type == 0 else alaw_decode(codes)
            assert kinds[0] == KIND[frame.kind], f"tick {k}"
            assert np.array_equal(out[0], want), f"tick {k}"
        s = pump.stats()
    assert ref.stats is not None
    assert s.received[0] == ref.stats.received
    assert s.lost[0] == ref.stats.cumulative_lost()
    assert s.extended_max[0] == ref.stats.extended_max
    assert s.jitter[0] == ref.stats.jitter
    assert s.new_sources[0] == ref.new_sources >= 2  # a late packet of the old SSRC switches back, as RFC 3550 8.2 allows
    assert s.ssrc[0] == ref.ssrc
    assert s.concealed[0] == ref.jitter.concealed_frames
    assert s.resync[0] == ref.jitter.resyncs
    for result, name in COUNTS.items():
        assert getattr(s, name)[0] == ref.counts[result], name
    # the scenario reached what it was written to reach
    assert ref.counts[RxResult.LATE] and ref.counts[RxResult.DUPLICATE] and ref.counts[RxResult.EVENT], ref.counts
    assert ref.counts[RxResult.MALFORMED] and ref.counts[RxResult.RTCP] and ref.counts[RxResult.UNKNOWN_PT]
    assert ref.counts[RxResult.INVALID_SEQUENCE] and ref.counts[RxResult.PROBATION]
    assert ref.jitter.concealed_frames > 0


@pytest.mark.parametrize(("law", "seed", "ptime_ms"), [(0, 1, 20), (8, 2, 20), (0, 3, 30), (8, 4, 10), (0, 6, 60)])
def test_pump_plays_and_counts_exactly_what_the_python_reference_does(law: int, seed: int, ptime_ms: int) -> None:
    run_both(law, seed, 300, ptime_ms)


def fuzz_datagrams(seed: int, count: int) -> list[bytes]:
    """Random datagrams around the RTP header's edge cases: any length 0-1500, version 2 or
    not, random CC/X/P bits and lengths, PT 0/8 half the time, sequence numbers near a run."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        n = rng.choice((0, 1, 2, 11, 12, 13, 16, 40, 172, 500, rng.randrange(0, 1501)))
        d = bytearray(rng.getrandbits(8) for _ in range(n))
        if n >= 12:
            r = rng.random()
            if r < 0.8:
                d[0] = 0x80 if r < 0.5 else 0x80 | (d[0] & 0x3F)  # version 2, plain or random P/X/CC
            if rng.random() < 0.6:
                d[1] = (d[1] & 0x80) | rng.choice((0, 8))
            if rng.random() < 0.95:
                d[2:4] = ((1000 + i + rng.randrange(-3, 4)) & 0xFFFF).to_bytes(2, "big")
                d[8:12] = (0x1234).to_bytes(4, "big")
        out.append(bytes(d))
    return out


@pytest.mark.parametrize("seed", [9, 10])
def test_random_datagrams_are_classified_as_the_reference_does(seed: int) -> None:
    pump = RtpPump(1)
    ref = ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=40, max_ms=300))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with pump, tx:
        port = pump.open(0)
        tx.bind(("127.0.0.1", 0))
        for k, d in enumerate(fuzz_datagrams(seed, 1500)):
            tx.sendto(d, ("127.0.0.1", port))
            for _ in range(200):
                if pump.receive(arrival_ts=40 * k):
                    break
                time.sleep(0.001)
            ref.receive(d, tx.getsockname(), (40 * k + 0.5) / 8000)
            if k % 4 == 3:
                out, kinds = pump.tick()
                frame = ref.tick()
                codes = np.frombuffer(frame.codes, dtype=np.uint8)
                assert np.array_equal(out[0], ulaw_decode(codes) if frame.payload_type == 0 else alaw_decode(codes))
        s = pump.stats()
    for result, name in COUNTS.items():
        assert getattr(s, name)[0] == ref.counts[result], name
    assert ref.counts[RxResult.MALFORMED] > 100 and ref.counts[RxResult.AUDIO] > 50, ref.counts
    assert ref.counts[RxResult.LATE] > 20 and ref.counts[RxResult.PROBATION] > 20, ref.counts


def test_a_confirmed_backward_restart_after_many_packets_keeps_playing() -> None:
    """RFC 3550 A.1: two packets in sequence after a jump confirm a restart; the pump starts a
    fresh duplicate window then (its extended numbers start over), so the restarted stream is
    played even after more than 1024 packets (the reference drops it as duplicates: see the report)."""
    pump = RtpPump(1)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with pump, tx:
        port = pump.open(0)
        seq, ts = 30000, 0
        for k in range(1210):
            if k == 1200:
                seq = 10000  # 20000 back: a restart once confirmed
            tx.sendto(build_rtp(RtpPacket(0, seq, ts, 5, bytes(160))), ("127.0.0.1", port))
            for _ in range(200):
                if pump.receive(arrival_ts=160 * k):
                    break
                time.sleep(0.001)
            pump.tick()
            seq, ts = seq + 1, ts + 160
        s = pump.stats()
    assert s.invalid_sequence[0] == 1 and s.duplicate[0] == 0
    assert s.audio[0] == 1210 - 1 - 1  # all but the first (probation) and the unconfirmed jump
    assert s.base_sequence[0] == 10001 and s.received[0] == 9
