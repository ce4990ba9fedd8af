"""Send and receive streams end to end with real G.711 audio: a 1 kHz tone through
encode -> packets -> a jittery, reordering, lossy network -> jitter buffer -> decode, measured
with the DSP layer's sliding DFT (Goertzel bank); RFC 4733 digits over the same streams;
report blocks from the statistics."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pycti.dsp.goertzel import HalfWindowBank, bin_power, window_gain
from pycti.rtp.jitter import FrameKind, JitterConfig, decode_frames
from pycti.rtp.latch import SymmetricRtpLatch
from pycti.rtp.packet import RtpError, parse_rtp
from pycti.rtp.rtcp import SenderReport, ntp_middle32, ntp_timestamp
from pycti.rtp.stream import ReceiveStream, RxResult, SendStream, encode_frames

PEER = ("203.0.113.5", 40000)
FREQS = np.array([1000.0, 600.0, 1500.0, 2200.0])
AMP = 10000.0


def tone(frames: int, freq_hz: float = 1000.0, amp: float = AMP) -> np.ndarray:
    n = np.arange(160 * frames)
    return np.round(amp * np.sin(2 * np.pi * freq_hz * n / 8000 + 0.3)).astype(np.int16)


def amplitudes(x: np.ndarray) -> np.ndarray:
    """Sine amplitude at each of FREQS in every 10 ms window (rows), from the DSP bank."""
    bank = HalfWindowBank(1, FREQS, batch_halves=len(x) // 40)
    block = bank.push(x.astype(np.float32)[None, :])
    assert block is not None
    return 2 * np.sqrt(bin_power(block.windows[0, 1:])) / window_gain()


Sent = list[tuple[float, bytes]]


def network(sent: Sent, rng: random.Random, *, max_delay_s: float, loss: set[int] = frozenset(),
            duplicate: set[int] = frozenset()) -> Sent:
    """(arrival time, packet): packet i delayed 0..max_delay after its send time, some dropped
    or doubled."""
    arrivals = []
    for i, (t, p) in enumerate(sent):
        if i in loss:
            continue
        arrivals.append((t + rng.uniform(0, max_delay_s), p))
        if i in duplicate:
            arrivals.append((t + rng.uniform(0, max_delay_s), p))
    return sorted(arrivals)


def run(rx: ReceiveStream, arrivals: list[tuple[float, bytes]], ticks: int) -> tuple[np.ndarray, list[FrameKind]]:
    """Interleave arrivals with 20 ms ticks (at 10 ms + 20 ms * k) and collect the playout."""
    pcm, kinds = [], []
    j = 0
    for k in range(ticks):
        now = 0.01 + 0.02 * k
        while j < len(arrivals) and arrivals[j][0] <= now:
            rx.receive(arrivals[j][1], PEER, arrivals[j][0])
            j += 1
        frame = rx.tick()
        kinds.append(frame.kind)
        pcm.append(decode_frames([frame])[0])
    return np.concatenate(pcm), kinds


def send_tone(tx: SendStream, frames: int, freq_hz: float = 1000.0) -> Sent:
    """(send time, packet): the packets of each 20 ms frame leave at the end of the frame."""
    x = tone(frames, freq_hz)
    out: Sent = []
    for k in range(frames):
        out += [(0.02 * k, p) for p in tx.send_frame(x[160 * k : 160 * (k + 1)])]
    return out


@pytest.mark.parametrize(("law", "ptime"), [(0, 20), (8, 20), (0, 10), (0, 30)])
def test_tone_survives_jitter_and_reordering(law: int, ptime: int):
    rng = random.Random(42)
    tx = SendStream.create(rng, payload_type=law, ptime_ms=ptime)
    packets = send_tone(tx, 100)
    arrivals = network(packets, rng, max_delay_s=0.05)
    assert [p for _, p in arrivals] != [p for _, p in packets]  # the network did reorder
    rx = ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=80))
    pcm, kinds = run(rx, arrivals, 130)
    audio = [i for i, k in enumerate(kinds) if k is FrameKind.AUDIO]
    frames = sum(len(parse_rtp(p).payload) for _, p in packets) // 160  # 30 ms: 99 whole frames sent
    assert len(audio) == frames and audio == list(range(audio[0], audio[0] + frames))  # continuous
    steady = amplitudes(pcm[160 * audio[0] : 160 * (audio[-1] + 1)])[2:-2]
    assert np.allclose(steady[:, 0], AMP, rtol=0.03)  # 1 kHz at its level, every 10 ms window
    assert steady[:, 1:].max() < 0.02 * AMP  # and nothing at the other frequencies
    # packets that arrived while the source was on probation (RFC 3550 A.1) were held, not lost
    assert rx.jitter.late_packets == 0 and rx.counts[RxResult.AUDIO] + rx.counts[RxResult.PROBATION] == len(packets)


def test_lost_packet_repeat_concealment_keeps_a_periodic_tone_continuous():
    rng = random.Random(5)
    tx = SendStream.create(rng)
    packets = send_tone(tx, 60)
    rx = ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=60, conceal="repeat"))
    pcm, kinds = run(rx, network(packets, rng, max_delay_s=0.03, loss={20, 40}), 70)
    start = kinds.index(FrameKind.AUDIO)
    assert kinds[start : start + 60].count(FrameKind.CONCEALED) == 2
    steady = amplitudes(pcm[160 * start : 160 * (start + 60)])[2:-2]
    # 1 kHz repeats every 8 samples, so a repeated 160-sample frame is phase-continuous
    assert np.allclose(steady[:, 0], AMP, rtol=0.03)
    assert rx.report_block(2.0).cumulative_lost == 2


def test_lost_packet_silence_concealment_leaves_a_gap():
    rng = random.Random(6)
    tx = SendStream.create(rng)
    packets = send_tone(tx, 40)
    rx = ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=60, conceal="silence"))
    pcm, kinds = run(rx, network(packets, rng, max_delay_s=0.03, loss={20}), 50)
    gap = kinds.index(FrameKind.SILENCE, kinds.index(FrameKind.AUDIO))
    assert not pcm[160 * gap : 160 * (gap + 1)].any()
    amp = amplitudes(pcm)[:, 0]
    assert amp[4 * gap + 1 : 4 * gap + 3].max() < 0.01 * AMP  # windows inside the silent frame
    assert amp[4 * gap + 8] == pytest.approx(AMP, rel=0.03)


def test_stopped_stream_plays_silence():
    rng = random.Random(1)
    tx = SendStream.create(rng)
    rx = ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=40))
    pcm, kinds = run(rx, network(send_tone(tx, 10), rng, max_delay_s=0.0), 40)
    assert kinds[-20:] == [FrameKind.SILENCE] * 20 and not pcm[-160 * 20 :].any()


def test_duplicates_are_dropped():
    rng = random.Random(2)
    tx = SendStream.create(rng)
    packets = send_tone(tx, 30)
    rx = ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=60))
    _, kinds = run(rx, network(packets, rng, max_delay_s=0.02, duplicate={3, 10, 11, 25}), 40)
    assert rx.counts[RxResult.DUPLICATE] == 4 and kinds.count(FrameKind.AUDIO) == 30
    assert rx.report_block(1.0).cumulative_lost == -4  # RFC 3550: duplicates count as received


def test_first_packet_is_held_through_probation():
    tx = SendStream(ssrc=1, sequence=65535, timestamp=0xFFFFFF00)  # both counters about to wrap
    packets = send_tone(tx, 5)
    rx = ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=20))
    assert [rx.receive(p, PEER, t) for t, p in packets] == [RxResult.PROBATION] + [RxResult.AUDIO] * 4
    kinds = [rx.tick().kind for _ in range(7)]
    assert kinds.count(FrameKind.AUDIO) == 5


def test_ssrc_change_restarts_the_stream():
    rng = random.Random(9)
    a, b = SendStream.create(rng), SendStream.create(rng)
    rx = ReceiveStream(jitter=JitterConfig(mode="fixed", depth_ms=40))
    arrivals = network(send_tone(a, 20), rng, max_delay_s=0.0)
    arrivals += [(0.4 + t, p) for t, p in network(send_tone(b, 20, 1500.0), rng, max_delay_s=0.0)]
    pcm, kinds = run(rx, arrivals, 50)
    assert rx.new_sources == 2 and rx.ssrc == b.ssrc
    assert rx.stats is not None and rx.stats.received == 20  # the new source's count only
    amp = amplitudes(pcm)
    assert amp[20:70, 0].min() > 0.95 * AMP and amp[110:170, 2].min() > 0.95 * AMP


def test_latch_in_front_of_the_stream():
    latch = SymmetricRtpLatch(("10.1.1.1", 4000), frozenset({0}))
    rx = ReceiveStream(latch=latch)
    tx, spoofer = SendStream(ssrc=5, sequence=0, timestamp=0), SendStream(ssrc=6, sequence=0, timestamp=0)
    frame = tone(1)
    assert rx.receive(tx.send_frame(frame)[0], PEER, 0.0) is RxResult.PROBATION
    assert latch.remote == PEER
    assert rx.receive(spoofer.send_frame(frame)[0], ("198.51.100.1", 9), 0.01) is RxResult.REJECTED
    assert rx.receive(tx.send_frame(frame)[0], PEER, 0.02) is RxResult.AUDIO and rx.ssrc == 5


def test_digits_over_the_stream_replace_the_audio():
    rng = random.Random(11)
    tx = SendStream.create(rng, telephone_event_pt=101)
    rx = ReceiveStream(telephone_event_pt=101, jitter=JitterConfig(mode="fixed", depth_ms=40))
    x = tone(60)
    sent: Sent = []
    for k in range(60):
        if k == 10:
            tx.press("5", 100)
        if k == 30:
            tx.press("#", 60)
            tx.press("D", 40)
        sent += [(0.02 * k, p) for p in tx.send_frame(x[160 * k : 160 * (k + 1)])]
    packets = [p for _, p in sent]
    events = [parse_rtp(p) for p in packets if parse_rtp(p).payload_type == 101]
    assert sum(e.marker for e in events) == 3 and len(events) == (5 + 2) + (3 + 2) + (2 + 2)  # each: ticks, then 2 end repeats
    seqs = [parse_rtp(p).sequence for p in packets]
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:]))  # one sequence space
    arrivals = network(sent, rng, max_delay_s=0.03, loss={next(i for i, p in enumerate(packets) if parse_rtp(p).marker and parse_rtp(p).payload_type == 101)})
    _, kinds = run(rx, arrivals, 70)
    digits = rx.poll_digits(2.0)
    assert [d.digit for d in digits] == ["5", "#", "D"]
    assert digits[0].start_lost and digits[0].duration_ms == 100.0
    assert [d.duration_ms for d in digits[1:]] == [60.0, 40.0]
    assert kinds.count(FrameKind.AUDIO) < 60  # the audio was suppressed during the events


def test_send_stream_marker_timestamps_and_pause():
    tx = SendStream(ssrc=0xABCDEF01, sequence=100, timestamp=1000)
    x = tone(3)
    first = parse_rtp(tx.send_frame(x[:160])[0])
    second = parse_rtp(tx.send_frame(x[160:320])[0])
    tx.pause()
    third = parse_rtp(tx.send_frame(x[320:])[0])
    assert (first.marker, second.marker, third.marker) == (True, False, True)
    assert (first.sequence, second.sequence, third.sequence) == (100, 101, 102)
    assert (first.timestamp, second.timestamp, third.timestamp) == (1000, 1160, 1480)
    assert first.ssrc == 0xABCDEF01 and len(first.payload) == 160
    sr = tx.sender_report(3_900_000_000.25)
    assert (sr.packet_count, sr.octet_count, sr.rtp_timestamp) == (3, 480, 1640)


@pytest.mark.parametrize(("ptime", "sizes", "stamps"), [
    (10, [80] * 6, [0, 80, 160, 240, 320, 400]),
    (30, [240, 240], [0, 240]),
    (40, [320], [0]),
])
def test_send_repacketises_to_ptime(ptime: int, sizes: list[int], stamps: list[int]):
    tx = SendStream(ssrc=1, sequence=0, timestamp=0, ptime_ms=ptime)
    x = tone(3)
    pkts = [parse_rtp(p) for k in range(3) for p in tx.send_frame(x[160 * k : 160 * (k + 1)])]
    assert [len(p.payload) for p in pkts] == sizes and [p.timestamp for p in pkts] == stamps
    assert b"".join(p.payload for p in pkts) == encode_frames(x[None, : 160 * 3], [0])[0][: sum(sizes)]


def test_report_block_values_from_the_statistics():
    rng = random.Random(3)
    tx = SendStream.create(rng)
    packets = [p for _, p in send_tone(tx, 101)]
    rx = ReceiveStream()
    lost = {10, 20, 30, 40, 50}
    for i, p in enumerate(packets):
        if i not in lost:
            rx.receive(p, PEER, 0.02 * i + (0.005 if i % 2 else 0.0))  # 5 ms alternating delay
    sr = SenderReport(tx.ssrc, ntp_timestamp(3_900_000_000.5), 0, 0, 0)
    rx.note_sender_report(sr, now_s=2.0)
    block = rx.report_block(now_s=2.5)
    assert block is not None and block.ssrc == tx.ssrc
    assert block.cumulative_lost == 5
    assert block.fraction_lost == 5 * 256 // 100  # 100 expected after the probation packet
    assert block.highest_sequence == parse_rtp(packets[-1]).sequence + (65536 if parse_rtp(packets[-1]).sequence < parse_rtp(packets[1]).sequence else 0)
    assert 30 <= block.jitter <= 40  # |D| = 40 units each packet: J converges to 40
    assert block.lsr == ntp_middle32(sr.ntp) and block.dlsr == 65536 // 2
    assert rx.report_block(now_s=3.0).fraction_lost == 0  # a new interval


def test_batch_encode_and_decode_many_channels():
    x = np.stack([tone(1, 1000.0 + 100 * c) for c in range(8)])
    laws = [0, 8] * 4
    codes = encode_frames(x, laws)
    tx = [SendStream(ssrc=c, sequence=0, timestamp=0, payload_type=laws[c]) for c in range(8)]
    for c in range(8):
        assert tx[c].send_codes(codes[c])[0][12:] == tx[c].send_codes(codes[c])[0][12:]
        single = SendStream(ssrc=c, sequence=0, timestamp=0, payload_type=laws[c]).send_frame(x[c])[0]
        assert single[12:] == codes[c]
    with pytest.raises(RtpError, match="one payload type per row"):
        encode_frames(x, [0])


def test_stream_validation():
    with pytest.raises(RtpError, match="ptime_ms"):
        SendStream(ssrc=1, sequence=0, timestamp=0, ptime_ms=25)
    with pytest.raises(RtpError, match="law"):
        SendStream(ssrc=1, sequence=0, timestamp=0, payload_type=18)
    with pytest.raises(RtpError, match="160 codes"):
        SendStream(ssrc=1, sequence=0, timestamp=0).send_codes(b"\xff" * 80)
    with pytest.raises(RtpError, match="telephone-event"):
        SendStream(ssrc=1, sequence=0, timestamp=0).press("1")
    assert ReceiveStream().receive(b"\x00", PEER, 0.0) is RxResult.MALFORMED


def test_rtcp_and_unnegotiated_payloads_leave_the_stream_alone():
    from pycti.rtp.packet import RtpPacket, build_rtp
    from pycti.rtp.rtcp import ReceiverReport, build_rtcp

    tx = SendStream(ssrc=77, sequence=0, timestamp=0)
    rx = ReceiveStream()
    for k in range(3):
        rx.receive(tx.send_codes(b"\xff" * 160)[0], PEER, 0.02 * k)
    assert rx.receive(build_rtcp(ReceiverReport(0x999)), PEER, 0.07) is RxResult.RTCP
    comfort_noise = build_rtp(RtpPacket(13, 9, 9, 0x999, b"\x40"))  # RFC 3389 CN from elsewhere
    assert rx.receive(comfort_noise, PEER, 0.08) is RxResult.UNKNOWN_PT
    assert rx.ssrc == 77 and rx.new_sources == 1 and rx.stats is not None and rx.stats.received == 3


def test_a_confirmed_backward_restart_after_many_packets_keeps_playing() -> None:
    from pycti.rtp.packet import RtpPacket, build_rtp
    from pycti.rtp.stream import ReceiveStream, RxResult

    rx = ReceiveStream()
    payload = bytes([0xFF]) * 160
    src = ("192.0.2.1", 4000)
    for i in range(1500):  # well past the duplicate window
        pkt = build_rtp(RtpPacket(payload_type=0, sequence=(30000 + i) & 0xFFFF, timestamp=160 * i,
                                  ssrc=7, payload=payload))
        rx.receive(pkt, src, i * 0.02)
        rx.tick()
    results = []
    for j in range(9):  # the sender restarts far below: the second in-sequence packet confirms it
        pkt = build_rtp(RtpPacket(payload_type=0, sequence=100 + j, timestamp=160 * (1500 + j), ssrc=7,
                                  payload=payload))
        results.append(rx.receive(pkt, src, (1500 + j) * 0.02))
        rx.tick()
    assert results[0] is RxResult.INVALID_SEQUENCE  # one packet after a jump: not yet believed
    assert all(r is RxResult.AUDIO for r in results[1:]), results
