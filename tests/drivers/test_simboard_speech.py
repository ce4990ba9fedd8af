"""The simulated caller's speech: level, pitch, syllabic rhythm, and nothing a DTMF or tone
detector could mistake for a signal.  Measured with plain numpy, not with pycti's detectors."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.drivers.simboard import DTMF_FREQS_HZ, Ring, SimBoard, Speech
from pycti.dsp._base import rms_to_dbm0

FS = 8000
LOW_HZ = sorted({lo for lo, _ in DTMF_FREQS_HZ.values()})
HIGH_HZ = sorted({hi for _, hi in DTMF_FREQS_HZ.values()})


def speech(seed: int, level_dbm0: float, seconds: int = 20) -> np.ndarray:
    with SimBoard(1, 0, seed=seed) as b:
        b.script(0, [Ring(), Speech(ms=seconds * 1000, level_dbm0=level_dbm0)])
        b.hook(0, True)
        return b.exchange(np.zeros((1, seconds * FS), np.int16))[0].astype(np.float64)


@pytest.fixture(scope="module", params=[1, 2])
def talk(request: pytest.FixtureRequest) -> np.ndarray:
    return speech(request.param, -20.0)


def frame_db(x: np.ndarray, frame: int) -> np.ndarray:
    return rms_to_dbm0(np.sqrt(np.mean(x.reshape(-1, frame) ** 2, axis=1)))


def test_level_over_the_syllables_matches_the_request(talk: np.ndarray) -> None:
    frames = talk.reshape(-1, 80)
    active = frame_db(talk, 80) > -35.0
    assert rms_to_dbm0(np.sqrt(np.mean(frames[active] ** 2))) == pytest.approx(-20.0, abs=1.5)
    quieter = speech(1, -32.0, seconds=4)
    assert np.sqrt(np.mean(quieter**2)) < np.sqrt(np.mean(talk[: 4 * FS] ** 2)) / 3


def test_syllabic_rhythm_is_3_to_5_hz_with_pauses(talk: np.ndarray) -> None:
    env = np.sqrt(np.mean(talk.reshape(-1, 80) ** 2, axis=1))  # 100 Hz envelope
    spec = np.abs(np.fft.rfft(env - env.mean(), 6400))
    freqs = np.fft.rfftfreq(6400, 1 / 100)
    band = freqs > 0.5
    assert 2.5 <= freqs[band][np.argmax(spec[band])] <= 5.5
    quiet = frame_db(talk, 80) < -60.0
    assert 0.1 < quiet.mean() < 0.6  # gaps and pauses, but mostly talk
    assert abs(talk.mean()) < 10.0  # no DC


def test_voiced_frames_have_a_100_to_250_hz_pitch(talk: np.ndarray) -> None:
    pitches = []
    for f in talk.reshape(-1, 320):
        ac = np.correlate(f, f, "full")[319:]
        if ac[0] <= 0:
            continue
        lag = 20 + int(np.argmax(ac[20:100]))  # 80..400 Hz search range
        if ac[lag] > 0.5 * ac[0]:
            pitches.append(FS / lag)
    assert len(pitches) > 100
    assert 95.0 <= np.percentile(pitches, 5) and np.percentile(pitches, 95) <= 260.0


def test_no_frame_looks_like_a_dtmf_pair(talk: np.ndarray) -> None:
    n = np.arange(320)
    basis = {f: np.exp(-2j * np.pi * f * n / FS) for f in LOW_HZ + HIGH_HZ}
    worst = 0.0
    for f in talk.reshape(-1, 320):  # 40 ms, the shortest valid DTMF tone (Q.24)
        energy = float(np.sum(f**2))
        if rms_to_dbm0(np.sqrt(energy / 320)) < -35.0:
            continue
        power = {k: 2.0 * abs(np.sum(f * v)) ** 2 / 320 for k, v in basis.items()}
        pair = max(power[k] for k in LOW_HZ) + max(power[k] for k in HIGH_HZ)
        worst = max(worst, pair / energy)
    assert worst < 0.7  # a real DTMF digit puts ~100 % of its energy in the pair


def test_it_is_not_a_steady_tone(talk: np.ndarray) -> None:
    windows = [w for w in talk.reshape(-1, 800) if np.mean(w**2) > 1e4]  # 100 ms, active
    dominant = [int(np.argmax(np.abs(np.fft.rfft(w, FS)))) for w in windows]
    assert len(set(dominant)) > 20 and np.std(dominant) > 100.0
