"""The playout buffer: one 20 ms frame per tick from reordered, lost, late, 10/20/30 ms packets."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from pycti.rtp.jitter import (
    Frame,
    FrameKind,
    InsertResult,
    JitterBuffer,
    JitterConfig,
    JitterConfigError,
    decode_frames,
    transcode,
)

RNG = np.random.default_rng(20261204)
SPEECH = RNG.normal(0, 3000, 160 * 200).clip(-32768, 32767).astype(np.int16)  # noise stands in for speech
CODES = ulaw_encode(SPEECH).tobytes()


def frame_codes(k: int) -> bytes:
    k %= 200
    return CODES[160 * k : 160 * (k + 1)]


def play(jb: JitterBuffer, schedule: list[list[tuple[int, int]]], ticks: int, ts0: int = 0) -> list[Frame]:
    """``schedule[t]``: (first sample, samples) of the packets arriving before tick ``t``."""
    out = []
    for t in range(ticks):
        for start, n in schedule[t] if t < len(schedule) else []:
            jb.insert(ts0 + start, CODES[start : start + n], 0)
        out.append(jb.pop())
    return out


def in_order(frames: int, ptime: int = 160) -> list[list[tuple[int, int]]]:
    sched: list[list[tuple[int, int]]] = [[] for _ in range(frames + 2)]
    for start in range(0, 160 * frames, ptime):
        sched[(start + ptime - 1) // 160].append((start, ptime))  # sent when its last sample is ready
    return sched


def test_in_order_stream_plays_after_the_fixed_delay():
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=40))
    out = play(jb, in_order(30), 34)
    assert [f.kind for f in out[:2]] == [FrameKind.SILENCE] * 2
    assert all(out[2 + k].codes == frame_codes(k) and out[2 + k].kind is FrameKind.AUDIO for k in range(30))
    assert out[32].kind is FrameKind.CONCEALED and out[33].kind is FrameKind.SILENCE  # stream stopped
    assert out[33].codes == b"\xff" * 160  # mu-law zero


@pytest.mark.parametrize("ptime", [80, 160, 240])
def test_ptime_10_20_30_come_out_as_the_same_20ms_frames(ptime: int):
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=60))
    out = play(jb, in_order(30, ptime), 35)
    audio = [f.codes for f in out if f.kind is FrameKind.AUDIO]
    assert audio == [frame_codes(k) for k in range(30)]


def test_reordering_within_the_delay_is_undone():
    sched = in_order(40)
    for t in range(2, 38, 4):  # swap the arrivals of pairs of packets
        sched[t], sched[t + 1] = sched[t + 1], sched[t]
    sched[20], sched[21], sched[22] = sched[22], sched[20], sched[21]  # and a 3-packet shuffle
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=60))
    out = play(jb, sched, 45)
    assert [f.codes for f in out if f.kind is FrameKind.AUDIO] == [frame_codes(k) for k in range(40)]
    assert jb.late_packets == 0


def test_a_lost_packet_is_repeated_once_then_silence():
    sched = in_order(20)
    sched[5] = []  # frame 5 lost
    sched[10] = sched[11] = []  # frames 10, 11 lost
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=20, conceal="repeat"))
    out = play(jb, sched, 22)
    assert out[1 + 5].kind is FrameKind.CONCEALED and out[1 + 5].codes == frame_codes(4)
    assert out[1 + 10].kind is FrameKind.CONCEALED and out[1 + 10].codes == frame_codes(9)
    assert out[1 + 11].kind is FrameKind.SILENCE
    assert out[1 + 12].codes == frame_codes(12)


def test_silence_concealment():
    sched = in_order(10)
    sched[4] = []
    out = play(JitterBuffer(JitterConfig(mode="fixed", depth_ms=20, conceal="silence")), sched, 12)
    assert out[5].kind is FrameKind.SILENCE and out[5].codes == b"\xff" * 160


def test_late_packet_is_dropped_and_counted():
    sched = in_order(20)
    late = sched[6].pop()
    sched[9].append(late)  # frame 6 arrives 3 ticks late, after its playout at tick 7
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=20))
    out = play(jb, sched, 22)
    assert jb.late_packets == 1 and out[7].kind is FrameKind.CONCEALED
    assert out[8].codes == frame_codes(7)


def test_packet_straddling_the_playout_point_keeps_its_future_part():
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=20))
    jb.insert(0, frame_codes(0), 0)
    assert jb.pop().kind is FrameKind.SILENCE
    assert jb.pop().codes == frame_codes(0)
    # a 30 ms packet covering frame 1 (now due) and half of frame 2 arrives: frame 1 is played
    # as concealment, the half frame 2 is kept
    assert jb.pop().kind is FrameKind.CONCEALED
    assert jb.insert(160, CODES[160:400], 0) is InsertResult.ACCEPTED
    f = jb.pop()
    assert f.kind is FrameKind.AUDIO and f.codes == CODES[320:400] + b"\xff" * 80


def test_timestamp_jump_and_talkspurt_marker_reanchor_playout():
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=40))
    for k in range(5):
        jb.insert(160 * k, frame_codes(k), 0)
        jb.pop()
    for _ in range(10):
        jb.pop()  # silence period: the buffer drains
    # talkspurt resumes 2 s later: no waiting through 2 s of old timeline, the 40 ms delay again
    assert jb.insert(16000 + 160 * 5, frame_codes(5), 0, marker=True) is InsertResult.RESYNC
    assert [jb.pop().kind for _ in range(3)] == [FrameKind.SILENCE, FrameKind.SILENCE, FrameKind.AUDIO]
    # a new timestamp base far ahead without marker
    assert jb.insert(10_000_000, frame_codes(6), 0) is InsertResult.RESYNC
    assert jb.resyncs == 2


def test_a_run_of_late_packets_means_the_sender_jumped_back():
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=20))
    for k in range(10):
        jb.insert(100_000 + 160 * k, frame_codes(k), 0)
        jb.pop()
    results = [jb.insert(160 * k, frame_codes(k), 0) for k in range(5)]
    assert results == [InsertResult.LATE] * 4 + [InsertResult.RESYNC]


def test_adaptive_buffer_grows_on_late_packets_and_shrinks_back():
    cfg = JitterConfig(mode="adaptive", depth_ms=20, min_ms=20, max_ms=200)
    jb = JitterBuffer(cfg)
    k = 0
    # a delay spike: frames 10-13 arrive 3 ticks late
    held: dict[int, list[int]] = {}
    for t in range(60):
        if 10 <= k <= 13:
            held.setdefault(t + 3, []).append(k)
        else:
            jb.insert(160 * k, frame_codes(k), 0)
        k += 1
        for late in held.pop(t, []):
            jb.insert(160 * late, frame_codes(late), 0)
        jb.pop()
    grown = jb.target_frames
    assert grown > 1 and jb.late_packets >= 1
    # then a calm network: after the decay time the delay comes down again, one frame at a time
    for t in range(60, 1800):
        jb.insert(160 * k, frame_codes(k), 0)
        k += 1
        jb.pop()
    assert jb.target_frames == 1  # decayed 3 -> 2 -> 1 after 10 s each
    assert jb.buffered_frames == 1  # and the excess frames were dropped: 20 ms of delay again
    assert jb.pop().kind is FrameKind.AUDIO


def test_mixed_laws_in_one_frame_are_transcoded():
    jb = JitterBuffer(JitterConfig(mode="fixed", depth_ms=20))
    pcma = alaw_encode(SPEECH[:160]).tobytes()
    jb.insert(0, CODES[:80], 0)
    jb.insert(80, pcma[80:], 8)
    jb.pop()
    f = jb.pop()
    assert f.payload_type == 0 and f.codes[80:] == transcode(pcma[80:], 8, 0)
    back = ulaw_decode(np.frombuffer(f.codes[80:], np.uint8)).astype(int)
    assert np.abs(back - SPEECH[80:160]).max() <= np.abs(SPEECH[80:160]).max() * 0.07 + 16


def test_decode_frames_of_many_channels_at_once():
    frames = [Frame(frame_codes(k), 0, FrameKind.AUDIO) for k in range(4)]
    pcma = alaw_encode(SPEECH[:320]).tobytes()
    frames += [Frame(pcma[:160], 8, FrameKind.AUDIO), Frame(pcma[160:], 8, FrameKind.AUDIO)]
    pcm = decode_frames(frames)
    assert pcm.shape == (6, 160) and pcm.dtype == np.int16
    for row, f in zip(pcm, frames):
        single = np.frombuffer(f.codes, np.uint8)
        assert np.array_equal(row, ulaw_decode(single) if f.payload_type == 0 else alaw_decode(single))
    assert np.array_equal(decode_frames(frames[4:]), alaw_decode(np.frombuffer(pcma, np.uint8)).reshape(2, 160))


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"mode": "elastic"}, "'elastic'"),
    ({"depth_ms": 30}, "depth_ms must be"),
    ({"depth_ms": 400, "max_ms": 300}, "min_ms <= depth_ms <= max_ms"),
    ({"conceal": "noise"}, "'noise'"),
])
def test_config_validation(kwargs, needle):
    with pytest.raises(JitterConfigError, match=needle):
        JitterConfig(**kwargs)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=40, max_size=40), st.sampled_from([80, 160, 240]))
def test_any_arrival_delay_within_the_depth_gives_the_whole_stream(delays, ptime):
    """Packets delayed by 0-3 ticks (so reordered at random) behind a 100 ms buffer play out
    every sample, in order, without a gap.  (The 20 ms frame grid starts at the first packet
    to *arrive*: with 10/30 ms packets it may start half a frame in.)"""
    sched: list[list[tuple[int, int]]] = [[] for _ in range(60)]
    for i, start in enumerate(range(0, 160 * 40, ptime)):
        sched[(start + ptime - 1) // 160 + delays[i % len(delays)]].append((start, ptime))
    out = play(JitterBuffer(JitterConfig(mode="fixed", depth_ms=100)), sched, 50)
    kinds = [f.kind for f in out]
    first = kinds.index(FrameKind.AUDIO)
    audio = kinds[first:].count(FrameKind.AUDIO)
    assert kinds[first : first + audio] == [FrameKind.AUDIO] * audio  # continuous
    joined = b"".join(f.codes for f in out[first : first + audio])
    assert 0 <= joined.find(CODES[: 160 * 40]) < 160
