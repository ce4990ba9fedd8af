"""The line model does to a signal what its parameters say, whatever the block split."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp._base import DBM0_REF_RMS
from pycti.dsp.linemodel import LineChannel, LineModel
from pycti.dsp.modem import as_bits

FS = 8000


def tone(freq_hz: float, seconds: float = 1.0, peak: float = 10000.0) -> np.ndarray:
    t = np.arange(int(FS * seconds)) / FS
    return np.rint(peak * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def tone_frequency(x: np.ndarray, guess_hz: float) -> float:
    """Frequency of a pure tone by the phase slope of its analytic product with the guess."""
    n = np.arange(x.size)
    z = x.astype(np.float64) * np.exp(-2j * np.pi * guess_hz * n / FS)
    # Average the rotation over 100-sample lags (low-passes away the 2*f image).
    z = np.convolve(z, np.ones(40) / 40, mode="valid")
    rot = np.angle(np.sum(z[100:] * np.conj(z[:-100])))
    return float(guess_hz + rot * FS / (2 * np.pi * 100))


def test_flat_line_is_a_pure_delay() -> None:
    x = tone(1000)
    model = LineModel(band_filter=False, delay_ms=5)
    y = model.apply(x)
    lag = model.delay_samples + LineChannel.latency_slack(model)
    assert np.array_equal(y[lag : lag + x.size], x)
    assert not y[:lag].any()


@pytest.mark.parametrize("gain_db", [-43.0, -20.0, 0.0])
def test_gain(gain_db: float) -> None:
    y = LineModel(gain_db=gain_db).apply(tone(1000))
    assert 20 * np.log10(rms(y[2000:7000]) / rms(tone(1000))) == pytest.approx(gain_db, abs=0.3)


def test_band_filter_passes_the_band_and_stops_outside() -> None:
    line = LineModel()
    for f_hz, lo, hi in [(1000, -0.5, 0.5), (2800, -1.0, 0.5), (100, -90, -15), (3900, -90, -10)]:
        x = tone(f_hz)
        level = 20 * np.log10(rms(line.apply(x)[2000:7000]) / rms(x))
        assert lo < level < hi, (f_hz, level)


@pytest.mark.parametrize("ppm", [300.0, -300.0])
def test_clock_difference_shifts_the_frequency(ppm: float) -> None:
    model = LineModel(clock_ppm=ppm, band_filter=False)
    lag = LineChannel.latency_slack(model)
    y = model.apply(tone(1800, 2.0))[lag:]
    measured = tone_frequency(y[1000:15000], 1800.0)
    assert measured == pytest.approx(1800.0 / (1 + ppm * 1e-6), abs=0.05)
    # and the amplitude survives the interpolation
    assert rms(y[1000:15000]) == pytest.approx(rms(tone(1800)), rel=0.01)


def test_noise_level() -> None:
    y = LineModel(noise_dbm0=-30.0, band_filter=False).apply(np.zeros(16000, np.int16))
    assert 20 * np.log10(rms(y) / DBM0_REF_RMS) == pytest.approx(-30.0, abs=0.3)


def test_codec_round_trip_keeps_the_tone() -> None:
    x = tone(1000)
    for codec in ("ulaw", "alaw"):
        y = LineModel(codec=codec, band_filter=False).apply(x)
        lag = LineChannel.latency_slack(LineModel(codec=codec))
        err = y[lag : lag + x.size].astype(np.float64) - x
        assert 0 < rms(err) < rms(x) / 50  # G.711 quantisation: 35-38 dB SNR


@pytest.mark.parametrize(
    "model",
    [LineModel(), LineModel(clock_ppm=-250, delay_ms=12.5, noise_dbm0=-40, seed=3, codec="alaw")],
)
def test_any_block_split_gives_the_same_signal(model: LineModel) -> None:
    x = tone(1300, 0.5)
    whole = model.apply(x)
    padded = np.concatenate([x, np.zeros(whole.size - x.size, np.int16)])
    rng = np.random.default_rng(1)
    cuts = np.sort(rng.choice(np.arange(1, padded.size), 30, replace=False))
    channel = model.stream()
    pieces = [channel.process(b) for b in np.split(padded, cuts)]
    assert all(p.size == b.size for p, b in zip(pieces, np.split(padded, cuts)))
    assert np.array_equal(np.concatenate(pieces), whole)
    assert channel.underrun_samples == 0


def test_bad_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="delay_ms"):
        LineModel(delay_ms=-1)
    with pytest.raises(ValueError, match="clock_ppm"):
        LineModel(clock_ppm=1e5)
    with pytest.raises(ValueError, match="codec"):
        LineModel(codec="g729")
    with pytest.raises(ValueError, match="1-D"):
        LineModel().stream().process(np.zeros((2, 160)))


def test_bits_are_checked() -> None:
    assert as_bits([0, 1, 1]).dtype == np.uint8
    with pytest.raises(ValueError, match="0 or 1"):
        as_bits([0, 2])
    with pytest.raises(ValueError, match="1-D"):
        as_bits([[0, 1]])
