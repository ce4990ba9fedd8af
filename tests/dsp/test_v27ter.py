"""ITU-T V.27ter: the training, coding and scrambler the recommendation defines, and the modem
pair over a line with the impairments of a real telephone connection."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pycti.dsp._base import rms_to_dbm0
from pycti.dsp.linemodel import LineModel
from pycti.dsp.modem import CarrierDown, CarrierUp, ModemReceiver, ModemTransmitter, TrainingFailed
from pycti.dsp.qam_scrambler import GUARD_V27TER, V27TER_TAPS, Scrambler
from pycti.dsp.v27ter import V27terRateError, V27terReceiver, V27terTransmitter, mapper, training_symbols
from pycti.errors import PyctiError
from tests.dsp.test_qam_link import ber, random_bits, receive, run_link, transmit

SQ2 = np.sqrt(2.0)


def clause_scramble(bits: list[int], state: list[int]) -> list[int]:
    """The V.27ter scrambler written out bit by bit from the recommendation: ``state[d - 1]`` is the
    line bit sent ``d`` bit times ago."""
    s = list(state)
    count = 0
    out = []
    for b in bits:
        o = b ^ s[5] ^ s[6]
        if count >= 33:
            o ^= 1
            count = 0
        elif o != s[7] and o != s[8] and o != s[11]:
            count = 0
        else:
            count += 1
        out.append(o)
        s = [o] + s[:-1]
    return out


def test_pair_implements_the_modem_protocols() -> None:
    assert isinstance(V27terTransmitter(4800), ModemTransmitter)
    assert isinstance(V27terReceiver(2400), ModemReceiver)


@pytest.mark.parametrize("rate", [4800, 2400])
@pytest.mark.parametrize("long_training", [True, False])
def test_training_segments_of_table_3(rate: int, long_training: bool) -> None:
    baud = {4800: 1600, 2400: 1200}[rate]
    sym = training_symbols(rate, long_training)
    silence = round(0.020 * baud)
    n3, n4 = (50, 1074) if long_training else (14, 58)
    assert sym.size == silence + n3 + n4
    assert not sym[:silence].any()
    seg3 = sym[silence:silence + n3]
    assert np.allclose(seg3, SQ2 * (-1.0) ** np.arange(1, n3 + 1))  # 180-degree reversals
    seg4 = sym[silence + n3:]
    # Phase changes 0 or 180 degrees by the first of every three bits of the scrambler fed
    # with ones from the state 0011110 (most recent bit last).
    state = [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]  # the 12 bits the guard looks at, newest first
    first = clause_scramble([1] * (3 * n4), state)[0::3]
    prev = np.concatenate([[seg3[-1]], seg4[:-1]])
    flips = np.rint(np.real(seg4 / prev)).astype(int)
    assert np.array_equal(flips, np.where(np.array(first) == 1, -1, 1))


def test_scrambler_matches_the_recommendation_and_its_guard() -> None:
    rng = np.random.default_rng(4)
    data = rng.integers(0, 2, 3000)
    data[1000:1200] = 0  # long runs make the line repeat; the guard must break them
    data[2000:2100] = 1
    start = [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    reg = sum(bit << i for i, bit in enumerate(start))
    ours = Scrambler(V27TER_TAPS, GUARD_V27TER, state=reg).scramble(data)
    assert ours.tolist() == clause_scramble(data.tolist(), start)
    # From the all-zero state, zeros would stay zeros: the guard inverts the 34th bit.
    line = Scrambler(V27TER_TAPS, GUARD_V27TER).scramble(np.zeros(40, dtype=np.uint8))
    assert not line[:33].any() and line[33] == 1
    # The descrambler (vectorised, any block split) inverts it, guard included.
    d = Scrambler(V27TER_TAPS, GUARD_V27TER, state=reg)
    back = np.concatenate([d.descramble(ours[a:b]) for a, b in [(0, 5), (5, 1100), (1100, 3000)]])
    assert np.array_equal(back, data)


def test_phase_changes_of_tables_1_and_2() -> None:
    m = mapper(4800)
    tribits = {(0, 0, 1): 0, (0, 0, 0): 45, (0, 1, 0): 90, (0, 1, 1): 135, (1, 1, 1): 180,
               (1, 1, 0): 225, (1, 0, 0): 270, (1, 0, 1): 315}
    for bits, degrees in tribits.items():
        m.phase = 0
        (point,) = m.map(np.array(bits, dtype=np.uint8))
        assert np.isclose(point, SQ2 * np.exp(1j * np.deg2rad(degrees)))
    m = mapper(2400)
    dibits = {(0, 0): 0, (0, 1): 90, (1, 1): 180, (1, 0): 270}
    for pair, degrees in dibits.items():
        m.phase = 0
        (point,) = m.map(np.array(pair, dtype=np.uint8))
        assert np.isclose(point, SQ2 * np.exp(1j * np.deg2rad(degrees)))


@pytest.mark.parametrize("rate", [4800, 2400])
@pytest.mark.parametrize(
    "line",
    [
        dict(band_filter=False),
        dict(delay_ms=10.0, clock_ppm=200.0, noise_dbm0=-50.0),
        dict(delay_ms=50.0, clock_ppm=-200.0, noise_dbm0=-50.0),
        dict(gain_db=-33.0, noise_dbm0=-70.0),  # received at -43 dBm0
        dict(gain_db=10.0, noise_dbm0=-55.0),  # received at 0 dBm0
        dict(codec="ulaw", delay_ms=30.0, clock_ppm=-100.0),
    ],
)
def test_random_data_recovered_exactly(rate: int, line: dict[str, Any]) -> None:
    data = random_bits(rate, seed=3)
    res = run_link(rate, data, **line)
    assert res.trained
    assert res.errors(data) == 0


@pytest.mark.parametrize("rate", [4800, 2400])
def test_tcf_zeros_come_out_as_zeros(rate: int) -> None:
    """T.30 clause 5.3.6.2.3: 1.5 s of zeros after the training checks the line."""
    zeros = np.zeros(int(rate * 1.5), dtype=np.uint8)
    res = run_link(rate, zeros, noise_dbm0=-40.0, gain_db=-15.0, clock_ppm=-50.0, delay_ms=20.0)
    assert res.trained and res.errors(zeros) == 0


def test_bit_error_rate_falls_with_the_snr() -> None:
    low, mid, high = ber(4800, 9.0, 0.5), ber(4800, 11.0, 0.5), ber(4800, 16.0, 0.5)
    assert low is not None and mid is not None and high is not None
    assert low > mid > high and high == 0.0 and low < 0.1


def test_level_of_the_transmitted_signal() -> None:
    tx = V27terTransmitter(4800, level_dbm0=-7.0)
    sig = transmit(tx, random_bits(4800 * 2), lead_s=0.0, trail_s=0.0)
    data_part = sig[9000:-3000]
    level = float(rms_to_dbm0(float(np.sqrt(np.mean(data_part.astype(float) ** 2)))))
    assert abs(level + 7.0) < 0.5


def test_short_training_is_sent_and_refused_cleanly_by_the_receiver() -> None:
    """The receiver learns its timing from the 50 reversals of the long training; T.30 does
    not use the short one, which it reports as a failed training."""
    data = random_bits(2400, seed=6)
    tx = V27terTransmitter(4800, long_training=False)
    res = receive(V27terReceiver(4800), LineModel().apply(transmit(tx, data)))
    assert [type(e) for e in res.events] == [CarrierUp, TrainingFailed, CarrierDown]
    assert res.bits.size == 0


def test_bad_rate_and_level_are_refused() -> None:
    with pytest.raises(V27terRateError) as err:
        V27terReceiver(9600)
    assert isinstance(err.value, PyctiError) and isinstance(err.value, ValueError)
    assert "9600" in str(err.value)
    with pytest.raises(ValueError):
        V27terTransmitter(4800, level_dbm0=10.0)
    with pytest.raises(ValueError):
        V27terTransmitter(4800).generate(-1)
