"""Interworking with another V.17 implementation: spandsp's, through the cffi binding of
:mod:`tests.peers.spandsp`.

Both ways at every rate: pycti's transmitter into spandsp's receiver and spandsp's
transmitter into pycti's receiver, over a line with delay, clock difference, loss and noise;
seeded random bits must come out exactly.  Then the fax case: a long training followed by a
short one (T.30's later pages), the receiver keeping its equalizer in between.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from pycti.dsp.linemodel import LineModel
from pycti.dsp.modem import CarrierDown, CarrierUp, Trained
from pycti.dsp.v17 import RATES_BPS, V17Receiver, V17Transmitter
from tests.dsp.test_qam_link import LinkResult, random_bits, receive, transmit
from tests.peers.spandsp import SpandspModemRx, SpandspModemTx

LINE = LineModel(noise_dbm0=-50.0, delay_ms=20.0, clock_ppm=100.0, gain_db=-6.0)


def _spandsp_signal(tx: SpandspModemTx, data: npt.NDArray[np.uint8]) -> npt.NDArray[np.int16]:
    """One transmission of ``data`` from spandsp's transmitter, with 0.1 s of silence around."""
    tx.write_bits(data)
    tx.finish()
    out = [np.zeros(800, dtype=np.int16)]
    for _ in range(2000):
        if tx.done:
            break
        out.append(tx.generate(160))
    assert tx.done
    out.append(np.zeros(800, dtype=np.int16))
    return np.concatenate(out)


def _errors(bits: npt.NDArray[np.uint8], data: npt.NDArray[np.uint8]) -> int:
    return LinkResult(bits, ()).errors(data)


@pytest.mark.parametrize("rate", RATES_BPS)
def test_pycti_transmitter_into_spandsp_receiver(rate: int) -> None:
    data = random_bits(rate, seed=rate)
    rx = SpandspModemRx("V17", rate)
    bits = rx.process(LINE.apply(transmit(V17Transmitter(rate), data)))
    names = [e.name for e in rx.events]
    assert "SIG_STATUS_TRAINING_SUCCEEDED" in names and "SIG_STATUS_TRAINING_FAILED" not in names
    assert names[-1] == "SIG_STATUS_CARRIER_DOWN"
    assert _errors(bits, data) == 0


@pytest.mark.parametrize("rate", RATES_BPS)
def test_spandsp_transmitter_into_pycti_receiver(rate: int) -> None:
    data = random_bits(rate, seed=rate + 1)
    signal = LINE.apply(_spandsp_signal(SpandspModemTx("V17", rate, power_dbm0=-10.0), data))
    res = receive(V17Receiver(rate), signal)
    assert [type(e) for e in res.events] == [CarrierUp, Trained, CarrierDown]
    assert res.errors(data) == 0


@pytest.mark.parametrize("rate", [14400, 9600])
def test_long_then_short_training_from_spandsp(rate: int) -> None:
    tx = SpandspModemTx("V17", rate, power_dbm0=-12.0)
    first, second = random_bits(rate // 2, seed=1), random_bits(rate // 2, seed=2)
    sig1 = _spandsp_signal(tx, first)
    tx.restart(short_train=True)
    sig2 = _spandsp_signal(tx, second)
    rx = V17Receiver(rate)
    r1 = receive(rx, LINE.apply(sig1))
    rx.reset(short_training=True)
    r2 = receive(rx, LINE.apply(sig2))
    assert r1.errors(first) == 0
    assert [type(e) for e in r2.events] == [CarrierUp, Trained, CarrierDown]
    assert r2.errors(second) == 0


@pytest.mark.parametrize("rate", [12000, 7200])
def test_long_then_short_training_into_spandsp(rate: int) -> None:
    first, second = random_bits(rate // 2, seed=3), random_bits(rate // 2, seed=4)
    rx = SpandspModemRx("V17", rate)
    b1 = rx.process(LINE.apply(transmit(V17Transmitter(rate), first)))
    rx.restart(short_train=True)
    b2 = rx.process(LINE.apply(transmit(V17Transmitter(rate, short_training=True), second)))
    names = [e.name for e in rx.events]
    assert names.count("SIG_STATUS_TRAINING_SUCCEEDED") == 2
    assert _errors(b1, first) == 0 and _errors(b2, second) == 0


def test_echo_protection_tone_from_spandsp() -> None:
    rate = 9600
    data = random_bits(rate // 2, seed=5)
    signal = LINE.apply(_spandsp_signal(SpandspModemTx("V17", rate, tep=True, power_dbm0=-10.0), data))
    res = receive(V17Receiver(rate), signal)
    assert [type(e) for e in res.events] == [CarrierUp, CarrierDown, CarrierUp, Trained, CarrierDown]
    assert res.errors(data) == 0
