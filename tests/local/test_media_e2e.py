"""Prompts and recordings through the provider on the simulated board."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from pycti.drivers.sim_ops import Tone
from pycti.dsp.audiofile import write_wav
from pycti.errors import AudioFormatError
from pycti.switch import events as ev

from .conftest import next_event, spectrum_peak_hz, ticks
from .test_services_e2e import _two_party


def active(x: np.ndarray) -> np.ndarray:
    """The stretch of ``x`` from its first to its last sample above 1000 in magnitude."""
    idx = np.flatnonzero(np.abs(x) > 1000)
    assert idx.size > 800, "no audio"
    return x[idx[0] : idx[-1] + 1]


async def test_call_recorded_to_stereo_wav_one_party_per_channel(provider, tmp_path):
    p = provider
    conn_a, conn_b = await _two_party(p, "8001", "8002")
    path = tmp_path / "call.wav"
    rec = await p.record(conn_a.call_id, str(path))
    b = p.driver.board
    b.script(p.engine.port_of["8001"], [Tone(f1_hz=600.0, f2_hz=0.0, level_dbm0=-10.0, on_ms=1000, off_ms=0, total_ms=1000)])
    b.script(p.engine.port_of["8002"], [Tone(f1_hz=1500.0, f2_hz=0.0, level_dbm0=-10.0, on_ms=1000, off_ms=0, total_ms=1000)])
    await ticks(p, 40)
    await p.stop_recording(rec)
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 8000 and w.getsampwidth() == 2
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    parties = p.engine.parties[conn_a.call_id]
    first, second = (600.0, 1500.0) if parties[0] == "8001" else (1500.0, 600.0)
    assert abs(spectrum_peak_hz(active(x[:, 0])) - first) < 30
    assert abs(spectrum_peak_hz(active(x[:, 1])) - second) < 30


async def test_prompt_from_wav_file_reaches_the_other_party(provider, tmp_path):
    p = provider
    conn_a, conn_b = await _two_party(p, "8001", "8002")
    t = np.arange(4000) / 8000
    path = tmp_path / "prompt.wav"
    write_wav(str(path), (8000 * np.sin(2 * np.pi * 820 * t)).astype(np.int16))
    port_b = p.engine.port_of["8002"]
    heard = []
    p.add_tick_listener(lambda now: heard.append(p.engine._outbound[port_b].copy()))
    await p.play(conn_a, str(path))  # returns once played
    x = np.concatenate(heard)
    assert abs(spectrum_peak_hz(active(x)) - 820) < 30


async def test_prompt_with_wrong_rate_is_refused_and_calls_go_on(provider, tmp_path):
    p = provider
    conn_a, conn_b = await _two_party(p, "8001", "8002")
    path = tmp_path / "bad.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(1600, np.int16).tobytes())
    with pytest.raises(AudioFormatError, match="bad.wav"):
        await p.play(conn_a, str(path))
    mon = p.monitor("8001")
    await p.clear_call(conn_a.call_id)
    await next_event(mon, ev.CallCleared)
