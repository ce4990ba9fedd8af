"""DTMF detector and generator on real signals: Q.24 classes, block invariance, channels, levels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp._base import DigitEvent, dbm0_to_peak
from pycti.dsp.dtmf import DTMF_DIGITS, DtmfDetector, DtmfGenerator, DtmfParams, dtmf_tones
from pycti.dsp.q24 import CLASSES, q24_vectors, run_q24


def _detect(x: np.ndarray, pieces: list[int] | None = None) -> list[DigitEvent]:
    """Events of the default detector on ``x``, fed whole or in ``pieces``, then flushed."""
    x = np.atleast_2d(x)
    det = DtmfDetector(x.shape[0])
    events: list[DigitEvent] = []
    if pieces is None:
        events += det.process(x)
    else:
        pos = 0
        for n in pieces:
            events += det.process(x[:, pos : pos + n])
            pos += n
        if pos < x.shape[1]:
            events += det.process(x[:, pos:])
    return events + det.flush()


@pytest.mark.parametrize("klass", CLASSES)
def test_every_q24_vector_of_the_class_passes(klass: str) -> None:
    (row,) = run_q24(classes=[klass])
    assert row.accept_ok == row.accept_n
    assert row.reject_ok == row.reject_n
    assert row.false_digits == 0


def test_talkoff_holds_on_a_second_seed() -> None:
    (row,) = run_q24(classes=["talkoff"], seed=1)
    assert row.reject_ok == row.reject_n and row.false_digits == 0


def test_tone_with_its_second_harmonic_is_not_a_digit() -> None:
    # 833 Hz is 852 - 2.2 %, its harmonic 1666 Hz is 1633 + 2.0 %: inside both tolerances.
    t = np.arange(4000) / 8000
    x = dbm0_to_peak(-10.0) * (np.sin(2 * np.pi * 833 * t) + 0.8 * np.sin(2 * np.pi * 1666 * t))
    assert _detect(np.rint(x).astype(np.int16)) == []
    # The same frequencies with an off-harmonic ratio are a (deviated) "C".
    y = dbm0_to_peak(-10.0) * (np.sin(2 * np.pi * 852 * t) + 0.8 * np.sin(2 * np.pi * 1650 * t))
    assert [e.digit for e in _detect(np.rint(y).astype(np.int16))] == ["C"]


def test_vector_set_is_seeded_and_large() -> None:
    a = q24_vectors(["level"], seed=7)
    b = q24_vectors(["level"], seed=7)
    assert all(np.array_equal(x.signal, y.signal) for x, y in zip(a, b))
    assert len(q24_vectors()) >= 1600


def test_generated_string_round_trips_with_sample_positions() -> None:
    x = np.concatenate([np.zeros(37, np.int16), dtmf_tones(DTMF_DIGITS, on_ms=50, off_ms=50)])
    events = _detect(x)
    assert "".join(e.digit for e in events) == DTMF_DIGITS
    for k, e in enumerate(events):
        assert abs(e.start_sample - (37 + 800 * k)) <= 8
        assert abs(e.end_sample - (37 + 800 * k + 400)) <= 8
        assert e.channel == 0


@pytest.mark.parametrize("level_dbm0", [-3.0, -10.0, -18.0, -25.0])
def test_reported_level_within_one_db(level_dbm0: float) -> None:
    events = _detect(dtmf_tones("159D", level_dbm0=level_dbm0))
    assert [e.digit for e in events] == list("159D")
    for e in events:
        assert abs(e.level_dbm0 - level_dbm0) <= 1.0


def test_level_of_twisted_pair_is_mean_of_tone_levels() -> None:
    (event,) = _detect(dtmf_tones("5", level_dbm0=-8.0, twist_db=6.0))
    assert abs(event.level_dbm0 - (-11.0)) <= 1.0


@pytest.mark.parametrize(("twist_db", "found"), [(8.0, True), (-4.0, True), (10.0, False), (-6.0, False)])
def test_twist_limits_are_inclusive_and_beyond_is_refused(twist_db: float, found: bool) -> None:
    events = _detect(dtmf_tones("0123456789", level_dbm0=-12.0, twist_db=twist_db))
    assert len(events) == (10 if found else 0)


def test_different_digits_on_different_channels_in_one_block() -> None:
    gen = DtmfGenerator(5)
    for ch, (digits, delay) in enumerate([("12", 0), ("", 0), ("#", 3), ("A0", 1), ("7", 2)]):
        if digits:
            gen.start(ch, digits, on_ms=60, off_ms=60)
    audio = gen.read(2000)
    audio[2] = np.roll(audio[2], 300)  # channel 2 starts later
    events = _detect(audio)
    per = {ch: "".join(e.digit for e in events if e.channel == ch) for ch in range(5)}
    assert per == {0: "12", 1: "", 2: "#", 3: "A0", 4: "7"}
    assert events == sorted(events, key=lambda e: (e.end_sample, e.channel))
    (ev2,) = [e for e in events if e.channel == 2]
    assert abs(ev2.start_sample - 300) <= 8


def _scenario(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chans = []
    for ch in range(3):
        digits = "".join(rng.choice(list(DTMF_DIGITS), 4))
        x = dtmf_tones(digits, on_ms=45 + 10 * ch, off_ms=45, level_dbm0=-12.0 - 3 * ch).astype(float)
        x = np.concatenate([np.zeros(int(rng.integers(0, 200))), x, np.zeros(400)])[:3200]
        x = np.pad(x, (0, 3200 - x.size)) + rng.standard_normal(3200) * 60
        chans.append(x)
    return np.rint(np.array(chans)).astype(np.int16)


SCENARIO = _scenario(5)
WHOLE = _detect(SCENARIO)


def test_scenario_finds_its_digits() -> None:
    assert [sum(e.channel == ch for e in WHOLE) for ch in range(3)] == [4, 4, 4]


def test_160_sample_blocks_give_identical_events() -> None:
    assert _detect(SCENARIO, [160] * 20) == WHOLE


def test_one_sample_blocks_give_identical_events() -> None:
    x = SCENARIO[:, :1400]
    assert _detect(x, [1] * 1400) == _detect(x)


@settings(deadline=None, max_examples=30)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=40))
def test_any_block_partition_gives_identical_events(pieces: list[int]) -> None:
    assert _detect(SCENARIO, pieces) == WHOLE


def test_float_input_equals_int16_input() -> None:
    assert _detect(SCENARIO.astype(np.float32)) == WHOLE


def test_dropout_of_20_ms_is_bridged_and_40_ms_pause_separates() -> None:
    tone = dtmf_tones("8", on_ms=50, off_ms=0)
    gap20, gap40 = np.zeros(160, np.int16), np.zeros(320, np.int16)
    assert [e.digit for e in _detect(np.concatenate([tone, gap20, tone]))] == ["8"]
    assert [e.digit for e in _detect(np.concatenate([tone, gap40, tone]))] == ["8", "8"]


def test_flush_ends_a_digit_in_progress() -> None:
    x = np.concatenate([np.zeros(100, np.int16), dtmf_tones("4", on_ms=70, off_ms=0)])
    det = DtmfDetector(1)
    assert det.process(x[None]) == []
    (event,) = det.flush()
    assert event.digit == "4" and abs(event.end_sample - x.size) <= 8


def test_no_digit_on_silence_or_noise() -> None:
    rng = np.random.default_rng(3)
    noise = np.rint(rng.standard_normal((4, 16000)) * 3000).astype(np.int16)
    assert _detect(noise) == []
    assert _detect(np.zeros((2, 8000), np.int16)) == []


def test_generator_blocks_equal_one_shot_rendering() -> None:
    gen = DtmfGenerator(3)
    gen.start(1, "9*", on_ms=40, off_ms=60, level_dbm0=-7, twist_db=2)
    assert gen.busy(1) and not gen.busy(0)
    out = np.concatenate([gen.read(n) for n in (1, 159, 160, 480, 800)], axis=1)
    ref = dtmf_tones("9*", on_ms=40, off_ms=60, level_dbm0=-7, twist_db=2)
    np.testing.assert_array_equal(out[1, : ref.size], ref)
    assert not out[[0, 2]].any() and not out[1, ref.size :].any()
    assert not gen.busy(1)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        DtmfParams(freq_tolerance_pct=10.0)
    with pytest.raises(ValueError):
        DtmfParams(min_off_ms=25.0)
    with pytest.raises(ValueError):
        DtmfDetector(2).process(np.zeros((3, 160), np.int16))
    with pytest.raises(ValueError):
        DtmfDetector(1, fs_hz=16000)
    with pytest.raises(ValueError):
        dtmf_tones("12X")
