"""V.17 transmitter against its receiver over the telephone line model, at every rate.

Shared by the other V.17 tests (:func:`run_link`).  Run as a script it prints the bit-error
rate against the signal-to-noise ratio, or with ``--speed`` the CPU time of transmitter and
receiver as a multiple of real time:

    python -m tests.dsp.test_v17_link [seconds]
    python -m tests.dsp.test_v17_link --speed [seconds]
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import pytest

from pycti.dsp.linemodel import LineModel
from pycti.dsp.modem import CarrierDown, CarrierUp, ModemEvent, Trained, TrainingFailed
from pycti.dsp.v17 import RATES_BPS, V17Receiver, V17Transmitter
from tests.dsp.test_qam_link import LinkResult, random_bits, receive, transmit


def run_link(rate_bps: int, data: np.ndarray, *, tx_level_dbm0: float = -10.0, block: int = 160,
             lead_s: float = 0.1, short_training: bool = False, **line: Any) -> LinkResult:
    """``data`` sent at ``rate_bps`` (long training) through ``LineModel(**line)`` and received
    by a fresh receiver."""
    tx = V17Transmitter(rate_bps, level_dbm0=tx_level_dbm0, short_training=short_training)
    signal = LineModel(**line).apply(transmit(tx, data, lead_s=lead_s))
    return receive(V17Receiver(rate_bps), signal, block)


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


@pytest.mark.parametrize("rate", RATES_BPS)
def test_any_chunking_gives_the_same_bits_and_events(rate: int) -> None:
    data = random_bits(rate // 4)
    signal = LineModel(noise_dbm0=-45.0, delay_ms=13.0, clock_ppm=-150.0).apply(
        transmit(V17Transmitter(rate), data))
    ref = receive(V17Receiver(rate), signal, signal.size)
    assert ref.trained and ref.errors(data) == 0
    for block in (1000, 77):
        got = receive(V17Receiver(rate), signal, block)
        assert got.events == ref.events
        assert np.array_equal(got.bits, ref.bits)


def test_lock_step_20ms_frames_through_a_line_stream() -> None:
    """The way a fax terminal runs: every 20 ms one frame out of the transmitter, through the
    line, into the receiver."""
    rate = 14400
    data = random_bits(rate, seed=11)
    tx, rx = V17Transmitter(rate), V17Receiver(rate)
    tx.write_bits(data)
    tx.finish()
    line = LineModel(noise_dbm0=-52.0, delay_ms=25.0, clock_ppm=200.0, gain_db=-6.0).stream()
    bits: list[np.ndarray] = []
    events: list[ModemEvent] = []
    for _ in range(200):  # 4 s
        r = rx.process(line.process(tx.generate(160)))
        bits.append(r.bits)
        events.extend(r.events)
    got = LinkResult(np.concatenate(bits), tuple(events))
    assert tx.done and [type(e) for e in got.events] == [CarrierUp, Trained, CarrierDown]
    assert got.errors(data) == 0


@pytest.mark.parametrize("rate", [14400, 7200])
def test_noise_only_fails_training_cleanly(rate: int) -> None:
    noise = LineModel(noise_dbm0=-30.0, seed=3).apply(np.zeros(8000, dtype=np.int16))
    res = receive(V17Receiver(rate), noise)
    assert [type(e) for e in res.events] == [CarrierUp, TrainingFailed]
    assert res.bits.size == 0


def test_quiet_line_gives_nothing() -> None:
    res = receive(V17Receiver(9600), LineModel(noise_dbm0=-60.0, seed=4).apply(np.zeros(8000, dtype=np.int16)))
    assert res.events == () and res.bits.size == 0


def test_noise_before_the_training_does_not_hide_it() -> None:
    """Loud noise holds the carrier detector on before the signal starts: the receiver reports
    the failure and still trains when the training comes."""
    data = random_bits(2400, seed=10)
    res = run_link(9600, data, lead_s=0.8, noise_dbm0=-38.0, gain_db=-10.0, tx_level_dbm0=-5.0)
    kinds = [type(e) for e in res.events]
    assert kinds[:2] == [CarrierUp, TrainingFailed] and Trained in kinds
    assert res.errors(data) == 0


def test_bit_error_rate_falls_with_the_snr() -> None:
    """Below the line quality the rate needs, the receiver refuses to train; near it a few
    bits are wrong; with 4 dB more none."""
    assert ber(14400, 17.0, 0.5) is None
    mid, high = ber(14400, 20.0, 0.5), ber(14400, 24.0, 0.5)
    assert mid is not None and high is not None
    assert 0.0 < mid < 0.03 and high == 0.0


def speed(seconds: float) -> None:
    """Print transmitter and receiver speed (CPU time, 20 ms blocks) as multiples of real
    time, for one whole transmission (training included) and for its data part alone."""
    print(f"speed: one transmission of {seconds:g} s of data after the long training, "
          "160-sample blocks, CPU time")
    for rate in RATES_BPS:
        data = random_bits(int(rate * seconds))
        tx, rx = V17Transmitter(rate), V17Receiver(rate)
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
        train = int(1.5 * 50)  # the long training lasts 1.39 s: blocks after 1.5 s are data
        data_x = (len(per_block) - train) * 0.020 / sum(per_block[train:])
        print(f"{rate:5d} bit/s  tx x{audio_s / t_tx:5.0f}   "
              f"rx x{audio_s / sum(per_block):5.0f} whole, x{data_x:5.0f} data")


def main(argv: list[str]) -> None:
    """Print the bit-error rate table (or with ``--speed`` the speed table)."""
    if len(argv) > 1 and argv[1] == "--speed":
        speed(float(argv[2]) if len(argv) > 2 else 10.0)
        return
    seconds = float(argv[1]) if len(argv) > 1 else 2.0
    grid = {14400: (17, 18, 19, 20, 21, 22, 24), 12000: (14, 15, 16, 17, 18, 19, 21),
            9600: (11, 12, 13, 14, 15, 16, 18), 7200: (8, 9, 10, 11, 12, 13, 15)}
    print(f"BER over LineModel(band filter, 20 ms, +100 ppm), {seconds:g} s of random data per point")
    for rate, snrs in grid.items():
        cells = []
        for snr in snrs:
            b = ber(rate, snr, seconds)
            cells.append(f"{snr} dB: " + ("no train" if b is None else f"{b:.1e}"))
        print(f"{rate:5d} bit/s  " + "  ".join(cells))


if __name__ == "__main__":
    main(sys.argv)
