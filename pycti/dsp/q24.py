"""Seeded DTMF acceptance vectors after ITU-T Q.24 (and the Q.23 frequency plan).

Classes and what each vector expects (every vector states its tolerance):

* ``frequency`` - each of the 16 digits at nominal frequencies, at +/-1.5 % (accept) and
  +/-3.5 % (reject), deviating both tones with the same sign, with opposite signs, or one tone.
* ``twist`` - normal twist (high group weaker) 0..8 dB accept, 10 and 12 dB reject; reverse twist
  0..4 dB accept, 6 and 8 dB reject; at -10 and -20 dBm0 per low tone.
* ``level`` - per-tone levels -3 .. -25 dBm0 accept, -45 and -50 dBm0 reject.
* ``timing`` - four digits of 40 ms with 40 ms pauses (accept all four), single tones of 23 ms
  and 20 ms (reject), an 80 ms tone broken by a 20 ms dropout (accept once).
* ``noise`` - a digit at -10 dBm0 per tone in white Gaussian noise at 15 dB SNR, SNR taken as the
  total DTMF power over the noise power in the full 0-4 kHz band (accept).
* ``talkoff`` - synthetic vowels (harmonics shaped by formants), chords, chirps, babble,
  music-like mixtures and call-progress tones (350+440, 440+480, 480+620, 450 Hz with cadences):
  no digit expected.

Tones start at a random sample offset so every alignment against the detector's windows occurs.
``run_q24()`` runs each class as the channels of one detector and returns a table;
``python -m pycti.dsp.q24`` prints it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import DigitEvent, dbm0_to_peak
from pycti.dsp.dtmf import DTMF_DIGITS, DtmfDetector, digit_frequencies

__all__ = ["CLASSES", "Q24Row", "Q24Vector", "main", "q24_vectors", "run_q24"]

FS_HZ = 8000
CLASSES = ("frequency", "twist", "level", "timing", "noise", "talkoff")
_LEAD_SAMPLES = 160  # silence before a tone (plus a random 0..39 sample offset)
_TAIL_SAMPLES = 480  # silence after the last tone


@dataclass(frozen=True, slots=True, kw_only=True)
class Q24Vector:
    """One test signal: ``expected`` digits ('' when none may be reported)."""

    klass: str
    name: str
    signal: np.ndarray  # int16, 8 kHz
    expected: str
    tolerance: str

    @property
    def accept(self) -> bool:
        """True when the vector must be accepted (expects digits)."""
        return bool(self.expected)


@dataclass(frozen=True, slots=True, kw_only=True)
class Q24Row:
    """Results of one class: accept/reject vectors passed, and digits reported in error."""

    klass: str
    accept_ok: int
    accept_n: int
    reject_ok: int
    reject_n: int
    false_digits: int


def _tone_pair(low_hz: float, high_hz: float, low_dbm0: float, high_dbm0: float, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / FS_HZ
    ph = rng.uniform(0, 2 * np.pi, 2)
    pair: np.ndarray = dbm0_to_peak(low_dbm0) * np.sin(2 * np.pi * low_hz * t + ph[0]) + dbm0_to_peak(high_dbm0) * np.sin(
        2 * np.pi * high_hz * t + ph[1]
    )
    return pair


def _digit_signal(
    digit: str,
    rng: np.random.Generator,
    *,
    on_ms: float = 60.0,
    low_dev: float = 0.0,
    high_dev: float = 0.0,
    low_dbm0: float = -10.0,
    high_dbm0: float = -10.0,
) -> np.ndarray:
    """Silence, one tone pair (deviations as fractions), silence; float in 16-bit units."""
    f_low, f_high = digit_frequencies(digit)
    lead = _LEAD_SAMPLES + int(rng.integers(0, 40))
    on = round(on_ms * FS_HZ / 1000)
    x = np.zeros(lead + on + _TAIL_SAMPLES)
    x[lead : lead + on] = _tone_pair(f_low * (1 + low_dev), f_high * (1 + high_dev), low_dbm0, high_dbm0, on, rng)
    return x


def _i16(x: np.ndarray) -> np.ndarray:
    y: np.ndarray = np.rint(x).clip(-32768, 32767).astype(np.int16)
    return y


def _frequency(rng: np.random.Generator) -> list[Q24Vector]:
    out = []
    modes = {"same": (1, 1), "opposite": (1, -1), "low-only": (1, 0), "high-only": (0, 1)}
    for d in DTMF_DIGITS:
        out.append(Q24Vector(klass="frequency", name=f"{d} nominal", signal=_i16(_digit_signal(d, rng)), expected=d, tolerance="exact digit"))
        for pct, accept in ((1.5, True), (3.5, False)):
            for mode, (sl, sh) in modes.items():
                for sign in (1, -1):
                    dl, dh = sign * sl * pct / 100, sign * sh * pct / 100
                    out.append(
                        Q24Vector(
                            klass="frequency",
                            name=f"{d} {mode} low{dl * 100:+.1f}% high{dh * 100:+.1f}%",
                            signal=_i16(_digit_signal(d, rng, low_dev=dl, high_dev=dh)),
                            expected=d if accept else "",
                            tolerance="Q.24: accept within 1.5 %, reject beyond 3.5 %",
                        )
                    )
    return out


def _twist(rng: np.random.Generator) -> list[Q24Vector]:
    out = []
    cases = [(t, True) for t in (0, 2, 4, 6, 8)] + [(t, False) for t in (10, 12)]
    cases += [(-t, True) for t in (2, 4)] + [(-t, False) for t in (6, 8)]
    for base in (-10.0, -20.0):
        for d in DTMF_DIGITS:
            for twist, accept in cases:
                kind = "normal" if twist >= 0 else "reverse"
                out.append(
                    Q24Vector(
                        klass="twist",
                        name=f"{d} {kind} twist {abs(twist)} dB at {base} dBm0",
                        signal=_i16(_digit_signal(d, rng, low_dbm0=base, high_dbm0=base - twist)),
                        expected=d if accept else "",
                        tolerance="accept normal <= 8 dB, reverse <= 4 dB; reject 10 / 6 dB",
                    )
                )
    return out


def _level(rng: np.random.Generator) -> list[Q24Vector]:
    out = []
    for d in DTMF_DIGITS:
        for lvl in (-3.0, -5.0, -10.0, -15.0, -20.0, -25.0, -45.0, -50.0):
            out.append(
                Q24Vector(
                    klass="level",
                    name=f"{d} at {lvl} dBm0 per tone",
                    signal=_i16(_digit_signal(d, rng, low_dbm0=lvl, high_dbm0=lvl)),
                    expected=d if lvl >= -25 else "",
                    tolerance="accept -3..-25 dBm0 per tone, reject -45 and below",
                )
            )
    return out


def _timing(rng: np.random.Generator) -> list[Q24Vector]:
    out = []
    for rep in range(3):
        for d in DTMF_DIGITS:
            others = [DTMF_DIGITS[i] for i in rng.choice(16, 3, replace=False)]
            seq = d + "".join(others)
            lead = _LEAD_SAMPLES + int(rng.integers(0, 40))
            x = np.zeros(lead + len(seq) * 640 + _TAIL_SAMPLES)
            for k, digit in enumerate(seq):
                s = lead + 640 * k
                x[s : s + 320] = _tone_pair(*digit_frequencies(digit), -10.0, -10.0, 320, rng)
            out.append(Q24Vector(klass="timing", name=f"{seq} 40 ms on / 40 ms off", signal=_i16(x), expected=seq, tolerance="all four digits, each once"))
            for on_ms in (23.0, 20.0):
                out.append(
                    Q24Vector(klass="timing", name=f"{d} {on_ms:.0f} ms", signal=_i16(_digit_signal(d, rng, on_ms=on_ms)), expected="", tolerance="reject tones of 23 ms and shorter")
                )
            x = _digit_signal(d, rng, on_ms=80.0)
            lead = int(np.flatnonzero(x)[0])
            cut = lead + 240 + int(rng.integers(0, 40))
            x = np.concatenate([x[:cut], np.zeros(160), x[cut:]])  # 30 ms tone, 20 ms gap, 50 ms tone
            out.append(Q24Vector(klass="timing", name=f"{d} 80 ms with 20 ms dropout", signal=_i16(x), expected=d, tolerance="one digit, dropout bridged"))
    return out


def _noise(rng: np.random.Generator) -> list[Q24Vector]:
    out = []
    for rep in range(10):
        for d in DTMF_DIGITS:
            x = _digit_signal(d, rng, on_ms=60.0)
            tone_power = 2 * dbm0_to_peak(-10.0) ** 2 / 2  # two sines of peak p: power p^2/2 each
            noise = rng.standard_normal(x.size) * np.sqrt(tone_power / 10 ** 1.5)
            out.append(
                Q24Vector(
                    klass="noise",
                    name=f"{d} at 15 dB SNR #{rep}",
                    signal=_i16(x + noise),
                    expected=d,
                    tolerance="digit once; SNR = DTMF power / white noise power in 0-4 kHz",
                )
            )
    return out


# ----------------------------------------------------------------------------- talk-off
_VOWEL_FORMANTS_HZ = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480), (570, 840, 2410), (660, 1720, 2410))


def _voice(rng: np.random.Generator, n: int, f0: float) -> np.ndarray:
    """A voiced vowel sequence: harmonics of a wandering F0 shaped by formant resonances."""
    t = np.arange(n) / FS_HZ
    f0_track = f0 * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(2, 6) * t + rng.uniform(0, 6)) + 0.03 * rng.standard_normal() )
    phase = 2 * np.pi * np.cumsum(f0_track) / FS_HZ
    formants = _VOWEL_FORMANTS_HZ[int(rng.integers(len(_VOWEL_FORMANTS_HZ)))]
    x = np.zeros(n)
    for k in range(1, int(3600 // f0) + 1):
        fk = k * f0
        gain = sum(1.0 / (1 + ((fk - fm) / (60 + 0.1 * fm)) ** 2) for fm in formants) / k**0.5
        x += gain * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    syllables = 0.5 * (1 - np.cos(2 * np.pi * rng.uniform(3, 6) * t)) ** 0.5
    y: np.ndarray = x * syllables
    return y


def _note(rng: np.random.Generator, n: int, f_hz: float, harmonics: int = 6) -> np.ndarray:
    t = np.arange(n) / FS_HZ
    decay = np.exp(-t * rng.uniform(1, 4))
    # start at zeros (not sum's int 0): the same sums, and an array even when no harmonic fits
    y: np.ndarray = sum((np.sin(2 * np.pi * k * f_hz * t + rng.uniform(0, 6)) * decay / k for k in range(1, harmonics + 1) if k * f_hz < 3900), np.zeros(n))
    return y


def _scale(x: np.ndarray, level_dbm0: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(x**2))) or 1.0
    scaled: np.ndarray = x * dbm0_to_peak(level_dbm0) / np.sqrt(2) / rms
    return scaled


def _cadence(n: int, on_s: float, off_s: float) -> np.ndarray:
    t = np.arange(n) / FS_HZ
    return ((t % (on_s + off_s)) < on_s).astype(float)


def _mix(signals: Iterable[np.ndarray]) -> np.ndarray:
    """Sum of signals, left to right."""
    return functools.reduce(np.add, signals)


def _talkoff(rng: np.random.Generator) -> list[Q24Vector]:
    n = FS_HZ  # one second each
    t = np.arange(n) / FS_HZ
    out: list[tuple[str, np.ndarray]] = []
    for i in range(176):
        out.append((f"vowel F0={(f0 := rng.uniform(80, 320)):.0f} Hz #{i}", _voice(rng, n, f0)))
    for i in range(80):
        notes = 220 * 2 ** (rng.integers(0, 30, size=int(rng.integers(2, 5))) / 12)
        out.append((f"chord {np.round(notes).astype(int).tolist()}", _mix(_note(rng, n, f) for f in notes)))
    for i in range(60):
        f1, f2 = rng.uniform(300, 3400, 2)
        sweep = np.sin(2 * np.pi * np.cumsum(np.linspace(f1, f2, n)) / FS_HZ)
        if i % 2:
            sweep = sweep + 0.5 * np.sin(4 * np.pi * np.cumsum(np.linspace(f1, f2, n) / 2) / FS_HZ)
        out.append((f"chirp {f1:.0f}->{f2:.0f} Hz", sweep))
    for i in range(64):
        voices = _mix(_voice(rng, n, rng.uniform(90, 300)) for _ in range(int(rng.integers(3, 7))))
        out.append((f"babble #{i}", voices))
    for i in range(100):
        melody = np.zeros(n)
        for start in range(0, n, n // 8):
            f = 262 * 2 ** (int(rng.integers(0, 24)) / 12)
            melody[start:] += _note(rng, n - start, f, harmonics=8)
        bass = _note(rng, n, 65 * 2 ** (int(rng.integers(0, 12)) / 12), harmonics=10)
        drums = rng.standard_normal(n) * _cadence(n, 0.03, 0.22) * 0.3
        out.append((f"music #{i}", melody + bass + drums))
    progress = [
        ("dial 350+440", (350, 440), None),
        ("ringback 440+480 2s/4s", (440, 480), (2.0, 4.0)),
        ("busy 480+620 0.5/0.5", (480, 620), (0.5, 0.5)),
        ("reorder 480+620 0.25/0.25", (480, 620), (0.25, 0.25)),
        ("dial 425", (425,), None),
        ("ringing 450 0.4/0.2", (450,), (0.4, 0.2)),
        ("busy 450 0.375/0.375", (450,), (0.375, 0.375)),
        ("dial 450", (450,), None),
    ]
    scaled: list[tuple[str, np.ndarray]] = []
    for level in (-5.0, -13.0, -20.0):
        for name, freqs, cad in progress:
            x = sum((np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in freqs), np.zeros(n))
            if cad:
                x = x * _cadence(n, *cad)
            # level is per tone: the sum of k equal tones is 10*log10(k) dB louder
            scaled.append((f"{name} at {level} dBm0 per tone", _scale(x, level + 10 * np.log10(len(freqs)))))
    scaled += [(name, _scale(x, rng.uniform(-25.0, -5.0))) for name, x in out]
    return [Q24Vector(klass="talkoff", name=name, signal=_i16(x), expected="", tolerance="no digit") for name, x in scaled]


_BUILDERS: dict[str, Callable[[np.random.Generator], list[Q24Vector]]] = {
    "frequency": _frequency,
    "twist": _twist,
    "level": _level,
    "timing": _timing,
    "noise": _noise,
    "talkoff": _talkoff,
}


def q24_vectors(classes: Sequence[str] = CLASSES, *, seed: int = 24) -> list[Q24Vector]:
    """Build the vectors of ``classes``; the same seed always gives the same signals."""
    out: list[Q24Vector] = []
    for k, name in enumerate(CLASSES):
        rng = np.random.default_rng([seed, k])
        if name in classes:
            out.extend(_BUILDERS[name](rng))
    return out


def detect_batch(vectors: Sequence[Q24Vector], detector_factory: Callable[[int], DtmfDetector] = DtmfDetector, *, block_samples: int = 160) -> list[list[DigitEvent]]:
    """Run ``vectors`` as the channels of one detector; return the events of each vector."""
    if not vectors:
        return []
    n = max(v.signal.size for v in vectors)
    n += (-n) % block_samples
    audio = np.zeros((len(vectors), n), np.int16)
    for i, v in enumerate(vectors):
        audio[i, : v.signal.size] = v.signal
    det = detector_factory(len(vectors))
    events = [ev for s in range(0, n, block_samples) for ev in det.process(audio[:, s : s + block_samples])]
    events += det.flush()
    per: list[list[DigitEvent]] = [[] for _ in vectors]
    for ev in events:
        per[ev.channel].append(ev)
    return per


def run_q24(detector_factory: Callable[[int], DtmfDetector] = DtmfDetector, *, seed: int = 24, classes: Sequence[str] = CLASSES) -> list[Q24Row]:
    """Score a detector on the vector set: one :class:`Q24Row` per class."""
    rows = []
    for klass in classes:
        vectors = q24_vectors([klass], seed=seed)
        found = detect_batch(vectors, detector_factory)
        acc_ok = acc_n = rej_ok = rej_n = false = 0
        for v, evs in zip(vectors, found):
            got = "".join(e.digit for e in evs)
            if v.accept:
                acc_n += 1
                acc_ok += got == v.expected
                false += max(0, len(got) - len(v.expected)) + sum(1 for a, b in zip(got, v.expected) if a != b)
            else:
                rej_n += 1
                rej_ok += got == ""
                false += len(got)
        rows.append(Q24Row(klass=klass, accept_ok=acc_ok, accept_n=acc_n, reject_ok=rej_ok, reject_n=rej_n, false_digits=false))
    return rows


def format_table(rows: Sequence[Q24Row]) -> str:
    """The rows as a fixed-width text table with a total line."""
    lines = [f"{'class':<10} {'accept ok/n':>12} {'reject ok/n':>12} {'false digits':>13}"]
    for r in rows:
        lines.append(f"{r.klass:<10} {f'{r.accept_ok}/{r.accept_n}':>12} {f'{r.reject_ok}/{r.reject_n}':>12} {r.false_digits:>13}")
    tot = [sum(getattr(r, f) for r in rows) for f in ("accept_ok", "accept_n", "reject_ok", "reject_n", "false_digits")]
    lines.append(f"{'total':<10} {f'{tot[0]}/{tot[1]}':>12} {f'{tot[2]}/{tot[3]}':>12} {tot[4]:>13}")
    return "\n".join(lines)


def main() -> int:
    """Print the Q.24 table for the default detector; exit status 1 if any vector failed."""
    rows = run_q24()
    print(format_table(rows))
    print(f"vectors: {sum(r.accept_n + r.reject_n for r in rows)}")
    return int(any(r.accept_ok < r.accept_n or r.reject_ok < r.reject_n for r in rows))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
