"""Pluggable detectors: whole-array and channel-subset detectors, index and timeline mapping."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from pycti.dsp._base import rms_to_dbm0
from pycti.media.plane import DetectorFailed, EventDetector, MediaPlane
from pycti.media.bench import bench_inbound, sine

FRAME = 160


@dataclass(frozen=True, slots=True, kw_only=True)
class Burst:
    channel: int
    start_sample: int
    end_sample: int
    level_dbm0: float


class EnergyDetector:
    """A tiny real detector: reports each run of 20 ms frames above ``threshold_dbm0`` per
    channel, when it ends.  Sample positions count from the detector's first block."""

    def __init__(self, channels: int, threshold_dbm0: float = -30.0) -> None:
        self.channels = channels
        self.threshold_dbm0 = threshold_dbm0
        self.sample = 0
        self.onset = np.full(channels, -1)
        self.blocks_seen = 0

    def process(self, block: np.ndarray) -> list[Burst]:
        assert block.shape[0] == self.channels
        self.blocks_seen += 1
        rms = np.sqrt(np.mean(block.astype(np.float64) ** 2, axis=1))
        level = rms_to_dbm0(rms)
        active = level > self.threshold_dbm0
        starting = active & (self.onset < 0)
        self.onset[starting] = self.sample
        ending = ~active & (self.onset >= 0)
        events = [
            Burst(channel=int(c), start_sample=int(self.onset[c]), end_sample=self.sample, level_dbm0=-99.0)
            for c in np.flatnonzero(ending)
        ]
        self.onset[ending] = -1
        self.sample += block.shape[1]
        return events


def test_the_energy_detector_implements_the_protocol() -> None:
    assert isinstance(EnergyDetector(1), EventDetector)


def bursts_on(channels: int, spans: dict[int, tuple[int, int]], ticks: int) -> np.ndarray:
    """Inbound audio with a 1 kHz -10 dBm0 tone on channel c over ticks [a, b)."""
    audio = np.zeros((channels, ticks * FRAME), dtype=np.int16)
    tone = sine(1000.0, ticks * FRAME, level_dbm0=-10.0)
    for c, (a, b) in spans.items():
        audio[c, a * FRAME : b * FRAME] = tone[a * FRAME : b * FRAME]
    return audio


def test_subset_detectors_get_their_channels_and_report_plane_indices() -> None:
    plane = MediaPlane(8)
    audio = bursts_on(8, {0: (1, 3), 2: (2, 5), 5: (1, 2), 7: (3, 6)}, ticks=10)
    everywhere = EnergyDetector(8)
    odd_reversed = EnergyDetector(4)
    plane.add_detector("all", everywhere)
    plane.add_detector("odd", odd_reversed, channels=[7, 5, 3, 1])
    found: list[tuple[str, int, int, int]] = []
    for k in range(10):
        r = plane.tick(audio[:, k * FRAME : (k + 1) * FRAME])
        found += [(type(e).__name__, e.channel, e.start_sample, e.end_sample) for e in r.events]
    all_events = sorted(found)
    assert all_events == sorted(
        [
            ("Burst", 0, 160, 480),
            ("Burst", 2, 320, 800),
            ("Burst", 5, 160, 320),
            ("Burst", 7, 480, 960),
            ("Burst", 5, 160, 320),  # from the subset detector, mapped back to channel 5
            ("Burst", 7, 480, 960),
        ]
    )
    assert everywhere.blocks_seen == odd_reversed.blocks_seen == 10


def test_a_detector_added_later_reports_on_the_plane_timeline() -> None:
    plane = MediaPlane(2)
    audio = bursts_on(2, {1: (6, 9)}, ticks=12)
    for k in range(12):
        if k == 4:
            plane.add_detector("late", EnergyDetector(1), channels=[1])
        r = plane.tick(audio[:, k * FRAME : (k + 1) * FRAME])
        if r.events:
            (ev,) = r.events
            assert (ev.channel, ev.start_sample, ev.end_sample) == (1, 6 * FRAME, 9 * FRAME)
            assert r.start_sample == 9 * FRAME
            break
    else:
        pytest.fail("no burst reported")


def test_a_failing_detector_is_removed_and_reported_others_continue() -> None:
    class Broken:
        def process(self, block: np.ndarray) -> list[object]:
            raise ZeroDivisionError("bug")

    plane = MediaPlane(2)
    plane.set_parties("call", [0, 1])
    plane.add_detector("broken", Broken())
    good = EnergyDetector(2)
    plane.add_detector("good", good)
    frame = np.stack([sine(1000.0, FRAME), np.zeros(FRAME, dtype=np.int16)])
    r = plane.tick(frame)
    assert r.events == [DetectorFailed(name="broken", sample=0, error="ZeroDivisionError: bug")]
    np.testing.assert_array_equal(r.outbound[1], frame[0])
    assert plane.tick(np.zeros((2, FRAME), dtype=np.int16)).events[0].channel == 0
    with pytest.raises(KeyError):
        plane.remove_detector("broken")
    assert plane.remove_detector("good") is good


def test_detector_registration_errors() -> None:
    plane = MediaPlane(3)
    plane.add_detector("e", EnergyDetector(3))
    with pytest.raises(ValueError, match="already installed"):
        plane.add_detector("e", EnergyDetector(3))
    with pytest.raises(TypeError):
        plane.add_detector("x", object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range"):
        plane.add_detector("y", EnergyDetector(1), channels=[3])


def test_real_dtmf_detector_on_a_channel_subset() -> None:
    dtmf = pytest.importorskip("pycti.dsp.dtmf")
    channels = 40
    frames = bench_inbound(channels)  # digits on channels 0, 10, 20, 30
    subset = [30, 3, 10]
    plane = MediaPlane(channels)
    plane.add_detector("dtmf", dtmf.DtmfDetector(len(subset)), channels=subset)
    events = []
    for k in range(2 * frames.shape[0]):
        events += plane.tick(frames[k % frames.shape[0]]).events
    assert sorted({(e.channel, e.digit) for e in events}) == [(10, "1"), (30, "3")]
    assert all(e.end_sample - e.start_sample >= 40 * 8 for e in events)


def test_progress_tone_detector_on_trunk_channels_while_the_agent_hears_the_tone() -> None:
    progress = pytest.importorskip("pycti.dsp.progress")
    busy = progress.progress_tone("CN", "BUSY", 3000)  # the far exchange's busy tone
    plane = MediaPlane(6)
    plane.set_parties("outbound-call", [2, 5])  # trunk 2 bridged to agent 5
    trunks = [2, 3]
    plane.add_detector("progress", progress.ProgressToneDetector(len(trunks), "CN"), channels=trunks)
    ticks = busy.size // FRAME
    heard = []
    events = []
    for k in range(ticks):
        inbound = np.zeros((6, FRAME), dtype=np.int16)
        inbound[2] = busy[k * FRAME : (k + 1) * FRAME]
        r = plane.tick(inbound)
        heard.append(r.outbound[5])
        events += r.events
    np.testing.assert_array_equal(np.concatenate(heard), busy[: ticks * FRAME])
    assert [(e.channel, e.tone) for e in events] == [(2, "BUSY")]
    assert 0 <= events[0].start_sample < events[0].end_sample <= ticks * FRAME


def test_close_flushes_detectors_stops_players_and_closes_recordings(tmp_path: Path) -> None:
    dtmf = pytest.importorskip("pycti.dsp.dtmf")
    plane = MediaPlane(3)
    plane.add_detector("dtmf", dtmf.DtmfDetector(2), channels=[2, 0])
    handle = plane.play(1, sine(425.0, 8000), loop=True)
    rec = plane.record([0], tmp_path / "last.wav")
    digit = np.asarray(dtmf.dtmf_tones("9", on_ms=100, off_ms=0), dtype=np.int16)
    ticks = digit.size // FRAME
    events = []
    for k in range(ticks):  # the audio stops while the digit is still sounding
        inbound = np.zeros((3, FRAME), dtype=np.int16)
        inbound[0] = digit[k * FRAME : (k + 1) * FRAME]
        events += plane.tick(inbound).events
    events += plane.close()
    digits = [e for e in events if hasattr(e, "digit")]
    assert [(e.channel, e.digit) for e in digits] == [(0, "9")]
    done = [e for e in events if not hasattr(e, "digit")]
    assert [(e.handle_id, e.reason, e.sample) for e in done] == [(handle.handle_id, "stopped", ticks * FRAME)]
    assert rec.closed and rec.samples_written == ticks * FRAME
