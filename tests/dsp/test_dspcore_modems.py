"""Whole receivers (V.27ter, V.29, V.17, V.21) on the numpy path and on the C path of
pycti.dsp.dspcore: the same line signal gives the same bits and the same events, over line
impairments, odd input splits, a failed training and V.17's short training after a long one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from pycti.dsp import dspcore
from pycti.dsp.linemodel import LineModel
from pycti.dsp.modem import CarrierDown, CarrierUp, ModemReceiver, TrainingFailed
from pycti.dsp.v17 import V17Receiver, V17Transmitter
from pycti.dsp.v21 import V21Receiver, V21Transmitter
from tests.dsp.test_qam_link import LinkResult, make_pair, random_bits, receive, transmit

pytestmark = pytest.mark.skipif(not dspcore.AVAILABLE,
                                reason="pycti.dsp._dspcore not built (drivers/dsp/build_dspcore.py)")

LINE = {"noise_dbm0": -40.0, "delay_ms": 13.0, "clock_ppm": 120.0, "gain_db": -4.0, "seed": 3}


def both(monkeypatch: pytest.MonkeyPatch, make: Callable[[], ModemReceiver], signal: np.ndarray,
         block: int = 160) -> tuple[LinkResult, LinkResult]:
    """``signal`` through a receiver built on the numpy path and one built on the C path."""
    monkeypatch.setenv(dspcore.ENV_VAR, "0")
    ref = receive(make(), signal, block)
    monkeypatch.setenv(dspcore.ENV_VAR, "1")
    return ref, receive(make(), signal, block)


@pytest.mark.parametrize("rate", [9600, 7200, 4800, 2400])
def test_v29_v27ter_same_bits_and_events(monkeypatch: pytest.MonkeyPatch, rate: int) -> None:
    data = random_bits(rate // 2, seed=rate)
    signal = LineModel(**LINE).apply(transmit(make_pair(rate)[0], data))
    ref, c = both(monkeypatch, lambda: make_pair(rate)[1], signal)
    assert ref.trained and ref.errors(data) == 0
    assert c.events == ref.events and np.array_equal(c.bits, ref.bits)
    odd = both(monkeypatch, lambda: make_pair(rate)[1], signal, block=77)[1]
    assert odd.events == ref.events and np.array_equal(odd.bits, ref.bits)


@pytest.mark.parametrize("rate", [14400, 12000, 9600, 7200])
def test_v17_same_bits_and_events(monkeypatch: pytest.MonkeyPatch, rate: int) -> None:
    data = random_bits(rate // 4, seed=rate)
    signal = LineModel(**LINE).apply(transmit(V17Transmitter(rate), data))
    ref, c = both(monkeypatch, lambda: V17Receiver(rate), signal, block=77 if rate == 9600 else 160)
    assert ref.trained and ref.errors(data) == 0
    assert c.events == ref.events and np.array_equal(c.bits, ref.bits)


def test_v17_short_training_after_long_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = random_bits(2400, seed=5), random_bits(4800, seed=6)
    line = LineModel(noise_dbm0=-50.0, delay_ms=20.0, clock_ppm=100.0, seed=9)
    sig1 = line.apply(transmit(V17Transmitter(14400), first))
    sig2 = line.apply(transmit(V17Transmitter(14400, level_dbm0=-14.0, short_training=True), second,
                               lead_s=0.0123))
    results = []
    for flag in ("0", "1"):
        monkeypatch.setenv(dspcore.ENV_VAR, flag)
        rx = V17Receiver(14400)
        one = receive(rx, sig1)
        rx.reset(short_training=True)
        results.append((one, receive(rx, sig2)))
    (a1, a2), (b1, b2) = results
    assert a2.trained and a2.errors(second) == 0
    assert (a1.events, a2.events) == (b1.events, b2.events)
    assert np.array_equal(a1.bits, b1.bits) and np.array_equal(a2.bits, b2.bits)


def test_noise_fails_training_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    noise = np.random.default_rng(8).normal(0.0, 1500.0, 8000)
    for make in (lambda: make_pair(9600)[1], lambda: V17Receiver(9600)):
        ref, c = both(monkeypatch, make, noise)
        assert any(isinstance(e, TrainingFailed) for e in ref.events)
        assert c.events == ref.events and c.bits.size == ref.bits.size == 0


def test_v21_same_bits_and_events(monkeypatch: pytest.MonkeyPatch) -> None:
    data = random_bits(900, seed=21)
    flags = np.tile(np.array([0, 1, 1, 1, 1, 1, 1, 0], dtype=np.uint8), 12)  # as T.30 5.3.1 starts
    signal = LineModel(noise_dbm0=-55.0, clock_ppm=-300.0, gain_db=-8.0, seed=4).apply(
        transmit(V21Transmitter(), np.concatenate([flags, data])))
    for block in (160, 77):
        ref, c = both(monkeypatch, V21Receiver, signal, block)
        assert [type(e) for e in ref.events] == [CarrierUp, CarrierDown]
        assert c.events == ref.events and np.array_equal(c.bits, ref.bits)
        # the data follow the flags (the receiver may lose a bit of the first flag)
        start = ref.bits.tobytes().find(data[:64].tobytes())
        assert flags.size - 2 <= start <= flags.size
        assert np.array_equal(ref.bits[start:start + data.size], data)
