"""The shared pieces of the QAM/PSK modems: shaping, scramblers, carrier detector, timing
recovery, equalizer, the receiver's state table."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp._base import dbm0_to_peak
from pycti.dsp.qam import TRANSITIONS, DifferentialMapper, RxState
from pycti.dsp.qam_rx import (
    CarrierDetector,
    Equalizer,
    FrontEnd,
    TimingLoop,
    alternation_share,
    alternation_timing,
)
from pycti.dsp.qam_scrambler import V29_TAPS, Scrambler
from pycti.dsp.qam_tx import PulseShape, QamTransmitter, rrc_pulse

FS = 8000


@pytest.mark.parametrize("alpha", [0.25, 0.5])
def test_rrc_pulse_pair_is_nyquist(alpha: float) -> None:
    """Root-raised-cosine twice (transmitter and receiver) has no intersymbol interference."""
    over = 32
    t = np.arange(-12 * over, 12 * over + 1) / over
    p = rrc_pulse(t, alpha)
    rc = np.convolve(p, p) / over
    centre = rc.size // 2
    at_symbols = rc[centre % over::over]
    k0 = centre // over
    assert at_symbols[k0] == pytest.approx(1.0, abs=0.01)
    others = np.delete(at_symbols, k0)
    assert np.max(np.abs(others)) < 0.01


def test_pulse_shape_ratio_and_carrier_period() -> None:
    s = PulseShape(baud=2400, carrier_hz=1700.0, rrc_alpha=0.25)
    assert s.ratio == (3, 10) and s.samples_per_symbol == pytest.approx(10 / 3)
    table = s.carrier_table()
    assert table.size == 80 and np.allclose(table[17 % 80] ** 0, 1)
    assert np.allclose(np.exp(2j * np.pi * 1700 * 80 / FS), 1.0)


class _Qpsk:
    bits_per_symbol = 2

    def map(self, line_bits: np.ndarray) -> np.ndarray:
        g = line_bits.reshape(-1, 2).astype(int)
        return ((1 - 2 * g[:, 0]) + 1j * (1 - 2 * g[:, 1])).astype(np.complex128)


def _tx(level: float = -10.0) -> QamTransmitter:
    shape = PulseShape(baud=2400, carrier_hz=1800.0, rrc_alpha=0.5)
    train = np.tile([1 + 1j, -1 - 1j], 50).astype(np.complex128)
    return QamTransmitter(shape, train, _Qpsk(), Scrambler(V29_TAPS), level, 2.0)


def test_transmitter_output_does_not_depend_on_the_pull_sizes() -> None:
    bits = np.random.default_rng(1).integers(0, 2, 4000).astype(np.uint8)
    a, b = _tx(), _tx()
    a.write_bits(bits)
    b.write_bits(bits[:1000])
    b.write_bits(bits[1000:])
    a.finish()
    b.finish()
    whole = a.generate(8000)
    parts = np.concatenate([b.generate(n) for n in (1, 159, 333, 7, 7500)])
    assert np.array_equal(whole, parts)
    assert a.done and b.done


def test_transmitter_underrun_keeps_the_carrier_up() -> None:
    tx = _tx()
    out = tx.generate(4000)  # no data written: training then scrambled ones
    assert np.sqrt(np.mean(out[2000:].astype(float) ** 2)) > 0.3 * dbm0_to_peak(-10.0)
    assert not tx.done


def test_alternation_timing_and_share() -> None:
    sps = FS / 1600
    shape = PulseShape(baud=1600, carrier_hz=1800.0, rrc_alpha=0.5)
    fe = FrontEnd(shape)
    for offset in (0.0, 1.3, 3.7):
        n = np.arange(4000)
        k = np.arange(-20, 700)
        t_sym = (n[:, None] - offset) / sps - k[None, :]
        bb = (rrc_pulse(t_sym.astype(np.float64), 0.5) * ((-1.0) ** k)[None, :]).sum(axis=1)
        line = 10000 * np.real(bb * np.exp(2j * np.pi * 1800 * n / FS))
        z, _ = FrontEnd(shape).process(line)
        est = alternation_timing(z[1000:1400], 1000, sps)
        want = (offset + fe.delay) % sps
        err = (est - want + sps / 2) % sps - sps / 2
        assert abs(err) < 0.05 * sps
        assert alternation_share(z[1000:1400], 1000, sps) > 0.9
    noise = np.random.default_rng(2).normal(0, 1000, 4000)
    z, _ = FrontEnd(shape).process(noise)
    assert alternation_share(z[1000:1400], 1000, sps) < 0.2


def test_carrier_detector_thresholds_and_hysteresis() -> None:
    shape = PulseShape(baud=2400, carrier_hz=1700.0, rrc_alpha=0.25)

    def flat_power(level_dbm0: float) -> np.ndarray:
        n = np.arange(1600)
        tone = dbm0_to_peak(level_dbm0) * np.sin(2 * np.pi * 1500 * n / FS)
        return FrontEnd(shape).process(tone)[1][400:]

    cd = CarrierDetector()
    assert cd.step(flat_power(-50.0)) == [] and not cd.on
    assert cd.step(flat_power(-42.0))[0][1] is True and cd.on
    assert cd.step(flat_power(-46.5)) == [] and cd.on  # between the thresholds: unchanged
    assert cd.step(flat_power(-49.0))[0][1] is False and not cd.on
    assert cd.step(flat_power(-46.5)) == [] and not cd.on
    with pytest.raises(ValueError):
        CarrierDetector(on_dbm0=-50.0, off_dbm0=-45.0)


def test_timing_loop_absorbs_a_clock_difference() -> None:
    """Random QPSK whose symbols arrive 300 ppm slow: the loop's rate settles on it and the
    symbol-centre samples stay on the points."""
    sps = FS / 2400
    ppm = 300.0
    rng = np.random.default_rng(3)
    sym = (1 - 2 * rng.integers(0, 2, 12000)) + 1j * (1 - 2 * rng.integers(0, 2, 12000))
    n = np.arange(int(11000 * sps))
    # raised-cosine pulses (transmit and receive filters together) at the drifted positions
    t = n / (sps * (1 + ppm * 1e-6))
    k0 = np.floor(t).astype(int)
    z = np.zeros(n.size, dtype=np.complex128)
    for j in range(-8, 9):
        k = k0 + j
        dt = t - k
        rc = np.sinc(dt) * np.cos(np.pi * 0.5 * dt) / (1 - (0.5 * dt * 2) ** 2 + 1e-12)
        z += sym[np.clip(k, 0, sym.size - 1)] * rc
    loop = TimingLoop(sps, start_pos=40.0, gain=1.0)
    centres = []
    while loop.needed_until() < z.size - 1:
        u, _ = loop.produce(z, 0)
        centres.append(u[0::2])
    c = np.concatenate(centres)[-2000:]
    assert loop.rate * 1e6 == pytest.approx(ppm, abs=60)
    assert np.mean(np.abs(c - (np.sign(c.real) + 1j * np.sign(c.imag))) ** 2) < 0.05


def test_equalizer_learns_a_channel_then_tracks_on_decisions() -> None:
    rng = np.random.default_rng(5)
    pts = np.array([1 + 1j, -1 + 1j, -1 - 1j, 1 - 1j])
    sym = pts[rng.integers(0, 4, 3000)]
    # T/2 samples of a dispersive channel with a carrier phase offset.
    up = np.zeros(2 * sym.size, dtype=np.complex128)
    up[0::2] = sym
    h = np.array([0.05, 0.2, 1.0, 0.35, -0.15, 0.08]) * np.exp(0.7j)
    u = np.convolve(up, h)[2: 2 * sym.size + 2]
    eq = Equalizer(16, pts, 2.0)
    eq.set_gains(0.1, 0.05, 0.001)
    x = np.lib.stride_tricks.sliding_window_view(np.concatenate([np.zeros(8), u]), 16)[0::2]
    for k in range(0, 1000, 4):
        eq.run(x[k:k + 4], sym[k:k + 4])
    eq.set_gains(0.03, 0.02, 0.0002)
    wrong = 0
    for k in range(1000, 2976, 16):
        _, idx, mse = eq.run(x[k:k + 16], None)
        wrong += int(np.count_nonzero(pts[idx] != sym[k:k + 16]))
    assert wrong == 0 and mse < 0.05


def test_differential_mapper_round_trip_with_amplitude_bit() -> None:
    rings = np.array([[np.exp(1j * np.pi * p / 4) for p in range(8)],
                      [2 * np.exp(1j * np.pi * p / 4) for p in range(8)]])
    m = DifferentialMapper(rings, (1, 0, 2, 3, 6, 7, 5, 4), amp_bit=True)
    assert m.bits_per_symbol == 4 and m.points.size == 16
    bits = np.random.default_rng(6).integers(0, 2, 400).astype(np.uint8)
    pts = m.map(bits)
    d = DifferentialMapper(rings, (1, 0, 2, 3, 6, 7, 5, 4), amp_bit=True)
    assert np.array_equal(d.decode(np.array([d.nearest(p) for p in pts])), bits)


def test_scrambler_refuses_bad_taps() -> None:
    with pytest.raises(ValueError, match="taps"):
        Scrambler((23, 18))


def test_state_table_covers_carrier_loss_from_every_state() -> None:
    for state in RxState:
        if state is RxState.IDLE:
            assert (state, "down") not in TRANSITIONS
        else:
            assert TRANSITIONS[(state, "down")][0] is RxState.IDLE
    assert TRANSITIONS[(RxState.IDLE, "up")] == (RxState.ACQUIRE, "carrier_up")
    assert TRANSITIONS[(RxState.SETTLE, "settled")] == (RxState.DATA, "trained")
