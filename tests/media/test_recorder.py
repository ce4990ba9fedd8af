"""Recorders: stereo WAV of what each party sends, valid at every flush, robust to write errors."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from pycti.media.plane import MediaPlane, RecordingFailed
from pycti.media.bench import speech_like

FRAME = 160


def read_wav(path: Path) -> tuple[int, int, np.ndarray]:
    """(channels, rate, samples as (frames, channels)) read through the stdlib wave module."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getcomptype() == "NONE"
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return w.getnchannels(), w.getframerate(), data.reshape(-1, w.getnchannels())


def call_audio(channels: int, ticks: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([speech_like(ticks * FRAME, rng) for _ in range(channels)])


def test_stereo_recording_holds_each_party_on_its_own_channel(tmp_path: Path) -> None:
    plane = MediaPlane(4, record_flush_ms=200)
    plane.set_parties("call", [1, 2])
    audio = call_audio(4, 37, seed=1)
    rec = plane.record((2, 1), tmp_path / "call.wav")
    for k in range(37):
        plane.tick(audio[:, k * FRAME : (k + 1) * FRAME])
    plane.stop_recording(rec)
    plane.stop_recording(rec)  # idempotent
    channels, rate, samples = read_wav(rec.path)
    assert (channels, rate) == (2, 8000)
    np.testing.assert_array_equal(samples[:, 0], audio[2])
    np.testing.assert_array_equal(samples[:, 1], audio[1])
    assert rec.closed and rec.samples_written == 37 * FRAME


def test_recording_starts_at_the_next_tick_and_many_recorders_run_at_once(tmp_path: Path) -> None:
    plane = MediaPlane(9, record_flush_ms=100)
    audio = call_audio(9, 40, seed=2)
    recs = {}
    for k in range(40):
        if k in (0, 3, 7, 11):  # recorders started on different ticks flush on different ticks
            a = k % 8
            recs[k] = plane.record((a, a + 1), tmp_path / f"r{k}.wav")
        if k == 13:
            recs["mono"] = plane.record([8], tmp_path / "mono.wav")
        if k == 30:
            plane.stop_recording(recs[3])
        plane.tick(audio[:, k * FRAME : (k + 1) * FRAME])
    for rec in recs.values():
        plane.stop_recording(rec)
    for k, rec in recs.items():
        start = 13 if k == "mono" else k
        stop = 30 if k == 3 else 40
        _, _, samples = read_wav(rec.path)
        expected = audio[list(rec.channels), start * FRAME : stop * FRAME].T
        np.testing.assert_array_equal(samples, expected)


@pytest.mark.parametrize("flush_ms", [20, 1000])
def test_an_open_recording_is_a_valid_wav_after_each_flush(tmp_path: Path, flush_ms: int) -> None:
    """Reading the file while the recorder is still open is what a crash leaves behind."""
    plane = MediaPlane(2, record_flush_ms=flush_ms)
    plane.set_parties("call", [0, 1])
    flush_ticks = flush_ms // 20
    audio = call_audio(2, 120, seed=3)
    rec = plane.record((0, 1), tmp_path / "live.wav")
    first = 1 + rec.recorder_id % flush_ticks  # writes are staggered by recorder id
    for k in range(120):
        plane.tick(audio[:, k * FRAME : (k + 1) * FRAME])
        if k % 17 == 5:
            channels, rate, samples = read_wav(rec.path)  # a second reader, file still open
            ticks = k + 1
            flushed_ticks = 0 if ticks < first else first + (ticks - first) // flush_ticks * flush_ticks
            flushed = flushed_ticks * FRAME
            assert (channels, rate) == (2, 8000)
            assert samples.shape == (flushed, 2)
            assert os.path.getsize(rec.path) == 44 + 4 * flushed
            np.testing.assert_array_equal(samples, audio[:, :flushed].T)
    plane.flush_recording(rec)
    _, _, samples = read_wav(rec.path)
    np.testing.assert_array_equal(samples, audio.T)
    plane.close()
    assert rec.closed


def test_a_failing_recorder_is_reported_and_closed_while_the_call_goes_on(tmp_path: Path) -> None:
    plane = MediaPlane(2, record_flush_ms=20)
    plane.set_parties("call", [0, 1])
    audio = call_audio(2, 6, seed=4)
    rec = plane.record((0, 1), tmp_path / "doomed.wav")
    plane.tick(audio[:, :FRAME])
    os.close(rec._fd)  # the disk went away under the recorder
    rec._fd = os.open(tmp_path / "doomed.wav", os.O_RDONLY)
    r = plane.tick(audio[:, FRAME : 2 * FRAME])
    assert [type(e) for e in r.events] == [RecordingFailed]
    assert r.events[0].samples_written == FRAME and rec.closed
    np.testing.assert_array_equal(r.outbound[1], audio[0, FRAME : 2 * FRAME])
    r = plane.tick(audio[:, 2 * FRAME : 3 * FRAME])
    assert r.events == []
    np.testing.assert_array_equal(read_wav(rec.path)[2], audio[:, :FRAME].T)


def test_record_rejects_bad_arguments_without_side_effects(tmp_path: Path) -> None:
    plane = MediaPlane(2)
    with pytest.raises(ValueError):
        plane.record((), tmp_path / "x.wav")
    with pytest.raises(ValueError, match="out of range"):
        plane.record((0, 5), tmp_path / "x.wav")
    with pytest.raises(OSError):
        plane.record((0, 1), tmp_path / "no-such-dir" / "x.wav")
    with pytest.raises(ValueError, match="multiple of 20"):
        MediaPlane(2, record_flush_ms=30)
    assert not (tmp_path / "x.wav").exists()
    assert plane.tick(np.zeros((2, FRAME), dtype=np.int16)).events == []


def test_recorders_started_together_spread_their_writes(tmp_path: Path) -> None:
    plane = MediaPlane(40, record_flush_ms=200)  # 10 ticks per write
    recs = [plane.record((c, c + 1), tmp_path / f"{c}.wav") for c in range(0, 40, 2)]
    audio = call_audio(40, 30, seed=5)
    writes_per_tick = []
    for k in range(30):
        before = sum(r.samples_written for r in recs)
        plane.tick(audio[:, k * FRAME : (k + 1) * FRAME])
        writes_per_tick.append(sum(r.samples_written for r in recs) != before)
        written = [r.samples_written for r in recs]
        assert sum(w > 0 for w in written) == min(20, 2 * (k + 1))  # 2 of 20 recorders per tick
    assert all(writes_per_tick)
    for rec in recs:
        plane.stop_recording(rec)
        np.testing.assert_array_equal(read_wav(rec.path)[2], audio[list(rec.channels)].T)
