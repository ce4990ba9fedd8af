"""The DTMF detector's digit state machine, vectorised over channels *and* windows.

Per channel the machine keeps the current run of identical window hits and the digit in
progress.  Stepping it window by window in Python would cost a few dozen numpy calls per 5 ms,
so it runs instead over chunks of up to ``chunk`` windows at once, with cumulative maxima and
sums standing in for the per-step counters.  The chunk is short enough (no longer than the hits
that start a digit, nor the absent halves that end one) that a channel can see at most one
digit end and one digit start in it, with the end first; the pass handles exactly those cases,
so its results equal those of the step-by-step machine:

* step k, phase A (a digit is in progress): half ``j-1`` is *present* when its energy is at
  least half the digit's reference energy and the digit's pair dominates one of the two windows
  holding it; ``end_halves`` absent halves in a row end the digit;
* step k, phase B: hits extend the run; a run reaching ``hits_required`` hits of a digit other
  than the one in progress starts that digit (ending the old one first, if any).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pycti.dsp.goertzel import HALF_SAMPLES

__all__ = ["NO_DIGIT", "PRESENT_ENERGY", "PRESENT_PAIR_RATIO", "DigitState", "EndedDigits", "run_chunk"]

PRESENT_ENERGY = 0.5  #: a half is present at >= this share of the digit's reference energy
PRESENT_PAIR_RATIO = 0.3  #: ... and when a window holding it is still the digit's own pair
NO_DIGIT = -1


_FIELDS = (
    "run_digit",  # digit of the last window's hit, -1 none
    "run_len",  # consecutive hits of run_digit
    "active",  # digit in progress, -1 none
    "ref",  # reference half energy of the digit in progress
    "absent",  # absent halves in a row
    "last_present",  # last present half
    "onset",  # onset sample of the digit in progress
    "floor_half",  # onsets are never placed before this half
    "level",  # level of the digit in progress, from the window that confirmed it, dBm0
    "pair_prev",  # pair ratio of the digit in the last window
)


class DigitState:
    """Per-channel state of the digit machine: one float64 row per field, one column per channel.

    Keeping every field in one array makes gathering the busy channels' state, and writing it
    back, one indexing operation each.  Integer fields hold exact integers (< 2**53).
    """

    __slots__ = ("data",)

    def __init__(self, data: np.ndarray) -> None:
        self.data = data

    @classmethod
    def empty(cls, channels: int) -> DigitState:
        data = np.zeros((len(_FIELDS), channels))
        data[_FIELDS.index("run_digit")] = NO_DIGIT
        data[_FIELDS.index("active")] = NO_DIGIT
        data[_FIELDS.index("ref")] = 1.0
        return cls(data)

    def take(self, idx: np.ndarray) -> DigitState:
        """The state of channels ``idx`` (a copy)."""
        return DigitState(self.data[:, idx])

    def put(self, idx: np.ndarray, sub: DigitState) -> None:
        """Write ``sub`` back as the state of channels ``idx``."""
        self.data[:, idx] = sub.data


def _field(i: int) -> property:
    def get(self: DigitState) -> np.ndarray:
        return self.data[i]

    def set_(self: DigitState, value: np.ndarray) -> None:
        self.data[i] = value

    return property(get, set_)


for _i, _name in enumerate(_FIELDS):
    setattr(DigitState, _name, _field(_i))


@dataclass(frozen=True, slots=True)
class EndedDigits:
    """Digits that ended in a pass: row (into the pass's channels), digit, onset, end, level.

    The level is that of the window that confirmed the digit (mean of the two tones, dBm0)."""

    rows: np.ndarray
    digits: np.ndarray
    onsets: np.ndarray
    ends: np.ndarray
    levels: np.ndarray


def _coverage(hist: np.ndarray, origin: int, half: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Share (0..1) of ``half`` (per row) filled by the tone, from its energy; 0 if unknown."""
    t = (half - origin).astype(np.intp)
    inside = (t >= 0) & (t < hist.shape[1])
    e = hist[np.arange(hist.shape[0]), np.clip(t, 0, hist.shape[1] - 1)]
    return np.where(inside, np.clip(e / ref, 0.0, 1.0), 0.0)


def _end_sample(hist, origin, last_present, ref) -> np.ndarray:
    filled = _coverage(hist, origin, last_present, ref) + _coverage(hist, origin, last_present + 1, ref)
    return np.rint(HALF_SAMPLES * (last_present + filled)).astype(np.int64)


def _onset_sample(hist, origin, j, ref, floor_half) -> np.ndarray:
    """Start of the run of present halves ending at half ``j-1`` (per row), to the sample."""
    halves = origin + np.arange(hist.shape[1])
    before = halves[None, :] < j[:, None]
    absent = before & ((hist < PRESENT_ENERGY * ref[:, None]) | (halves[None, :] < floor_half[:, None]))
    last_absent = np.where(absent, halves[None, :], origin - 1).max(1)
    first = last_absent + 1
    filled = _coverage(hist, origin, first, ref)
    filled += np.where(first - 1 >= floor_half, _coverage(hist, origin, first - 1, ref), 0.0)
    return np.rint(HALF_SAMPLES * (first + 1 - filled)).astype(np.int64)


def _run_starts(idx_reset: np.ndarray) -> np.ndarray:
    """Index of the last reset at or before each step (-1: none in the chunk)."""
    return np.maximum.accumulate(idx_reset, axis=1)


def _pair_ratio(pairs: np.ndarray, digit: np.ndarray) -> np.ndarray:
    """Share of each window's energy held by ``digit``'s (per row) tone pair, ``(rows, m)``."""
    d = np.maximum(digit, 0).astype(np.intp)[:, None]
    return pairs[np.arange(pairs.shape[0])[:, None], np.arange(pairs.shape[1])[None, :], d]


def run_chunk(
    st: DigitState,
    hit: np.ndarray,
    level: np.ndarray,
    pairs: np.ndarray,
    e_prev: np.ndarray,
    hist: np.ndarray,
    origin: int,
    j0: int,
    *,
    hits_required: int,
    end_halves: int,
) -> EndedDigits | None:
    """Advance ``st`` (modified in place) over one chunk of windows; return the digits that ended.

    ``hit``/``level``: ``(rows, m)`` hit digit (-1 none) and its level; ``pairs``: ``(rows, m,
    16)`` share of each window's energy held by each digit's pair; ``e_prev``: energy of each
    window's first half;
    ``hist``: half energies, column t being half ``origin + t``; ``j0``: half ending window 0.
    """
    rows, m = hit.shape
    k = np.arange(m)
    kk = np.broadcast_to(k, (rows, m))
    a0 = st.active.copy()
    live0 = (a0 >= 0)[:, None]

    # Runs of identical hits, carried in from the state.
    prev_hit = np.concatenate([st.run_digit[:, None], hit[:, :-1]], axis=1)
    is_hit = hit >= 0
    cont = is_hit & (hit == prev_hit)
    r = _run_starts(np.where(cont, -1, kk))
    run_len = np.where(r >= 0, kk - r + 1, st.run_len[:, None] + kk + 1) * is_hit

    # Phase A for the digit in progress at the chunk's start.
    pair = _pair_ratio(pairs, a0)
    pp = np.concatenate([st.pair_prev[:, None], pair[:, :-1]], axis=1)
    present = live0 & (e_prev >= PRESENT_ENERGY * st.ref[:, None]) & (np.maximum(pp, pair) >= PRESENT_PAIR_RATIO)
    rp = _run_starts(np.where(present, kk, -1))
    count = np.where(rp >= 0, kk - rp, st.absent[:, None] + kk + 1)
    last_present = np.where(rp >= 0, j0 + rp - 1, st.last_present[:, None])
    end_mask = live0 & (count >= end_halves)
    e = np.where(end_mask.any(1), end_mask.argmax(1), m)

    # Phase B: a run reaching hits_required of a digit not in progress starts it.
    act = np.where(kk < e[:, None], a0[:, None], NO_DIGIT)
    conf = (run_len == hits_required) & (hit != act)
    s = np.where(conf.any(1), conf.argmax(1), m)
    has_s = s < m
    replaced = has_s & (a0 >= 0) & (s < e)
    ended = (e < m) | replaced
    x = np.where(replaced, s, np.minimum(e, m - 1))  # step at which the old digit ended
    lp_x = last_present[np.arange(rows), x]
    out = None
    if ended.any():
        er = np.flatnonzero(ended)
        out = EndedDigits(
            er, a0[er].astype(np.intp), st.onset[er].astype(np.int64),
            _end_sample(hist[er], origin, lp_x[er], st.ref[er]), st.level[er].copy(),
        )  # fmt: skip

    # Digits in progress that neither ended nor were replaced: book-keeping to the chunk's end.
    steady = (a0 >= 0) & ~ended
    st.absent = np.where(steady, count[:, -1], st.absent)
    st.last_present = np.where(steady, last_present[:, -1], st.last_present)
    st.pair_prev = np.where(steady, pair[:, -1], st.pair_prev)
    st.floor_half = np.where(ended, lp_x + 1, st.floor_half)
    st.active = np.where(ended, NO_DIGIT, st.active)

    if has_s.any():
        _start(st, np.flatnonzero(has_s), s, hit, level, pairs, e_prev, hist, origin, j0)

    st.run_digit = hit[:, -1]
    st.run_len = run_len[:, -1]
    return out


def _start(st, sr, s_all, hit, level, pairs, e_prev, hist, origin, j0) -> None:
    """Start the digits confirmed at step ``s`` on rows ``sr``, then track them to the chunk's end."""
    m = hit.shape[1]
    s = s_all[sr]
    col = s[:, None]
    digit = hit[sr, s].astype(np.intp)
    js = j0 + s
    h = hist[sr]
    t = js - origin
    ref = np.maximum((h[np.arange(sr.size), t - 3] + h[np.arange(sr.size), t - 2] + h[np.arange(sr.size), t - 1]) / 3.0, 1e-9)
    onset = _onset_sample(h, origin, js, ref, st.floor_half[sr].astype(np.int64))
    # Phase A for the new digit over the steps after s (no end can happen before the chunk ends).
    kk = np.broadcast_to(np.arange(m), (sr.size, m))
    after = kk > col
    pair = _pair_ratio(pairs[sr], digit)
    pp = np.concatenate([np.ones((sr.size, 1)), pair[:, :-1]], axis=1)
    pp = np.where(kk == col + 1, 1.0, pp)
    present = after & (e_prev[sr] >= PRESENT_ENERGY * ref[:, None]) & (np.maximum(pp, pair) >= PRESENT_PAIR_RATIO)
    rp = _run_starts(np.where(present | (kk == col), kk, -1))[:, -1]
    st.active[sr] = digit
    st.ref[sr] = ref
    st.onset[sr] = onset
    st.absent[sr] = m - 1 - rp
    st.last_present[sr] = j0 + rp - 1
    st.pair_prev[sr] = np.where(s == m - 1, 1.0, pair[:, -1])
    st.level[sr] = level[sr, s]
