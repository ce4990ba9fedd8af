"""Tests of the V.21 channel 2 modem halves (pycti.dsp.v21) on clean signals: keying, levels,
carrier detection thresholds and timing, streaming invariance, errors."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.dsp._base import dbm0_to_peak, rms_to_dbm0
from pycti.dsp.fsk import fsk_modulate
from pycti.dsp.hdlc import HdlcDecoder, HdlcEncoder
from pycti.dsp.modem import CarrierDown, CarrierUp, ModemEvent, ModemReceiver, ModemTransmitter
from pycti.dsp.v21 import (
    CARRIER_OFF_DBM0,
    CARRIER_ON_DBM0,
    RAMP_SAMPLES,
    V21_CH1,
    V21_CH2,
    V21Error,
    V21Receiver,
    V21Transmitter,
)
from pycti.errors import PyctiError

DIS = bytes([0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF8, 0x80, 0x80, 0x91, 0x00, 0x00])
SAMPLES_PER_BIT = 8000 / 300


def transmit(bits: np.ndarray, level_dbm0: float = -10.0, block: int = 160, **kw: object) -> np.ndarray:
    """Everything a transmitter sends for ``bits``, pulled ``block`` samples at a time."""
    tx = V21Transmitter(level_dbm0, **kw)  # type: ignore[arg-type]
    tx.write_bits(bits)
    tx.finish()
    out = []
    while not tx.done:
        out.append(tx.generate(block))
    return np.concatenate(out) if out else np.zeros(0, np.int16)


def receive(signal: np.ndarray, chunks: int | None = None, **kw: object) -> tuple[np.ndarray, list[ModemEvent]]:
    """Bits and events of a fresh receiver fed ``signal`` whole or in ``chunks``-sample blocks."""
    rx = V21Receiver(**kw)  # type: ignore[arg-type]
    step = chunks or max(signal.size, 1)
    bits = []
    events: list[ModemEvent] = []
    for at in range(0, signal.size, step):
        r = rx.process(signal[at : at + step])
        bits.append(r.bits)
        events += r.events
    return (np.concatenate(bits) if bits else np.zeros(0, np.uint8)), events


def test_halves_follow_the_modem_protocols() -> None:
    assert isinstance(V21Transmitter(), ModemTransmitter)
    assert isinstance(V21Receiver(), ModemReceiver)
    assert (V21_CH2.mark_hz, V21_CH2.space_hz, V21_CH2.baud) == (1650.0, 1850.0, 300)
    assert (V21_CH1.mark_hz, V21_CH1.space_hz) == (980.0, 1180.0)


def test_transmitter_is_fsk_modulate_streamed() -> None:
    bits = np.random.default_rng(1).integers(0, 2, 300).astype(np.uint8)
    ref = fsk_modulate(bits, standard=V21_CH2, level_dbm0=-10.0)
    live = ref.size  # 300 bits at 300 bit/s: 8000 samples
    assert live == 8000
    for block in (160, 7, 1000):
        sent = transmit(bits, block=block)
        assert sent.dtype == np.int16
        # Between the rising edge and the end of the last bit only the rounding to int16 differs.
        assert np.max(np.abs(sent[RAMP_SAMPLES:live] - ref[RAMP_SAMPLES:])) <= 0.5 + 1e-9
        rise = sent[:RAMP_SAMPLES].astype(float)
        assert np.all(np.abs(rise) <= np.abs(ref[:RAMP_SAMPLES]) + 0.5)
        # After the last bit the carrier dies away over RAMP_SAMPLES, then silence.
        tail = np.abs(sent[live : live + RAMP_SAMPLES].astype(float))
        assert tail[0] > 0 and tail.max() <= dbm0_to_peak(-10.0) and np.all(tail[-4:] < 0.1 * dbm0_to_peak(-10.0))
        assert not np.any(sent[live + RAMP_SAMPLES :])


@pytest.mark.parametrize("bit,freq_hz", [(1, 1650), (0, 1850)])
def test_steady_bits_are_the_v21_tones_at_the_level(bit: int, freq_hz: int) -> None:
    sent = transmit(np.full(300, bit, np.uint8), level_dbm0=-13.0)
    spectrum = np.abs(np.fft.rfft(sent[:8000]))
    assert int(np.argmax(spectrum)) == freq_hz  # 1 Hz bins
    assert rms_to_dbm0(np.sqrt(np.mean(sent[:8000].astype(float) ** 2))) == pytest.approx(-13.0, abs=0.05)


def test_transmitter_fills_with_mark_and_ends_after_finish() -> None:
    tx = V21Transmitter(-10.0)
    first = tx.generate(800)  # nothing written yet: the carrier idles on mark
    assert int(np.argmax(np.abs(np.fft.rfft(first)))) * 10 == 1650
    assert not tx.done
    tx.write_bits([0] * 30)
    tx.finish()
    with pytest.raises(V21Error):
        tx.write_bits([1])
    rest = tx.generate(2000)
    assert tx.done
    # 800 samples are 30 bit slots; the next 30 slots carry the space bits, the closing ramp
    # follows, then silence.
    end_of_bits = int(np.ceil(60 * SAMPLES_PER_BIT)) - 800 + RAMP_SAMPLES
    assert np.all(rest[end_of_bits:] == 0) and np.any(rest[end_of_bits - 20 : end_of_bits])
    assert not np.any(tx.generate(160))
    empty = V21Transmitter()
    empty.finish()
    assert empty.done and not np.any(empty.generate(100))


def test_generate_split_does_not_matter() -> None:
    bits = np.random.default_rng(2).integers(0, 2, 90).astype(np.uint8)
    whole = transmit(bits, block=10_000)
    rng = np.random.default_rng(3)
    tx = V21Transmitter(-10.0)
    tx.write_bits(bits[:40])
    parts = [tx.generate(int(rng.integers(0, 50))) for _ in range(10)]
    tx.write_bits(bits[40:])
    tx.finish()
    while not tx.done:
        parts.append(tx.generate(int(rng.integers(1, 300))))
    pieced = np.concatenate(parts)
    # Identical samples as long as no write came late (the first 40 bits last 1067 samples).
    assert sum(p.size for p in parts[:10]) < 1067
    assert np.array_equal(pieced[: whole.size], whole[: pieced.size])


def test_clean_round_trip_of_a_t30_frame() -> None:
    bits = HdlcEncoder().encode([DIS])  # the full T.30 1 s preamble
    signal = np.concatenate([np.zeros(400, np.int16), transmit(bits), np.zeros(400, np.int16)])
    got, events = receive(signal)
    result = HdlcDecoder().process(got)
    assert [(f.payload, f.fcs_ok) for f in result.frames] == [(DIS, True)]
    assert [type(e) for e in events] == [CarrierUp, CarrierDown]
    # Every bit sent came out, at most one bit of the start being lost to the carrier detector
    # and one more bit of silence at the end.
    assert abs(got.size - bits.size) <= 1


def test_streaming_any_chunking_gives_the_same_bits_and_events() -> None:
    bits = HdlcEncoder().encode([DIS, DIS], preamble_ms=150.0)
    rng = np.random.default_rng(4)
    noise = rng.normal(0.0, dbm0_to_peak(-50.0) / np.sqrt(2), 1200 + int(bits.size * SAMPLES_PER_BIT) + 1600)
    signal = np.concatenate([np.zeros(1200), transmit(bits), np.zeros(1600)])
    signal = np.rint(signal[: noise.size] + noise[: signal.size]).astype(np.int16)
    whole = receive(signal)
    assert np.array_equal(receive(signal, 160)[0], whole[0]) and receive(signal, 160)[1] == whole[1]
    rx = V21Receiver()
    bits_out = []
    events: list[ModemEvent] = []
    at = 0
    while at < signal.size:
        size = int(rng.integers(0, 400))
        r = rx.process(signal[at : at + size])
        bits_out.append(r.bits)
        events += r.events
        at += size
    assert np.array_equal(np.concatenate(bits_out), whole[0]) and events == whole[1]
    assert rx.samples_seen == signal.size


def test_reset_forgets_everything() -> None:
    signal = transmit(HdlcEncoder().encode([DIS], preamble_ms=100.0))
    rx = V21Receiver()
    rx.process(signal[:3000])
    assert rx.carrier_present
    rx.reset()
    assert not rx.carrier_present and rx.samples_seen == 0
    r = rx.process(signal)
    fresh = receive(signal)
    assert np.array_equal(r.bits, fresh[0]) and list(r.events) == fresh[1]


def tone_bursts(level_dbm0: float, bits: int = 60) -> tuple[np.ndarray, int, int]:
    """Alternating V.21 bits at ``level_dbm0`` between silences: (signal, start, end), where
    ``end`` is the end of the last bit (the closing ramp follows it)."""
    sent = transmit(np.tile([0, 1], bits // 2).astype(np.uint8), level_dbm0=level_dbm0)
    signal = np.concatenate([np.zeros(800, np.int16), sent, np.zeros(800, np.int16)])
    return signal, 800, 800 + int(np.ceil(bits * SAMPLES_PER_BIT))


@pytest.mark.parametrize("level_dbm0", [-43.0, -30.0, -10.0, 0.0])
def test_carrier_events_come_within_a_few_ms(level_dbm0: float) -> None:
    signal, start, end = tone_bursts(level_dbm0)
    _, events = receive(signal)
    up, down = events
    assert isinstance(up, CarrierUp) and isinstance(down, CarrierDown)
    assert 0 <= up.sample - start <= 7 * 8  # within 7 ms of the first sample (3 ms of ramp)
    assert 0 <= down.sample - end <= 12 * 8  # within 12 ms of the end of the last bit (ditto)


def test_carrier_thresholds_are_inside_the_v21_limits() -> None:
    assert -48.0 < CARRIER_OFF_DBM0 < CARRIER_ON_DBM0 < -43.0
    for level in (-43.0, -42.0, -20.0, 3.0):
        assert [type(e) for e in receive(tone_bursts(level)[0])[1]] == [CarrierUp, CarrierDown], level
    for level in (-48.0, -50.0, -60.0):
        got, events = receive(tone_bursts(level)[0])
        assert events == [] and got.size == 0, level  # no carrier, so no bits


def test_hysteresis_holds_between_the_thresholds() -> None:
    # -43 dBm0 for 0.5 s, then -45.5 (between the thresholds) for 0.5 s, then -49 dBm0.
    bits = np.tile([0, 1], 225).astype(np.uint8)
    sent = transmit(bits, level_dbm0=0.0).astype(float)
    gains = np.repeat([-43.0, -45.5, -49.0], 4000)
    signal = np.rint(sent[: gains.size] * 10.0 ** (gains / 20.0)).astype(np.int16)
    got, events = receive(signal)
    assert [type(e) for e in events] == [CarrierUp, CarrierDown]
    assert 8000 < events[1].sample < 8000 + 10 * 8  # off only once below -48 dBm0
    assert abs(got.size - 300) <= 2  # bits flowed through the whole on time


@pytest.mark.parametrize("freq_hz", [2100.0, 1100.0, 1080.0])
def test_tones_beside_the_channel_are_not_its_carrier(freq_hz: float) -> None:
    # CED (2100 Hz), CNG (1100 Hz) and channel No. 1's centre, loud.
    n = np.arange(8000)
    tone = np.rint(dbm0_to_peak(-5.0) * np.cos(2 * np.pi * freq_hz * n / 8000)).astype(np.int16)
    got, events = receive(tone)
    assert events == [] and got.size == 0


def test_channel_1_round_trip() -> None:
    bits = HdlcEncoder().encode([DIS], preamble_ms=200.0)
    signal = np.concatenate([transmit(bits, standard=V21_CH1, level_dbm0=-10.0), np.zeros(400, np.int16)])
    frames = HdlcDecoder().process(receive(signal, standard=V21_CH1)[0]).frames
    assert [(f.payload, f.fcs_ok) for f in frames] == [(DIS, True)]
    # Channel 2's receiver does not take channel 1 for its carrier.
    assert receive(signal)[1] == []


def test_silence_gives_nothing() -> None:
    got, events = receive(np.zeros(4000, np.int16), 160)
    assert got.size == 0 and events == []
    assert V21Receiver().process(np.zeros(0, np.int16)).bits.size == 0


def test_bad_arguments_raise_v21_error() -> None:
    for call in (
        lambda: V21Transmitter(10.0),
        lambda: V21Transmitter(float("nan")),
        lambda: V21Transmitter().generate(-1),
        lambda: V21Transmitter().write_bits([0, 3]),
        lambda: V21Receiver().process(np.zeros((2, 10), np.int16)),
        lambda: V21Receiver().process(np.array(["a"])),
        lambda: V21Receiver(carrier_on_dbm0=-50.0, carrier_off_dbm0=-40.0),
        lambda: V21Receiver(standard=V21_CH2.__class__(name="x", mark_hz=1200.0, space_hz=2200.0)),
    ):
        with pytest.raises(V21Error) as info:
            call()
        assert isinstance(info.value, PyctiError) and isinstance(info.value, ValueError)
