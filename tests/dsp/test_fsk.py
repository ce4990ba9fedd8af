"""Tests of the 1200 baud FSK modem (pycti.dsp.fsk): framing, modulation, discriminator, UART."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp._base import dbm0_to_peak, rms_to_dbm0
from pycti.dsp.fsk import (
    BELL202,
    V23,
    FskDiscriminator,
    UartStatus,
    async_frame_bits,
    fsk_modulate,
    fsk_standard,
    read_async_byte,
)

STANDARDS = [BELL202, V23]
MIN_POWER = (dbm0_to_peak(-45.0) / 2.0) ** 2


def test_async_framing_is_start_lsb_first_stop() -> None:
    # 0x55 LSB first is 1,0,1,0,... ; 0x80 has its only 1 in the last data bit.
    assert async_frame_bits(b"\x55").tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
    assert async_frame_bits(b"\x80").tolist() == [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert async_frame_bits(b"\x01\xff").tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 1] + [0] + [1] * 9
    assert async_frame_bits(b"").size == 0


def test_standards_table() -> None:
    assert (BELL202.mark_hz, BELL202.space_hz) == (1200.0, 2200.0)
    assert (V23.mark_hz, V23.space_hz) == (1300.0, 2100.0)
    assert fsk_standard("v23") is V23
    with pytest.raises(ValueError):
        fsk_standard("v21")


@pytest.mark.parametrize("standard", STANDARDS, ids=lambda s: s.name)
@pytest.mark.parametrize("bit,attr", [(1, "mark_hz"), (0, "space_hz")])
def test_steady_bits_are_a_pure_tone_at_the_level(standard, bit, attr) -> None:
    x = fsk_modulate(np.full(1200, bit), standard=standard, level_dbm0=-10.0)
    assert x.size == 8000  # 1200 bits at 1200 baud is one second
    spectrum = np.abs(np.fft.rfft(x))
    assert np.argmax(spectrum) == pytest.approx(getattr(standard, attr), abs=1)  # 1 Hz bins
    assert rms_to_dbm0(np.sqrt(np.mean(x**2))) == pytest.approx(-10.0, abs=0.05)


@pytest.mark.parametrize("standard", STANDARDS, ids=lambda s: s.name)
def test_keying_is_phase_continuous(standard) -> None:
    bits = np.random.default_rng(3).integers(0, 2, 500)
    x = fsk_modulate(bits, standard=standard, level_dbm0=0.0)
    assert x.size == -(-500 * 20 // 3)
    peak = dbm0_to_peak(0.0)
    # A phase jump would show as a step larger than the fastest tone can make in one sample.
    max_step = 2.0 * peak * np.sin(np.pi * standard.space_hz / 8000.0)
    assert np.max(np.abs(np.diff(x))) <= max_step + 1e-6
    # Instantaneous frequency from the analytic signal follows the bits.
    analytic = np.fft.ifft(np.fft.fft(x) * np.r_[1, 2 * np.ones(x.size // 2 - 1), 1, np.zeros(x.size // 2)][: x.size])
    inst_hz = np.angle(analytic[1:] * np.conj(analytic[:-1])) * 8000 / (2 * np.pi)
    centres = ((np.arange(500) + 0.5) * 20 / 3).astype(int)[5:-5]
    expected = np.where(bits[5:-5] == 1, standard.mark_hz, standard.space_hz)
    assert np.allclose(inst_hz[centres], expected, atol=200)


def test_modulate_rejects_non_binary() -> None:
    with pytest.raises(ValueError):
        fsk_modulate(np.array([0, 2, 1]))


@pytest.mark.parametrize("standard", STANDARDS, ids=lambda s: s.name)
def test_discriminator_sign_mark_negative_space_positive(standard) -> None:
    bits = np.r_[np.ones(100, np.uint8), np.zeros(100, np.uint8)]
    out = FskDiscriminator(1).process(fsk_modulate(bits, standard=standard))
    mark_part = out.freq_hz[0, 100:600]
    space_part = out.freq_hz[0, 800:1300]
    assert np.allclose(mark_part, standard.mark_hz - 1700, atol=5)
    assert np.allclose(space_part, standard.space_hz - 1700, atol=5)


def test_discriminator_is_exact_across_block_cuts() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(0, 3000, (3, 2000))
    whole = FskDiscriminator(3).process(x)
    d = FskDiscriminator(3)
    cuts = [0, 1, 160, 161, 700, 1999, 2000]
    parts = [d.process(x[:, a:b]) for a, b in itertools.pairwise(cuts)]
    assert np.array_equal(np.concatenate([p.product for p in parts], axis=1), whole.product)
    # The product planes are IEEE multiplies and adds in a fixed order: exact.  freq_hz goes
    # through arctan2, which numpy may evaluate with SIMD or scalar code depending on the arrays'
    # length and layout, with no promise of the same last bit: compared to within 1e-9 Hz.
    np.testing.assert_allclose(np.concatenate([p.freq_hz for p in parts], axis=1), whole.freq_hz, rtol=0, atol=1e-9)
    assert d.samples_seen == 2000


def _discriminate(standard, data: bytes, *, lead_bits=40, tail_bits=20, noise_snr_db=None, seed=0):
    bits = np.r_[np.ones(lead_bits, np.uint8), async_frame_bits(data), np.ones(tail_bits, np.uint8)]
    x = fsk_modulate(bits, standard=standard, level_dbm0=-13.5)
    if noise_snr_db is not None:
        rms = np.sqrt(np.mean(x**2))
        x = x + np.random.default_rng(seed).normal(0, rms * 10 ** (-noise_snr_db / 20), x.size)
    x = np.r_[x, np.zeros(200)]
    out = FskDiscriminator(1).process(x)
    return out.product[0], out.freq_hz[0], out.power[0]


def _read_all(standard, buffers, count):
    product, freq, power = buffers
    pos, values, results = 60, [], []  # start once the filters have settled on the mark
    for _ in range(count):
        r = read_async_byte(
            product,
            freq,
            power,
            pos,
            deviation_hz=standard.deviation_hz,
            min_power=MIN_POWER,
            max_wait_samples=400 if not values else 100,
        )
        results.append(r)
        if r.status is not UartStatus.BYTE:
            break
        values.append(r.value)
        pos = r.next_pos
    return bytes(values), results


@settings(deadline=None, max_examples=25)
@given(data=st.binary(min_size=1, max_size=24), std=st.sampled_from(STANDARDS))
def test_uart_round_trip(data: bytes, std) -> None:
    values, _ = _read_all(std, _discriminate(std, data), len(data))
    assert values == data


@pytest.mark.parametrize("standard", STANDARDS, ids=lambda s: s.name)
def test_uart_round_trip_at_20db_snr(standard) -> None:
    data = bytes(range(0, 256, 7))
    for seed in range(3):
        values, _ = _read_all(standard, _discriminate(standard, data, noise_snr_db=20, seed=seed), len(data))
        assert values == data


def test_uart_needs_more_then_agrees_with_the_full_buffer() -> None:
    product, freq, power = _discriminate(BELL202, b"\xa7")
    full = read_async_byte(product, freq, power, 60, deviation_hz=500, min_power=MIN_POWER, max_wait_samples=400)
    assert full.status is UartStatus.BYTE and full.value == 0xA7
    for cut in range(0, full.decided_at + 1, 5):
        r = read_async_byte(
            product[:cut], freq[:cut], power[:cut], 60, deviation_hz=500, min_power=MIN_POWER, max_wait_samples=400
        )
        assert r.status is UartStatus.NEED_MORE
    r = read_async_byte(
        product[: full.decided_at + 1],
        freq[: full.decided_at + 1],
        power[: full.decided_at + 1],
        60,
        deviation_hz=500,
        min_power=MIN_POWER,
        max_wait_samples=400,
    )
    assert r == full


def test_uart_no_start_on_steady_mark_and_carrier_lost_on_silence() -> None:
    x = fsk_modulate(np.ones(200, np.uint8))
    out = FskDiscriminator(1).process(np.r_[x, np.zeros(300)])
    args = (out.product[0], out.freq_hz[0], out.power[0])
    r = read_async_byte(*args, 1000, deviation_hz=500, min_power=MIN_POWER, max_wait_samples=600)
    assert r.status is UartStatus.CARRIER_LOST
    assert 1333 <= r.start <= 1333 + 40  # where the tone stopped, plus the filter delay
    r = read_async_byte(*args, 100, deviation_hz=500, min_power=MIN_POWER, max_wait_samples=300)
    assert r.status is UartStatus.NO_START


def test_uart_framing_error_when_stop_bit_is_space() -> None:
    bad = np.r_[np.ones(40, np.uint8), [0, 1, 1, 0, 0, 1, 0, 1, 0], [0, 0], np.ones(30, np.uint8)]
    out = FskDiscriminator(1).process(np.r_[fsk_modulate(bad), np.zeros(100)])
    r = read_async_byte(
        out.product[0], out.freq_hz[0], out.power[0], 60, deviation_hz=500, min_power=MIN_POWER, max_wait_samples=400
    )
    assert r.status is UartStatus.FRAMING


def test_uart_reports_unreliable_bits_in_heavy_noise() -> None:
    data = bytes(range(40))
    statuses = set()
    for seed in range(4):
        values, results = _read_all(BELL202, _discriminate(BELL202, data, noise_snr_db=0, seed=seed), len(data))
        statuses.add(results[-1].status)
        assert values != data
    assert statuses & {UartStatus.UNRELIABLE, UartStatus.FRAMING}


def test_uart_resumed_search_gives_the_fresh_answer() -> None:
    # Noise before and inside the bytes makes many start-bit candidates that are glitches; a
    # receiver growing its buffer and resuming after each NEED_MORE must get the answer a fresh
    # search over the whole buffer gives, whatever the growth steps.
    rng = np.random.default_rng(12)
    answers = set()
    for seed in range(6):
        product, freq, power = _discriminate(BELL202, bytes(range(60, 72)), noise_snr_db=4, seed=seed, lead_bits=80)
        kw = {"deviation_hz": 500.0, "min_power": MIN_POWER, "max_wait_samples": 700}
        for pos in (0, 37, 200):
            fresh = read_async_byte(product, freq, power, pos, **kw)
            answers.add(fresh.status)
            size, r = pos, None
            resume, seen = None, -1
            while r is None or r.status is UartStatus.NEED_MORE:
                size = min(product.size, size + int(rng.integers(1, 90)))
                r = read_async_byte(product[:size], freq[:size], power[:size], pos, resume_from=resume, seen=seen, **kw)
                if r.status is UartStatus.NEED_MORE:
                    assert r.decided_at >= size  # the answer needs a sample not yet given
                    resume, seen = r.next_pos, r.seen
            assert r == fresh, (seed, pos)
    assert len(answers) >= 2
