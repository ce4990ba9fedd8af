"""FSK caller ID end to end: central-office signal into the board's receiver (pycti.dsp.callerid_fsk)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import butter, sosfilt

from pycti.dsp._base import dbm0_to_peak, rms_to_dbm0
from pycti.dsp.callerid import CallerId, CallerIdEvent, encode_mdmf, encode_sdmf
from pycti.dsp.callerid_fsk import (
    FskCallerIdParams,
    FskCallerIdReceiver,
    fsk_callerid_signal,
)
from pycti.dsp.dtmf_gen import dtmf_tones

STANDARDS = ["bell202", "v23"]
BIT = 8000 / 1200
LEAD = 400  # samples of silence before the transmission

FULL = CallerId(number="6095551212", name="JOHN DOE", month=3, day=24, hour=9, minute=2)
MESSAGES = {
    "sdmf": encode_sdmf(CallerId(number="0123456789", month=9, day=30, hour=12, minute=24)),
    "sdmf-private": encode_sdmf(CallerId(number_absence="private", month=1, day=2, hour=3, minute=4)),
    "sdmf-unavailable": encode_sdmf(CallerId(number_absence="unavailable", month=12, day=31, hour=23, minute=59)),
    "mdmf": encode_mdmf(FULL),
    "mdmf-absences": encode_mdmf(
        CallerId(number_absence="unavailable", name_absence="private", month=6, day=15, hour=0, minute=0)
    ),
    "mdmf-number-only": encode_mdmf(CallerId(number="+4420794601", name="Ærø Café")),
}


def _transmission(
    message: bytes,
    standard: str = "bell202",
    *,
    level_dbm0: float = -13.5,
    snr_db: float | None = None,
    seed: int = 0,
    tail: int = 400,
    **kw,
) -> np.ndarray:
    x = fsk_callerid_signal(message, standard=standard, level_dbm0=level_dbm0, **kw).astype(np.float64)
    x = np.r_[np.zeros(LEAD), x, np.zeros(tail)]
    if snr_db is not None:
        sigma = dbm0_to_peak(level_dbm0) / np.sqrt(2.0) * 10 ** (-snr_db / 20)
        x = x + np.random.default_rng(seed).normal(0.0, sigma, x.size)
    return x


def _receive(x: np.ndarray, *, block: int | None = None, **kw) -> list[CallerIdEvent]:
    channels = 1 if x.ndim == 1 else x.shape[0]
    rx = FskCallerIdReceiver(channels, **kw)
    if block is None:
        return rx.process(x) + rx.flush()
    events: list[CallerIdEvent] = []
    for start in range(0, x.shape[-1], block):
        events += rx.process(x[..., start : start + block])
    return events + rx.flush()


@pytest.mark.parametrize("standard", STANDARDS)
@pytest.mark.parametrize("mode", ["fixed", "auto"])
@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_round_trip(standard: str, mode: str, name: str) -> None:
    message = MESSAGES[name]
    x = fsk_callerid_signal(message, standard=standard)
    assert x.dtype == np.int16
    assert x.size == -(-(300 + 180 + 10 * len(message)) * 20 // 3)
    assert rms_to_dbm0(np.sqrt(np.mean(x.astype(float) ** 2))) == pytest.approx(-13.5, abs=0.1)
    events = _receive(np.r_[np.zeros(LEAD), x, np.zeros(400)], standard=standard if mode == "fixed" else "auto")
    assert len(events) == 1
    ev = events[0]
    assert ev.error is None and ev.raw == message and ev.channel == 0
    assert ev.caller_id is not None
    assert (encode_sdmf if message[0] == 0x04 else encode_mdmf)(ev.caller_id) == message
    assert ev.signalling == standard
    mark_start = LEAD + 300 * BIT
    assert abs(ev.start_sample - mark_start) <= 3 * BIT
    assert abs(ev.end_sample - (LEAD + x.size)) <= BIT


@pytest.mark.parametrize("standard", STANDARDS)
@pytest.mark.parametrize("level_dbm0", [-5.0, -15.0, -25.0, -35.0])
def test_levels(standard: str, level_dbm0: float) -> None:
    events = _receive(_transmission(MESSAGES["mdmf"], standard, level_dbm0=level_dbm0))
    assert [e.caller_id for e in events] == [FULL]


def test_below_the_minimum_level_nothing_is_received() -> None:
    assert _receive(_transmission(MESSAGES["mdmf"], level_dbm0=-55.0)) == []


@pytest.mark.parametrize("standard", STANDARDS)
def test_white_noise_at_20db_snr_decodes(standard: str) -> None:
    for seed in range(6):
        events = _receive(_transmission(MESSAGES["mdmf"], standard, level_dbm0=-20.0, snr_db=20.0, seed=seed))
        assert [e.caller_id for e in events] == [FULL], seed


@pytest.mark.parametrize("standard", STANDARDS)
def test_heavy_noise_never_yields_a_wrong_caller_id(standard: str) -> None:
    errors_at_0db = 0
    for snr_db in (0.0, 3.0, 6.0, 9.0):
        for seed in range(12):
            x = _transmission(MESSAGES["mdmf"], standard, level_dbm0=-20.0, snr_db=snr_db, seed=seed)
            for ev in _receive(x):
                assert (ev.caller_id is None) != (ev.error is None)
                if ev.caller_id is not None:
                    assert ev.caller_id == FULL, (snr_db, seed)
                elif snr_db == 0.0:
                    errors_at_0db += 1
    # At 0 dB SNR the message is damaged: it is reported as an error, not silently dropped.
    assert errors_at_0db >= 6


def test_corrupted_messages_are_reported_as_errors_never_as_numbers() -> None:
    message = MESSAGES["mdmf"]
    for index in range(len(message)):
        for bit in (0, 3, 6):
            corrupt = bytearray(message)
            corrupt[index] ^= 1 << bit
            events = _receive(_transmission(bytes(corrupt), tail=800))
            assert len(events) == 1, (index, bit)
            ev = events[0]
            assert ev.caller_id is None and ev.error, (index, bit)
            if index >= 2:  # the length byte intact: every byte arrives, the checksum fails
                assert "checksum" in ev.error and ev.raw == bytes(corrupt)


def test_truncated_transmission_reports_carrier_loss() -> None:
    x = fsk_callerid_signal(MESSAGES["mdmf"])
    cut = x.size - int(12 * 10 * BIT)  # the last 12 bytes never come
    events = _receive(np.r_[np.zeros(LEAD), x[:cut], np.zeros(2000)])
    assert len(events) == 1
    ev = events[0]
    assert ev.caller_id is None and "carrier lost" in ev.error
    assert ev.raw == MESSAGES["mdmf"][: len(MESSAGES["mdmf"]) - 12]


def test_flush_ends_a_message_in_progress() -> None:
    x = fsk_callerid_signal(MESSAGES["mdmf"]).astype(float)
    rx = FskCallerIdReceiver(1)
    assert rx.process(np.r_[np.zeros(LEAD), x[: x.size - 200]]) == []
    events = rx.flush()
    assert len(events) == 1 and events[0].caller_id is None and events[0].error


@pytest.mark.parametrize("standard", STANDARDS)
def test_etsi_short_mark_without_seizure(standard: str) -> None:
    # Data after the first ring (ETSI) has 80 mark bits; off-hook (type II) sends no seizure.
    for seizure, mark in [(300, 80), (0, 80), (0, 55)]:
        x = _transmission(MESSAGES["sdmf"], standard, seizure_bits=seizure, mark_bits=mark)
        events = _receive(x)
        assert len(events) == 1 and events[0].error is None, (seizure, mark)


def test_no_events_from_noise_tones_or_a_mark_alone() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(24000) / 8000
    level = dbm0_to_peak(-10.0)
    signals = {
        "noise": rng.normal(0, dbm0_to_peak(-15.0) / np.sqrt(2), t.size),
        "mark alone": level * np.sin(2 * np.pi * 1200 * t),  # a steady mark, no message
        "space alone": level * np.sin(2 * np.pi * 2100 * t),
        "dial tone": level * (np.sin(2 * np.pi * 350 * t) + np.sin(2 * np.pi * 440 * t)) / 2,
        "mark then silence": np.r_[level * np.sin(2 * np.pi * 1300 * t[:3000]), np.zeros(3000)],
        "seizure only": fsk_callerid_signal(b"", seizure_bits=600, mark_bits=0).astype(float),
    }
    for name, signal in signals.items():
        assert _receive(signal) == [], name


def test_two_messages_on_one_channel() -> None:
    a = _transmission(MESSAGES["sdmf"], "v23")
    b = _transmission(MESSAGES["mdmf"], "v23")
    events = _receive(np.r_[a, b], block=160)
    assert [e.raw for e in events] == [MESSAGES["sdmf"], MESSAGES["mdmf"]]
    assert events[0].end_sample < events[1].start_sample


def test_multichannel_different_messages_in_one_array() -> None:
    n = 16000
    x = np.zeros((4, n))
    plan = {
        0: ("sdmf", "bell202", -10.0, 0),
        1: ("mdmf", "v23", -20.0, 1234),
        3: ("mdmf-absences", "bell202", -32.0, 3000),
    }
    for ch, (name, standard, level, offset) in plan.items():
        sig = fsk_callerid_signal(MESSAGES[name], standard=standard, level_dbm0=level).astype(float)
        x[ch, offset : offset + sig.size] = sig
    x[2] = np.random.default_rng(2).normal(0, 300, n)
    events = _receive(x, block=160)
    assert sorted(e.channel for e in events) == [0, 1, 3]
    for ev in events:
        name, standard, _, offset = plan[ev.channel]
        assert ev.raw == MESSAGES[name] and ev.error is None and ev.signalling == standard
        assert ev.start_sample > offset
    assert [e.end_sample for e in events] == sorted(e.end_sample for e in events)


@settings(deadline=None, max_examples=15, database=None)
@given(
    cuts=st.lists(st.integers(1, 900), min_size=1, max_size=40),
    standard=st.sampled_from(STANDARDS),
    snr_db=st.sampled_from([None, 15.0, 7.0]),
    seed=st.integers(0, 1000),
)
def test_block_size_invariance(cuts: list[int], standard: str, snr_db: float | None, seed: int) -> None:
    a = _transmission(MESSAGES["mdmf"], standard, snr_db=snr_db, seed=seed)
    b = _transmission(MESSAGES["sdmf"], standard, snr_db=snr_db, seed=seed + 1)
    x = np.zeros((2, a.size + 700))
    x[0, : a.size] = a
    x[1, 700 : 700 + b.size] = b
    whole = _receive(x)
    rx = FskCallerIdReceiver(2)
    pieces: list[CallerIdEvent] = []
    pos, i = 0, 0
    while pos < x.shape[1]:
        step = cuts[i % len(cuts)]
        pieces += rx.process(x[:, pos : pos + step])
        pos += step
        i += 1
    pieces += rx.flush()
    assert pieces == whole
    if snr_db is None:
        assert [e.error for e in whole] == [None, None]


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        FskCallerIdReceiver(1, standard="v21")
    with pytest.raises(ValueError):
        FskCallerIdReceiver(2).process(np.zeros((3, 160)))
    with pytest.raises(ValueError):
        fsk_callerid_signal(b"\x04", fs_hz=16000)
    with pytest.raises(ValueError):
        fsk_callerid_signal(b"\x04", standard="v21")


UNGATED = FskCallerIdParams(gate_quiet_channels=False)


def _speech_like(n: int, rng: np.random.Generator, level_dbm0: float) -> np.ndarray:
    """Noise with a speech-like spectrum (200-900 Hz, 12 dB/octave skirts) in syllable bursts."""
    sos = np.vstack([butter(2, 200, "highpass", fs=8000, output="sos"), butter(2, 900, "lowpass", fs=8000, output="sos")])
    shaped = sosfilt(sos, rng.normal(0.0, 1.0, n))
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(1.0, 3.0) * np.arange(n) / 8000 + rng.uniform(0, 6)), 0, None)
    s = shaped * envelope
    return s * dbm0_to_peak(level_dbm0) / np.sqrt(2.0) / np.sqrt(np.mean(s**2))


def _mixed_line_audio(n: int, seed: int) -> tuple[np.ndarray, dict[int, bytes]]:
    """12 channels: silence, idle noise, -50 dBm0 noise, speech-like noise, DTMF, dial tone and
    caller ID (both standards, one over speech-level noise); returns the audio and the messages."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 8000
    x = np.zeros((12, n))
    x[1] = rng.normal(0.0, dbm0_to_peak(-65.0) / np.sqrt(2.0), n)
    x[2] = rng.normal(0.0, dbm0_to_peak(-50.0) / np.sqrt(2.0), n)
    x[3] = _speech_like(n, rng, -15.0)
    x[4] = _speech_like(n, rng, -25.0)
    dtmf = dtmf_tones("*0#7891234", on_ms=70, off_ms=70, level_dbm0=-8.0).astype(float)
    x[5, 900 : 900 + dtmf.size] = dtmf[: n - 900]
    x[6] = dbm0_to_peak(-13.0) * (np.sin(2 * np.pi * 350 * t) + np.sin(2 * np.pi * 440 * t)) / 2
    plan = {7: ("mdmf", "bell202", -12.0, 500), 8: ("sdmf", "v23", -30.0, 3000), 9: ("mdmf-absences", "v23", -20.0, 0)}
    for ch, (name, standard, level, offset) in plan.items():
        sig = fsk_callerid_signal(MESSAGES[name], standard=standard, level_dbm0=level).astype(float)
        x[ch, offset : offset + sig.size] = sig[: n - offset]
    x[9] += rng.normal(0.0, dbm0_to_peak(-40.0) / np.sqrt(2.0), n)
    x[10] = _speech_like(n, rng, -20.0) * (t > 1.0)  # silence, then talk
    x[11, : n // 2] = x[7, n // 2 :]  # a caller ID cut short
    return x, {ch: MESSAGES[name] for ch, (name, *_rest) in plan.items()}


def _receive_cuts(x: np.ndarray, cuts: list[int], params: FskCallerIdParams) -> list[CallerIdEvent]:
    rx = FskCallerIdReceiver(x.shape[0], params=params)
    events: list[CallerIdEvent] = []
    pos, i = 0, 0
    while pos < x.shape[1]:
        events += rx.process(x[:, pos : pos + cuts[i % len(cuts)]])
        pos += cuts[i % len(cuts)]
        i += 1
    return events + rx.flush()


def test_gated_receiver_reports_exactly_the_ungated_events() -> None:
    x, messages = _mixed_line_audio(3 * 8000, seed=11)
    whole = _receive_cuts(x, [x.shape[1]], UNGATED)
    good = {e.channel: e.raw for e in whole if e.error is None}
    assert good == messages
    assert {e.channel for e in whole if e.error is not None} & {3, 4, 10}  # speech makes false starts
    assert not {e.channel for e in whole} & {0, 1, 2, 6}
    for cuts in ([160], [37, 500, 1, 213], [80, 81]):
        assert _receive_cuts(x, cuts, UNGATED) == whole, cuts
        assert _receive_cuts(x, cuts, FskCallerIdParams()) == whole, cuts


def test_quiet_channels_are_not_demodulated() -> None:
    rx = FskCallerIdReceiver(6)
    rng = np.random.default_rng(4)
    block = np.zeros((6, 160))
    block[1] = rng.normal(0.0, dbm0_to_peak(-65.0) / np.sqrt(2.0), 160)
    for _ in range(5):
        assert rx.process(block) == []
        assert rx.demodulated_channels == 0
    block[4] = dbm0_to_peak(-40.0) * np.sin(2 * np.pi * 1200 * np.arange(160) / 8000)
    rx.process(block)
    assert rx.demodulated_channels == 1
    # The tone's energy stays in the gate's look-back for a window and the filter span.
    block[4] = 0.0
    counts = []
    for _ in range(4):
        rx.process(block)
        counts.append(rx.demodulated_channels)
    assert counts == [1, 1, 0, 0]
    full = FskCallerIdReceiver(6, params=UNGATED)
    full.process(block)
    assert full.demodulated_channels == 6


def test_a_caller_id_after_long_silence_is_received_through_the_gate() -> None:
    # The channel is gated out for seconds, then its history is rebuilt when the mark begins.
    sig = fsk_callerid_signal(MESSAGES["sdmf"], standard="v23", seizure_bits=0, mark_bits=55).astype(float)
    x = np.zeros((3, 24000 + sig.size + 800))
    x[1, 24000 : 24000 + sig.size] = sig
    gated = _receive_cuts(x, [160], FskCallerIdParams())
    assert gated == _receive_cuts(x, [160], UNGATED)
    assert [(e.channel, e.raw, e.error) for e in gated] == [(1, MESSAGES["sdmf"], None)]
