"""Gated detectors: a detector run only on the channels enabled for it, reset on re-enabling.

Real DTMF (ITU-T Q.23 tone pairs from :func:`pycti.dsp.dtmf.dtmf_tones`) over seeded noise; a
gated plane is checked against a plane running the same detector on every channel.
"""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp.dtmf import DtmfDetector, dtmf_tones
from pycti.media.plane import MediaPlane

N = 160  # samples per tick


def _noise(rng: np.random.Generator, channels: int, samples: int) -> np.ndarray:
    return rng.normal(0.0, 30.0, (channels, samples)).astype(np.int16)


def _place(audio: np.ndarray, channel: int, at_sample: int, digits: str) -> None:
    tones = np.asarray(dtmf_tones(digits, on_ms=80, off_ms=80, level_dbm0=-10.0), dtype=np.int16)
    audio[channel, at_sample : at_sample + tones.size] += tones


def _run(plane: MediaPlane, audio: np.ndarray, enable: dict[int, set[int]] | None = None) -> list:
    events = []
    for t in range(audio.shape[1] // N):
        if enable is not None and t in enable:
            plane.set_detector_channels("dtmf", enable[t])
        events.extend(plane.tick(audio[:, t * N : (t + 1) * N]).events)
    events.extend(plane.close())
    return [(e.channel, e.digit, e.start_sample, e.end_sample) for e in events]


def test_reset_channel_detects_as_a_new_detector() -> None:
    rng = np.random.default_rng(5)
    audio = _noise(rng, 2, 40 * N)
    _place(audio, 0, 2 * N, "5")  # a digit in progress when channel 0 is reset ...
    _place(audio, 0, 20 * N, "7")  # ... and one right after the reset
    _place(audio, 1, 3 * N, "9")  # channel 1 is not touched by the reset
    audio[0, 3 * N : 20 * N] = _noise(rng, 1, 17 * N)[0]  # cut the first digit short at the reset
    det = DtmfDetector(2)
    found = []
    for t in range(40):
        if t == 3:
            det.reset_channels([0])
        found.extend(det.process(audio[:, t * N : (t + 1) * N]))
    fresh = DtmfDetector(1)
    ref = []
    for t in range(3, 40):
        ref.extend(fresh.process(audio[:1, t * N : (t + 1) * N]))
    got0 = [(e.digit, e.start_sample, e.end_sample) for e in found if e.channel == 0]
    assert got0 == [(e.digit, e.start_sample + 3 * N, e.end_sample + 3 * N) for e in ref]
    assert [e.digit for e in ref] == ["7"]
    assert [e.digit for e in found if e.channel == 1] == ["9"]


def test_reset_channels_rejects_a_channel_out_of_range() -> None:
    with pytest.raises(ValueError, match="5"):
        DtmfDetector(2).reset_channels([5])


def test_gated_plane_reports_what_an_ungated_one_does_on_enabled_channels() -> None:
    rng = np.random.default_rng(11)
    channels, ticks = 10, 120
    audio = _noise(rng, channels, ticks * N)
    _place(audio, 3, 5 * N, "12")
    _place(audio, 4, 6 * N, "4")  # never enabled: not reported
    _place(audio, 3, 70 * N, "#")  # right after channel 3 is enabled again (tick 69)
    _place(audio, 8, 90 * N, "0")
    full = MediaPlane(channels)
    full.add_detector("dtmf", DtmfDetector(channels))
    everything = _run(full, audio)
    gated = MediaPlane(channels)
    gated.add_gated_detector("dtmf", DtmfDetector, range(channels), bank_channels=4)
    # channel 3 on, then off for a while (its bank idle, skipped), on again; channel 8 later
    got = _run(gated, audio, {0: {3}, 40: set(), 69: {3}, 85: {3, 8}})
    assert got == [e for e in everything if e[0] in (3, 8)]
    assert [e[1] for e in got] == ["1", "2", "#", "0"]


def test_gated_channels_pack_into_few_banks() -> None:
    built: list[int] = []

    def factory(n: int) -> DtmfDetector:
        built.append(n)
        return DtmfDetector(n)

    plane = MediaPlane(64)
    plane.add_gated_detector("dtmf", factory, range(64), bank_channels=8)
    plane.set_detector_channels("dtmf", {5, 40, 63})
    plane.tick(np.zeros((64, N), np.int16))
    assert built == [8]  # three channels share the first bank
    assert plane.detector_channels("dtmf") == {5, 40, 63}
    with pytest.raises(ValueError, match="64"):
        plane.set_detector_channels("dtmf", {64})


def test_gated_detector_argument_errors() -> None:
    plane = MediaPlane(4)
    with pytest.raises(ValueError, match="empty"):
        plane.add_gated_detector("dtmf", DtmfDetector, [])
    with pytest.raises(ValueError, match="bank_channels"):
        plane.add_gated_detector("dtmf", DtmfDetector, [0, 1], bank_channels=0)
    plane.add_gated_detector("dtmf", DtmfDetector, [0, 1])
    with pytest.raises(ValueError, match="already"):
        plane.add_gated_detector("dtmf", DtmfDetector, [2])
    with pytest.raises(ValueError, match=r"\[3\]"):
        plane.set_detector_channels("dtmf", {3})
