"""The DTMF detector's digit state machine, vectorised over channels *and* whole batches of windows.

Per channel the machine keeps the current run of identical window hits and the digit in
progress.  Step by step, window ``k`` (ending with half ``j``) does:

* phase A, when a digit is in progress: half ``j-1`` is *present* when its energy is at least
  ``PRESENT_ENERGY`` of the digit's reference energy and the digit's pair holds at least
  ``PRESENT_PAIR_RATIO`` of one of the two windows containing it; ``end_halves`` absent halves in
  a row end the digit;
* phase B: hits extend the run of identical hits; a run reaching exactly ``hits_required`` hits of
  a digit other than the one in progress starts that digit (ending the old one first, if any).

Stepping that in Python would cost a few dozen numpy calls per 5 ms window, so a batch is
followed in one pass over ``(windows, busy channels)`` arrays, with a number of numpy calls that
does not depend on the batch:

1. the runs do not depend on the digits, so run lengths come for the whole batch at once from the
   sparse list of hits (a cumulative maximum over run boundaries); the windows where a run
   reaches ``hits_required`` are the *candidates*, the only places a digit can start;
2. a candidate whose digit differs from the previous candidate's on its channel (for the first
   one: from the digit in progress) always starts its digit: the digit in effect there is either
   that previous digit or none.  A *repeat* (same digit) starts it only if it has ended by then;
3. given which candidates start, each channel's windows split into *segments*, one per digit
   *instance*: the one in effect when the batch starts (a "dead" one, with an infinite
   reference energy, on a channel without a digit), then one per start.  A cumulative maximum of
   instance ids, which grow along a channel, names each window's instance, and with it the digit
   and reference energy that phase A uses there: presence of every window is one expression;
4. the *latest present window* is a cumulative maximum of the present windows and, per segment,
   the window its instance counts from (its start window, present by definition, or the window
   of the last present half before the batch).  No reset is needed between segments: earlier
   segments only hold smaller windows.  The absent count is ``k - latest``;
5. an instance *stops* at its first window where the absent count reaches ``end_halves`` or a
   digit starts; ``np.minimum.at`` over instance ids keeps that first window.  The stops of live
   instances are the ended digits, and the latest present window where an instance stopped is
   the onset floor of the digit that follows it (a dead instance never has a present half, so
   there it is the floor the channel kept from its last digit);
6. repeats are checked afterwards: one whose digit had stopped by its window does start, so the
   pass is redone with it (rare: a digit must be lost and its run restart within one batch).

Only the channels with a digit in progress or a candidate take part.  The results equal those
of the step-by-step machine, for any batch length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pycti.dsp.goertzel import HALF_SAMPLES

__all__ = ["NO_DIGIT", "PRESENT_ENERGY", "PRESENT_PAIR_RATIO", "BatchEnergies", "DigitMachine", "EndedDigits", "Hits"]

PRESENT_ENERGY = 0.5  #: a half is present at >= this share of the digit's reference energy
PRESENT_PAIR_RATIO = 0.3  #: ... and when a window holding it is still the digit's own pair
NO_DIGIT = -1

# Rows of the per-channel state (float64; integer fields hold exact integers < 2**53).  The first
# _INSTANCE_FIELDS describe the digit in progress and are also the rows of a batch's instance
# table, where _LATEST is a window of the batch (see _Batch).
_DIGIT = 0  # digit in progress, -1 none
_REF = 1  # its reference half energy; inf without a digit (no half is present then)
_ONSET = 2  # its onset sample
_LEVEL = 3  # its level, from the window that confirmed it, dBm0
_LATEST = 4  # the first half after its last present half; without a digit: after the last digit's,
#              where the next onset may be at the earliest (the onset floor)
_INSTANCE_FIELDS = 5
_PAIR_OK = 5  # 1.0 when the last window held the digit's pair at >= PRESENT_PAIR_RATIO
_N_FIELDS = 6
_NO_INSTANCE = np.array([[NO_DIGIT], [np.inf]])  # _DIGIT and _REF without a digit
#: Bins of each digit's low (row 0) and high tone (row 1); column = digit = 4 * row + column.
_PAIR_BINS = np.array([[d // 4 for d in range(16)], [4 + d % 4 for d in range(16)]])
_AND_NEXT = np.array([0, 1])  # an index and the next one


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


_ARANGE = [np.zeros(0, dtype=np.intp)]


def _arange(n: int) -> np.ndarray:
    """``arange(n)`` as a read-only view of one cached, growing array."""
    if n > _ARANGE[0].size:
        _ARANGE[0] = np.arange(max(n, 2 * _ARANGE[0].size, 64))
        _ARANGE[0].flags.writeable = False
    return _ARANGE[0][:n]


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
        self._state[:2] = _NO_INSTANCE
        self._run_digit = np.full(channels, NO_DIGIT, dtype=np.intp)  # digit of the last window's run
        self._run_len = np.zeros(channels, dtype=np.intp)  # its length, where _run_digit >= 0
        self._grids: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._back_cols = lookback - np.arange(lookback + 1)  # halves j, j-1 .. j-lookback from j-lookback
        self._back_rows = np.zeros(0, dtype=np.intp)  # arange(m) * (lookback + 1), grown on demand

    def reset_channels(self, rows: np.ndarray) -> None:
        """Forget any digit or run of hits in progress on channels ``rows`` (as new)."""
        self._state[:, rows] = 0.0
        self._state[:2, rows] = _NO_INSTANCE
        self._run_digit[rows] = NO_DIGIT
        self._run_len[rows] = 0

    # ------------------------------------------------------------------ runs of hits
    def _run_starts(self, hits: Hits, n: int) -> np.ndarray:
        """Indices of the ``hits`` where a run reaches ``hits_required``; carry runs on."""
        ch, d = hits.channel, hits.digit
        # Consecutive hits of one run differ by exactly 16 in this key (the stride n + 1 keeps
        # the last window of a channel and the first of the next apart).
        window_digit = hits.window * 16 + d
        key = ch * ((n + 1) * 16) + window_digit
        begins = np.empty(key.size, dtype=bool)  # first hit of a run in this batch
        begins[:1] = True
        np.not_equal(key[1:] - key[:-1], 16, out=begins[1:])
        idx = _arange(key.size)
        first = np.maximum.accumulate(np.where(begins, idx, 0))
        # A run at window 0 (window_digit = digit) continues the last batch's run of its digit.
        carried = self._run_len.take(ch) * (window_digit == self._run_digit.take(ch))
        run_len = idx - first + carried.take(first)  # less one
        last = (window_digit >= (n - 1) * 16).nonzero()[0]
        self._run_digit.fill(NO_DIGIT)
        at = ch.take(last)
        self._run_digit[at] = d.take(last)
        self._run_len[at] = run_len.take(last) + 1
        reached: np.ndarray = (run_len == self.hits_required - 1).nonzero()[0]
        return reached

    def idle(self, rows: np.ndarray) -> np.ndarray:
        """Which of channels ``rows`` have no digit in progress and no run of hits going on."""
        out: np.ndarray = (self._state[_DIGIT].take(rows) < 0) & (self._run_digit.take(rows) == NO_DIGIT)
        return out

    # ------------------------------------------------------------------ digits
    def advance(self, hits: Hits, batch: BatchEnergies, *, rows: np.ndarray | None = None) -> EndedDigits | None:
        """Advance every channel over the batch's windows; return the digits that ended in it.

        ``rows``: the channels the batch holds, sorted (``batch``'s arrays and ``hits.channel``
        index them); the others must be idle (:meth:`idle`) and silent throughout the batch,
        which leaves their state as it is.  ``None``: all channels, in order.
        """
        if rows is None:
            return self._advance(hits, batch)
        full = self._state, self._run_digit, self._run_len
        self._state, self._run_digit, self._run_len = full[0][:, rows], full[1][rows], full[2][rows]
        try:
            ended = self._advance(hits, batch)
            full[0][:, rows], full[1][rows], full[2][rows] = self._state, self._run_digit, self._run_len
        finally:
            self._state, self._run_digit, self._run_len = full
        if ended is None:
            return None
        return EndedDigits(rows[ended.channels], ended.digits, ended.onsets, ended.ends, ended.levels)

    def _advance(self, hits: Hits, batch: BatchEnergies) -> EndedDigits | None:
        """:meth:`advance` over all the rows of the state arrays."""
        n = batch.window_energy.shape[1] - 1
        cand = self._run_starts(hits, n)
        ch = hits.channel.take(cand)
        busy = self._state[_DIGIT] >= 0
        busy[ch] = True
        chans = busy.nonzero()[0]
        if chans.size == 0:
            return None
        st = self._state.take(chans, axis=1)
        b = _Batch(self, hits, cand, ch, chans, st, batch)
        starts = ~b.repeat
        waiting = b.repeat.nonzero()[0]  # repeats not (yet) known to start
        ids, latest, stop, pair_ok = b.trace(starts if waiting.size else None)
        while waiting.size:
            # A repeat starts its digit when the instance in effect had stopped by then.
            at = b.at.take(waiting)
            late = waiting[stop.take(ids.ravel().take(at)) <= at]
            if late.size == 0:
                break
            row = b.row.take(late)
            late = late[np.r_[True, row[1:] != row[:-1]]]  # only the first of a row is sure to start
            starts[late] = True
            waiting = (b.repeat & ~starts).nonzero()[0]
            ids, latest, stop, pair_ok = b.trace(starts)
        latest_flat = latest.ravel()
        # Each start's floor: the latest present window where the instance it follows stopped.
        b.inst[_ONSET, chans.size :] = self._onsets(b, latest_flat.take(stop.take(ids.ravel().take(b.at))))
        ended = ((stop != b.stop0) & b.live).nonzero()[0]  # dead instances stop too, harmlessly
        e = b.inst.take(ended, axis=1)
        b.inst[:2, ended] = _NO_INSTANCE
        # The new state: the instance that follows each row, and where it stopped.
        fin = ids[n]
        st[:_INSTANCE_FIELDS] = b.inst.take(fin, axis=1)
        st[_LATEST] = b.j0 + latest_flat.take(stop.take(fin))
        st[_PAIR_OK] = pair_ok
        self._state[:, chans] = st
        if ended.size == 0:
            return None
        last = latest_flat.take(stop.take(ended))  # the last present window of each ended digit
        ch = chans.take(b.inst_row.take(ended))
        end = self._end_samples(batch.history, ch, last, e[_REF], b.j0)
        return EndedDigits(ch, e[_DIGIT].astype(np.intp), e[_ONSET].astype(np.int64), end, e[_LEVEL])

    def _onsets(self, b: _Batch, floor: np.ndarray) -> np.ndarray:
        """Onset sample of the digit each candidate would start, given its floor (a window).

        The onset half follows the last absent half among the ``lookback`` halves before the
        start half ``j``, and is never before the floor half.  Halves are named by their *age*
        ``j - half``; ``b.back`` holds ages 0 .. lookback.
        """
        lb, back, ref = self.lookback, b.back, b.ref
        m = ref.size
        if self._back_rows.size < m:
            self._back_rows = np.arange(2 * m) * (lb + 1)
        absent = np.empty((m, lb + 1), dtype=bool)  # column a: is the half of age a + 1 absent
        absent[:, lb] = True  # found when none is
        np.less(back[:, 1:], (PRESENT_ENERGY * ref)[:, None], out=absent[:, :lb])
        # Age of the onset half: one less than the youngest absent half's (lb when none is
        # absent), but at most the floor half's.
        by_energy = absent.argmax(1)
        by_floor = b.window - floor
        age = np.minimum(by_energy, by_floor)
        # Share of the half filled by the tone (energies are >= 0, so only the top needs clipping),
        # plus the half before it when that was absent (and not before the floor).  A candidate
        # that does not start may see a floor after it: "clip" keeps its (unused) ages in range.
        at = (self._back_rows[:m] + age)[:, None] + _AND_NEXT
        cover = np.minimum(back.ravel().take(at, mode="clip") / ref[:, None], 1.0)
        filled = cover[:, 0] + np.where(by_energy < np.minimum(by_floor, lb), cover[:, 1], 0.0)
        start: np.ndarray = np.rint(HALF_SAMPLES * (b.j0 + 1 + b.window - age - filled))
        return start

    def _end_samples(self, history: np.ndarray, chans: np.ndarray, last: np.ndarray, ref: np.ndarray, j0: int) -> np.ndarray:
        """First sample after the tones on ``chans`` whose last present half is window ``last``'s first."""
        at = chans * history.shape[1] + last + (self.lookback - 1)  # the last present half, then the next
        cover = np.minimum(history.ravel().take(at[:, None] + _AND_NEXT) / ref[:, None], 1.0)
        start: np.ndarray = np.rint(HALF_SAMPLES * ((j0 - 1) + last + (cover[:, 0] + cover[:, 1]))).astype(np.int64)
        return start

    def _grid(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-window columns ``(n, 1)``: the window, the window less ``end_halves``, 8 x the window."""
        grid = self._grids.get(n)
        if grid is None:
            cols = np.arange(n)[:, None]
            grid = self._grids[n] = (cols, cols - self.end_halves, 8 * cols)
        return grid


class _Batch:
    """A batch as its busy rows see it: candidates, digit instances, and the pass over windows.

    Instances ``0 .. rows - 1`` are those in effect when the batch starts (dead ones included),
    instance ``rows + i`` the digit that candidate ``i`` would start.  Arrays over windows are
    ``(n + 1, rows)``, so that every slice along windows is contiguous: row ``k < n`` is window
    ``k``, row ``n`` what follows the batch.  Window ``w``'s first half is ``first_half + w - 1``,
    so a window also names a half (the latest present window, the onset floor).
    """

    __slots__ = ("at", "back", "base", "grid", "half", "ids", "inst", "inst_row", "j0", "live", "n",
                 "next", "norm", "pair_ok", "parts", "ref", "repeat", "row", "rows", "stop0", "threshold", "window", "windows")  # fmt: skip

    def __init__(self, machine: DigitMachine, hits: Hits, cand: np.ndarray, ch: np.ndarray, chans: np.ndarray, st: np.ndarray, batch: BatchEnergies) -> None:
        lb, n, r, j0 = machine.lookback, batch.window_energy.shape[1] - 1, chans.size, batch.first_half
        self.j0, self.n, self.grid = j0, n, machine._grid(n)
        self.rows = rows = _arange(r)
        # Candidates: the windows where a run reaches hits_required, by row then window.
        k, d = hits.window.take(cand), hits.digit.take(cand)
        self.window = k
        self.row = row = chans.searchsorted(ch)
        self.at = k * r + row
        self.next = self.at + r
        self.ids = r + _arange(cand.size)
        prev = st[_DIGIT].take(row)  # the digit in progress, or the previous candidate's
        np.copyto(prev[1:], d[:-1], where=row[1:] == row[:-1])
        self.repeat = prev == d
        history = batch.history
        self.back = back = history.ravel().take((ch * history.shape[1] + k)[:, None] + machine._back_cols)  # halves j, j-1 ..
        self.ref = np.maximum((back[:, 3] + back[:, 2] + back[:, 1]) / 3.0, 1e-9)  # 3 halves before j
        # Instances: what phase A reads, per instance.
        self.inst_row = inst_row = np.concatenate((rows, row))
        inst = self.inst = np.empty((_INSTANCE_FIELDS, inst_row.size))
        inst[:, :r] = st[:_INSTANCE_FIELDS]
        inst[_LATEST, :r] -= j0
        inst[_DIGIT, r:] = d
        inst[_REF, r:] = self.ref
        inst[_LATEST, r:] = k
        inst[_LEVEL, r:] = hits.level.take(cand)
        digit = inst[_DIGIT].astype(np.intp)
        self.live = digit >= 0
        self.threshold = PRESENT_ENERGY * inst[_REF]
        self.base = inst[_LATEST].astype(np.intp)
        self.stop0 = inst_row + n * r
        # Each instance's pair in its row's window 0, as flat indices into ``windows``: the bins
        # as complex numbers (real, imaginary).
        self.parts = _PAIR_BINS.take(digit, axis=1) + (chans * ((n + 1) * 8) + 8).take(inst_row)
        self.windows = batch.windows.reshape(-1).view(np.complex64)
        norm = batch.window_energy.take(chans, axis=0)[:, 1:].T.copy()
        np.maximum(norm, 1e-9, out=norm)
        norm *= machine.pair_norm
        self.norm = norm
        self.half = history.take(chans, axis=0)[:, lb - 1 : lb - 1 + n].T.copy()  # first half of each window
        self.pair_ok = st[_PAIR_OK] > 0

    def trace(self, starts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Follow the busy rows through the batch, the candidates ``starts`` (``None``: all) starting.

        Returns the instance of each window (row ``n``: the one that follows the batch), the
        latest present window after each window's phase A (row ``n``: for the instance that
        follows), the flat index where each instance stops (its column in row ``n`` if it does
        not), and the last window's pair test for the instance that follows.
        """
        n, r = self.n, self.rows.size
        cols, ending, cols8 = self.grid
        key = np.zeros((n + 1, r), dtype=np.intp)
        key[0] = self.rows
        if starts is None:
            key.ravel()[self.next] = self.ids
        else:
            key.ravel()[self.next[starts]] = self.ids[starts]
        ids = np.maximum.accumulate(key, axis=0)  # instance ids grow along a row
        win = ids[:n]
        fresh = ids[1:] != win  # a digit starts at window k
        # Phase A: the share of each window's energy its instance's pair holds, and presence.
        at = self.parts.take(win, axis=1)
        at += cols8
        parts = self.windows.take(at).view(np.float32)  # low and high tone, (real, imaginary) pairs
        parts *= parts
        power = parts[..., 0::2] + parts[..., 1::2]  # as goertzel.bin_power
        pair_ok = np.empty((n + 1, r), dtype=bool)
        pair_ok[0] = self.pair_ok
        # float32 shares against 0.3 as float32 (0.30000001): no float32 lies in [0.3, 0.30000001),
        # so this is the float64 test of the step-by-step machine.
        np.greater_equal((power[0] + power[1]) / self.norm, PRESENT_PAIR_RATIO, out=pair_ok[1:])
        present = pair_ok[:n] | pair_ok[1:]
        present[1:] |= fresh[:-1]  # a start sets the pair test of the window after it
        present &= self.half >= self.threshold.take(win)
        latest = np.empty((n + 1, r), dtype=np.intp)
        np.maximum.accumulate(np.where(present, cols, self.base.take(win)), axis=0, out=latest[:n])
        np.maximum(latest[n - 1], self.base.take(ids[n]), out=latest[n])
        # An instance stops at its first window with end_halves absent halves, or with a start.
        stopping = latest[:n] <= ending
        stopping |= fresh
        at = stopping.ravel().nonzero()[0]  # = flat index in (n + 1, rows) arrays
        stop = self.stop0.copy()
        np.minimum.at(stop, ids.ravel().take(at), at)
        return ids, latest, stop, pair_ok[n] | fresh[n - 1]
