"""Block-size invariance and channel independence of the tone detectors.

Decisions are compared exactly, levels to within one 0.01 dB rounding step: the front end's
float32 matrix product may round a frame differently for a different number of frames or
channels in the product (see ``tests/dsp/_events.py``).
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.cli.dsp_bench import speech_like
from pycti.dsp.fax_tones import CallToneDetector, FaxToneDetector, ced, cng
from pycti.dsp.progress import ProgressToneDetector, progress_tone
from tests.dsp._events import assert_same_events


def _signal() -> np.ndarray:
    rng = np.random.default_rng(42)
    a = np.concatenate([np.zeros(333, np.int16), progress_tone("CN", "BUSY", 2500),
                        speech_like(1500, rng=rng), progress_tone("CN", "SIT", 2400),
                        progress_tone("CN", "DIAL", 2000)])
    b = np.concatenate([speech_like(1000, rng=rng), cng(700), np.zeros(24000, np.int16),
                        ced(3100, am=True, phase_reversal=True), np.zeros(12000, np.int16)])
    n = min(a.size, b.size)
    noise = rng.normal(0.0, 20.0, (2, n))
    return np.clip(np.rint(np.stack([a[:n], b[:n]]) + noise), -32768, 32767).astype(np.int16)


SIGNAL = _signal()
DETECTORS = {
    "combined": lambda: CallToneDetector(2, "CN"),
    "progress": lambda: ProgressToneDetector(2, "CN"),
    "fax": lambda: FaxToneDetector(2),
}


def _run(kind: str, cuts: list[int]) -> list:
    det = DETECTORS[kind]()
    events = []
    bounds = [0, *sorted({c for c in cuts if 0 < c < SIGNAL.shape[1]}), SIGNAL.shape[1]]
    for lo, hi in itertools.pairwise(bounds):
        events += det.process(SIGNAL[:, lo:hi])
    return events + det.flush()


def _key(e):
    return (e.channel, e.start_sample, e.end_sample, e.tone)


WHOLE = {kind: sorted(_run(kind, []), key=_key) for kind in DETECTORS}


def test_reference_run_finds_everything() -> None:
    tones = [(e.channel, e.tone) for e in WHOLE["combined"]]
    assert tones == [(0, "BUSY"), (0, "SIT"), (0, "DIAL"), (1, "CNG"), (1, "ANSAM_PR")]


def test_160_sample_blocks_give_the_same_events() -> None:
    cuts = list(range(160, SIGNAL.shape[1], 160))
    for kind in DETECTORS:
        assert_same_events(sorted(_run(kind, cuts), key=_key), WHOLE[kind])


@settings(deadline=None, max_examples=12)
@given(kind=st.sampled_from(sorted(DETECTORS)),
       cuts=st.lists(st.integers(min_value=1, max_value=SIGNAL.shape[1] - 1), max_size=40))
def test_random_block_lengths_give_the_same_events(kind: str, cuts: list[int]) -> None:
    assert_same_events(sorted(_run(kind, cuts), key=_key), WHOLE[kind])


def test_channels_are_independent() -> None:
    """A batched detector over N channels reports what N one-channel detectors report."""
    batched = WHOLE["combined"]
    single = []
    for ch in range(SIGNAL.shape[0]):
        det = CallToneDetector(1, "CN")
        single += [type(e)(channel=ch, tone=e.tone, start_sample=e.start_sample,
                           end_sample=e.end_sample, level_dbm0=e.level_dbm0)
                   for e in det.process(SIGNAL[ch]) + det.flush()]
    assert_same_events(sorted(single, key=_key), batched)
