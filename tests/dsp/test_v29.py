"""ITU-T V.29: the training and constellation the recommendation defines, and the modem pair
over a line with the impairments of a real telephone connection."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pycti.dsp._base import rms_to_dbm0
from pycti.dsp.modem import ModemReceiver, ModemTransmitter, Trained
from pycti.dsp.qam_scrambler import V29_TAPS, Scrambler
from pycti.dsp.v29 import V29RateError, V29Receiver, V29Transmitter, mapper, training_symbols
from pycti.errors import PyctiError
from tests.dsp.test_qam_link import ber, random_bits, run_link, transmit


def test_pair_implements_the_modem_protocols() -> None:
    assert isinstance(V29Transmitter(9600), ModemTransmitter)
    assert isinstance(V29Receiver(7200), ModemReceiver)


@pytest.mark.parametrize("rate", [9600, 7200])
def test_training_segments_as_clause_4_defines_them(rate: int) -> None:
    sym = training_symbols(rate)
    assert sym.size == 48 + 128 + 384
    assert not sym[:48].any()
    b = {9600: 3 - 3j, 7200: 1 - 1j}[rate]
    assert np.array_equal(sym[48:176:2], np.full(64, -3 + 0j))  # A first
    assert np.array_equal(sym[49:176:2], np.full(64, b))
    d = {9600: -3 + 3j, 7200: -1 + 1j}[rate]
    seg3 = sym[176:]
    assert set(seg3.tolist()) == {3 + 0j, d}
    bits = (seg3 == d).astype(int)
    # 1 + x^-6 + x^-7 from the state 0101010: the first seven bits are the state's, then the
    # recurrence.
    assert bits[:7].tolist() == [0, 1, 0, 1, 0, 1, 0]
    assert np.array_equal(bits[7:], bits[1:-6] ^ bits[:-7])


def test_9600_points_and_phase_changes_of_tables_1_and_2() -> None:
    m = mapper(9600)
    # From phase 0: Q1 Q2 Q3 Q4 = 0001 (0 degrees, low) -> (3, 0); 1001 -> (5, 0);
    # 0000 -> +45 degrees -> (1, 1); then 1000 -> +45 -> 90 degrees high -> (0, 5);
    # 0111 -> +180 -> 270 degrees low -> (0, -3); 1101 -> +315 -> 225 degrees high (-3, -3).
    bits = np.array([0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1], np.uint8)
    assert m.map(bits).tolist() == [3, 5, 1 + 1j, 5j, -3j, -3 - 3j]


@pytest.mark.parametrize("rate", [9600, 7200])
def testmapper_and_decoder_invert_each_other(rate: int) -> None:
    tx, rx = mapper(rate), mapper(rate)
    bits = random_bits(rate, seed=2)
    points = tx.map(bits)
    idx = np.array([rx.nearest(p) for p in points])
    assert np.array_equal(rx.decode(idx), bits)


@pytest.mark.parametrize("rate", [9600, 7200])
@pytest.mark.parametrize(
    "line",
    [
        dict(band_filter=False),
        dict(delay_ms=10.0, clock_ppm=200.0, noise_dbm0=-50.0),
        dict(delay_ms=50.0, clock_ppm=-200.0, noise_dbm0=-50.0),
        dict(gain_db=-33.0, noise_dbm0=-70.0),  # received at -43 dBm0
        dict(gain_db=8.0, noise_dbm0=-55.0),  # received at -2 dBm0
        dict(codec="alaw", delay_ms=30.0, clock_ppm=100.0),
    ],
)
def test_random_data_recovered_exactly(rate: int, line: dict[str, Any]) -> None:
    data = random_bits(rate, seed=3)
    res = run_link(rate, data, **line)
    assert res.trained
    assert res.errors(data) == 0


def test_received_at_0_dbm0() -> None:
    """At 0 dBm0 the peaks of the 9600 bit/s signal (crest factor about 3) pass the 16-bit
    full scale and are clipped: a few errors; 7200 bit/s (smaller crest factor) is exact."""
    data = random_bits(9600 * 3, seed=3)
    res = run_link(9600, data, gain_db=10.0, noise_dbm0=-55.0)
    assert res.trained and res.errors(data) < 1e-3 * data.size
    data = random_bits(7200 * 3, seed=3)
    res = run_link(7200, data, gain_db=10.0, noise_dbm0=-55.0)
    assert res.trained and res.errors(data) == 0


def test_level_of_the_transmitted_signal() -> None:
    tx = V29Transmitter(9600, level_dbm0=-13.0)
    sig = transmit(tx, random_bits(9600 * 2), lead_s=0.0, trail_s=0.0)
    data_part = sig[3000:-3000]
    level = float(rms_to_dbm0(float(np.sqrt(np.mean(data_part.astype(float) ** 2)))))
    assert abs(level + 13.0) < 0.5


@pytest.mark.parametrize("rate", [9600, 7200])
def test_tcf_zeros_come_out_as_zeros(rate: int) -> None:
    """T.30 clause 5.3.6.2.3: 1.5 s of zeros after the training checks the line."""
    zeros = np.zeros(int(rate * 1.5), dtype=np.uint8)
    res = run_link(rate, zeros, noise_dbm0=-40.0, gain_db=-10.0, clock_ppm=50.0, delay_ms=20.0)
    assert res.trained and res.errors(zeros) == 0


def test_bit_error_rate_falls_with_the_snr() -> None:
    low, mid, high = ber(9600, 14.0, 0.5), ber(9600, 16.0, 0.5), ber(9600, 22.0, 0.5)
    assert low is not None and mid is not None and high is not None
    assert low > mid > high and high == 0.0 and low < 0.1


def test_transmitter_sends_training_data_tail_then_silence() -> None:
    tx = V29Transmitter(9600)
    tx.write_bits(np.zeros(96, dtype=np.uint8))
    first = tx.generate(8 * 48)  # segment 1: 48 elements of silence at 2400 baud = 160 samples
    assert not first[:130].any() and first[200:].any()  # the pulse leads by 6 elements
    assert not tx.done
    tx.finish()
    with pytest.raises(ValueError):
        tx.write_bits([1])
    out = [first]
    for _ in range(100):
        if tx.done:
            break
        out.append(tx.generate(160))
    assert tx.done and not tx.generate(160).any()
    sig = np.concatenate(out)
    # 560 training + 48 ones + 24 data + 32 tail elements, then the pulse's 6-element tail.
    assert int(np.flatnonzero(sig)[-1]) == pytest.approx((560 + 48 + 24 + 32 + 6) * 10 / 3, abs=12)


def test_bad_rate_and_bits_are_refused() -> None:
    with pytest.raises(V29RateError) as err:
        V29Transmitter(4800)
    assert isinstance(err.value, PyctiError) and isinstance(err.value, ValueError)
    assert "4800" in str(err.value)
    with pytest.raises(V29RateError):
        V29Receiver(14400)
    with pytest.raises(ValueError):
        V29Transmitter(9600).write_bits([0, 2])
    with pytest.raises(ValueError):
        V29Receiver(9600).process(np.zeros((2, 2), dtype=np.int16))


def test_data_scrambled_by_1_x18_x23() -> None:
    """The line carries the data divided by 1 + x^-18 + x^-23: descrambling the decided
    line bits of segment 4 onward with any start state gives the ones after 23 bits."""
    s = Scrambler(V29_TAPS)
    line = s.scramble(np.ones(200, dtype=np.uint8))
    assert np.all(Scrambler(V29_TAPS, state=12345).descramble(line)[23:] == 1)
    assert line[:30].any() and not line[:30].all()


def test_trained_event_marks_the_first_data_sample() -> None:
    data = random_bits(2400, seed=5)
    res = run_link(9600, data, lead_s=0.25, band_filter=False)
    trained = [e for e in res.events if isinstance(e, Trained)]
    assert len(trained) == 1 and trained[0].rate_bps == 9600
    # 0.25 s lead, then 608 training elements at 2400 baud (253 ms) before the first data bit.
    assert trained[0].sample == pytest.approx(0.25 * 8000 + 608 * 10 / 3, abs=20)
