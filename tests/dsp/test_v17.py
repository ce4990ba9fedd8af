"""ITU-T V.17: the training the recommendation defines, and the modem pair over a line with the
impairments of a real telephone connection, long and short training."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pycti.dsp._base import rms_to_dbm0
from pycti.dsp.linemodel import LineModel
from pycti.dsp.modem import CarrierDown, CarrierUp, ModemReceiver, ModemTransmitter, Trained, TrainingFailed
from pycti.dsp.qam_scrambler import V29_TAPS, Scrambler
from pycti.dsp.v17 import ABCD, RATES_BPS, V17RateError, V17Receiver, V17Transmitter, training_symbols
from pycti.errors import PyctiError
from tests.dsp.test_qam_link import random_bits, receive, transmit
from tests.dsp.test_v17_link import run_link

A, B, C, D = ABCD


def test_pair_implements_the_modem_protocols() -> None:
    assert isinstance(V17Transmitter(14400), ModemTransmitter)
    assert isinstance(V17Receiver(7200), ModemReceiver)
    assert RATES_BPS == (14400, 12000, 9600, 7200)


@pytest.mark.parametrize("short", [False, True])
def test_training_segments_as_table_2_defines_them(short: bool) -> None:
    sym = training_symbols(short)
    seg2 = 38 if short else 2976
    assert sym.size == 256 + seg2 + (0 if short else 64)
    assert np.array_equal(sym[:256:2], np.full(128, A)) and np.array_equal(sym[1:256:2], np.full(128, B))
    # Segment 2: the scrambler from 0x2ECDD5 fed with ones, two bits per element.
    line = Scrambler(V29_TAPS, state=0x2ECDD5).scramble(np.ones(2 * seg2, dtype=np.uint8))
    dibits = 2 * line[0::2] + line[1::2]
    assert np.array_equal(sym[256:256 + seg2], np.array([C, D, B, A])[dibits])
    if not short:
        bridge = sym[256 + seg2:]
        assert set(bridge.tolist()) <= set(ABCD.tolist())
        # Each bridge element is a quarter-turn multiple of the one before.
        steps = np.rint(np.angle(bridge / np.concatenate([[sym[256 + seg2 - 1]], bridge[:-1]])) / (np.pi / 2))
        assert set((steps % 4).astype(int).tolist()) <= {0, 1, 2, 3}


def test_short_training_is_the_start_of_the_long_one() -> None:
    long, short = training_symbols(False), training_symbols(True)
    assert np.array_equal(short, long[:short.size])


@pytest.mark.parametrize("rate", RATES_BPS)
@pytest.mark.parametrize(
    "line",
    [
        dict(band_filter=False),
        dict(delay_ms=10.0, clock_ppm=200.0, noise_dbm0=-50.0),
        dict(delay_ms=50.0, clock_ppm=-200.0, noise_dbm0=-50.0),
        dict(gain_db=-33.0, noise_dbm0=-75.0),  # received at -43 dBm0
        dict(gain_db=7.0, noise_dbm0=-55.0),  # received at -3 dBm0
        dict(codec="alaw", delay_ms=30.0, clock_ppm=100.0),
        dict(codec="ulaw", gain_db=-20.0, clock_ppm=-150.0),
    ],
)
def test_random_data_recovered_exactly(rate: int, line: dict[str, Any]) -> None:
    data = random_bits(rate // 2, seed=3)
    res = run_link(rate, data, **line)
    assert [type(e) for e in res.events] == [CarrierUp, Trained, CarrierDown]
    assert res.errors(data) == 0


def test_level_of_the_transmitted_signal() -> None:
    tx = V17Transmitter(14400, level_dbm0=-13.0)
    sig = transmit(tx, random_bits(14400 * 2), lead_s=0.0, trail_s=0.0)
    data_part = sig[12000:-3000]  # after the 1.39 s training
    level = float(rms_to_dbm0(float(np.sqrt(np.mean(data_part.astype(float) ** 2)))))
    assert abs(level + 13.0) < 0.5


@pytest.mark.parametrize("rate", [14400, 7200])
def test_tcf_zeros_come_out_as_zeros(rate: int) -> None:
    """T.30 clause 5.3.6.2.3: 1.5 s of zeros after the training checks the line."""
    zeros = np.zeros(int(rate * 1.5), dtype=np.uint8)
    res = run_link(rate, zeros, noise_dbm0=-45.0, gain_db=-10.0, clock_ppm=50.0, delay_ms=20.0)
    assert res.trained and res.errors(zeros) == 0


@pytest.mark.parametrize("short", [False, True])
def test_transmitter_sends_training_data_tail_then_silence(short: bool) -> None:
    tx = V17Transmitter(9600, short_training=short)
    tx.write_bits(np.zeros(96, dtype=np.uint8))
    first = tx.generate(160)
    assert first[60:].any()  # segment 1 starts at once
    tx.finish()
    with pytest.raises(ValueError):
        tx.write_bits([1])
    out = [first]
    for _ in range(200):
        if tx.done:
            break
        out.append(tx.generate(160))
    assert tx.done and not tx.generate(160).any()
    sig = np.concatenate(out)
    # training, 48 ones, 24 data and 32 tail elements, then the pulse's 6-element tail.
    training = 256 + 38 if short else 256 + 2976 + 64
    expected = (training + 48 + 24 + 32 + 6) * 10 / 3
    assert int(np.flatnonzero(sig)[-1]) == pytest.approx(expected, abs=12)


def test_bad_rate_and_bits_are_refused() -> None:
    with pytest.raises(V17RateError) as err:
        V17Transmitter(4800)
    assert isinstance(err.value, PyctiError) and isinstance(err.value, ValueError)
    assert "4800" in str(err.value)
    with pytest.raises(V17RateError):
        V17Receiver(2400)
    with pytest.raises(ValueError):
        V17Transmitter(9600).write_bits([0, 2])
    with pytest.raises(ValueError):
        V17Receiver(9600).process(np.zeros((2, 2), dtype=np.int16))


@pytest.mark.parametrize("rate", RATES_BPS)
def test_short_training_after_long_with_the_same_receiver(rate: int) -> None:
    """T.30's pages after the first: the receiver keeps the equalizer of the long training
    and follows the 142 ms short training, on a line that turns the carrier phase and the
    level between the two transmissions."""
    rx = V17Receiver(rate)
    first, second = random_bits(rate // 2, seed=1), random_bits(rate // 2, seed=2)
    line = LineModel(noise_dbm0=-50.0, delay_ms=20.0, clock_ppm=100.0)
    r1 = receive(rx, line.apply(transmit(V17Transmitter(rate), first)))
    rx.reset(short_training=True)
    sig2 = transmit(V17Transmitter(rate, level_dbm0=-14.0, short_training=True), second, lead_s=0.0123)
    r2 = receive(rx, line.apply(sig2))
    assert r1.errors(first) == 0
    assert [type(e) for e in r2.events] == [CarrierUp, Trained, CarrierDown]
    assert r2.errors(second) == 0
    # The short training is 1.25 s shorter: the data start that much earlier.
    assert r2.events[1].sample < r1.events[1].sample - 0.95 * 8000


def test_short_training_without_a_long_one_first_fails() -> None:
    """38 elements of segment 2 are too few to train an equalizer from nothing."""
    rx = V17Receiver(14400)
    rx.reset(short_training=True)
    sig = transmit(V17Transmitter(14400, short_training=True), random_bits(2400), lead_s=0.05)
    res = receive(rx, LineModel(noise_dbm0=-50.0).apply(sig))
    assert TrainingFailed in [type(e) for e in res.events]
    assert Trained not in [type(e) for e in res.events]


def test_reset_goes_back_to_the_long_training() -> None:
    rate = 12000
    rx = V17Receiver(rate)
    rx.reset(short_training=True)
    rx.reset()
    data = random_bits(rate // 2, seed=6)
    res = receive(rx, LineModel(noise_dbm0=-50.0, delay_ms=5.0).apply(transmit(V17Transmitter(rate), data)))
    assert res.trained and res.errors(data) == 0


def test_trained_event_marks_the_first_data_sample() -> None:
    data = random_bits(2400, seed=5)
    res = run_link(14400, data, lead_s=0.25, band_filter=False)
    trained = [e for e in res.events if isinstance(e, Trained)]
    assert len(trained) == 1 and trained[0].rate_bps == 14400
    # 0.25 s lead, then 3344 training elements at 2400 baud (1.393 s) before the first data
    # bit; the Viterbi decoder's 16 elements of delay come on top.
    assert trained[0].sample == pytest.approx(0.25 * 8000 + (3344 + 16) * 10 / 3, abs=20)


def test_talker_echo_protection_tone_before_the_training() -> None:
    """200 ms of unmodulated carrier then 20 ms of silence: the receiver sees a carrier come
    and go, then trains on what follows."""
    rate = 12000
    data = random_bits(rate // 4, seed=12)
    tx = V17Transmitter(rate, echo_protection=True)
    res = receive(V17Receiver(rate), LineModel(noise_dbm0=-50.0, delay_ms=20.0).apply(transmit(tx, data)))
    assert [type(e) for e in res.events] == [CarrierUp, CarrierDown, CarrierUp, Trained, CarrierDown]
    assert res.errors(data) == 0
