"""Fax and modem tones (T.30 CNG/CED, V.25 ANS and /ANS, V.8 ANSam and /ANSam)."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.cli.dsp_bench import babble, dtmf_tones_or_none, speech_like
from pycti.dsp._base import rms_to_dbm0
from pycti.dsp.fax_tones import (
    CallToneDetector,
    FaxToneDetector,
    FaxToneParams,
    ced,
    ced_pattern,
    cng,
)
from pycti.dsp.progress import ToneGenerator, progress_tone
from tests.dsp._events import assert_same_events

FS = 8000
LEAD = 777


def _noisy(x: np.ndarray, rng: np.random.Generator, lead: int = LEAD, noise_rms: float = 30.0
           ) -> np.ndarray:
    y = np.concatenate([np.zeros(lead), x.astype(np.float64)])
    return y + rng.normal(0.0, noise_rms, y.size)


def _detect(x: np.ndarray, **kw) -> list:
    det = FaxToneDetector(x.shape[0], **kw)
    return det.process(x) + det.flush()


# ------------------------------------------------------------------ generation

def test_cng_is_half_a_second_of_1100_hz_every_3_5_s() -> None:
    x = cng(7000, level_dbm0=-13.0)
    assert x.size == 56000
    on = x[:4000].astype(float)
    assert abs(rms_to_dbm0(np.sqrt(np.mean(on * on))) + 13.0) < 0.05
    assert np.argmax(np.abs(np.fft.rfft(on))) * FS / on.size == pytest.approx(1100.0, abs=2.0)
    assert not np.any(x[4000:28000]) and np.any(x[28000:32000])


def test_ced_variants() -> None:
    plain = ced(1000).astype(float)
    spec = np.abs(np.fft.rfft(plain))
    assert np.argmax(spec) * FS / plain.size == pytest.approx(2100.0, abs=1.0)
    am = ced(1000, am=True).astype(float)
    env = np.abs(np.fft.rfft(am))
    side = env[np.searchsorted(np.fft.rfftfreq(am.size, 1 / FS), 2115.0)]
    assert side / env.max() == pytest.approx(0.1, abs=0.01)  # 20 % AM: sidebands at d/2
    pr = ced(1000, phase_reversal=True).astype(float)
    # 450 ms in, the signal continues with the opposite sign of the plain tone.
    assert np.allclose(pr[:3600], plain[:3600], atol=1) and \
        np.allclose(pr[3600:7200], -plain[3600:7200], atol=1)


def test_generator_plays_fax_patterns_per_channel() -> None:
    gen = ToneGenerator(2)
    gen.play(1, ced_pattern(am=True, phase_reversal=True))
    out = np.concatenate([gen.read(n) for n in (100, 160, 3000, 4740)], axis=1)
    assert not np.any(out[0])
    assert np.array_equal(out[1], ced(1000, am=True, phase_reversal=True))


# ------------------------------------------------------------------ detection

@pytest.mark.parametrize(("am", "pr", "name"), [(False, False, "CED"), (False, True, "CED_PR"),
                                                (True, False, "ANSAM"), (True, True, "ANSAM_PR")])
def test_answer_tone_variants(am: bool, pr: bool, name: str) -> None:
    rng = np.random.default_rng(1)
    chans = []
    for f_offset in (0.0, -15.0, 15.0):
        n = np.arange(3 * FS)
        car = 2100.0 + f_offset
        x = np.sin(2 * np.pi * car * n / FS)
        if am:
            x *= 1.0 + 0.2 * np.cos(2 * np.pi * 15.0 * n / FS)
        if pr:
            x *= 1.0 - 2.0 * ((n // 3600) % 2)
        chans.append(_noisy(3000 * x, rng))
    events = _detect(np.stack(chans))
    assert [(e.channel, e.tone) for e in sorted(events, key=lambda e: e.channel)] == [
        (0, name), (1, name), (2, name)]
    for e in events:
        assert abs(e.start_sample - LEAD) <= 160
        assert 400 * 8 <= e.end_sample - e.start_sample <= 700 * 8


def test_generated_ced_family_is_named() -> None:
    rng = np.random.default_rng(2)
    x = np.stack([_noisy(ced(3000, am=a, phase_reversal=p), rng)
                  for a in (False, True) for p in (False, True)])
    names = {e.channel: e.tone for e in _detect(x)}
    assert names == {0: "CED", 1: "CED_PR", 2: "ANSAM", 3: "ANSAM_PR"}


def test_cng_after_one_burst() -> None:
    rng = np.random.default_rng(3)
    x = np.stack([_noisy(cng(4000), rng), _noisy(cng(4000, level_dbm0=-40.0), rng)])
    events = _detect(x)
    assert sorted((e.channel, e.tone) for e in events) == [(0, "CNG"), (0, "CNG"),
                                                          (1, "CNG"), (1, "CNG")]
    first = min(events, key=lambda e: e.end_sample)
    assert abs(first.start_sample - LEAD) <= 160
    assert first.end_sample - first.start_sample <= 450 * 8
    assert first.level_dbm0 == pytest.approx(-13.0, abs=0.5)


def test_cng_at_its_frequency_tolerance() -> None:
    rng = np.random.default_rng(4)
    n = np.arange(FS)
    chans = [_noisy(3000 * np.sin(2 * np.pi * f * n / FS) * (n < 4000), rng)
             for f in (1062.0, 1138.0)]
    assert {e.channel for e in _detect(np.stack(chans))} == {0, 1}


def test_short_bursts_are_not_cng_or_ced() -> None:
    rng = np.random.default_rng(5)
    n = np.arange(FS)
    short_cng = 3000 * np.sin(2 * np.pi * 1100 * n / FS) * (n < 2400)  # 300 ms
    short_ced = 3000 * np.sin(2 * np.pi * 2100 * n / FS) * (n < 3600)  # 450 ms
    assert _detect(np.stack([_noisy(short_cng, rng), _noisy(short_ced, rng)])) == []


def test_no_fax_tone_on_speech_babble_dtmf_or_progress_tones() -> None:
    rng = np.random.default_rng(6)
    chans = [speech_like(15000, rng=rng) for _ in range(6)]
    chans += [babble(15000, rng=rng), progress_tone("US", "BUSY", 15000),
              progress_tone("CN", "SIT", 15000)]
    make_dtmf = dtmf_tones_or_none()
    if make_dtmf is not None:
        digits = make_dtmf("0123456789*#ABCD" * 3, on_ms=200, off_ms=100)
        chans.append(np.resize(digits, 15 * FS))
    n = min(c.size for c in chans)
    assert _detect(np.stack([c[:n] for c in chans]).astype(float)) == []


def test_too_weak_answer_tone_is_ignored() -> None:
    rng = np.random.default_rng(7)
    x = _noisy(ced(2000, level_dbm0=-50.0), rng, noise_rms=2.0)
    assert _detect(x[np.newaxis]) == []
    assert _detect(x[np.newaxis], params=FaxToneParams(min_level_dbm0=-55.0))


def test_combined_detector_equals_separate_detectors() -> None:
    rng = np.random.default_rng(8)
    x = np.stack([_noisy(np.concatenate([cng(1000), ced(3000), progress_tone("CN", "BUSY", 3000)]),
                         rng),
                  _noisy(np.concatenate([speech_like(4000, rng=rng),
                                         progress_tone("CN", "SIT", 3000)]), rng)])
    comb = CallToneDetector(2, "CN")
    got = comb.process(x[:, :12345]) + comb.process(x[:, 12345:]) + comb.flush()
    from pycti.dsp.progress import ProgressToneDetector

    sep = []
    for det in (FaxToneDetector(2), ProgressToneDetector(2, "CN")):
        sep += det.process(x) + det.flush()

    def key(e):
        return (e.channel, e.start_sample, e.tone)

    # Levels to within a rounding step: the shared front end's product has more columns than
    # either detector's own, and a BLAS may round its rows differently (tests/dsp/_events.py).
    assert_same_events(sorted(got, key=key), sorted(sep, key=key))
    assert [e.tone for e in sorted(got, key=key) if e.channel == 0] == ["CNG", "CED", "BUSY"]
    assert [e.tone for e in got if e.channel == 1] == ["SIT"]
