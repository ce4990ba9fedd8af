"""Call-progress tones: the table, the generators and the detector on synthetic signals."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.cli.dsp_bench import babble, speech_like
from pycti.dsp._base import rms_to_dbm0
from pycti.dsp.progress import (
    ProgressParams,
    ProgressToneDetector,
    ToneGenerator,
    pattern_for,
    progress_tone,
)
from pycti.dsp.progress_tables import COUNTRIES, PROGRESS_TONES, lookup, rows_for

FS = 8000


def _noisy(x: np.ndarray, rng: np.random.Generator, lead: int = 1234, noise_rms: float = 30.0
           ) -> np.ndarray:
    """``x`` after ``lead`` samples of silence, plus white noise (about -58 dBm0)."""
    y = np.concatenate([np.zeros(lead), x.astype(np.float64)])
    return y + rng.normal(0.0, noise_rms, y.size)


def _detect(x: np.ndarray, country: str = "CN", **kw) -> list:
    det = ProgressToneDetector(x.shape[0] if x.ndim == 2 else 1, country, **kw)
    return det.process(x) + det.flush()


# ------------------------------------------------------------------ table

def test_china_rows_follow_yd_t_1124() -> None:
    assert COUNTRIES[0] == "CN"
    assert lookup("CN", "DIAL").freqs_hz == (450.0,) and lookup("CN", "DIAL").continuous
    assert lookup("CN", "RINGBACK").cadence_ms == (1000, 4000)
    assert lookup("CN", "BUSY").cadence_ms == (350, 350)
    assert lookup("CN", "CONGESTION").cadence_ms == (700, 700)
    assert lookup("CN", "CALL_WAITING").cadence_ms == (400, 4000)
    sit = lookup("CN", "SIT")
    assert sit.sequence_hz == ((950.0,), (1400.0,), (1800.0,))
    assert sit.cadence_ms == (330, 0, 330, 0, 330, 1000)


@pytest.mark.parametrize(("country", "tone", "freqs", "cadence"), [
    ("US", "DIAL", (350.0, 440.0), ()),
    ("US", "RINGBACK", (440.0, 480.0), (2000, 4000)),
    ("US", "BUSY", (480.0, 620.0), (500, 500)),
    ("US", "CONGESTION", (480.0, 620.0), (250, 250)),
    ("UK", "DIAL", (350.0, 440.0), ()),
    ("UK", "RINGBACK", (400.0, 450.0), (400, 200, 400, 2000)),
    ("UK", "BUSY", (400.0,), (375, 375)),
    ("UK", "CONGESTION", (400.0,), (400, 350, 225, 525)),
    ("DE", "DIAL", (425.0,), ()),
    ("DE", "RINGBACK", (425.0,), (1000, 4000)),
    ("DE", "BUSY", (425.0,), (480, 480)),
    ("DE", "CONGESTION", (425.0,), (240, 240)),
])
def test_table_rows(country: str, tone: str, freqs: tuple, cadence: tuple) -> None:
    row = lookup(country, tone)
    assert (row.freqs_hz, row.cadence_ms) == (freqs, cadence)
    assert row.source


def test_every_row_is_well_formed() -> None:
    seen = set()
    for row in PROGRESS_TONES:
        assert (row.country, row.tone) not in seen
        seen.add((row.country, row.tone))
        assert len(row.cadence_ms) % 2 == 0
        assert row.source and -40.0 < row.level_dbm0 < 0.0
        if row.sequence_hz:
            assert len(row.sequence_hz) == len(row.cadence_ms) // 2


def test_lookup_errors_name_the_problem() -> None:
    with pytest.raises(KeyError, match="country 'XX'"):
        lookup("XX", "BUSY")
    with pytest.raises(KeyError, match="no 'HOWLER'"):
        lookup("CN", "HOWLER")
    with pytest.raises(KeyError):
        rows_for(["CN", "ZZ"])


# ------------------------------------------------------------------ generator

def test_progress_tone_cadence_and_level() -> None:
    x = progress_tone("CN", "BUSY", 1400, level_dbm0=-13.0)
    assert x.dtype == np.int16 and x.size == 1400 * FS // 1000
    on = x[: 350 * 8].astype(float)
    assert abs(rms_to_dbm0(np.sqrt(np.mean(on * on))) - (-13.0)) < 0.05
    assert not np.any(x[350 * 8: 700 * 8])
    assert np.any(x[700 * 8: 1050 * 8])
    spectrum = np.abs(np.fft.rfft(on))
    assert np.argmax(spectrum) * FS / on.size == pytest.approx(450.0, abs=3.0)


def test_dual_tone_has_both_components_at_the_level() -> None:
    x = progress_tone("US", "DIAL", 1000, level_dbm0=-13.0).astype(float)
    spec = np.abs(np.fft.rfft(x)) / (x.size / 2)
    peaks = sorted(np.argsort(spec)[-2:] * FS / x.size)
    assert peaks == [350.0, 440.0]
    total = rms_to_dbm0(np.sqrt(np.mean(x * x)))
    assert total == pytest.approx(-13.0 + 10 * np.log10(2), abs=0.1)


def test_modulated_dial_tone_has_sidebands() -> None:
    x = progress_tone("AU", "DIAL", 1000).astype(float)
    spec = np.abs(np.fft.rfft(x))
    top3 = sorted(np.argsort(spec)[-3:] * FS / x.size)
    assert top3 == [400.0, 425.0, 450.0]


def test_generator_is_phase_continuous_and_matches_one_shot() -> None:
    gen = ToneGenerator(3)
    gen.start(0, "CN", "BUSY")
    gen.start(2, "US", "RINGBACK", level_dbm0=-19.0)
    sizes = [160, 7, 333, 160, 1000, 2340]
    out = np.concatenate([gen.read(n) for n in sizes], axis=1)
    total_ms = sum(sizes) * 1000 // FS
    assert np.array_equal(out[0, : total_ms * 8], progress_tone("CN", "BUSY", total_ms))
    assert not np.any(out[1])
    assert np.array_equal(out[2, : total_ms * 8],
                          progress_tone("US", "RINGBACK", total_ms, level_dbm0=-19.0))
    gen.stop(0)
    assert not np.any(gen.read(160)[0]) and gen.active.tolist() == [False, False, True]


def test_pattern_drops_zero_length_segments() -> None:
    pat = pattern_for(lookup("CN", "SIT"))
    assert [s.freqs_hz for s in pat.segments] == [(950.0,), (1400.0,), (1800.0,), ()]
    assert pat.period_samples == (3 * 330 + 1000) * 8


# ------------------------------------------------------------------ detector

def _country_rows(country: str) -> list:
    return [r for r in PROGRESS_TONES if r.country == country]


@pytest.mark.parametrize("country", ["CN", "US", "UK", "DE", "AU"])
def test_every_tone_of_a_country_is_detected_as_itself(country: str) -> None:
    """All of a country's tones, one per channel of one detector, each found once, alone."""
    rng = np.random.default_rng(7)
    rows = _country_rows(country)
    x = np.stack([_noisy(progress_tone(country, r.tone, 13000, level_dbm0=r.level_dbm0), rng)
                  for r in rows])
    events = _detect(x, country)
    for ch, row in enumerate(rows):
        mine = [e for e in events if e.channel == ch]
        assert mine, f"{country} {row.tone} not detected"
        assert {e.tone for e in mine} == {row.tone}, f"{country} {row.tone}: {mine}"
        first = mine[0]
        assert abs(first.start_sample - 1234) <= 160
        assert abs(first.level_dbm0 - row.level_dbm0) < 1.0
        if row.tone != "SIT":
            assert len(mine) == 1


@pytest.mark.parametrize(("country", "cycle_ms"), [("CN", 700), ("US", 1000), ("UK", 750),
                                                   ("DE", 960)])
def test_busy_latency_is_within_three_cycles(country: str, cycle_ms: int) -> None:
    rng = np.random.default_rng(3)
    for lead in (0, 77, 1234, 5000):
        x = _noisy(progress_tone(country, "BUSY", 6000, level_dbm0=-20.0), rng, lead=lead)
        events = [e for e in _detect(x[np.newaxis], country) if e.tone == "BUSY"]
        assert len(events) == 1
        latency = events[0].end_sample - lead
        assert latency <= 3 * cycle_ms * 8, latency
        assert abs(events[0].start_sample - lead) <= 160


def test_busy_at_network_tolerances() -> None:
    """Frequency +/-2 %, cadence +/-10 %, level -36 dBm0, in -55 dBm0 noise."""
    rng = np.random.default_rng(11)
    n = np.arange(8 * FS)
    chans = []
    for f, scale in ((441.0, 0.9), (459.0, 1.1), (450.0, 1.0)):
        on = (n % int(700 * 8 * scale)) < int(350 * 8 * scale)
        chans.append(_noisy(250.0 * np.sin(2 * np.pi * f * n / FS) * on, rng, noise_rms=35))
    events = _detect(np.stack(chans))
    assert sorted((e.channel, e.tone) for e in events) == [(0, "BUSY"), (1, "BUSY"), (2, "BUSY")]


def test_tone_too_weak_or_off_frequency_is_ignored() -> None:
    rng = np.random.default_rng(5)
    weak = _noisy(progress_tone("CN", "BUSY", 6000, level_dbm0=-50.0), rng, noise_rms=1.0)
    n = np.arange(6 * FS)
    off = (n % 5600) < 2800
    wrong = _noisy(5000 * np.sin(2 * np.pi * 600.0 * n / FS) * off, rng)
    assert _detect(np.stack([weak, wrong])) == []


def test_no_busy_on_speech_or_babble() -> None:
    rng = np.random.default_rng(2024)
    chans = [speech_like(20000, rng=rng) for _ in range(6)]
    # Voices whose pitch harmonics sit on 450 Hz (F0 = 150 or 225 Hz) the whole time.
    chans += [speech_like(20000, rng=rng, f0_hz=(149.0, 151.0)),
              speech_like(20000, rng=rng, f0_hz=(224.0, 226.0))]
    chans += [babble(20000, rng=rng) for _ in range(2)]
    for country in ("CN", "US", "UK", "DE"):
        assert _detect(np.stack(chans).astype(float), country) == [], country


def test_ringback_and_congestion_are_not_busy() -> None:
    rng = np.random.default_rng(9)
    for country in ("CN", "US", "UK", "DE"):
        x = np.stack([_noisy(progress_tone(country, t, 14000), rng)
                      for t in ("RINGBACK", "CONGESTION", "DIAL")])
        events = _detect(x, country)
        assert sorted((e.channel, e.tone) for e in events) == [
            (0, "RINGBACK"), (1, "CONGESTION"), (2, "DIAL")], (country, events)


def test_busy_after_speech_then_silence_is_reported_again() -> None:
    """A tone is reported once per episode: again after it stops and restarts."""
    rng = np.random.default_rng(1)
    busy = progress_tone("CN", "BUSY", 3000)
    x = np.concatenate([busy, np.zeros(16000, np.int16), speech_like(2000, rng=rng), busy])
    events = _detect(_noisy(x, rng)[np.newaxis])
    assert [e.tone for e in events] == ["BUSY", "BUSY"]


def test_dial_then_busy_is_two_events() -> None:
    rng = np.random.default_rng(4)
    x = np.concatenate([progress_tone("US", "DIAL", 2000), progress_tone("US", "BUSY", 4000)])
    events = _detect(_noisy(x, rng)[np.newaxis], "US")
    assert [e.tone for e in events] == ["DIAL", "BUSY"]
    assert events[1].start_sample == pytest.approx(1234 + 2000 * 8, abs=160)


def test_several_countries_at_once() -> None:
    rng = np.random.default_rng(6)
    x = np.stack([_noisy(progress_tone(c, "BUSY", 6000), rng) for c in ("CN", "DE", "US")])
    events = _detect(x, ("CN", "DE", "US"))
    assert sorted((e.channel, e.tone) for e in events) == [(0, "BUSY"), (1, "BUSY"),
                                                          (2, "BUSY")]


def test_params_change_behaviour() -> None:
    """With three confirm cycles busy comes one cycle later."""
    rng = np.random.default_rng(8)
    x = _noisy(progress_tone("CN", "BUSY", 6000), rng)[np.newaxis]
    two = _detect(x)[0].end_sample
    three = _detect(x, params=ProgressParams(confirm_cycles=3))[0].end_sample
    assert three - two == pytest.approx(700 * 8, abs=160)


def test_bad_input_is_rejected() -> None:
    det = ProgressToneDetector(2)
    with pytest.raises(ValueError, match="channels"):
        det.process(np.zeros((3, 160), np.int16))
    with pytest.raises(ValueError, match="fs_hz"):
        ProgressToneDetector(1, fs_hz=16000)
    with pytest.raises(KeyError):
        ProgressToneDetector(1, "XX")


def test_tones_filter_detects_only_the_chosen_tones() -> None:
    rng = np.random.default_rng(10)
    x = np.stack([_noisy(progress_tone("CN", t, 12000), rng)
                  for t in ("BUSY", "CONGESTION", "DIAL", "RINGBACK")])
    det = ProgressToneDetector(4, "CN", tones=("BUSY",))
    events = det.process(x) + det.flush()
    assert [(e.channel, e.tone) for e in events] == [(0, "BUSY")]
    assert det.signatures == ((450.0,),)
    # The dial tone still has to outlast the country's ringback, even if ringback is not asked.
    det = ProgressToneDetector(4, "CN", tones=("DIAL",))
    events = det.process(x) + det.flush()
    assert [(e.channel, e.tone) for e in events] == [(2, "DIAL")]
    with pytest.raises(ValueError, match="unknown tone name"):
        ProgressToneDetector(1, "CN", tones=("HOWLER",))
    with pytest.raises(ValueError, match="none of the tones"):  # a real tone, not in AU's table
        ProgressToneDetector(1, "AU", tones=("SIT",))


def test_450_hz_with_irregular_cadence_is_not_busy() -> None:
    """The frequency alone is not enough: on/off times outside busy's tolerance never give BUSY,
    even when a few of them are close to 350 ms."""
    rng = np.random.default_rng(12)
    n_ms = 0
    parts = []
    while n_ms < 20000:
        on, off = rng.choice([150, 250, 350, 500, 600], size=2, p=[0.25, 0.25, 0.1, 0.2, 0.2])
        parts += [progress_tone("CN", "DIAL", int(on)), np.zeros(int(off) * 8, np.int16)]
        n_ms += int(on + off)
    x = _noisy(np.concatenate(parts), rng)[np.newaxis]
    assert "BUSY" not in {e.tone for e in _detect(x)}
    # ...while the same generator with 350/350 only is busy.
    assert [e.tone for e in _detect(_noisy(np.concatenate(
        [progress_tone("CN", "DIAL", 350), np.zeros(2800, np.int16)] * 4), rng)[np.newaxis])] \
        == ["BUSY"]
