"""The DTMF detector's digit state machine, vectorised over channels *and* whole batches of windows.

Per channel the machine keeps the current run of identical window hits and the digit in
progress.  Step by step, window ``k`` (ending with half ``j``) does:

* phase A, when a digit is in progress: half ``j-1`` is *present* when its energy is at least
  ``PRESENT_ENERGY`` of the digit's reference energy and the digit's pair holds at least
  ``PRESENT_PAIR_RATIO`` of one of the two windows containing it; ``end_halves`` absent halves in
  a row end the digit;
* phase B: hits extend the run of identical hits; a run reaching exactly ``hits_required`` hits of
  a digit other than the one in progress starts that digit (ending the old one first, if any).

Stepping that in Python would cost a few dozen numpy calls per 5 ms, so instead:

1. the runs do not depend on the digits, so run lengths come for the whole batch at once from the
   sparse list of hits (a cumulative maximum over run boundaries); the windows where a run
   reaches ``hits_required`` are the only places a digit can start;
2. the digits are then followed in *rounds*, each over the channels that still have something to
   decide, with all their windows at once: a round finds, per channel, the first end of the digit
   in progress (cumulative maxima stand in for the absent-half counter) and the first start, and
   applies them; a channel whose digit started before its last window takes part in the next
   round, from the window after the start.  The number of rounds is the largest number of digit
   starts on one channel in the batch plus one, not the number of windows.

Only the channels with a digit in progress or a start candidate take part.  The results equal
those of the step-by-step machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pycti.dsp.goertzel import HALF_SAMPLES, bin_power

__all__ = ["NO_DIGIT", "PRESENT_ENERGY", "PRESENT_PAIR_RATIO", "BatchEnergies", "DigitMachine", "EndedDigits", "Hits"]

PRESENT_ENERGY = 0.5  #: a half is present at >= this share of the digit's reference energy
PRESENT_PAIR_RATIO = 0.3  #: ... and when a window holding it is still the digit's own pair
NO_DIGIT = -1

# Rows of the per-channel state (float64; integer fields hold exact integers < 2**53).
_ACTIVE = 0  # digit in progress, -1 none
_REF = 1  # reference half energy of the digit in progress
_ABSENT = 2  # absent halves in a row
_LAST_PRESENT = 3  # last present half
_ONSET = 4  # onset sample of the digit in progress
_FLOOR_HALF = 5  # onsets are never placed before this half
_LEVEL = 6  # level of the digit in progress, from the window that confirmed it, dBm0
_PAIR_PREV = 7  # pair ratio of the digit in the previous window
_N_FIELDS = 8
#: Bins of each digit's low and high tone (digit = 4 * row + column).
_PAIR_BINS = np.stack([np.repeat(np.arange(4), 4), np.tile(np.arange(4, 8), 4)], axis=1)
_BEFORE_FIRST = np.array([-1, 0])  # the half before the onset's, and the onset's
_LAST_AND_NEXT = np.array([0, 1])  # the last present half and the one after it


@dataclass(frozen=True, slots=True)
class Hits:
    """The hit windows of one batch, sorted by channel then window: digit and level (dBm0)."""

    channel: np.ndarray
    window: np.ndarray
    digit: np.ndarray
    level: np.ndarray


@dataclass(frozen=True, slots=True)
class BatchEnergies:
    """What the machine reads from a batch of ``n`` windows on ``c`` channels.

    ``windows``: float32 ``(c, n + 1, 16)`` windows as (real, imaginary) per bin, slot ``k + 1``
    for window ``k`` (slot 0 is the window before the batch); ``window_energy``: float32 ``(c, n + 1)`` energy of each window,
    same slots; ``history``: float32 ``(c, lookback + n)`` half energies, column ``t`` being half
    ``first_half - lookback + t``; ``first_half``: the half ending window 0.
    """

    windows: np.ndarray
    window_energy: np.ndarray
    history: np.ndarray
    first_half: int


@dataclass(frozen=True, slots=True)
class EndedDigits:
    """Digits that ended in a batch: channel, digit, onset and end sample, level (dBm0)."""

    channels: np.ndarray
    digits: np.ndarray
    onsets: np.ndarray
    ends: np.ndarray
    levels: np.ndarray


_COLUMNS: dict[int, np.ndarray] = {}


def _columns(n: int) -> np.ndarray:
    """``arange(n)``, cached (read-only)."""
    cols = _COLUMNS.get(n)
    if cols is None:
        cols = _COLUMNS[n] = np.arange(n)
        cols.flags.writeable = False
    return cols


def _first(mask: np.ndarray) -> np.ndarray:
    """Index of the first True of each row, or the row length when there is none."""
    n = mask.shape[1]
    return np.where(mask, _columns(n), n).min(1)


@dataclass(frozen=True, slots=True)
class _Rows:
    """A batch as seen by some busy channels (one row each)."""

    chans: np.ndarray  # (r,) channel of each row
    power: np.ndarray  # (r, n, 8) bin powers of each window
    pair_norm: np.ndarray  # (r, n) a pair's power over this is its share of the window's energy
    history: np.ndarray  # (r, lookback + n) half energies
    start_digit: np.ndarray  # (r, n) digit whose run reaches hits_required there, -1 none
    start_level: np.ndarray  # (r, n) its level, dBm0

    def take(self, idx: np.ndarray) -> _Rows:
        """The rows ``idx``."""
        return _Rows(
            self.chans[idx], self.power[idx], self.pair_norm[idx], self.history[idx], self.start_digit[idx], self.start_level[idx]
        )  # fmt: skip

    def pair_share(self, digit: np.ndarray) -> np.ndarray:
        """``(r, n)`` share of each window's energy held by the pair of ``digit`` (one per row)."""
        tones = self.power[_columns(digit.size)[:, None], :, _PAIR_BINS[digit]]  # (r, 2, n): low, high
        return (tones[:, 0] + tones[:, 1]) / self.pair_norm


class DigitMachine:
    """Digit starts and ends on ``channels`` channels, advanced one batch of windows at a time.

    ``pair_norm``: a window's tone-pair power over (this times the window energy) is the share of
    the window's energy the pair holds; ``lookback``: halves of energy history the caller keeps
    before each batch (at least ``end_halves + 2``; onsets are searched that far back).
    """

    def __init__(self, channels: int, *, hits_required: int, end_halves: int, pair_norm: float, lookback: int) -> None:
        if lookback < max(end_halves + 2, 4):
            raise ValueError(f"lookback must be >= max(end_halves + 2, 4), got {lookback}")
        self.channels = channels
        self.hits_required = hits_required
        self.end_halves = end_halves
        self.pair_norm = pair_norm
        self.lookback = lookback
        self._state = np.zeros((_N_FIELDS, channels))
        self._state[_ACTIVE] = NO_DIGIT
        self._state[_REF] = 1.0
        self._run_digit = np.full(channels, NO_DIGIT, dtype=np.intp)  # digit of the last window's hit
        self._run_len = np.zeros(channels, dtype=np.intp)  # consecutive hits of it

    # ------------------------------------------------------------------ runs of hits
    def _run_starts(self, hits: Hits, n: int) -> np.ndarray:
        """Mask over ``hits`` of the windows where a run reaches ``hits_required``; carry runs on."""
        ch, k, d = hits.channel, hits.window, hits.digit
        linked = np.zeros(ch.size, dtype=bool)  # continues the previous hit's run
        linked[1:] = (ch[1:] == ch[:-1]) & (k[1:] == k[:-1] + 1) & (d[1:] == d[:-1])
        idx = np.arange(ch.size)
        first = np.maximum.accumulate(np.where(linked, 0, idx))  # first hit of each hit's run
        carried = np.where((k == 0) & (self._run_digit[ch] == d), self._run_len[ch], 0)
        run_len = idx - first + 1 + carried[first]
        last = k == n - 1
        self._run_digit.fill(NO_DIGIT)
        self._run_len.fill(0)
        self._run_digit[ch[last]] = d[last]
        self._run_len[ch[last]] = run_len[last]
        return run_len == self.hits_required

    # ------------------------------------------------------------------ digits
    def advance(self, hits: Hits, batch: BatchEnergies) -> EndedDigits | None:
        """Advance every channel over the batch's windows; return the digits that ended in it."""
        n = batch.window_energy.shape[1] - 1
        starts = self._run_starts(hits, n)
        busy = self._state[_ACTIVE] >= 0
        s_ch = hits.channel[starts]
        busy[s_ch] = True
        chans = np.flatnonzero(busy)
        if chans.size == 0:
            return None
        b = chans.size
        start_digit = np.full((b, n), NO_DIGIT, dtype=np.intp)
        start_level = np.zeros((b, n))
        if s_ch.size:
            at = (np.searchsorted(chans, s_ch), hits.window[starts])
            start_digit[at] = hits.digit[starts]
            start_level[at] = hits.level[starts]
        power = bin_power(batch.windows[chans, 1:])
        norm = self.pair_norm * np.maximum(batch.window_energy[chans, 1:], 1e-9)
        rows = _Rows(chans, power, norm, batch.history[chans], start_digit, start_level)
        sub = self._state[:, chans]
        ended: list[tuple[np.ndarray, ...]] = []
        follow, begin = self._round(sub, rows, None, batch.first_half, ended)
        where = follow
        while where.size:  # digits started before the last window: follow them further
            st = sub[:, where]
            follow, begin = self._round(st, rows.take(where), begin, batch.first_half, ended)
            sub[:, where] = st
            where = where[follow]
        self._state[:, chans] = sub
        if not ended:
            return None
        if len(ended) == 1:
            return EndedDigits(*ended[0])
        return EndedDigits(*(np.concatenate(parts) for parts in zip(*ended)))

    def _round(self, st, rows: _Rows, begin: np.ndarray | None, j0: int, ended: list) -> tuple[np.ndarray, np.ndarray]:
        """One round over ``rows`` from window ``begin`` (per row; ``None``: all from 0): first end, first start.

        Updates ``st`` (the rows' state, ``(fields, rows)``) in place, appends the ended digits
        to ``ended``, and returns the rows whose new digit must be followed further, with the
        window to follow it from.  Absent counts, last present half and pair ratio are only
        meaningful while a digit is in progress.
        """
        r, n = rows.start_digit.shape
        kk = _columns(n)
        a = st[_ACTIVE].astype(np.intp)
        live = a >= 0
        # Phase A for the digit in progress: is the first half of each window present?
        pair = rows.pair_share(np.maximum(a, 0))
        pair_prev = np.empty((r, n))
        pair_prev[:, 1:] = pair[:, :-1]
        threshold = np.where(live, PRESENT_ENERGY * st[_REF], np.inf)
        lb = self.lookback
        present = rows.history[:, lb - 1 : lb - 1 + n] >= threshold[:, None]
        if begin is None:
            begin = np.zeros(r, dtype=np.intp)
            pair_prev[:, 0] = st[_PAIR_PREV]
            after: bool | np.ndarray = True
        else:
            pair_prev[np.arange(r), begin] = st[_PAIR_PREV]
            after = kk >= begin[:, None]
            present &= after
        present &= np.maximum(pair_prev, pair) >= PRESENT_PAIR_RATIO
        # Latest present window, or (before any) the window the absent count started from.
        origin = np.where(live, begin - 1 - st[_ABSENT], np.inf)
        latest = np.maximum.accumulate(np.where(present, kk, origin[:, None]), axis=1)
        end_at = _first(latest <= kk - self.end_halves)  # absent count kk - latest reaches end_halves
        # Phase B: a run reaching hits_required of a digit not in progress starts it.
        cand = rows.start_digit
        start_at = _first(after & (cand >= 0) & ((cand != a[:, None]) | (kk >= end_at[:, None])))
        stop = np.minimum(start_at, end_at)  # the old digit ends here (absent, or replaced)
        stops = np.flatnonzero(live & (stop < n))
        if stops.size:
            k_last = latest[stops, stop[stops]]
            last_present = np.where(k_last >= begin[stops], j0 + k_last - 1, st[_LAST_PRESENT, stops])
            end = self._end_sample(rows.history, stops, j0, last_present, st[_REF, stops])
            ended.append((rows.chans[stops], a[stops], st[_ONSET, stops].astype(np.int64), end, st[_LEVEL, stops]))
            st[_FLOOR_HALF, stops] = last_present + 1
            st[_ACTIVE, stops] = NO_DIGIT
        st[_ABSENT] = (n - 1) - latest[:, -1]
        st[_LAST_PRESENT] = np.where(latest[:, -1] >= begin, j0 + latest[:, -1] - 1, st[_LAST_PRESENT])
        st[_PAIR_PREV] = pair[:, -1]
        starts = np.flatnonzero(start_at < n)
        if starts.size:
            self._start(st, starts, start_at[starts], rows, j0)
        follow = starts[start_at[starts] < n - 1]
        return follow, start_at[follow] + 1

    def _start(self, st, idx, k, rows: _Rows, j0: int) -> None:
        """Start the digits confirmed at windows ``k`` on rows ``idx``."""
        lb = self.lookback
        j = j0 + k
        back = rows.history[idx[:, None], k[:, None] + _columns(lb + 1)]  # halves j - lb .. j
        ref = np.maximum((back[:, lb - 3] + back[:, lb - 2] + back[:, lb - 1]) / 3.0, 1e-9)  # 3 halves before j
        floor_half = st[_FLOOR_HALF, idx].astype(np.int64)
        # Onset: after the last absent half among the lookback halves before j (column col - 1).
        cols = _columns(lb)
        absent = (back[:, :lb] < PRESENT_ENERGY * ref[:, None]) | (cols < (floor_half - j + lb)[:, None])
        col = np.where(absent, cols + 1, 0).max(1)  # 0 when none is absent
        first = j - lb + col
        # Share of the half filled by the tone (energies are >= 0, so only the top needs clipping).
        at = np.arange(idx.size)[:, None]
        cover = np.minimum(back[at, np.maximum(col[:, None] + _BEFORE_FIRST, 0)] / ref[:, None], 1.0)
        filled = cover[:, 1] + np.where((first - 1 >= floor_half) & (col >= 1), cover[:, 0], 0.0)
        block = st[:, idx]
        block[_ACTIVE] = rows.start_digit[idx, k]
        block[_REF] = ref
        block[_ONSET] = np.rint(HALF_SAMPLES * (first + 1 - filled))
        block[_ABSENT] = 0
        block[_LAST_PRESENT] = j - 1
        block[_PAIR_PREV] = 1.0
        block[_LEVEL] = rows.start_level[idx, k]
        st[:, idx] = block

    def _end_sample(self, history: np.ndarray, rows: np.ndarray, j0: int, last_present: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """First sample after the tone whose last present half is ``last_present`` (``history`` rows ``rows``)."""
        col = (last_present - (j0 - self.lookback)).astype(np.intp)
        cover = np.minimum(history[rows[:, None], col[:, None] + _LAST_AND_NEXT] / ref[:, None], 1.0)
        return np.rint(HALF_SAMPLES * (last_present + (cover[:, 0] + cover[:, 1]))).astype(np.int64)
