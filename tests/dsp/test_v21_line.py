"""V.21 channel 2 carrying T.30 HDLC frames over a modelled telephone line (pycti.dsp.linemodel):
received level, white noise, delay, clock difference, band filter, G.711; bit and frame error
rates.

``python -m tests.dsp.test_v21_line [tables] [speed]`` prints the bit and frame error rate tables
and the receiver's speed quoted in the report (longer runs than the tests make).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from pycti.dsp.hdlc import HdlcDecoder, HdlcEncoder, HdlcFrame
from pycti.dsp.linemodel import LineModel
from pycti.dsp.modem import CarrierDown, CarrierUp, ModemEvent
from pycti.dsp.v21 import V21Receiver, V21Transmitter

#: T.30 frames as a called terminal sends them: CSI (FCF 0x40, "+1 555 0100" reversed) and DIS.
CSI = bytes([0xFF, 0x03, 0x40]) + b"0010 555 1+".ljust(20)
DIS = bytes([0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF8, 0x80, 0x80, 0x91, 0x00, 0x00])
SAMPLES_PER_BIT = 8000 / 300
FLAGS = np.tile(np.array([0, 1, 1, 1, 1, 1, 1, 0], np.uint8), 12)


def modulate(bits: np.ndarray, level_dbm0: float) -> np.ndarray:
    tx = V21Transmitter(level_dbm0)
    tx.write_bits(bits)
    tx.finish()
    return tx.generate(int(np.ceil(bits.size * SAMPLES_PER_BIT)) + 40)


def over_line(
    bits: np.ndarray, line: LineModel, *, level_dbm0: float = -10.0, lead: int = 800
) -> tuple[np.ndarray, tuple[ModemEvent, ...], int]:
    """``bits`` sent at ``level_dbm0`` with ``lead`` samples of silence before and after, over
    ``line``, received in one piece: (bits, events, latency of the line in samples)."""
    signal = np.concatenate([np.zeros(lead, np.int16), modulate(bits, level_dbm0), np.zeros(lead, np.int16)])
    result = V21Receiver().process(line.apply(signal))
    latency = line.delay_samples + line.stream().latency_slack(line)
    return result.bits, result.events, latency


def frames_of(bits: np.ndarray) -> list[tuple[bytes, bool]]:
    return [(f.payload, f.fcs_ok) for f in HdlcDecoder().process(bits).frames]


def bit_errors(sent: np.ndarray, got: np.ndarray) -> int:
    """Errors in ``got`` against ``sent`` (random data after the ``FLAGS`` preamble), aligned on
    the first 200 data bits; missing bits count as errors."""
    data = sent[FLAGS.size :]
    starts = range(max(0, FLAGS.size - 40), FLAGS.size + 40)

    def mismatches(s: int) -> int:
        window = got[s : s + 200]
        return int(np.count_nonzero(window != data[: window.size])) + 200 - window.size

    start = min(starts, key=mismatches)
    seg = got[start : start + data.size]
    return int(np.count_nonzero(seg != data[: seg.size])) + data.size - seg.size


def measure_ber(snr_db: float, n_bits: int, seed: int, level_dbm0: float = -20.0) -> float:
    """Bit error rate of random data at ``level_dbm0`` with white noise ``snr_db`` below it
    (noise power over 0-4 kHz, as :class:`LineModel` defines it), band filter on."""
    rng = np.random.default_rng(seed)
    sent = np.concatenate([FLAGS, rng.integers(0, 2, n_bits).astype(np.uint8)])
    line = LineModel(gain_db=level_dbm0 + 10.0, noise_dbm0=level_dbm0 - snr_db, seed=seed)
    got, _, _ = over_line(sent, line)
    return bit_errors(sent, got) / n_bits


def measure_fer(snr_db: float, n_frames: int, seed: int, level_dbm0: float = -20.0) -> float:
    """Share of T.30 DIS transmissions (200 ms of flags, the frame, a flag) not received with a
    good FCS at ``snr_db``."""
    bits = HdlcEncoder().encode([DIS], preamble_ms=200.0)
    lost = 0
    for k in range(n_frames):
        line = LineModel(gain_db=level_dbm0 + 10.0, noise_dbm0=level_dbm0 - snr_db, seed=seed * 1000 + k)
        got, _, _ = over_line(bits, line, lead=400)
        lost += (DIS, True) not in frames_of(got)
    return lost / n_frames


T30_BITS = HdlcEncoder().encode([CSI, DIS], preamble_ms=200.0)


@pytest.mark.parametrize("received_dbm0", [-43.0, -40.0, -30.0, -20.0, -10.0, 0.0])
def test_frames_arrive_at_every_allowed_level(received_dbm0: float) -> None:
    line = LineModel(gain_db=received_dbm0 + 10.0, noise_dbm0=-65.0, seed=1)
    got, events, latency = over_line(T30_BITS, line)
    assert frames_of(got) == [(CSI, True), (DIS, True)]
    assert [type(e) for e in events] == [CarrierUp, CarrierDown]
    end_of_bits = 800 + int(np.ceil(T30_BITS.size * SAMPLES_PER_BIT))
    up, down = events
    assert 0 <= up.sample - (800 + latency) <= 8 * 8
    assert 0 <= down.sample - (end_of_bits + latency) <= 13 * 8


@pytest.mark.parametrize("snr_db", [6.0, 10.0, 20.0, 30.0])
def test_frames_survive_white_noise(snr_db: float) -> None:
    line = LineModel(gain_db=-10.0, noise_dbm0=-20.0 - snr_db, seed=int(snr_db))
    got, _, _ = over_line(T30_BITS, line)
    assert frames_of(got) == [(CSI, True), (DIS, True)]


@pytest.mark.parametrize("delay_ms", [0.0, 37.5, 250.0])
def test_delay_only_shifts_the_carrier_events(delay_ms: float) -> None:
    line = LineModel(delay_ms=delay_ms, noise_dbm0=-60.0, seed=2)
    reference = LineModel(noise_dbm0=-60.0, seed=2)
    got, events, latency = over_line(T30_BITS, line)
    ref_got, ref_events, ref_latency = over_line(T30_BITS, reference)
    assert frames_of(got) == [(CSI, True), (DIS, True)]
    shift = latency - ref_latency
    assert shift == round(delay_ms * 8)
    for e, r in zip(events, ref_events, strict=True):
        assert type(e) is type(r) and abs(e.sample - r.sample - shift) <= 2


@pytest.mark.parametrize("clock_ppm", [-300.0, 300.0, -3000.0, 3000.0])
def test_clock_difference_is_tracked(clock_ppm: float) -> None:
    # A long frame (NSF-like, 120 octets: 3.5 s of bits) so that the drift adds up: at 3000 ppm
    # the bit clock slips more than a third of a bit over it.
    nsf = bytes([0xFF, 0x03, 0x20]) + bytes(range(117))
    bits = HdlcEncoder().encode([nsf, DIS], preamble_ms=200.0)
    line = LineModel(clock_ppm=clock_ppm, gain_db=-10.0, noise_dbm0=-40.0, seed=3)
    got, _, _ = over_line(bits, line)
    assert frames_of(got) == [(nsf, True), (DIS, True)]


@pytest.mark.parametrize("band_filter", [False, True])
@pytest.mark.parametrize("codec", [None, "alaw", "ulaw"])
def test_band_filter_and_codecs(band_filter: bool, codec: str | None) -> None:
    line = LineModel(band_filter=band_filter, codec=codec, gain_db=-15.0, noise_dbm0=-50.0, seed=4)
    got, _, _ = over_line(T30_BITS, line)
    assert frames_of(got) == [(CSI, True), (DIS, True)]


def test_full_t30_preamble_and_lock_step_20ms_frames_equal_one_shot() -> None:
    """The way a fax terminal runs: transmitter, line and receiver in lock step, 160 samples
    (20 ms) at a time, the 1 s T.30 preamble; the same as the whole signal at once."""
    bits = HdlcEncoder().encode([CSI, DIS])
    model = LineModel(gain_db=-20.0, noise_dbm0=-45.0, clock_ppm=100.0, delay_ms=12.5, seed=5)
    tx, line, rx, dec = V21Transmitter(-10.0), model.stream(), V21Receiver(), HdlcDecoder()
    tx.write_bits(bits)
    tx.finish()
    sent, got = [], []
    events: list[ModemEvent] = []
    frames: list[HdlcFrame] = []
    for _ in range(int(1.2 * 8000 / 160) + bits.size // 5):  # bounded: more than enough blocks
        block = tx.generate(160)
        sent.append(block)
        r = rx.process(line.process(block))
        got.append(r.bits)
        events += r.events
        frames += dec.process(r.bits).frames
        if tx.done and events and isinstance(events[-1], CarrierDown):
            break
    assert [(f.payload, f.fcs_ok) for f in frames] == [(CSI, True), (DIS, True)]
    whole = np.concatenate(sent)
    one_shot = V21Receiver().process(model.stream().process(whole))
    assert np.array_equal(np.concatenate(got), one_shot.bits)
    assert tuple(events) == one_shot.events


def test_two_transmissions_75_ms_apart() -> None:
    """T.30: 75 ms +- 20 ms of silence between one terminal's frames and the
    other's reply; each transmission is its own carrier, re-synchronised from its flags."""
    first = modulate(HdlcEncoder().encode([CSI, DIS], preamble_ms=200.0), -10.0)
    reply_frame = bytes([0xFF, 0x13, 0x83, 0x00, 0x46, 0x78])  # DCS-like
    second = modulate(HdlcEncoder().encode([reply_frame], preamble_ms=200.0), -25.0)
    gap = np.zeros(600, np.int16)
    signal = np.concatenate([gap, first, gap, second, gap])
    line = LineModel(noise_dbm0=-60.0, seed=6)
    rx, dec = V21Receiver(), HdlcDecoder()
    frames: list[HdlcFrame] = []
    events: list[ModemEvent] = []
    received = line.apply(signal)
    for at in range(0, received.size, 160):
        r = rx.process(received[at : at + 160])
        frames += dec.process(r.bits).frames
        for e in r.events:
            events.append(e)
            if isinstance(e, CarrierDown):
                dec.reset()  # as a T.30 engine does between transmissions
    assert [type(e) for e in events] == [CarrierUp, CarrierDown, CarrierUp, CarrierDown]
    assert [(f.payload, f.fcs_ok) for f in frames] == [(CSI, True), (DIS, True), (reply_frame, True)]


def test_bit_error_rate_falls_with_snr() -> None:
    # 3000 bits (10 s) per point; the table in the report comes from the module's main.
    low = measure_ber(0.0, 3000, seed=11)
    high = measure_ber(8.0, 3000, seed=12)
    assert low <= 2e-3
    assert high == 0.0
    assert measure_ber(-4.0, 3000, seed=13) > low  # a worse line gives more errors


def test_frame_error_rate_at_6_db() -> None:
    assert measure_fer(6.0, 8, seed=1) == 0.0


def main(what: list[str]) -> None:
    """Print the BER/FER tables (``tables``) and the receiver's speed (``speed``); both when
    ``what`` is empty."""
    if not what or "tables" in what:
        print_tables()
    if not what or "speed" in what:
        print_speed()


def print_tables() -> None:
    """The bit error rate and frame error rate tables of the report."""
    print("BER of V.21 ch2 at -20 dBm0, white noise, band filter; 30000 random bits per point")
    print("SNR dB | bit errors | BER")
    for snr in (-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0):
        ber = measure_ber(snr, 30000, seed=int(snr * 10) + 100)
        print(f"{snr:6.1f} | {round(ber * 30000):10d} | {ber:.2e}")
    print("\nFER of T.30 DIS transmissions (200 ms of flags, 11-octet DIS, FCS, flag) at -20 dBm0; 100 per point")
    print("SNR dB | FER")
    for snr in (-4.0, -2.0, 0.0, 2.0, 4.0, 6.0):
        print(f"{snr:6.1f} | {measure_fer(snr, 100, seed=int(snr * 10) + 200):.2f}")


def print_speed() -> None:
    """The receiver's speed as a multiple of real time, alone and with HDLC decoding: samples
    per second of this process's CPU time (one core; other load on the machine does not count)
    over 8000."""
    rng = np.random.default_rng(0)
    bits = HdlcEncoder().encode([bytes(rng.integers(0, 256, 40).astype(np.uint8)) for _ in range(8)])
    signal = LineModel(gain_db=-10.0, noise_dbm0=-50.0).apply(modulate(bits, -10.0))
    for block, with_hdlc in ((160, False), (160, True), (signal.size, False)):
        best = float("inf")
        for _ in range(3):
            rx, dec = V21Receiver(), HdlcDecoder()
            t0 = time.process_time()
            for at in range(0, signal.size, block):
                r = rx.process(signal[at : at + block])
                if with_hdlc:
                    dec.process(r.bits)
            best = min(best, time.process_time() - t0)
        what = "V.21 receiver + HDLC decoder" if with_hdlc else "V.21 receiver"
        print(f"{what}, {block}-sample blocks: {signal.size / best / 8000:.0f} x real time")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
