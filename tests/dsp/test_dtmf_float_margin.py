"""The detectors' decisions do not hang on float32 rounding.

The filter banks are float32 matrix products.  A BLAS may evaluate a row of a product in a
different order depending on how many rows it has (the batch shape), so the same window can
come out a few ulps apart for different block sizes or ``batch_ms``.  The detectors promise the
same events (digit or tone, channel, start and end sample) whatever the cutting; that holds only
if no decision statistic sits within rounding of its threshold.  These tests show it two ways:

* perturbation: the windows (and half energies) of the DTMF bank, and the band coefficients and
  frame energies of the tone front end, are pushed by the whole tolerance used when comparing
  batchings (``WINDOW_RTOL`` of each window's scale, far above real float32 differences) in the
  worst coherent directions and at random; the events of the full Q.24 vector set, the tone
  signals and the block-invariance scenarios stay the same (levels to within a rounding step);
* batching: the same signals cut at random points (hypothesis) and analysed with different
  ``batch_ms`` give the same events.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp import goertzel, progress_frames
from pycti.dsp.dtmf import DtmfDetector
from pycti.dsp.fax_tones import CallToneDetector, FaxToneDetector, ced, cng
from pycti.dsp.goertzel import HalfWindowBank, WindowBlock
from pycti.dsp.progress import progress_tone
from pycti.dsp.progress_detect import ProgressToneDetector
from pycti.dsp.progress_frames import BandBank, ToneFrontEnd
from pycti.dsp.q24 import Q24Vector, detect_batch, q24_vectors
from tests.dsp._events import assert_same_events, decisions
from tests.dsp.test_dtmf import _KERNEL_ENERGY, WINDOW_RTOL, _window_scale

#: How the perturbation pushes: ``(window factor sign, energy factor sign, random)``.
#: +1/-1 push every window up (down) by the tolerance while the energies move the other way,
#: which moves the pair ratio, the level and the previous-window tests all towards acceptance
#: (refusal) at once; "random" draws independent signs per component.
MODES = {"tonal": (1.0, -1.0, False), "less_tonal": (-1.0, 1.0, False), "random": (1.0, 1.0, True)}


@functools.cache
def _vectors() -> tuple[Q24Vector, ...]:
    return tuple(q24_vectors())


@functools.cache
def _baseline() -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(evs) for evs in detect_batch(_vectors()))


@contextmanager
def _perturbed_dtmf_bank(mode: str, rtol: float = WINDOW_RTOL, seed: int = 1234) -> Iterator[None]:
    """Every window the DTMF bank evaluates is moved by ``rtol`` of its Cauchy-Schwarz scale
    ``sqrt(window energy * kernel energy)``, and every half energy by ``rtol`` relative."""
    w_sign, e_sign, rand = MODES[mode]
    original = HalfWindowBank._evaluate
    rng = np.random.default_rng(seed)

    def evaluate(self: HalfWindowBank, samples: np.ndarray) -> WindowBlock:
        wb = original(self, samples)
        # each channel's last half energy before the batch (a channel not live was silent)
        last = getattr(self, "_test_prev_energy", np.zeros((self.channels, 1), np.float32))
        prev = last if wb.rows is None else last[wb.rows]
        halves = np.concatenate([prev, wb.energy], axis=1).astype(np.float64)
        scale = np.sqrt((halves[:, :-1] + halves[:, 1:]) * _KERNEL_ENERGY)[..., None]
        new = wb.windows[:, 1:]  # slot 0 is the previous batch's last window, already moved
        if rand:
            push = rng.uniform(-1.0, 1.0, new.shape) * scale
            new += (rtol * push).astype(np.float32)
            factor = 1.0 + rtol * rng.uniform(-1.0, 1.0, wb.energy.shape)
        else:
            new += (w_sign * rtol * np.sign(new) * scale).astype(np.float32)
            factor = np.full(wb.energy.shape, 1.0 + e_sign * rtol)
        last = np.zeros((self.channels, 1), np.float32)
        last[slice(None) if wb.rows is None else wb.rows] = wb.energy[:, -1:]
        self._test_prev_energy = last  # type: ignore[attr-defined]
        wb.energy[...] = (wb.energy * factor).astype(np.float32)
        return wb

    HalfWindowBank._evaluate = evaluate  # type: ignore[method-assign]
    try:
        yield
    finally:
        HalfWindowBank._evaluate = original  # type: ignore[method-assign]


def _assert_per_vector_same(got: list[list[Any]], want: tuple[tuple[Any, ...], ...]) -> None:
    bad = [(v.name, decisions(g), decisions(w)) for v, g, w in zip(_vectors(), got, want, strict=True)
           if decisions(g) != decisions(w)]
    assert not bad, f"{len(bad)} Q.24 vectors changed: {bad[:5]}"
    for g, w in zip(got, want, strict=True):
        assert_same_events(g, w)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_q24_decisions_survive_the_comparison_tolerance(mode: str) -> None:
    """All 1,608 Q.24 vectors (level, twist and frequency limits, timing edges, noise, talk-off)
    give the same digits at the same samples with every window moved by the tolerance."""
    with _perturbed_dtmf_bank(mode):
        got = detect_batch(_vectors())
    _assert_per_vector_same(got, _baseline())


def test_perturbation_is_not_a_no_op() -> None:
    """The same machinery with a perturbation a thousand times larger does change decisions,
    so the test above would see a decision that hangs on rounding."""
    edge = [v for v in _vectors() if v.klass in ("level", "twist", "frequency")]
    want = detect_batch(edge)
    with _perturbed_dtmf_bank("tonal", rtol=3e-2):
        got = detect_batch(edge)
    assert [decisions(g) for g in got] != [decisions(w) for w in want]


def _edge_vectors() -> list[Q24Vector]:
    """The vectors nearest the acceptance limits: every twist, frequency, level and timing
    vector, and a slice of the noise and talk-off ones."""
    vs = _vectors()
    return [v for v in vs if v.klass in ("twist", "frequency", "level", "timing")] + [
        v for v in vs if v.klass in ("noise", "talkoff")][::9]


@functools.cache
def _edge_audio() -> tuple[np.ndarray, tuple[tuple[Any, ...], ...]]:
    vectors = _edge_vectors()
    n = max(v.signal.size for v in vectors)
    audio = np.zeros((len(vectors), n), np.int16)
    for i, v in enumerate(vectors):
        audio[i, : v.signal.size] = v.signal
    det = DtmfDetector(len(vectors))
    events = det.process(audio) + det.flush()
    return audio, tuple(sorted(events, key=lambda e: (e.channel, e.start_sample)))


def _run_cut(make: Callable[[], Any], x: np.ndarray, cuts: list[int]) -> list[Any]:
    det = make()
    bounds = [0, *sorted({c for c in cuts if 0 < c < x.shape[1]}), x.shape[1]]
    events: list[Any] = []
    for lo, hi in itertools.pairwise(bounds):
        events += det.process(x[:, lo:hi])
    return events + det.flush()


@settings(deadline=None, max_examples=20)
@given(cuts=st.lists(st.integers(min_value=1, max_value=40000), max_size=30),
       batch_ms=st.sampled_from([0.0, 5.0, 15.0, 20.0, 35.0, 60.0, 100.0, 180.0, 400.0, 1000.0]))
def test_q24_edge_vectors_same_events_for_any_cut_and_batch(cuts: list[int], batch_ms: float) -> None:
    audio, want = _edge_audio()
    got = _run_cut(lambda: DtmfDetector(audio.shape[0], batch_ms=batch_ms), audio, cuts)
    assert_same_events(sorted(got, key=lambda e: (e.channel, e.start_sample)), want)
    assert len(want) > 500


# ------------------------------------------------------------------ call-progress and fax tones

def _tone_signal() -> np.ndarray:
    rng = np.random.default_rng(77)
    a = np.concatenate([np.zeros(211, np.int16), progress_tone("CN", "BUSY", 2500),
                        progress_tone("CN", "SIT", 2400), progress_tone("CN", "RINGBACK", 6000),
                        progress_tone("CN", "DIAL", 2000)])
    b = np.concatenate([cng(700), np.zeros(20000, np.int16), ced(3100, am=True, phase_reversal=True),
                        np.zeros(8000, np.int16), ced(2000), np.zeros(8000, np.int16),
                        progress_tone("CN", "CONGESTION", 4000)])
    c = np.concatenate([np.zeros(999, np.int16), progress_tone("CN", "BUSY", 3000, level_dbm0=-38.0),
                        ced(1500, phase_reversal=True)])
    n = max(a.size, b.size, c.size) + 8000
    x = np.stack([np.pad(r, (0, n - r.size)) for r in (a, b, c)]).astype(float) + rng.normal(0.0, 25.0, (3, n))
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


TONES = _tone_signal()
TONE_DETECTORS: dict[str, Callable[[], Any]] = {
    "combined": lambda: CallToneDetector(3, "CN"),
    "progress": lambda: ProgressToneDetector(3, "CN"),
    "fax": lambda: FaxToneDetector(3),
}


def _key(e: Any) -> tuple[Any, ...]:
    return (e.channel, e.start_sample, e.end_sample, e.tone)


@functools.cache
def _tone_baseline(kind: str) -> tuple[Any, ...]:
    return tuple(sorted(_run_cut(TONE_DETECTORS[kind], TONES, []), key=_key))


@contextmanager
def _perturbed_front_end(mode: str, rtol: float = WINDOW_RTOL) -> Iterator[None]:
    """Band coefficients moved by ``rtol`` of ``sqrt(frame energy)`` (their Cauchy-Schwarz
    bound: the whitened basis columns have unit norm at most), band and frame energies by
    ``rtol`` relative."""
    w_sign, e_sign, rand = MODES[mode]
    original = ToneFrontEnd._features
    rng = np.random.default_rng(99)

    def features(self: ToneFrontEnd, frames: np.ndarray) -> progress_frames.Features:
        total = np.maximum(progress_frames.frame_energy(frames), np.float32(1e-6))
        coeffs = self.bank.project(frames)
        scale = np.sqrt(total.astype(np.float64))[..., None]
        if rand:
            coeffs = coeffs + (rtol * rng.uniform(-1, 1, coeffs.shape) * scale).astype(np.float32)
            total = total * (1.0 + rtol * rng.uniform(-1, 1, total.shape))
        else:
            coeffs = coeffs + (w_sign * rtol * np.sign(coeffs) * scale).astype(np.float32)
            total = total * (1.0 + e_sign * rtol)
        return progress_frames.Features(coeffs, self.bank.energies(coeffs), total.astype(np.float32))

    ToneFrontEnd._features = features  # type: ignore[method-assign]
    try:
        yield
    finally:
        ToneFrontEnd._features = original  # type: ignore[method-assign]


def test_tone_scenario_finds_everything() -> None:
    tones = [(e.channel, e.tone) for e in _tone_baseline("combined")]
    assert tones == [(0, "BUSY"), (0, "SIT"), (0, "RINGBACK"), (0, "DIAL"), (1, "CNG"),
                     (1, "ANSAM_PR"), (1, "CED"), (1, "CONGESTION"), (2, "BUSY"), (2, "CED_PR")]


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("kind", sorted(TONE_DETECTORS))
def test_tone_decisions_survive_the_comparison_tolerance(kind: str, mode: str) -> None:
    with _perturbed_front_end(mode):
        got = sorted(_run_cut(TONE_DETECTORS[kind], TONES, list(range(160, TONES.shape[1], 160))), key=_key)
    assert_same_events(got, _tone_baseline(kind))


def test_tone_perturbation_is_not_a_no_op() -> None:
    with _perturbed_front_end("less_tonal", rtol=0.2):
        got = sorted(_run_cut(TONE_DETECTORS["combined"], TONES, []), key=_key)
    assert decisions(got) != decisions(_tone_baseline("combined"))


@settings(deadline=None, max_examples=15)
@given(kind=st.sampled_from(sorted(TONE_DETECTORS)),
       cuts=st.lists(st.integers(min_value=1, max_value=TONES.shape[1] - 1), max_size=60))
def test_tone_events_same_for_any_cut(kind: str, cuts: list[int]) -> None:
    assert_same_events(sorted(_run_cut(TONE_DETECTORS[kind], TONES, cuts), key=_key), _tone_baseline(kind))


def test_the_patched_banks_are_the_detectors_banks() -> None:
    """The banks patched above are the ones the detectors use."""
    assert DtmfDetector(1)._bank.__class__ is goertzel.HalfWindowBank
    assert isinstance(CallToneDetector(1)._front.bank, BandBank)


def test_simulated_blas_rounding_breaks_bit_identity_but_not_the_comparison() -> None:
    """What the old bit-for-bit assertion got wrong: with windows a few ulps apart per batching
    (as another BLAS gives them) bit identity fails, the tolerance comparison and the detector's
    events do not."""
    rng = np.random.default_rng(2)
    x = np.rint(rng.standard_normal((3, 1000)) * 2000).astype(np.int16)
    freqs = np.array([697.0, 941.0, 1633.0])
    runs = []
    for batch_halves in (1, 3, 25):
        with _perturbed_dtmf_bank("random", rtol=1e-6, seed=batch_halves):  # ~8 ulps of the scale
            bank = HalfWindowBank(3, freqs, batch_halves=batch_halves)
            blocks = [bank.push(x[:, k : k + 200]) for k in range(0, 1000, 200)] + [bank.evaluate()]
        runs.append(np.concatenate([b.windows[:, 1:] for b in blocks if b is not None], axis=1))
    scale = _window_scale(x, 25)[..., None]
    for w in runs[1:]:
        assert not np.array_equal(w, runs[0])
        assert np.all(np.abs(w.astype(np.float64) - runs[0]) <= WINDOW_RTOL * scale)
    audio, want = _edge_audio()
    with _perturbed_dtmf_bank("random", rtol=1e-6):
        got = _run_cut(lambda: DtmfDetector(audio.shape[0], batch_ms=20.0), audio, list(range(160, audio.shape[1], 160)))
    assert_same_events(sorted(got, key=lambda e: (e.channel, e.start_sample)), want)
