"""A plain, step-by-step reference of the DTMF digit state machine, checked against the vectorised one.

:class:`ReferenceMachine` reads the rules of :mod:`pycti.dsp.dtmf_fsm` literally: one channel and
one 5 ms window at a time, with plain Python control flow.  Halves are named by their absolute
index; window ``k`` of a batch ends with half ``j = first_half + k`` and is made of halves ``j-1``
and ``j``.  Per channel and window:

* phase A (a digit in progress): half ``j-1`` is present when its energy is at least
  ``PRESENT_ENERGY`` x the digit's reference energy and the digit's pair holds at least
  ``PRESENT_PAIR_RATIO`` of the previous window or of this one (a start counts as a held pair);
  ``end_halves`` absent halves in a row end the digit;
* phase B: the hit extends the run of identical hits (no hit breaks it); a run reaching exactly
  ``hits_required`` of a digit other than the one in progress starts it, ending the old one.

A start at half ``j`` takes as reference the mean energy of halves ``j-3 .. j-1`` (float32, as the
filter bank gives them).  Its onset half follows the youngest absent half among the ``lookback``
before ``j`` but is never before the *floor* (the half after the previous digit's last present
half); the onset sample backs off from the end of that half by the share of the reference energy
it holds, plus that of the absent half before it (float32).  The end sample is the start of the
last present half plus the shares of that half and the next (float64).

The tests feed both machines the same synthetic batches (random hit streams with dropouts,
switches, repeats, tied energies, any batch length) and compare the ended digits batch by batch,
and run the detector on real audio with its machine replaced by the reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp._base import DigitEvent
from pycti.dsp.dtmf import DtmfDetector, DtmfGenerator
from pycti.dsp.dtmf_fsm import (
    NO_DIGIT,
    PRESENT_ENERGY,
    PRESENT_PAIR_RATIO,
    BatchEnergies,
    DigitMachine,
    EndedDigits,
    Hits,
)
from pycti.dsp.goertzel import HALF_SAMPLES

Event = tuple[int, int, int, int, float]  # channel, digit, onset sample, end sample, level dBm0

_F32_TINY = np.float32(1e-9)  # floor of reference and window energies


# ---------------------------------------------------------------------------- the reference
class _BatchView:
    """Scalar access to one batch's inputs: half energies by absolute half, pair tests by window."""

    def __init__(self, batch: BatchEnergies, lookback: int, pair_norm: float) -> None:
        self.batch = batch
        self.lookback = lookback
        self.pair_norm = np.float32(pair_norm)

    def half(self, ch: int, h: int) -> np.float32:
        """Energy (float32) of absolute half ``h``, which must lie in the batch's history."""
        col = h - self.batch.first_half + self.lookback
        assert 0 <= col < self.batch.history.shape[1], f"half {h} outside the kept history"
        return self.batch.history[ch, col]

    def pair_held(self, ch: int, k: int, digit: int) -> bool:
        """Does ``digit``'s tone pair hold at least PRESENT_PAIR_RATIO of window ``k``'s energy?"""
        w = self.batch.windows[ch, k + 1]  # (real, imaginary) per bin, float32
        low, high = digit // 4, 4 + digit % 4
        p_low = w[2 * low] * w[2 * low] + w[2 * low + 1] * w[2 * low + 1]
        p_high = w[2 * high] * w[2 * high] + w[2 * high + 1] * w[2 * high + 1]
        norm = max(self.batch.window_energy[ch, k + 1], _F32_TINY) * self.pair_norm
        share = (p_low + p_high) / norm  # float32 throughout, like the filter bank's powers
        return float(share) >= PRESENT_PAIR_RATIO


@dataclass
class _Channel:
    """One channel's state between windows."""

    digit: int = NO_DIGIT
    ref: np.float32 = field(default_factory=lambda: np.float32(np.inf))
    onset: int = 0
    level: float = 0.0
    after_present: int = 0  # the half after the digit's last present half; with no digit: the floor
    pair_held: bool = False  # the last window held the digit's pair (set by a start)
    start_batch: int = 0
    last_ended: int = NO_DIGIT
    run_digit: int = NO_DIGIT  # the previous window's run of identical hits
    run_len: int = 0


class ReferenceMachine:
    """Step-by-step digit machine with the interface of :class:`DigitMachine` (events as tuples)."""

    def __init__(self, channels: int, *, hits_required: int, end_halves: int, pair_norm: float, lookback: int) -> None:
        self.hits_required = hits_required
        self.end_halves = end_halves
        self.pair_norm = pair_norm
        self.lookback = lookback
        self.channels = [_Channel() for _ in range(channels)]
        self.batches = 0
        self.stats: Counter[str] = Counter()  # which paths the inputs took

    def advance(self, hits: Hits, batch: BatchEnergies) -> list[Event]:
        """Step every channel through the batch's windows; return the digits that ended."""
        view = _BatchView(batch, self.lookback, self.pair_norm)
        hit_at = {
            (int(c), int(k)): (int(d), float(lv))
            for c, k, d, lv in zip(hits.channel, hits.window, hits.digit, hits.level, strict=True)
        }
        events: list[Event] = []
        for ch, state in enumerate(self.channels):
            for k in range(batch.window_energy.shape[1] - 1):
                j = batch.first_half + k
                self._phase_a(state, view, ch, k, j, events)
                self._phase_b(state, view, ch, j, hit_at.get((ch, k)), events)
        self.batches += 1
        return events

    def _phase_a(self, s: _Channel, view: _BatchView, ch: int, k: int, j: int, events: list[Event]) -> None:
        """Presence of half ``j-1`` for the digit in progress; end it after ``end_halves`` absent."""
        if s.digit == NO_DIGIT:
            return
        pair_now = view.pair_held(ch, k, s.digit)
        energetic = float(view.half(ch, j - 1)) >= PRESENT_ENERGY * float(s.ref)
        if energetic and (s.pair_held or pair_now):
            s.after_present = j
        s.pair_held = pair_now
        if j - s.after_present >= self.end_halves:
            self.stats["ended by absence"] += 1
            events.append(self._end(s, view, ch))

    def _phase_b(self, s: _Channel, view: _BatchView, ch: int, j: int, hit: tuple[int, float] | None, events: list[Event]) -> None:
        """Extend the run of hits; a run reaching ``hits_required`` of another digit starts it."""
        if hit is None:
            s.run_digit, s.run_len = NO_DIGIT, 0
            return
        digit, level = hit
        if digit == s.run_digit:
            s.run_len += 1
        else:
            s.run_digit, s.run_len = digit, 1
        if s.run_len != self.hits_required:
            return
        if digit == s.digit:
            self.stats["run of the digit in progress"] += 1
            return
        if s.digit != NO_DIGIT:
            self.stats["ended by a switch"] += 1
            events.append(self._end(s, view, ch))
        elif digit == s.last_ended and j - s.after_present <= 3 * self.end_halves:
            self.stats["repeat soon after its end"] += 1
        self._start(s, view, ch, j, digit, level)

    def _start(self, s: _Channel, view: _BatchView, ch: int, j: int, digit: int, level: float) -> None:
        """Start ``digit`` at half ``j``: reference energy and onset sample."""
        e1, e2, e3 = view.half(ch, j - 1), view.half(ch, j - 2), view.half(ch, j - 3)
        ref = max(((e3 + e2) + e1) / np.float32(3.0), _F32_TINY)  # float32
        # Onset half: after the youngest absent half (ages 1 .. lookback), not before the floor.
        energy_age = self.lookback
        for age in range(1, self.lookback + 1):
            if view.half(ch, j - age) < np.float32(PRESENT_ENERGY) * ref:
                energy_age = age - 1
                break
        floor_age = j - s.after_present
        age = min(energy_age, floor_age)
        self.stats["onset at the floor" if floor_age < energy_age else "onset by energy"] += 1
        filled = min(view.half(ch, j - age) / ref, np.float32(1.0))
        if energy_age < min(floor_age, self.lookback):  # the absent half before it holds some tone
            filled = filled + min(view.half(ch, j - age - 1) / ref, np.float32(1.0))
        s.onset = int(np.rint(HALF_SAMPLES * ((j + 1 - age) - float(filled))))
        s.digit, s.ref, s.level = digit, ref, level
        s.after_present = j  # the half before the start counts as present
        s.pair_held = True
        s.start_batch = self.batches
        self.stats["started"] += 1

    def _end(self, s: _Channel, view: _BatchView, ch: int) -> Event:
        """End the digit in progress; its floor stays in ``after_present``."""
        last = s.after_present - 1  # the last present half
        ref = float(s.ref)
        filled = min(float(view.half(ch, last)) / ref, 1.0) + min(float(view.half(ch, last + 1)) / ref, 1.0)
        end = int(np.rint(HALF_SAMPLES * (last + filled)))
        if s.start_batch != self.batches:
            self.stats["spans batches"] += 1
        event = (ch, s.digit, s.onset, end, s.level)
        s.last_ended, s.digit, s.ref = s.digit, NO_DIGIT, np.float32(np.inf)
        return event


# ---------------------------------------------------------------------------- synthetic batches
@dataclass(frozen=True)
class FuzzCase:
    """A synthetic stream: machine parameters, batch lengths and the seed of its content."""

    channels: int
    hits_required: int
    end_halves: int
    lookback: int
    pair_norm: float
    batch_lengths: tuple[int, ...]
    seed: int

    def machine_args(self) -> dict[str, float | int]:
        """Keyword arguments of both machines."""
        return {"hits_required": self.hits_required, "end_halves": self.end_halves, "pair_norm": self.pair_norm, "lookback": self.lookback}


def _tone_timeline(rng: np.random.Generator, case: FuzzCase, total: int) -> np.ndarray:
    """Digit sounding in each window (-1: none): tones of random length separated by no gap (a
    switch), short dropouts or long pauses, often repeating the previous digit."""
    h, e = case.hits_required, case.end_halves
    tone = np.full(total, NO_DIGIT)
    pos, digit = int(rng.integers(0, 2 * h + 1)), int(rng.integers(0, 16))
    while pos < total:
        if rng.random() >= 0.4:  # else repeat the digit
            digit = int(rng.integers(0, 16) if rng.random() < 0.5 else rng.integers(0, 3))
        length = int(rng.integers(max(1, h - 1), 3 * h + 2 * e + 2))
        tone[pos : pos + length] = digit
        gap = rng.choice(3, p=[0.25, 0.4, 0.35])  # none, a dropout, a pause
        pos += length + int([0, rng.integers(1, e + 2), rng.integers(e, 3 * e + 4)][gap])
    return tone


def _channel_content(rng: np.random.Generator, case: FuzzCase, total: int) -> tuple[list[tuple[int, int, float]], np.ndarray, np.ndarray]:
    """One channel's hits (window, digit, level), half energies ``(total,)`` and windows ``(total, 16)``."""
    tone = _tone_timeline(rng, case, total)
    p_miss, p_stray, p_dip = rng.uniform(0.0, 0.3), rng.uniform(0.0, 0.05), rng.uniform(0.0, 0.25)
    hits = []
    for k, d in enumerate(tone.tolist()):
        if d >= 0 and rng.random() >= p_miss:
            hits.append((k, d if rng.random() >= p_stray else int(rng.integers(0, 16)), float(rng.normal(-10.0, 3.0))))
        elif d < 0 and rng.random() < p_stray:
            hits.append((k, int(rng.integers(0, 16)), float(rng.normal(-25.0, 3.0))))
    # Small sets of energies, so that halves often sit exactly at half the reference.
    on_levels, off_levels = np.array([2.0, 3.0, 4.0, 4.0, 8.0]), np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    on = (tone >= 0) & (rng.random(total) >= p_dip)
    energy = np.where(on, rng.choice(on_levels, total), rng.choice(off_levels, total)).astype(np.float32)
    windows = rng.choice(np.array([0.0, 0.25, 0.5, 1.0], np.float32), size=(total, 16))
    for k in np.flatnonzero((tone >= 0) & (rng.random(total) < 0.85)).tolist():
        d = int(tone[k])
        for b in (d // 4, 4 + d % 4):
            windows[k, 2 * b : 2 * b + 2] = rng.choice([1.0, -1.0, 2.0, 3.0], 2)
    return hits, energy, windows


def synthetic_batches(case: FuzzCase) -> Iterator[tuple[Hits, BatchEnergies]]:
    """The case's stream cut into its batches, as the detector builds them (history carried on)."""
    rng = np.random.default_rng(case.seed)
    c, lb, total = case.channels, case.lookback, sum(case.batch_lengths)
    content = [_channel_content(rng, case, total) for _ in range(c)]
    energy = np.stack([x[1] for x in content])
    windows = np.stack([x[2] for x in content])
    # Window energies unrelated to the halves in a fifth of the stretches: stress the pair test alone.
    unrelated = np.repeat(rng.random(total) < 0.2, 8)[:total]
    odd_energy = rng.choice(np.array([0.0, 1.0, 4.0, 5.0, 30.0], np.float32), size=(c, total))
    history = np.zeros((c, lb), np.float32)
    previous = np.zeros((c, 16), np.float32)  # the window before the batch
    first = 0
    for n in case.batch_lengths:
        history = np.concatenate([history[:, history.shape[1] - lb :], energy[:, first : first + n]], axis=1)
        win = np.concatenate([previous[:, None], windows[:, first : first + n]], axis=1)
        previous = win[:, n]
        window_energy = np.empty((c, n + 1), np.float32)
        window_energy[:, 0] = np.inf
        window_energy[:, 1:] = history[:, lb - 1 : lb - 1 + n] + history[:, lb:]
        np.copyto(window_energy[:, 1:], odd_energy[:, first : first + n], where=unrelated[first : first + n])
        rows = [(ch, k - first, d, lv) for ch, (hits, _, _) in enumerate(content) for k, d, lv in hits if first <= k < first + n]
        cols = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
        yield (
            Hits(np.array(cols[0], np.intp), np.array(cols[1], np.intp), np.array(cols[2], np.intp), np.array(cols[3], np.float64)),
            BatchEnergies(win, window_energy, history, first),
        )
        first += n


def _as_events(ended: EndedDigits | None) -> list[Event]:
    """The machine's ended digits as sorted tuples of Python numbers."""
    if ended is None:
        return []
    fields = (ended.channels, ended.digits, ended.onsets, ended.ends, ended.levels)
    return sorted(zip(*(np.asarray(f).tolist() for f in fields), strict=True))


def run_both(case: FuzzCase) -> tuple[list[list[Event]], list[list[Event]], Counter[str]]:
    """The ended digits of each batch of the case by the machine and by the reference (sorted),
    and the reference's path statistics."""
    machine = DigitMachine(case.channels, **case.machine_args())
    reference = ReferenceMachine(case.channels, **case.machine_args())
    got, expected = [], []
    for hits, batch in synthetic_batches(case):
        expected.append(sorted(reference.advance(hits, batch)))
        got.append(_as_events(machine.advance(hits, batch)))
    return got, expected, reference.stats


# ---------------------------------------------------------------------------- machine = reference
_CONFIGS = [  # hits_required, end_halves, lookback
    (5, 6, 16),  # the detector's defaults
    (2, 1, 4),
    (3, 2, 4),
    (4, 4, 6),
    (2, 7, 9),
    (5, 3, 12),
    (1, 3, 5),
]
_BATCH_LENGTHS = [1, 2, 3, 5, 7, 12, 12, 20, 33, 50]


def _seeded_case(seed: int, config: tuple[int, int, int]) -> FuzzCase:
    """A case of ``config`` whose channels, pair normalisation and batch lengths follow ``seed``."""
    rng = np.random.default_rng(10_000 + seed)
    h, e, lb = config
    lengths = tuple(int(x) for x in rng.choice(_BATCH_LENGTHS, size=int(rng.integers(3, 25))))
    norm = float(rng.choice([1.0, 0.37, 0.6]))
    return FuzzCase(int(rng.integers(1, 7)), h, e, lb, norm, lengths, seed)


@pytest.mark.parametrize("config", _CONFIGS, ids=lambda c: "H{}-E{}-L{}".format(*c))
def test_machine_equals_reference_on_seeded_streams(config: tuple[int, int, int]) -> None:
    total, stats = 0, Counter[str]()
    for seed in range(40):
        case = _seeded_case(seed, config)
        got, expected, s = run_both(case)
        assert got == expected, case
        total += sum(map(len, expected))
        stats += s
    # The streams exercise every path of the rules, many times.
    assert total >= 300
    for path in ("ended by absence", "ended by a switch", "repeat soon after its end", "spans batches",
                 "onset at the floor", "onset by energy", "run of the digit in progress"):  # fmt: skip
        assert stats[path] >= 5, (path, stats)


@settings(deadline=None, max_examples=150, derandomize=True)
@given(
    channels=st.integers(1, 4),
    hits_required=st.integers(1, 6),
    end_halves=st.integers(1, 8),
    extra_lookback=st.integers(0, 6),
    pair_norm=st.sampled_from([1.0, 0.37, 0.05]),
    batch_lengths=st.lists(st.integers(1, 50), min_size=1, max_size=20),
    seed=st.integers(0, 2**32 - 1),
)
def test_machine_equals_reference_on_any_batches(
    channels: int, hits_required: int, end_halves: int, extra_lookback: int, pair_norm: float, batch_lengths: list[int], seed: int
) -> None:
    lookback = max(end_halves + 2, 4) + extra_lookback
    case = FuzzCase(channels, hits_required, end_halves, lookback, pair_norm, tuple(batch_lengths), seed)
    got, expected, _ = run_both(case)
    assert got == expected


@pytest.mark.parametrize("n", [1, 2, 3, 4, 8, 12, 25, 50])
def test_one_stream_gives_the_same_events_for_any_batch_length(n: int) -> None:
    """The same 600 windows cut into batches of ``n``: equal to the reference, and to one batch."""
    got, expected, _ = run_both(FuzzCase(3, 5, 6, 16, 1.0, (n,) * (600 // n), 7))
    assert got == expected
    (whole,), _, _ = run_both(FuzzCase(3, 5, 6, 16, 1.0, (600,), 7))
    assert sorted(e for batch in got for e in batch) == whole
    assert len(whole) >= 20


def test_hand_made_digit_switch_and_repeat() -> None:
    """A legible case: digit 0, then 5 with no gap, a dropout, 5 again after a long pause."""
    hits_windows = {0: range(10), 5: list(range(10, 20)) + list(range(22, 26)) + list(range(40, 48))}
    c, lb, n = 1, 8, 60
    energy = np.zeros((c, n), np.float32)
    windows = np.zeros((c, n + 1, 16), np.float32)
    rows = []
    for d, ks in hits_windows.items():
        for k in ks:
            rows.append((0, k, d, -10.0))
            energy[0, k] = 4.0
            for b in (d // 4, 4 + d % 4):
                windows[0, k + 1, 2 * b] = 2.0  # the pair holds the whole window
    rows.sort(key=lambda r: r[1])
    history = np.concatenate([np.zeros((c, lb), np.float32), energy], axis=1)
    window_energy = np.concatenate([[[np.inf]], history[:, lb - 1 : lb - 1 + n] + history[:, lb:]], axis=1).astype(np.float32)
    cols = list(zip(*rows, strict=True))
    hits = Hits(*(np.array(x, dt) for x, dt in zip(cols, (np.intp, np.intp, np.intp, np.float64), strict=True)))
    batch = BatchEnergies(windows, window_energy, history, 0)
    args = {"hits_required": 3, "end_halves": 4, "pair_norm": 1.0, "lookback": lb}
    expected = ReferenceMachine(c, **args).advance(hits, batch)
    # 0 starts at window 2 with its onset at half 0 and, absent from half 10 on (window 10 holds
    # 5's pair), ends at the switch after half 10 (which holds the reference energy).  5's onset
    # is at the floor, half 10; it bridges the dropout of halves 20-21 (2 < 4 absent halves) and
    # ends 4 halves after window 25.  5 again is a new digit, its onset after the absent half 39.
    assert [(d, on, end) for _, d, on, end, _ in expected] == [(0, 0, 440), (5, 400, 1040), (5, 1600, 1920)]
    assert _as_events(DigitMachine(c, **args).advance(hits, batch)) == sorted(expected)


# ---------------------------------------------------------------------------- real signals
class _ReferenceAdapter:
    """Stands in for a detector's DigitMachine, answering with the reference's events."""

    def __init__(self, machine: DigitMachine, channels: int) -> None:
        self.reference = ReferenceMachine(
            channels, hits_required=machine.hits_required, end_halves=machine.end_halves,
            pair_norm=machine.pair_norm, lookback=machine.lookback,
        )  # fmt: skip
        self.events = 0

    def idle(self, rows: np.ndarray) -> np.ndarray:
        """As :meth:`DigitMachine.idle`, from the reference's channels."""
        states = [self.reference.channels[int(r)] for r in rows]
        return np.array([s.digit == NO_DIGIT and s.run_digit == NO_DIGIT for s in states], dtype=bool)

    def advance(self, hits: Hits, batch: BatchEnergies, *, rows: np.ndarray | None = None) -> EndedDigits | None:
        """The digits the reference saw end in the batch, as the machine returns them.  A batch
        of the detector's live ``rows`` is widened to every channel first, the others silent
        (as the detector without skipping would have given them)."""
        if rows is not None:
            c = len(self.reference.channels)
            n1 = batch.window_energy.shape[1]
            windows = np.zeros((c,) + batch.windows.shape[1:], np.float32)
            window_energy = np.zeros((c, n1), np.float32)
            window_energy[:, 0] = np.inf
            history = np.zeros((c, batch.history.shape[1]), np.float32)
            windows[rows], window_energy[rows], history[rows] = batch.windows, batch.window_energy, batch.history
            batch = BatchEnergies(windows, window_energy, history, batch.first_half)
            hits = Hits(channel=rows[hits.channel], window=hits.window, digit=hits.digit, level=hits.level)
        events = self.reference.advance(hits, batch)
        self.events += len(events)
        if not events:
            return None
        ch, d, on, end, lv = zip(*events, strict=True)
        return EndedDigits(np.array(ch, np.intp), np.array(d, np.intp), np.array(on, np.int64), np.array(end, np.int64), np.array(lv))


def _noisy_dtmf(seed: int) -> tuple[np.ndarray, list[str]]:
    """Four channels of generated digits with dropouts, back-to-back tones and noise."""
    rng = np.random.default_rng(seed)
    gen = DtmfGenerator(4)
    plans = [("1234", 50, 50, -10.0), ("5555", 45, 45, -18.0), ("7*9#", 60, 0, -12.0), ("A0B", 40, 40, -24.0)]
    for ch, (digits, on, off, level) in enumerate(plans):
        gen.start(ch, digits, on_ms=on, off_ms=off, level_dbm0=level, twist_db=float(rng.uniform(-2, 4)))
    x = np.concatenate([np.zeros((4, 137)), gen.read(4000).astype(float)], axis=1)
    for ch in range(4):  # dropouts of 2-22 ms inside the tones
        for at in rng.integers(200, 3800, size=4).tolist():
            x[ch, at : at + int(rng.integers(16, 176))] = 0.0
    x += rng.standard_normal(x.shape) * 30.0
    return np.rint(x).astype(np.int16), [p[0] for p in plans]


@pytest.mark.parametrize(("seed", "batch_ms", "block"), [(0, 60.0, 160), (1, 5.0, 40), (2, 250.0, 333), (3, 1000.0, 4137)])
def test_detector_with_the_reference_finds_the_same_digits(monkeypatch: pytest.MonkeyPatch, seed: int, batch_ms: float, block: int) -> None:
    x, plans = _noisy_dtmf(seed)

    def run(detector: DtmfDetector) -> list[DigitEvent]:
        events = [e for s in range(0, x.shape[1], block) for e in detector.process(x[:, s : s + block])]
        return events + detector.flush()

    expected = run(DtmfDetector(4, batch_ms=batch_ms))
    det = DtmfDetector(4, batch_ms=batch_ms)
    adapter = _ReferenceAdapter(det._fsm, 4)
    monkeypatch.setattr(det, "_fsm", adapter)
    assert run(det) == expected
    assert adapter.events == len(expected) >= 10
    for ch, digits in enumerate(plans):  # no false digit; dropouts may lose or split some
        found = "".join(e.digit for e in expected if e.channel == ch)
        assert set(found) <= set(digits) and len(found) >= len(digits) - 2, (ch, found)
