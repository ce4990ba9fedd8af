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

from pycti.dsp.goertzel import HALF_SAMPLES

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

    ``power``: float32 ``(n * c, 8)`` bin powers, half-major (row ``k * c + ch``);
    ``history``: float32 ``(lookback + n, c)`` half energies, row ``t`` being half
    ``first_half - lookback + t``; ``window_energy``: float32 ``(n, c)`` energy of each window;
    ``first_half``: the half ending window 0.
    """

    power: np.ndarray
    history: np.ndarray
    window_energy: np.ndarray
    first_half: int


@dataclass(frozen=True, slots=True)
class EndedDigits:
    """Digits that ended in a batch: channel, digit, onset and end sample, level (dBm0)."""

    channels: np.ndarray
    digits: np.ndarray
    onsets: np.ndarray
    ends: np.ndarray
    levels: np.ndarray


def _first(mask: np.ndarray) -> np.ndarray:
    """Index of the first True of each row, or the row length when there is none."""
    return np.where(mask.any(1), mask.argmax(1), mask.shape[1])


class DigitMachine:
    """Digit starts and ends on ``channels`` channels, advanced one batch of windows at a time.

    ``pair_norm``: a window's tone-pair power over (this times the window energy) is the share of
    the window's energy the pair holds; ``lookback`` (halves of energy history the caller keeps)
    must be at least ``end_halves + 2``.
    """

    def __init__(self, channels: int, *, hits_required: int, end_halves: int, pair_norm: float, lookback: int) -> None:
        if lookback < end_halves + 2 or lookback < 4:
            raise ValueError("lookback too short for end_halves")
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

    @property
    def active(self) -> np.ndarray:
        """Digit in progress per channel (index into ``DTMF_DIGITS``, -1 none), a copy."""
        return self._state[_ACTIVE].astype(np.intp)

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
        n = batch.window_energy.shape[0]
        starts = self._run_starts(hits, n)
        busy = self._state[_ACTIVE] >= 0
        s_ch = hits.channel[starts]
        busy[s_ch] = True
        chans = np.flatnonzero(busy)
        if chans.size == 0:
            return None
        b, lb = chans.size, self.lookback
        start_digit = np.full((b, n), NO_DIGIT, dtype=np.intp)
        start_level = np.zeros((b, n))
        if s_ch.size:
            at = (np.searchsorted(chans, s_ch), hits.window[starts])
            start_digit[at] = hits.digit[starts]
            start_level[at] = hits.level[starts]
        ctx = _Batch(
            chans=chans,
            power=batch.power,
            history=batch.history[:, chans].T,
            e_prev=batch.history[lb - 1 : lb - 1 + n, chans].T,
            den=self.pair_norm * np.maximum(batch.window_energy[:, chans].T, 1e-9),
            start_digit=start_digit,
            start_level=start_level,
            j0=batch.first_half,
        )
        sub = self._state[:, chans]
        rows, begin = np.arange(b), np.zeros(b, dtype=np.intp)
        ended: list[tuple[np.ndarray, ...]] = []
        while rows.size:
            rows, begin = self._round(sub, rows, begin, ctx, ended)
        self._state[:, chans] = sub
        if not ended:
            return None
        return EndedDigits(*(np.concatenate(parts) for parts in zip(*ended)))

    def _round(self, sub, rows, begin, ctx: _Batch, ended: list) -> tuple[np.ndarray, np.ndarray]:
        """One round over ``rows`` (of the busy channels) from window ``begin``: first end, first start.

        Updates ``sub`` (the busy channels' state), appends the ended digits to ``ended``, and
        returns the rows (and their first window) whose new digit must be followed further.
        """
        st = sub[:, rows]
        r, n = rows.size, ctx.start_digit.shape[1]
        kk = np.arange(n)
        ar = np.arange(r)
        a = st[_ACTIVE].astype(np.intp)
        live = a >= 0
        # Phase A for the digit in progress: share of each window held by its pair.
        power_rows = kk * self.channels + ctx.chans[rows][:, None]
        low_bin = np.where(live, a >> 2, 0)[:, None]
        pair = (ctx.power[power_rows, low_bin] + ctx.power[power_rows, (a & 3)[:, None] + 4]) / ctx.den[rows]
        pair_prev = np.empty((r, n))
        pair_prev[:, 1:] = pair[:, :-1]
        pair_prev[ar, begin] = st[_PAIR_PREV]
        valid = (kk >= begin[:, None]) & live[:, None]
        present = (
            valid
            & (ctx.e_prev[rows] >= PRESENT_ENERGY * st[_REF][:, None])
            & (np.maximum(pair_prev, pair) >= PRESENT_PAIR_RATIO)
        )
        last_k = np.maximum.accumulate(np.where(present, kk, -1), axis=1)  # last present window
        absent = np.where(last_k >= 0, kk - last_k, (st[_ABSENT] - begin)[:, None] + kk + 1)
        end_at = _first(valid & (absent >= self.end_halves))
        # Phase B: a run reaching hits_required of a digit not in progress starts it.
        in_progress = np.where(kk < end_at[:, None], a[:, None], NO_DIGIT)
        candidates = ctx.start_digit[rows]
        start_at = _first((kk >= begin[:, None]) & (candidates >= 0) & (candidates != in_progress))
        stop = np.minimum(start_at, end_at)  # the old digit ends here (replaced or absent)
        stops = live & (stop < n)
        k_stop = last_k[ar, np.minimum(stop, n - 1)]
        last_present = np.where(k_stop >= 0, ctx.j0 + k_stop - 1, st[_LAST_PRESENT])
        if stops.any():
            e = np.flatnonzero(stops)
            hist = ctx.history[rows[e]]
            end = self._end_sample(hist, ctx.j0, last_present[e], st[_REF, e])
            ended.append((ctx.chans[rows[e]], a[e], st[_ONSET, e].astype(np.int64), end, st[_LEVEL, e]))
        steady = live & ~stops
        st[_ABSENT] = np.where(steady, absent[:, -1], st[_ABSENT])
        st[_LAST_PRESENT] = np.where(steady & (last_k[:, -1] >= 0), ctx.j0 + last_k[:, -1] - 1, st[_LAST_PRESENT])
        st[_PAIR_PREV] = np.where(steady, pair[:, -1], st[_PAIR_PREV])
        st[_FLOOR_HALF] = np.where(stops, last_present + 1, st[_FLOOR_HALF])
        st[_ACTIVE] = np.where(stops, NO_DIGIT, st[_ACTIVE])
        starts = np.flatnonzero(start_at < n)
        if starts.size:
            self._start(st, starts, start_at[starts], rows[starts], ctx)
        sub[:, rows] = st
        follow = starts[start_at[starts] < n - 1]
        return rows[follow], start_at[follow] + 1

    def _start(self, st, idx, k, rows, ctx: _Batch) -> None:
        """Start the digits confirmed at windows ``k`` on rows ``idx`` of ``st``."""
        lb = self.lookback
        m = idx.size
        hist = ctx.history[rows]  # (m, lookback + n): row t is half j0 - lookback + t
        t = lb + k  # column of the half ending the confirming window
        ar = np.arange(m)
        ref = np.maximum((hist[ar, t - 3] + hist[ar, t - 2] + hist[ar, t - 1]) / 3.0, 1e-9)
        j = ctx.j0 + k
        floor_half = st[_FLOOR_HALF, idx].astype(np.int64)
        # Onset: after the last absent half among the lookback halves before j.
        back = hist[ar[:, None], k[:, None] + np.arange(lb + 1)]  # halves j - lb .. j
        halves = (j - lb)[:, None] + np.arange(lb)
        absent = (back[:, :lb] < PRESENT_ENERGY * ref[:, None]) | (halves < floor_half[:, None])
        last_absent = np.where(absent.any(1), j - 1 - absent[:, ::-1].argmax(1), j - lb - 1)
        first = last_absent + 1
        col = first - (j - lb)
        filled = np.clip(back[ar, col] / ref, 0.0, 1.0)
        before = (first - 1 >= floor_half) & (col >= 1)
        filled += np.where(before, np.clip(back[ar, np.maximum(col - 1, 0)] / ref, 0.0, 1.0), 0.0)
        st[_ACTIVE, idx] = ctx.start_digit[rows, k]
        st[_REF, idx] = ref
        st[_ONSET, idx] = np.rint(HALF_SAMPLES * (first + 1 - filled))
        st[_ABSENT, idx] = 0
        st[_LAST_PRESENT, idx] = j - 1
        st[_PAIR_PREV, idx] = 1.0
        st[_LEVEL, idx] = ctx.start_level[rows, k]

    def _end_sample(self, hist: np.ndarray, j0: int, last_present: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """First sample after the tone whose last present half is ``last_present``."""
        col = (last_present - (j0 - self.lookback)).astype(np.intp)
        ar = np.arange(col.size)
        filled = np.clip(hist[ar, col] / ref, 0.0, 1.0) + np.clip(hist[ar, col + 1] / ref, 0.0, 1.0)
        return np.rint(HALF_SAMPLES * (last_present + filled)).astype(np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Batch:
    """A batch as seen by the busy channels (rows): their energies, pair norms and start candidates."""

    chans: np.ndarray  # busy channels
    power: np.ndarray  # (n * c, 8) all channels
    history: np.ndarray  # (b, lookback + n) half energies
    e_prev: np.ndarray  # (b, n) energy of each window's first half
    den: np.ndarray  # (b, n) pair_norm * window energy
    start_digit: np.ndarray  # (b, n) digit whose run reaches hits_required there, -1 none
    start_level: np.ndarray  # (b, n) its level
    j0: int
