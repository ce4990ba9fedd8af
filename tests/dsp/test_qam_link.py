"""V.27ter and V.29 transmitters against their receivers over a telephone line model.

Shared by tests/dsp/test_v27ter.py and tests/dsp/test_v29.py (:func:`run_link`).  Run as a
script it prints the bit-error rate against the signal-to-noise ratio, or with ``--speed`` the
CPU time of transmitter and receiver as a multiple of real time:

    python -m tests.dsp.test_qam_link [seconds]
    python -m tests.dsp.test_qam_link --speed [seconds]
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from pycti.dsp.linemodel import LineModel
from pycti.dsp.modem import (
    CarrierDown,
    CarrierUp,
    ModemEvent,
    ModemReceiver,
    ModemTransmitter,
    Trained,
    TrainingFailed,
)
from pycti.dsp.v27ter import V27terReceiver, V27terTransmitter
from pycti.dsp.v29 import V29Receiver, V29Transmitter

RATES = (9600, 7200, 4800, 2400)


def make_pair(rate_bps: int, level_dbm0: float = -10.0) -> tuple[ModemTransmitter, ModemReceiver]:
    """The transmitter and receiver of the modem that carries ``rate_bps``."""
    if rate_bps in (9600, 7200):
        return V29Transmitter(rate_bps, level_dbm0=level_dbm0), V29Receiver(rate_bps)
    return V27terTransmitter(rate_bps, level_dbm0=level_dbm0), V27terReceiver(rate_bps)


def transmit(tx: ModemTransmitter, data: np.ndarray, lead_s: float = 0.1, trail_s: float = 0.1) -> np.ndarray:
    """The whole line signal of one transmission of ``data`` with silence around it."""
    tx.write_bits(data)
    tx.finish()
    out = [np.zeros(int(lead_s * 8000), dtype=np.int16)]
    for _ in range(100000):
        if tx.done:
            break
        out.append(tx.generate(160))
    out.append(tx.generate(int(trail_s * 8000)))
    return np.concatenate(out)


@dataclass(frozen=True)
class LinkResult:
    """What came out of a receiver."""

    bits: np.ndarray
    events: tuple[ModemEvent, ...]

    @property
    def trained(self) -> bool:
        return any(isinstance(e, Trained) for e in self.events)

    def errors(self, data: np.ndarray) -> int:
        """Bit errors against ``data`` (missing bits count as errors)."""
        n = min(self.bits.size, data.size)
        return int(np.count_nonzero(self.bits[:n] != data[:n])) + data.size - n


def receive(rx: ModemReceiver, signal: np.ndarray, block: int = 160) -> LinkResult:
    """Feed ``signal`` to ``rx`` in blocks of ``block`` samples."""
    bits: list[np.ndarray] = []
    events: list[ModemEvent] = []
    for i in range(0, signal.size, block):
        r = rx.process(signal[i:i + block])
        bits.append(r.bits)
        events.extend(r.events)
    return LinkResult(np.concatenate(bits) if bits else np.zeros(0, np.uint8), tuple(events))


def run_link(rate_bps: int, data: np.ndarray, *, tx_level_dbm0: float = -10.0, block: int = 160,
             lead_s: float = 0.1, **line: Any) -> LinkResult:
    """``data`` sent at ``rate_bps`` through ``LineModel(**line)`` and received."""
    tx, rx = make_pair(rate_bps, tx_level_dbm0)
    signal = LineModel(**line).apply(transmit(tx, data, lead_s=lead_s))
    return receive(rx, signal, block)


def random_bits(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, n).astype(np.uint8)


def ber(rate_bps: int, snr_db: float, seconds: float = 1.0, seed: int = 1) -> float | None:
    """Bit-error rate at ``snr_db`` (received data power over the line's noise power, 0-4 kHz)
    through the band filter with 20 ms delay and 100 ppm clock difference; ``None`` when the
    receiver did not train."""
    level = -20.0
    data = random_bits(int(rate_bps * seconds), seed)
    res = run_link(rate_bps, data, tx_level_dbm0=level, noise_dbm0=level - snr_db, delay_ms=20.0,
                   clock_ppm=100.0, seed=seed)
    if not res.trained:
        return None
    return res.errors(data) / data.size


# -- tests common to all four rates -----------------------------------------------------------


@pytest.mark.parametrize("rate", RATES)
def test_any_chunking_gives_the_same_bits_and_events(rate: int) -> None:
    data = random_bits(rate // 2)
    tx, _ = make_pair(rate)
    signal = LineModel(noise_dbm0=-45.0, delay_ms=13.0, clock_ppm=-150.0).apply(transmit(tx, data))
    ref = receive(make_pair(rate)[1], signal, signal.size)
    assert ref.trained and ref.errors(data) == 0
    for block in (1000, 77, 160, 1):
        got = receive(make_pair(rate)[1], signal, block)
        assert got.events == ref.events
        assert np.array_equal(got.bits, ref.bits)


@pytest.mark.parametrize("rate", [9600, 4800])
def test_lock_step_20ms_frames_through_a_line_stream(rate: int) -> None:
    """The way a fax terminal runs: every 20 ms one frame out of the transmitter, through the
    line, into the receiver."""
    data = random_bits(rate, seed=11)
    tx, rx = make_pair(rate)
    tx.write_bits(data)
    tx.finish()
    line = LineModel(noise_dbm0=-52.0, delay_ms=25.0, clock_ppm=200.0, gain_db=-6.0).stream()
    bits: list[np.ndarray] = []
    events: list[ModemEvent] = []
    for _ in range(300):
        r = rx.process(line.process(tx.generate(160)))
        bits.append(r.bits)
        events.extend(r.events)
    got = LinkResult(np.concatenate(bits), tuple(events))
    assert tx.done and [type(e) for e in got.events] == [CarrierUp, Trained, CarrierDown]
    assert got.errors(data) == 0


@pytest.mark.parametrize("rate", RATES)
def test_noise_only_fails_training_cleanly(rate: int) -> None:
    _, rx = make_pair(rate)
    noise = LineModel(noise_dbm0=-30.0, seed=3).apply(np.zeros(8000, dtype=np.int16))
    res = receive(rx, noise)
    kinds = [type(e) for e in res.events]
    assert kinds == [CarrierUp, TrainingFailed]
    assert res.bits.size == 0


@pytest.mark.parametrize("rate", RATES)
def test_quiet_line_gives_nothing(rate: int) -> None:
    _, rx = make_pair(rate)
    res = receive(rx, LineModel(noise_dbm0=-60.0, seed=4).apply(np.zeros(8000, dtype=np.int16)))
    assert res.events == () and res.bits.size == 0


@pytest.mark.parametrize("rate", RATES)
def test_started_in_silence_still_trains(rate: int) -> None:
    data = random_bits(rate // 4, seed=7)
    res = run_link(rate, data, lead_s=0.5, noise_dbm0=-55.0)
    assert [type(e) for e in res.events] == [CarrierUp, Trained, CarrierDown]
    assert res.errors(data) == 0
    up = res.events[0].sample
    assert 0.5 * 8000 < up < 0.5 * 8000 + 400


def test_receiver_memory_stays_bounded_over_long_silence() -> None:
    data = random_bits(4800, seed=13)
    tx, rx = make_pair(4800)
    receive(rx, LineModel().apply(transmit(tx, data)))
    quiet = np.zeros(160, dtype=np.int16)
    sizes = []
    for _ in range(500):  # 10 s
        rx.process(quiet)
        sizes.append(rx._bb.size + rx._u.size)  # type: ignore[attr-defined]
    assert max(sizes[100:]) == max(sizes[400:]) < 4000


@pytest.mark.parametrize("rate", RATES)
def test_talker_echo_protection_tone_before_the_training(rate: int) -> None:
    """The 200 ms unmodulated carrier then 20 ms of silence: the receiver sees a carrier
    come and go, then trains on what follows."""
    data = random_bits(rate // 4, seed=12)
    tx: ModemTransmitter
    if rate > 4800:
        tx = V29Transmitter(rate, echo_protection=True)
    else:
        tx = V27terTransmitter(rate, echo_protection=True)
    res = receive(make_pair(rate)[1], LineModel(noise_dbm0=-50.0, delay_ms=20.0).apply(transmit(tx, data)))
    assert [type(e) for e in res.events] == [CarrierUp, CarrierDown, CarrierUp, Trained, CarrierDown]
    assert res.errors(data) == 0


@pytest.mark.parametrize("rate", RATES)
def test_training_then_data_then_retrain_after_reset(rate: int) -> None:
    """Two transmissions in a row into one receiver; ``reset`` between them."""
    tx, rx = make_pair(rate)
    first = random_bits(rate // 4, seed=8)
    sig1 = LineModel().apply(transmit(tx, first))
    r1 = receive(rx, sig1)
    rx.reset()
    second = random_bits(rate // 4, seed=9)
    r2 = receive(rx, LineModel().apply(transmit(make_pair(rate)[0], second)))
    assert r1.errors(first) == 0 and r2.errors(second) == 0


@pytest.mark.parametrize("rate", RATES)
def test_noise_before_the_training_does_not_hide_it(rate: int) -> None:
    """Loud noise holds the carrier detector on before the signal starts: the receiver reports
    the failure and still trains when the training comes."""
    data = random_bits(rate // 4, seed=10)
    res = run_link(rate, data, lead_s=0.8, noise_dbm0=-38.0, gain_db=-10.0, tx_level_dbm0=-5.0)
    kinds = [type(e) for e in res.events]
    assert kinds[:2] == [CarrierUp, TrainingFailed] and Trained in kinds
    assert res.errors(data) == 0


def speed(seconds: float) -> None:
    """Print transmitter and receiver speed (CPU time, 20 ms blocks) as multiples of real
    time, for one whole transmission (training included) and for the data part alone."""
    print(f"speed: one transmission of {seconds:g} s of data, 160-sample blocks, CPU time")
    for rate in RATES:
        data = random_bits(int(rate * seconds))
        tx, rx = make_pair(rate)
        t0 = time.process_time()
        tx.write_bits(data)
        tx.finish()
        blocks = []
        while not tx.done:
            blocks.append(tx.generate(160))
        t_tx = time.process_time() - t0
        signal = LineModel(noise_dbm0=-50.0, clock_ppm=100.0).apply(np.concatenate(blocks))
        per_block = []
        for i in range(0, signal.size, 160):
            t0 = time.process_time()
            rx.process(signal[i:i + 160])
            per_block.append(time.process_time() - t0)
        audio_s = signal.size / 8000
        t_rx = sum(per_block)
        half = len(per_block) // 2  # the second half is data only
        data_x = (len(per_block) - half) * 0.020 / sum(per_block[half:])
        print(f"{rate:5d} bit/s  tx x{audio_s / t_tx:5.0f}   "
              f"rx x{audio_s / t_rx:5.0f} whole, x{data_x:5.0f} data")


def main(argv: list[str]) -> None:
    """Print the bit-error rate table (or with ``--speed`` the speed table)."""
    if len(argv) > 1 and argv[1] == "--speed":
        speed(float(argv[2]) if len(argv) > 2 else 10.0)
        return
    seconds = float(argv[1]) if len(argv) > 1 else 2.0
    grid = {9600: (13, 14, 15, 16, 17, 18, 20), 7200: (10, 11, 12, 13, 14, 16),
            4800: (8, 9, 10, 11, 12, 13, 14), 2400: (4, 5, 6, 7, 8, 9, 10)}
    print(f"BER over LineModel(band filter, 20 ms, +100 ppm), {seconds:g} s of random data per point")
    for rate, snrs in grid.items():
        cells = []
        for snr in snrs:
            b = ber(rate, snr, seconds)
            cells.append(f"{snr} dB: " + ("no train" if b is None else f"{b:.1e}"))
        print(f"{rate:5d} bit/s  " + "  ".join(cells))


if __name__ == "__main__":
    main(sys.argv)
