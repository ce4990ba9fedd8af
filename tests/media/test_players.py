"""Players and tone generators in the media plane: mixing, completion, loops, stop, DTMF, files."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from pycti.errors import AudioFormatError
from pycti.media.plane import MediaPlane, PlayDone
from pycti.media.bench import sine, speech_like

FRAME = 160


def silent_ticks(plane: MediaPlane, ticks: int) -> tuple[np.ndarray, list[object]]:
    silence = np.zeros((plane.channels, FRAME), dtype=np.int16)
    outs, events = [], []
    for _ in range(ticks):
        r = plane.tick(silence)
        outs.append(r.outbound)
        events.extend(r.events)
    return np.concatenate(outs, axis=1), events


def test_a_play_is_heard_whole_then_reports_completion_at_its_last_sample() -> None:
    plane = MediaPlane(3)
    prompt = speech_like(1000, np.random.default_rng(7))  # 6.25 frames
    handle = plane.play(1, prompt)
    assert handle.length_samples == 1000 and not handle.loop
    out, events = silent_ticks(plane, 9)
    np.testing.assert_array_equal(out[1, :1000], prompt)
    assert not out[1, 1000:].any()
    assert not out[[0, 2]].any()
    assert events == [PlayDone(channel=1, handle_id=handle.handle_id, sample=1000, reason="completed")]
    assert not plane.is_playing(1)


def test_a_play_mixes_over_bridge_audio_with_clipping() -> None:
    plane = MediaPlane(2)
    plane.set_parties("call", [0, 1])
    n = 4 * FRAME
    voice = sine(440.0, n, level_dbm0=-10.0)
    beep = sine(1400.0, 2 * FRAME, level_dbm0=-10.0)
    plane.play(0, beep)  # e.g. a recording warning tone heard by party 0 only
    inbound = np.stack([np.zeros(n, dtype=np.int16), voice])
    outs = [plane.tick(inbound[:, k * FRAME : (k + 1) * FRAME]).outbound for k in range(4)]
    out = np.concatenate(outs, axis=1)
    expected0 = voice.astype(np.int32)
    expected0[: 2 * FRAME] += beep
    np.testing.assert_array_equal(out[0], expected0)
    assert not out[1].any()
    loud = np.full(FRAME, 30000, dtype=np.int16)
    plane.play(0, loud)
    out = plane.tick(np.stack([np.zeros(FRAME, dtype=np.int16), loud])).outbound
    np.testing.assert_array_equal(out[0], np.full(FRAME, 32767))


def test_players_on_one_channel_are_summed_unless_replace() -> None:
    plane = MediaPlane(2)
    a = np.full(3 * FRAME, 1000, dtype=np.int16)
    b = np.full(FRAME, 7, dtype=np.int16)
    ha = plane.play(0, a)
    hb = plane.play(0, b, replace=False)
    out, events = silent_ticks(plane, 1)
    np.testing.assert_array_equal(out[0], np.full(FRAME, 1007))
    assert events == [PlayDone(channel=0, handle_id=hb.handle_id, sample=FRAME, reason="completed")]
    hc = plane.play(0, b, loop=True)  # replace=True by default
    out, events = silent_ticks(plane, 2)
    np.testing.assert_array_equal(out[0], np.full(2 * FRAME, 7))
    assert events == [PlayDone(channel=0, handle_id=ha.handle_id, sample=FRAME, reason="replaced")]
    assert plane.stop_playing(0) == 1
    out, events = silent_ticks(plane, 1)
    assert not out.any()
    assert events == [PlayDone(channel=0, handle_id=hc.handle_id, sample=3 * FRAME, reason="stopped")]


def test_a_looped_tone_repeats_seamlessly_across_ticks() -> None:
    plane = MediaPlane(4)
    # Busy tone cadence (ITU-T E.180: 425 Hz, 0.5 s on 0.5 s off) from a 1 s read-only buffer.
    cadence = sine(425.0, 8000, level_dbm0=-13.0)
    cadence[4000:] = 0
    cadence.setflags(write=False)
    for ch in (0, 2, 3):
        plane.send_tone(ch, cadence)
    out, events = silent_ticks(plane, 160)  # 3.2 s, not a multiple of the loop
    expected = np.tile(cadence, 4)[: 160 * FRAME]
    for ch in (0, 2, 3):
        np.testing.assert_array_equal(out[ch], expected)
    assert not out[1].any() and events == []
    assert plane._players.stored_samples == 8000  # shared buffer stored once


def test_players_come_and_go_on_many_channels() -> None:
    rng = np.random.default_rng(3)
    channels = 40
    plane = MediaPlane(channels)
    expected = np.zeros((channels, 30 * FRAME), dtype=np.int64)
    starts: dict[int, tuple[int, int]] = {}
    for k in range(30):
        for ch in rng.choice(channels, 5, replace=False).tolist():
            if plane.is_playing(ch):
                continue
            buf = speech_like(int(rng.integers(100, 4000)), rng)
            h = plane.play(ch, buf)
            starts[h.handle_id] = (k * FRAME + buf.size, ch)
            end = min(k * FRAME + buf.size, 30 * FRAME)
            expected[ch, k * FRAME : end] += buf[: end - k * FRAME]
        r = plane.tick(np.zeros((channels, FRAME), dtype=np.int16))
        np.testing.assert_array_equal(r.outbound, expected[:, k * FRAME : (k + 1) * FRAME])
        for ev in r.events:
            assert isinstance(ev, PlayDone) and ev.reason == "completed"
            assert (ev.sample, ev.channel) == starts.pop(ev.handle_id)
            assert r.start_sample < ev.sample <= r.start_sample + FRAME


def test_play_rejects_bad_buffers_and_channels() -> None:
    plane = MediaPlane(2)
    with pytest.raises(AudioFormatError):
        plane.play(0, np.zeros(100, dtype=np.float64))
    with pytest.raises(AudioFormatError):
        plane.play(0, np.zeros(0, dtype=np.int16))
    with pytest.raises(ValueError, match="out of range"):
        plane.play(2, np.zeros(10, dtype=np.int16))


def test_send_digits_produces_audio_the_dtmf_detector_decodes() -> None:
    dtmf = pytest.importorskip("pycti.dsp.dtmf")
    plane = MediaPlane(3)
    plane.set_parties("call", [0, 1])
    plane.send_digits(1, "147*#0D")  # heard by party 1, over party 0's speech
    detector = dtmf.DtmfDetector(3)
    rng = np.random.default_rng(11)
    speech = speech_like(70 * FRAME, rng, level_dbm0=-30.0)
    digits = []
    done = []
    for k in range(70):
        inbound = np.zeros((3, FRAME), dtype=np.int16)
        inbound[0] = speech[k * FRAME : (k + 1) * FRAME]
        r = plane.tick(inbound)
        done.extend(r.events)
        digits.extend(detector.process(r.outbound))
    digits.extend(detector.flush())
    assert "".join(d.digit for d in digits if d.channel == 1) == "147*#0D"
    assert {d.channel for d in digits} == {1}
    assert [type(e) for e in done] == [PlayDone]


def _write_wav(path: Path, samples: np.ndarray, *, fs_hz: int, channels: int = 1) -> None:
    data = samples.astype("<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, channels,
        fs_hz, fs_hz * 2 * channels, 2 * channels, 16, b"data", len(data),
    )  # fmt: skip
    path.write_bytes(header + data)


def test_play_file_plays_a_wav(tmp_path: Path) -> None:
    pytest.importorskip("pycti.dsp.audiofile")
    prompt = speech_like(1200, np.random.default_rng(5))
    wav = tmp_path / "welcome.wav"
    _write_wav(wav, prompt, fs_hz=8000)
    plane = MediaPlane(2)
    plane.play_file(1, wav)
    out, events = silent_ticks(plane, 8)
    np.testing.assert_array_equal(out[1, :1200], prompt)
    assert [e.reason for e in events] == ["completed"]


def test_a_bad_wav_raises_naming_the_file_and_other_channels_keep_flowing(tmp_path: Path) -> None:
    pytest.importorskip("pycti.dsp.audiofile")
    plane = MediaPlane(4)
    plane.set_parties("call", [0, 1])
    moh = sine(440.0, 800, level_dbm0=-20.0)
    plane.send_tone(3, moh)
    plane.play(2, moh)
    wrong_rate = tmp_path / "prompt-44k.wav"
    _write_wav(wrong_rate, np.zeros(4410, dtype=np.int16), fs_hz=44100)
    garbage = tmp_path / "not-a-wav.wav"
    garbage.write_bytes(b"this is not RIFF data at all" * 10)
    for bad in (wrong_rate, garbage):
        with pytest.raises(AudioFormatError, match=bad.name):
            plane.play_file(2, bad)
    voice = sine(697.0, 5 * FRAME, level_dbm0=-10.0)
    outs = []
    for k in range(5):
        inbound = np.zeros((4, FRAME), dtype=np.int16)
        inbound[0] = voice[k * FRAME : (k + 1) * FRAME]
        outs.append(plane.tick(inbound).outbound)
    out = np.concatenate(outs, axis=1)
    np.testing.assert_array_equal(out[1], voice)  # the bridge still carries audio
    np.testing.assert_array_equal(out[2, :800], moh)  # the failed play_file did not replace it
    np.testing.assert_array_equal(out[3], moh)  # nor the looped tone elsewhere


def test_long_running_plays_keep_the_arena_bounded_and_audio_exact() -> None:
    rng = np.random.default_rng(9)
    frame = 800  # 100 ms ticks keep this long run short
    plane = MediaPlane(4, frame_samples=frame)
    moh = speech_like(3000, rng)
    moh.setflags(write=False)
    expected_total = 0
    peak_arena = 0
    for k in range(300):
        silence = np.zeros((4, frame), dtype=np.int16)
        if k % 10 == 0:  # a fresh 0.9 s prompt on channels 0-2, shared music on hold on 3
            prompts = [speech_like(7200, rng) for _ in range(3)]
            for ch, prompt in enumerate(prompts):
                plane.play(ch, prompt)
            plane.send_tone(3, moh)
        r = plane.tick(silence)
        expected_total += sum(e.reason == "completed" for e in r.events)
        moh_at = ((k % 10) * frame + np.arange(frame)) % moh.size
        np.testing.assert_array_equal(r.outbound[3], moh[moh_at])
        for ch in range(3):
            part = prompts[ch][(k % 10) * frame : (k % 10 + 1) * frame]
            np.testing.assert_array_equal(r.outbound[ch, : part.size], part)
            assert not r.outbound[ch, part.size :].any()
        peak_arena = max(peak_arena, plane._players._arena.size)
    assert expected_total == 3 * 30  # every prompt completed once
    assert peak_arena < 300_000  # 300 buffers of 7200 samples went through it (2.2 M samples)


def test_stop_play_ends_one_of_several_players() -> None:
    plane = MediaPlane(1)
    tone = np.full(800, 100, dtype=np.int16)
    tone.setflags(write=False)
    h1 = plane.send_tone(0, tone)
    h2 = plane.play(0, tone, replace=False)  # shared buffer, stored once
    assert plane._players.stored_samples == 800
    assert plane.stop_play(h2) and not plane.stop_play(h2)
    out, events = silent_ticks(plane, 2)
    np.testing.assert_array_equal(out[0], np.full(2 * FRAME, 100))
    assert [(e.handle_id, e.reason) for e in events] == [(h2.handle_id, "stopped")]
    plane.stop_play(h1)
    silent_ticks(plane, 1)
    assert plane._players.stored_samples == 0 and not plane._players._shared
