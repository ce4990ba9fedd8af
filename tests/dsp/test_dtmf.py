"""DTMF detector and generator on real signals: Q.24 classes, block invariance, channels, levels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp._base import DigitEvent, dbm0_to_peak
from pycti.dsp.dtmf import (
    DTMF_DIGITS,
    DTMF_HIGH_HZ,
    DTMF_LOW_HZ,
    DtmfDetector,
    DtmfGenerator,
    DtmfParams,
    dtmf_tones,
)
from pycti.dsp.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from pycti.dsp.goertzel import HalfWindowBank, bin_power
from pycti.dsp.q24 import CLASSES, detect_batch, q24_vectors, run_q24
from tests.dsp._events import assert_same_events


def _detect(x: np.ndarray, pieces: list[int] | None = None, **kwargs) -> list[DigitEvent]:
    """Events of a detector (default ``kwargs``) on ``x``, fed whole or in ``pieces``, then flushed."""
    x = np.atleast_2d(x)
    det = DtmfDetector(x.shape[0], **kwargs)
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


@pytest.mark.parametrize("codec", [(ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)], ids=["ulaw", "alaw"])
def test_q24_vectors_pass_after_g711_coding(codec) -> None:
    """Boards and SIP trunks hand over G.711-coded audio: its quantisation noise changes nothing."""
    encode, decode = codec
    vectors = q24_vectors(seed=11)[::2]
    results = detect_batch([dataclasses.replace(v, signal=decode(encode(v.signal))) for v in vectors])
    assert ["".join(e.digit for e in r) for r in results] == [v.expected for v in vectors]


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


# Across block partitions and batch lengths the decisions are compared exactly and the levels to
# within one 0.01 dB rounding step: the filter bank's float32 products may round differently for
# different batch shapes (see tests/dsp/_events.py).


def test_160_sample_blocks_give_identical_events() -> None:
    assert_same_events(_detect(SCENARIO, [160] * 20), WHOLE)


def test_one_sample_blocks_give_identical_events() -> None:
    x = SCENARIO[:, :1400]
    assert_same_events(_detect(x, [1] * 1400), _detect(x))


@settings(deadline=None, max_examples=30)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=40))
def test_any_block_partition_gives_identical_events(pieces: list[int]) -> None:
    assert_same_events(_detect(SCENARIO, pieces), WHOLE)


@settings(deadline=None, max_examples=15)
@given(
    st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=40),
    st.sampled_from([5.0, 25.0, 100.0, 400.0]),
)
def test_any_partition_and_batch_length_give_identical_events(pieces: list[int], batch_ms: float) -> None:
    assert_same_events(_detect(SCENARIO, pieces, batch_ms=batch_ms), WHOLE)


def _busy_signal() -> np.ndarray:
    """Restarts, bridged dropouts, back-to-back digits and noise on four channels."""
    rng = np.random.default_rng(11)
    gap20, gap40 = np.zeros(160, np.int16), np.zeros(320, np.int16)
    one, two = dtmf_tones("1", on_ms=45, off_ms=0), dtmf_tones("2", on_ms=45, off_ms=0)
    rows = [
        np.concatenate([one, gap40, one, gap40, one]),  # the same digit three times
        np.concatenate([one, gap20, one, gap20, one]),  # one digit, bridged twice
        np.concatenate([one, two, one, two]),  # back to back: each replaces the last
        dtmf_tones("1A2B3C", on_ms=40, off_ms=40),
    ]
    out = np.zeros((4, 4400))
    for ch, row in enumerate(rows):
        out[ch, 100 + 23 * ch : 100 + 23 * ch + row.size] = row
    return np.rint(out + rng.standard_normal(out.shape) * 40).astype(np.int16)


def test_one_window_at_a_time_equals_whole_signal_batches() -> None:
    x = _busy_signal()
    stepwise = _detect(x, [40] * (x.shape[1] // 40), batch_ms=5)  # one window per pass
    assert_same_events(_detect(x, batch_ms=1000), stepwise)  # many starts and ends per channel in one pass
    assert_same_events(_detect(x, [160] * (x.shape[1] // 160)), stepwise)
    per = ["".join(e.digit for e in stepwise if e.channel == ch) for ch in range(4)]
    assert per == ["111", "1", "1212", "1A2B3C"]


@pytest.mark.parametrize("batch_ms", [5.0, 60.0, 100.0, 250.0])
def test_digits_are_reported_soon_after_the_tone_stops(batch_ms: float) -> None:
    worst = 0
    for lead in range(0, 480, 37):
        x = np.concatenate([np.zeros(lead, np.int16), dtmf_tones("5", on_ms=55, off_ms=0), np.zeros(2400, np.int16)])
        det = DtmfDetector(1, batch_ms=batch_ms)
        reported = [(s + 40, ev) for s in range(0, x.size, 40) for ev in det.process(x[None, s : s + 40])]
        assert [ev.digit for _, ev in reported] == ["5"]
        at, ev = reported[0]
        assert at - ev.end_sample <= det.report_delay_samples  # what DTMF caller ID relies on
        worst = max(worst, at - (lead + 440))
    # 6 absent halves end a digit (35-40 ms after the tone), then up to one batch.
    assert worst <= 8 * (40 + max(5.0, batch_ms))  # the default (100 ms): at most 140 ms
    assert DtmfDetector(1).report_delay_samples == 1120


#: Largest difference allowed between two evaluations of one window (different batch shapes),
#: relative to ``sqrt(window energy * kernel energy)``, the Cauchy-Schwarz bound of any window
#: component.  A float32 dot product of 40 terms errs by at most 40 * 2**-24 (2.4e-6) of that
#: bound in any summation order, so 1e-5 holds whatever BLAS kernel is chosen.
WINDOW_RTOL = 1e-5
_KERNEL_ENERGY = float(np.sum(np.sin(np.pi * (np.arange(80) + 0.5) / 80) ** 4))  # sum of Hann^2: 30


def _window_scale(x: np.ndarray, n_windows: int) -> np.ndarray:
    """``sqrt(energy * kernel energy)`` of each window (stream after 40 samples of silence)."""
    padded = np.concatenate([np.zeros((x.shape[0], 40)), x.astype(np.float64)], axis=1)
    energy = np.stack([np.sum(padded[:, 40 * k : 40 * k + 80] ** 2, axis=1) for k in range(n_windows)], axis=1)
    return np.sqrt(energy * _KERNEL_ENERGY)


def test_filter_bank_equals_direct_windowed_dft_for_any_batching() -> None:
    """Every batching gives the windows of the direct windowed DFT, and the same windows to
    within float32 rounding.  Not bit for bit: a BLAS sgemm may sum a row in a different order
    for a different number of rows (seen with OpenBLAS 0.3.31 on AMD EPYC), so the batchings are
    compared to within ``WINDOW_RTOL`` of each window's scale; that this margin cannot change a
    decision is what ``tests/dsp/test_dtmf_float_margin.py`` checks."""
    rng = np.random.default_rng(2)
    x = np.rint(rng.standard_normal((3, 1000)) * 2000).astype(np.int16)
    freqs = np.array([697.0, 941.0, 1633.0])
    t = np.arange(80)
    kernel = (np.sin(np.pi * (t + 0.5) / 80) ** 2)[:, None] * np.exp(-2j * np.pi * np.outer(t, freqs) / 8000)
    padded = np.concatenate([np.zeros((3, 40)), x], axis=1)  # the stream starts after silence
    direct = np.stack([padded[:, 40 * k : 40 * k + 80] @ kernel for k in range(25)], axis=1)
    scale = _window_scale(x, 25)[..., None]  # (channels, windows, 1)
    runs = []
    for batch_halves, pieces in [(1, [1000]), (3, [160] * 7), (7, [13, 99, 200, 1, 687]), (25, [1000]), (2, [40] * 25)]:
        bank = HalfWindowBank(3, freqs, batch_halves=batch_halves)
        blocks = [bank.push(x[:, sum(pieces[:i]) : sum(pieces[: i + 1])]) for i in range(len(pieces))]
        blocks.append(bank.evaluate())
        runs.append(np.concatenate([b.windows[:, 1:] for b in blocks if b is not None], axis=1))
    for windows in runs:
        assert windows.shape == runs[0].shape == (3, 25, 6)
        assert np.all(np.abs(windows.astype(np.float64) - runs[0]) <= WINDOW_RTOL * scale)
        got = windows[..., 0::2] + 1j * windows[..., 1::2]
        assert np.all(np.abs(got - direct) <= WINDOW_RTOL * scale)  # the float64 DFT, same margin
    np.testing.assert_allclose(runs[0][..., 0::2] + 1j * runs[0][..., 1::2], direct, rtol=1e-4, atol=0.5)


def test_window_tolerance_is_far_above_float32_rounding_and_far_below_a_signal() -> None:
    """The tolerance is meaningful: the bank's real error (against float64) is well inside it,
    and it is far smaller than what the detector's thresholds tell apart."""
    rng = np.random.default_rng(9)
    x = np.rint(rng.standard_normal((8, 4000)) * 3000).astype(np.int16)
    freqs = np.array(DTMF_LOW_HZ + DTMF_HIGH_HZ)
    windows = HalfWindowBank(8, freqs, batch_halves=100).push(x).windows[:, 1:]
    t = np.arange(80)
    kernel = (np.sin(np.pi * (t + 0.5) / 80) ** 2)[:, None] * np.exp(-2j * np.pi * np.outer(t, freqs) / 8000)
    padded = np.concatenate([np.zeros((8, 40)), x], axis=1)
    direct = np.stack([padded[:, 40 * k : 40 * k + 80] @ kernel for k in range(100)], axis=1)
    err = np.abs(windows[..., 0::2] + 1j * windows[..., 1::2] - direct) / _window_scale(x, 100)[..., None]
    assert err.max() < WINDOW_RTOL / 4
    assert err.max() > 0  # float32, so not exact either: the comparison must not be bit for bit


def test_float_input_equals_int16_input() -> None:
    assert_same_events(_detect(SCENARIO.astype(np.float32)), WHOLE)


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
    with pytest.raises(ValueError):
        DtmfDetector(1, batch_ms=-5.0)


def test_prescreen_keeps_every_window_the_exact_screen_keeps() -> None:
    """The pre-screen (total power of the 8 bins) loses none of the exact screen's hits."""
    signals = [v.signal for v in q24_vectors(["level", "twist", "noise", "talkoff"], seed=7)[::2]]
    # Tones around the level threshold (-30 dBm0 per tone), with twist, where the bounds are closest.
    signals += [
        dtmf_tones("14*D", on_ms=60, off_ms=40, level_dbm0=lv, twist_db=tw)
        for lv in (-31.0, -30.5, -30.0, -29.5, -28.0)
        for tw in (0.0, 1.0, 2.0)
    ]
    x = np.zeros((len(signals), max(sig.size for sig in signals) + 40), np.int16)
    for ch, sig in enumerate(signals):
        x[ch, : sig.size] = sig
    x = x[:, : x.shape[1] - x.shape[1] % 40]
    det = DtmfDetector(x.shape[0])
    wb = HalfWindowBank(x.shape[0], np.array(DTMF_LOW_HZ + DTMF_HIGH_HZ), batch_halves=1).push(x)
    energy = np.concatenate([np.zeros((x.shape[0], 1), np.float32), wb.energy], axis=1)
    window_energy = np.concatenate([np.full((x.shape[0], 1), np.inf, np.float32), energy[:, :-1] + energy[:, 1:]], axis=1)
    screened = det._hits(wb, window_energy)
    # The exact screen over all windows, without the pre-screen.
    power = bin_power(wb.windows).reshape(-1, 8)
    low, high = power[:, :4].max(1), power[:, 4:].max(1)
    kept = (low + high >= det._pair_floor * window_energy.reshape(-1)) & (np.minimum(low, high) >= det._min_tone_power)
    flat = np.flatnonzero(kept)
    both = power[flat].reshape(-1, 2, 4).argmax(-1) + np.array([0, 4])
    exhaustive = det._judge(flat, both, np.take_along_axis(power[flat], both, 1), wb)
    assert 0 < flat.size < kept.size // 4  # real tones, and most speech-like windows screened out
    assert exhaustive.channel.size > 1000
    for field in ("channel", "window", "digit", "level"):
        np.testing.assert_array_equal(getattr(screened, field), getattr(exhaustive, field))
