"""Call-progress tone detection by frequency and cadence, vectorised over channels.

Every 20 ms frame of every channel gets a label: the index of the tone "signature" (the set of
frequencies of one table row, or one SIT segment band) that explains at least
``min_fraction`` of the frame's energy at a level of at least ``min_level_dbm0``, or -1.  When
two signatures both fit within ``prefer_margin``, the one with fewer frequencies wins (a plain
425 Hz tone also fits the 400/425/450 Hz subspace of the modulated 425*25 dial tone).

Runs of equal labels are segments.  A channel's completed segments go into a short history
(kind, length in frames, start frame, tone energy) and each time one completes, the history's
tail is compared with every cadenced row of the chosen countries, in every rotation of the
row's cadence, with a tolerance of ``max(tolerance_ms, tolerance_ratio * nominal)`` per
segment.  A row whose cycle is at most ``short_cycle_ms`` long (busy, congestion) must match
``confirm_cycles`` whole cycles; longer ones (ringback, call waiting) one cycle.  A continuous
row (dial tone) is reported once its signature has lasted ``dial_min_ms`` and longer than
any cadenced row of the same signature could.  SIT is three back-to-back segments in the
low, middle and high SIT bands, each ``sit_segment_ms`` long.

Per frame, the work for all channels is a handful of numpy operations; the history update and
the cadence comparison run only on the channels whose label changed in that frame, batched.
A channel whose frame is digital silence (all samples zero) is labelled -1 with no tone energy
without being projected: that is what the projection gives it (zero energy is below every
level threshold), so only the channels with sound cost a filter bank row.
A tone is reported once per episode: again only after silence longer than the row allows, or
after a segment that does not belong to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import DBM0_REF_RMS, ToneEvent, check_channels, check_fs
from pycti.dsp.goertzel import nonzero_rows
from pycti.dsp.progress_frames import FRAME_SAMPLES, ToneFrontEnd
from pycti.dsp.progress_tables import TONE_NAMES, ProgressToneRow, rows_for

__all__ = ["ProgressParams", "ProgressToneDetector"]

_FRAME_MS = 1000 * FRAME_SAMPLES // 8000
_NONE = -2  # history slot never filled
_NEVER = 1 << 62  # no dial or quiet deadline pending


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressParams:
    """Thresholds of :class:`ProgressToneDetector` (times in ms, levels per component)."""

    min_fraction: float = 0.8
    prefer_margin: float = 0.05
    min_level_dbm0: float = -42.0
    tolerance_ms: float = 60.0
    tolerance_ratio: float = 0.15
    short_cycle_ms: int = 2000
    confirm_cycles: int = 2
    dial_min_ms: int = 1000
    sit_segment_ms: tuple[int, int] = (200, 450)
    sit_reset_ms: int = 1500  # silence after which a repeated SIT is reported again
    sit_bands_hz: tuple[tuple[float, ...], ...] = (
        (913.8, 950.0, 985.2), (1370.6, 1400.0, 1428.5), (1776.7, 1800.0))
    glitch_frames: int = 1


class _Rule:
    """One table row compiled to frame units."""

    __slots__ = ("confirm", "dial_frames", "hi", "kinds", "lo", "repeating", "reset_frames", "row")

    def __init__(self, row: ProgressToneRow, kinds: list[int], lo: list[int], hi: list[int],
                 confirm: int, repeating: bool, reset_frames: int, dial_frames: int = 0) -> None:
        self.row = row
        self.kinds = np.asarray(kinds)
        self.lo = np.asarray(lo)
        self.hi = np.asarray(hi)
        self.confirm = confirm
        self.repeating = repeating
        self.reset_frames = reset_frames
        self.dial_frames = dial_frames

    def windows(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(kinds, lo, hi) of the last ``confirm`` segments, one per admissible rotation."""
        p = len(self.kinds)
        out = []
        for rot in range(p if self.repeating else 1):
            idx = (rot + np.arange(self.confirm)) % p
            if self.kinds[idx[0]] < 0:  # a window starts at a tone onset
                continue
            out.append((self.kinds[idx], self.lo[idx], self.hi[idx]))
        return out


class ProgressToneDetector:
    """Detects DIAL, RINGBACK, BUSY, CONGESTION, CALL_WAITING and SIT on many channels.

    ``country`` is a table country code or a sequence of them (their rows are all matched;
    ``country="CN"`` by default); ``tones`` limits detection to those tone names (e.g.
    ``("BUSY",)``: fewer bands and cadences to test, so cheaper).  ``process(block)`` takes
    ``(channels, n)`` int16/float audio of any length and returns the tones whose decision fell
    inside it; ``flush()`` ends the stream (completing a last pending segment) and resets.

    An unknown country raises :class:`~pycti.dsp.progress_tables.ToneTableError` (a
    ``ValueError``) naming it and the known ones; a block that is not a 1-D or 2-D int16/float
    array of ``channels`` rows raises ``ValueError``.
    """

    def __init__(self, channels: int, country: str | Sequence[str] = "CN",
                 params: ProgressParams = ProgressParams(), *,
                 tones: Sequence[str] | None = None, fs_hz: int = 8000) -> None:
        check_fs(fs_hz)
        self.channels = check_channels(channels)
        self.params = params
        self._country_rows = rows_for(country)  # ValueError naming an unknown country
        if tones is not None:
            if isinstance(tones, str):
                raise ValueError(f"tones must be a sequence of tone names, got the string {tones!r}")
            unknown = [t for t in tones if t not in TONE_NAMES]
            if unknown:
                raise ValueError(f"unknown tone name(s) {unknown!r}; known: {', '.join(TONE_NAMES)}")
        self.rows = tuple(r for r in self._country_rows if tones is None or r.tone in tones)
        if not self.rows:
            raise ValueError(f"none of the tones {tones!r} exist for {country!r}")
        self._compile()
        self._front = ToneFrontEnd(self.channels, self.signatures)
        self._reset_state()

    # ---------------------------------------------------------------- compilation
    def _tol_frames(self, ms: float) -> float:
        p = self.params
        return max(p.tolerance_ms, p.tolerance_ratio * ms) / _FRAME_MS

    def _compile(self) -> None:
        p = self.params
        sigs: list[tuple[float, ...]] = []
        for row in self.rows:
            if row.tone != "SIT":
                sigs.append(row.on_components()[0])
        sigs = sorted(set(sigs), key=lambda s: (len(s), s))
        ncomp = [len(s) for s in sigs]
        has_sit = any(r.tone == "SIT" for r in self.rows)
        sit_ids: list[int] = []
        if has_sit:
            for band in p.sit_bands_hz:
                sit_ids.append(len(sigs))
                sigs.append(band)
                ncomp.append(1)
        self.signatures = tuple(sigs)
        self._ncomp = np.asarray(ncomp, dtype=np.float32)
        sig_index = {s: i for i, s in enumerate(sigs)}

        self._rules: list[_Rule] = []
        self._dial: list[_Rule] = []
        for row in self.rows:
            if row.tone == "SIT" or row.continuous:
                continue
            sid = sig_index[row.on_components()[0]]
            kinds, lo, hi = [], [], []
            for i, ms in enumerate(row.cadence_ms):
                tol = self._tol_frames(ms)
                kinds.append(sid if i % 2 == 0 else -1)
                lo.append(max(1, math.floor(ms / _FRAME_MS - tol)))
                hi.append(math.ceil(ms / _FRAME_MS + tol))
            short = row.cycle_ms <= p.short_cycle_ms
            confirm = len(kinds) * (p.confirm_cycles if short else 1)
            off_max = max(hi[1::2])
            self._rules.append(_Rule(row, kinds, lo, hi, confirm, True, off_max))
        if has_sit:
            lo_ms, hi_ms = p.sit_segment_ms
            lo_f = math.floor(lo_ms / _FRAME_MS)
            hi_f = math.ceil(hi_ms / _FRAME_MS)
            for row in self.rows:
                if row.tone == "SIT":
                    self._rules.append(_Rule(row, sit_ids, [lo_f] * 3, [hi_f] * 3, 3, False,
                                             math.ceil(p.sit_reset_ms / _FRAME_MS)))
        # A dial tone must outlast every cadenced on segment of its signature in the country.
        max_on: dict[tuple[float, ...], int] = {}
        for row in self._country_rows:
            if row.tone != "SIT" and not row.continuous:
                sig, on_ms = row.on_components()[0], max(row.cadence_ms[0::2])
                longest = math.ceil(on_ms / _FRAME_MS + self._tol_frames(on_ms))
                max_on[sig] = max(max_on.get(sig, 0), longest)
        for row in self.rows:
            if row.continuous:
                sig = row.on_components()[0]
                sid = sig_index[sig]
                frames = max(math.ceil(p.dial_min_ms / _FRAME_MS), max_on.get(sig, 0) + 2)
                self._dial.append(_Rule(row, [sid], [frames], [1 << 30], 1, False,
                                        p.glitch_frames + 1, dial_frames=frames))
        self._all_rules = self._rules + self._dial
        self._history = max([r.confirm for r in self._rules] + [2])
        self._reset_frames = np.asarray([r.reset_frames for r in self._all_rules] + [0])
        # Every admissible window of every rule, right-aligned in the history, as one stack.
        h = self._history
        wins = [(i, w) for i, r in enumerate(self._rules) for w in r.windows()]
        self._w_rule = np.asarray([i for i, _ in wins], dtype=np.int64)
        self._w_kind = np.full((len(wins), h), _NONE, dtype=np.int64)
        self._w_any = np.ones((len(wins), h), dtype=bool)
        self._w_lo = np.zeros((len(wins), h), dtype=np.int64)
        self._w_hi = np.full((len(wins), h), 1 << 40, dtype=np.int64)
        for j, (_, (w_kind, w_lo, w_hi)) in enumerate(wins):
            n = len(w_kind)
            self._w_kind[j, h - n:], self._w_any[j, h - n:] = w_kind, False
            self._w_lo[j, h - n:], self._w_hi[j, h - n:] = w_lo, w_hi
        # Signatures a rule uses, and its longest on segment, to notice a tone that changed.
        nsig = len(sigs)
        self._rule_uses = np.zeros((len(self._all_rules) + 1, nsig + 1), dtype=bool)
        self._rule_max_on = np.full(len(self._all_rules) + 1, 1 << 30)
        for i, r in enumerate(self._all_rules):
            on = r.kinds >= 0
            self._rule_uses[i, r.kinds[on]] = True
            self._rule_max_on[i] = int(r.hi[on].max())
        self._rule_uses[-1, :] = True  # index -1: nothing reported
        min_energy = (DBM0_REF_RMS * 10.0 ** (p.min_level_dbm0 / 20.0)) ** 2 * FRAME_SAMPLES
        self._min_loud = (min_energy * self._ncomp).astype(np.float32)
        # Per signature (index -1: none): the dial rule using it and its confirm length.
        self._dial_rule = np.full(nsig + 1, -1, dtype=np.int64)
        self._dial_frames = np.zeros(nsig + 1, dtype=np.int64)
        for i, r in enumerate(self._dial, start=len(self._rules)):
            self._dial_rule[r.kinds[0]] = i
            self._dial_frames[r.kinds[0]] = r.dial_frames

    def _reset_state(self) -> None:
        c, h = self.channels, self._history
        self._frame = 0
        self._cur_kind = np.full(c, -1, dtype=np.int64)
        self._cur_start = np.zeros(c, dtype=np.int64)
        self._cur_energy = np.zeros(c)
        self._cur_on = np.zeros(c, dtype=np.int64)
        self._h_kind = np.full((c, h), _NONE, dtype=np.int64)
        self._h_len = np.zeros((c, h), dtype=np.int64)
        self._h_start = np.zeros((c, h), dtype=np.int64)
        self._h_energy = np.zeros((c, h))
        self._h_on = np.zeros((c, h), dtype=np.int64)
        self._reported = np.full(c, -1, dtype=np.int64)
        self._dial_due = np.full(c, -1, dtype=np.int64)
        self._quiet_due = np.full(c, -1, dtype=np.int64)
        #: at most the earliest entry of _dial_due / _quiet_due not yet passed (_NEVER: none)
        self._due_min = _NEVER

    # ---------------------------------------------------------------- public API
    def process(self, block: np.ndarray) -> list[ToneEvent]:
        """Feed ``(channels, n)`` audio; return the tones decided in it, in time order."""
        x = np.asarray(block)
        if (x.dtype == np.int16 and x.ndim == 2 and x.shape[0] == self.channels and x.shape[1]
                and x.shape[1] % FRAME_SAMPLES == 0 and not self._front.framer.pending_samples):
            return self._process_frames(x)
        f = self._front.push(x)
        return self.consume(f.energies, f.total)

    def _process_frames(self, x: np.ndarray) -> list[ToneEvent]:
        """:meth:`process` for int16 whole frames with nothing held back: only the channels
        with a non-zero sample go through the front end; the others are silent frames
        (label -1, no tone energy, as the front end would find them)."""
        c, k = self.channels, x.shape[1] // FRAME_SAMPLES
        loud = nonzero_rows(x).nonzero()[0]  # 1-D: nonzero()[0] is flatnonzero without its wrapper
        if loud.size:
            frames = x[loud].astype(np.float32).reshape(loud.size, k, FRAME_SAMPLES)
            f = self._front.features(frames)
            labels, energy = self._labels(f.energies, f.total)
        else:
            labels, energy = np.full((0, k), -1, dtype=np.int64), np.zeros((0, k))
        return self._advance(labels, energy, loud)

    def flush(self) -> list[ToneEvent]:
        """End the stream: process held-back samples, close open segments, reset."""
        f = self._front.drain()
        return self.consume(f.energies, f.total, final=True)

    def consume(self, energies: np.ndarray, total: np.ndarray, *, final: bool = False
                ) -> list[ToneEvent]:
        """Advance over frames given as band energies ``(channels, k, len(signatures))`` and
        frame energies ``(channels, k)`` (for a front end shared with other detectors);
        ``final=True`` then ends the stream and resets."""
        events = self._run(energies, total)
        if not final:
            return events
        idx = np.flatnonzero(self._cur_kind >= 0)
        if idx.size:
            events += self._transition(idx, np.full(idx.size, -1, dtype=np.int64), self._frame)
        self._reset_state()
        return events

    # ---------------------------------------------------------------- per frame
    def _labels(self, energy: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame signature label ``(channels, k)`` (-1 none) and tone energy per component.

        Only frames where some signature passes both thresholds (few: tone frames) get the
        full comparison.
        """
        c, k, nsig = energy.shape
        thr = self.params.min_fraction
        cand = (energy >= thr * total[..., np.newaxis]) & (energy >= self._min_loud)
        label = np.full(c * k, -1, dtype=np.int64)
        per_comp = np.zeros(c * k)
        rows = np.flatnonzero(cand.any(axis=-1).ravel())
        if rows.size:
            e = energy.reshape(c * k, nsig)[rows]
            frac = np.where(e >= self._min_loud, e / total.reshape(-1)[rows, np.newaxis], 0.0)
            best = frac.max(axis=-1, keepdims=True)
            ok = (frac >= thr) & (frac >= best - self.params.prefer_margin)
            lab = ok.argmax(axis=-1)  # the best one passes, so some frame does
            label[rows] = lab
            per_comp[rows] = e[np.arange(rows.size), lab] / self._ncomp[lab]
        return label.reshape(c, k), per_comp.reshape(c, k)

    def _run(self, energies: np.ndarray, total: np.ndarray) -> list[ToneEvent]:
        if energies.shape[1] == 0:
            return []
        return self._advance(*self._labels(energies, total))

    def _advance(self, labels: np.ndarray, energy: np.ndarray, rows: np.ndarray | None = None) -> list[ToneEvent]:
        """Advance over frames given as labels and tone energies ``(channels, k)``; or, with
        ``rows``, those of channels ``rows`` only, the other channels' frames being silent
        (label -1, no energy: adding their zero energy would change nothing)."""
        on = labels >= 0
        events: list[ToneEvent] = []
        for k in range(labels.shape[1]):
            t = self._frame
            if rows is None:
                lab = labels[:, k]
            else:
                lab = np.full(self.channels, -1, dtype=np.int64)
                lab[rows] = labels[:, k]
            changed = (lab != self._cur_kind).nonzero()[0]
            if changed.size:
                events += self._transition(changed, lab[changed], t)
            if rows is None:
                self._cur_energy += energy[:, k]
                self._cur_on += on[:, k]
            elif rows.size:
                self._cur_energy[rows] += energy[:, k]
                self._cur_on[rows] += on[:, k]
            if t >= self._due_min:  # else no dial or quiet deadline is this frame
                events += self._deadlines(t)
            self._frame += 1
        return events

    def _deadlines(self, t: int) -> list[ToneEvent]:
        """The dial tones confirmed and the quiet episodes ended at frame ``t``."""
        events: list[ToneEvent] = []
        for c in np.flatnonzero(self._dial_due == t):  # a dial tone lasted long enough
            i = int(self._dial_rule[self._cur_kind[c]])
            if self._reported[c] != i:
                self._reported[c] = i
                events.append(self._event(int(c), i, int(self._cur_start[c]), t + 1,
                                          self._cur_energy[c], self._cur_on[c]))
        # Silence longer than the reported tone allows ends its episode.
        self._reported[np.flatnonzero(self._quiet_due == t)] = -1
        later = np.concatenate((self._dial_due, self._quiet_due))
        later = later[later > t]
        self._due_min = int(later.min()) if later.size else _NEVER
        return events

    def _event(self, channel: int, rule: int, start_frame: int, end_frame: int,
               energy: float, on_frames: int) -> ToneEvent:
        rms = math.sqrt(energy / max(on_frames, 1) / FRAME_SAMPLES)
        level = 20.0 * math.log10(max(rms, 1e-6) / DBM0_REF_RMS)
        return ToneEvent(channel=channel, tone=self._all_rules[rule].row.tone,
                         start_sample=start_frame * FRAME_SAMPLES,
                         end_sample=end_frame * FRAME_SAMPLES, level_dbm0=round(level, 2))

    def _transition(self, idx: np.ndarray, new: np.ndarray, t: int) -> list[ToneEvent]:
        """Close the current segment of channels ``idx`` (label changed to ``new`` at ``t``)."""
        fin_len = t - self._cur_start[idx]
        glitch = fin_len <= self.params.glitch_frames
        merge = glitch & (self._h_kind[idx, -1] == new)
        m = idx[merge]
        if m.size:  # a short interruption: the previous segment goes on
            self._cur_start[m] = self._h_start[m, -1]
            self._cur_energy[m] += self._h_energy[m, -1]
            self._cur_on[m] += self._h_on[m, -1]
            for arr, fill in ((self._h_kind, _NONE), (self._h_len, 0), (self._h_start, 0),
                              (self._h_energy, 0.0), (self._h_on, 0)):
                arr[m, 1:] = arr[m, :-1]
                arr[m, 0] = fill
        d = idx[glitch & ~merge]
        if d.size:  # a short blip between different segments: dropped
            self._cur_start[d] = t
            self._cur_energy[d] = 0.0
            self._cur_on[d] = 0
        p = idx[~glitch]
        events: list[ToneEvent] = []
        if p.size:
            for arr, val in ((self._h_kind, self._cur_kind[p]), (self._h_len, fin_len[~glitch]),
                             (self._h_start, self._cur_start[p]),
                             (self._h_energy, self._cur_energy[p]), (self._h_on, self._cur_on[p])):
                arr[p, :-1] = arr[p, 1:]
                arr[p, -1] = val
            self._cur_start[p] = t
            self._cur_energy[p] = 0.0
            self._cur_on[p] = 0
            events = self._match(p, t)
        self._cur_kind[idx] = new
        # Frames at which the per-frame loop must look at these channels again.
        start = self._cur_start[idx]
        dial = self._dial_frames[new]
        self._dial_due[idx] = np.where(dial > 0, np.maximum(start + dial - 1, t), -1)
        rep = self._reported[idx]
        self._quiet_due[idx] = np.where((new < 0) & (rep >= 0),
                                        np.maximum(start + self._reset_frames[rep], t), -1)
        due = np.concatenate((self._dial_due[idx], self._quiet_due[idx]))
        due = due[due >= 0]
        if due.size:
            self._due_min = min(self._due_min, int(due.min()))
        return events

    def _match(self, p: np.ndarray, t: int) -> list[ToneEvent]:
        """Compare the histories of channels ``p`` with every cadenced rule."""
        # Does the segment just completed break the tone reported so far?
        rep = self._reported[p]
        kind = self._h_kind[p, -1]
        on = kind >= 0
        broke = on & (~self._rule_uses[rep, np.maximum(kind, 0)]
                      | (self._h_len[p, -1] > self._rule_max_on[rep]))
        self._reported[p[broke & (rep >= 0)]] = -1
        hk = self._h_kind[p][:, np.newaxis, :]
        hl = self._h_len[p][:, np.newaxis, :]
        fits = ((hk == self._w_kind) | self._w_any) & (hl >= self._w_lo) & (hl <= self._w_hi)
        hits = fits.all(axis=2)  # (channels, windows), windows in table order
        found = np.flatnonzero(hits.any(axis=1))
        events = []
        for j in found:
            c = int(p[j])
            i = int(self._w_rule[hits[j].argmax()])
            if self._reported[c] == i:
                continue
            self._reported[c] = i
            n = self._rules[i].confirm
            events.append(self._event(c, i, int(self._h_start[c, -n]), t + 1,
                                      float(self._h_energy[c, -n:].sum()),
                                      int(self._h_on[c, -n:].sum())))
        return events
