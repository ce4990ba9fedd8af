"""Digital silence is skipped, not judged differently.

The DTMF bank evaluates only channels that have had a non-zero sample since they were last
found quiet, and the progress-tone detector projects only frames with sound.  These tests run
the same audio -- most channels exact zeros, a few with digits, tones and noise that start and
stop at awkward places -- once as the detectors run it and once with the skipping disabled
(every channel evaluated every time), and require the same events.  Levels may differ by one
rounding step: a float32 product over fewer rows may round differently (``tests/dsp/_events.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp.dtmf import DtmfDetector, dtmf_tones
from pycti.dsp.goertzel import HalfWindowBank
from pycti.dsp.progress import ProgressToneDetector, progress_tone
from tests.dsp._events import assert_same_events

CHANNELS = 24
SAMPLES = 8000 * 6


def _place(out: np.ndarray, ch: int, at: int, x: np.ndarray) -> None:
    n = min(x.size, out.shape[1] - at)
    out[ch, at : at + n] = x[:n]


def _dtmf_audio(seed: int) -> np.ndarray:
    """Channels of zeros; a third get digit strings at odd offsets, some with exact-zero gaps
    shorter than the detector's memory, one with a lone non-zero sample, one with noise."""
    rng = np.random.default_rng(seed)
    x = np.zeros((CHANNELS, SAMPLES), np.int16)
    for ch in range(0, CHANNELS, 3):
        at = int(rng.integers(0, SAMPLES // 2))
        _place(x, ch, at, dtmf_tones("159#", on_ms=float(rng.integers(45, 90)), off_ms=float(rng.integers(30, 90))))
        _place(x, ch, at + 8000, dtmf_tones("0*", on_ms=60.0, off_ms=40.0, level_dbm0=-25.0))
    x[1, 12345] = 7  # one sample wakes a channel that has nothing to say
    x[4, 20000:21000] = rng.normal(0, 300, 1000).astype(np.int16)
    _place(x, 7, 39990, dtmf_tones("7", on_ms=70.0, off_ms=0.0))  # runs into the end of the stream
    return x


def _run_dtmf(x: np.ndarray, pieces: list[int], *, skip: bool, monkeypatch: pytest.MonkeyPatch) -> list:
    with monkeypatch.context() as m:
        if not skip:  # every channel live all the time: the bank evaluates them all
            m.setattr(HalfWindowBank, "_mark_live", lambda self, block: self.live.fill(True))
            m.setattr(DtmfDetector, "_release_quiet", lambda self, rows, history: None)
        det = DtmfDetector(x.shape[0])
        events, pos = [], 0
        for n in pieces:
            events += det.process(x[:, pos : pos + n])
            pos += n
        events += det.process(x[:, pos:])
        events += det.flush()
    return events


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("piece", [160, 333, 800])
def test_dtmf_events_are_the_same_with_silent_channels_skipped(seed: int, piece: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    x = _dtmf_audio(seed)
    pieces = [piece] * (SAMPLES // piece - 1)
    want = _run_dtmf(x, pieces, skip=False, monkeypatch=monkeypatch)
    got = _run_dtmf(x, pieces, skip=True, monkeypatch=monkeypatch)
    assert len(want) >= 12  # the digits are there to be found
    assert {e.channel for e in want} >= {0, 3, 6, 7}
    assert_same_events(got, want)


def test_dtmf_channel_reset_while_skipped_starts_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """A channel reset (a new call on the port) while quiet, then a digit: the same events."""
    x = _dtmf_audio(5)
    out = {}
    for skip in (False, True):
        with monkeypatch.context() as m:
            if not skip:
                m.setattr(HalfWindowBank, "_mark_live", lambda self, block: self.live.fill(True))
                m.setattr(DtmfDetector, "_release_quiet", lambda self, rows, history: None)
            det = DtmfDetector(CHANNELS)
            ev = det.process(x[:, :16000])
            det.reset_channels([0, 2, 3])
            ev += det.process(x[:, 16000:]) + det.flush()
            out[skip] = ev
    assert_same_events(out[True], out[False])


def _progress_audio(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros((CHANNELS, SAMPLES), np.int16)
    for ch, tone in zip(range(0, CHANNELS, 4), ("BUSY", "RINGBACK", "DIAL", "CONGESTION", "SIT", "BUSY")):
        _place(x, ch, int(rng.integers(0, 8000)) // 160 * 160 + int(rng.integers(0, 160)),
               progress_tone("CN", tone, 4000))
    x[5, 30000:30400] = rng.normal(0, 500, 400).astype(np.int16)
    return x


@pytest.mark.parametrize("seed", [2, 9])
def test_progress_events_are_the_same_with_silent_frames_skipped(seed: int) -> None:
    """int16 whole frames take the path that projects only frames with sound; the same audio
    as float32 takes the general path that projects every frame."""
    x = _progress_audio(seed)
    fast, slow = ProgressToneDetector(CHANNELS, "CN"), ProgressToneDetector(CHANNELS, "CN")
    got, want = [], []
    for pos in range(0, SAMPLES, 800):
        got += fast.process(x[:, pos : pos + 800])
        want += slow.process(x[:, pos : pos + 800].astype(np.float32))
    got += fast.flush()
    want += slow.flush()
    assert len(want) >= 5
    assert_same_events(got, want)


class _EveryFrameDeadlines(ProgressToneDetector):
    """The detector looking for dial and quiet deadlines at every frame, as before it kept
    the earliest one pending."""

    @property  # type: ignore[override]
    def _due_min(self) -> int:
        return 0

    @_due_min.setter
    def _due_min(self, value: int) -> None:
        pass


@pytest.mark.parametrize("seed", [2, 9])
def test_progress_deadlines_skipped_between_them_give_the_same_events(seed: int) -> None:
    """Dial tones confirmed and quiet episodes ended (tones that stop, then silence) at the
    same frames when the detector looks only at the frames of its pending deadlines."""
    x = _progress_audio(seed)
    x[8, 30000:] = 0  # the dial tone stops: its quiet episode ends later
    det, ref = ProgressToneDetector(CHANNELS, "CN"), _EveryFrameDeadlines(CHANNELS, "CN")
    got, want = [], []
    for pos in range(0, SAMPLES, 480):
        got += det.process(x[:, pos : pos + 480])
        want += ref.process(x[:, pos : pos + 480])
    got += det.flush()
    want += ref.flush()
    assert {e.tone for e in want} >= {"DIAL", "BUSY"}
    assert_same_events(got, want)


def test_fsk_receiver_started_late_is_one_fed_the_silence_first() -> None:
    """A caller-ID receiver made at ``start_sample`` gives the events (sample positions too)
    of one made earlier and fed that many zero samples: what the analog adapter relies on to
    make a ringing line's receiver only when its line first carries a signal."""
    from pycti.dsp.callerid import CallerId, encode_mdmf
    from pycti.dsp.callerid_fsk import FskCallerIdReceiver, fsk_callerid_signal

    signal = fsk_callerid_signal(encode_mdmf(CallerId(number="5551234", month=1, day=2, hour=3, minute=4)))
    for silence in (0, 160 * 37, 12345):
        line = np.concatenate([np.zeros(silence, np.int16), signal, np.zeros(4000, np.int16)])
        early, late = FskCallerIdReceiver(1), FskCallerIdReceiver(1, start_sample=silence)
        want = []
        for pos in range(0, line.size, 160):
            want += early.process(line[None, pos : pos + 160])
        got = []
        for pos in range(silence, line.size, 160):
            got += late.process(line[None, pos : pos + 160])
        assert len(want) == 1 and want[0].caller_id is not None and want[0].caller_id.number == "5551234"
        assert got == want
    with pytest.raises(ValueError):
        FskCallerIdReceiver(1, start_sample=-1)


def test_nonzero_rows_finds_every_row_with_a_sample() -> None:
    """The word-wise test (a row's largest 64-bit word) against the plain one, including rows
    whose only sample is at either end, -32768, or in a block not of whole words."""
    from pycti.dsp.goertzel import nonzero_rows

    rng = np.random.default_rng(8)
    for _ in range(200):
        rows, cols = int(rng.integers(1, 30)), 4 * int(rng.integers(1, 50))
        x = np.zeros((rows, cols), np.int16)
        for r in np.flatnonzero(rng.random(rows) < 0.4):
            x[r, int(rng.choice([0, cols - 1, int(rng.integers(0, cols))]))] = int(rng.choice([1, -1, -32768, 32767]))
        assert (nonzero_rows(x) == x.any(axis=1)).all()
        assert (nonzero_rows(x[:, 1:]) == x[:, 1:].any(axis=1)).all()  # not whole words: the plain way
