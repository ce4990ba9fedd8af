"""Self-synchronising scramblers of the ITU-T V-series modems, parameterised by their taps.

A self-synchronising scrambler divides the data by a generating polynomial ``1 + x^-a + x^-b``:
each line bit is the data bit XOR the line bits sent ``a`` and ``b`` bit times earlier, and the
descrambler multiplies back (data = line bit XOR line bits ``a`` and ``b`` earlier), so it falls
into step with any transmitter after ``b`` bits without an agreed start state.

- ITU-T V.29 (and V.17, V.32): ``1 + x^-18 + x^-23``, no guard;
- ITU-T V.27ter: ``1 + x^-6 + x^-7`` with a guard against repeating patterns: the
  scrambler compares its output with the line bits 8, 9 and 12 bit times earlier; after 33
  bits in which none of the three comparisons showed a difference in the same bit (so the line
  carries a pattern of period 1, 2, 3, 4, 6, 8, 9 or 12 bits) it inverts its next output bit.
  The descrambler runs the same counter on the received line bits and inverts back.

The register holds line bits, most recent in bit 0 (the bit ``d`` bit times back is bit
``d - 1``), so scrambler and descrambler states are directly comparable.  Scrambling is
recursive (one bit at a time); descrambling without a guard is a vectorised XOR of shifted
copies, with a guard it walks the guard's counter from reset to reset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pycti.dsp.modem import Bits
from pycti.errors import PyctiError

__all__ = ["GUARD_V27TER", "PatternGuard", "Scrambler", "ScramblerTapsError", "V27TER_TAPS", "V29_TAPS"]

#: ``1 + x^-18 + x^-23`` (V.29, V.17).
V29_TAPS = (18, 23)
#: ``1 + x^-6 + x^-7`` (V.27ter).
V27TER_TAPS = (6, 7)


@dataclass(frozen=True)
class PatternGuard:
    """A repeated-pattern guard: the line bits compared (bit times back) and the run length
    after which the next bit is inverted."""

    compare: tuple[int, ...]
    limit: int


class ScramblerTapsError(PyctiError, ValueError):
    """Scrambler taps that are not two increasing delays of at most 62 bits."""


#: The V.27ter guard: compare with bits 8, 9 and 12 back, invert after 33.
GUARD_V27TER = PatternGuard(compare=(8, 9, 12), limit=33)


class Scrambler:
    """One scrambler or descrambler of ``1 + x^-taps[0] + x^-taps[1]`` (optionally guarded).

    The same object can scramble or descramble (not both on one stream): its state is the
    register of the last line bits and the guard's counter.
    """

    def __init__(self, taps: tuple[int, int], guard: PatternGuard | None = None, state: int = 0) -> None:
        if len(taps) != 2 or not 0 < taps[0] < taps[1] <= 62:
            raise ScramblerTapsError(f"scrambler taps must be two increasing delays in 1..62, got {taps!r}")
        self.taps = taps
        self.guard = guard
        depth = max((taps[1], *(guard.compare if guard else ())))
        self._mask = (1 << depth) - 1
        self.register = state & self._mask
        self.count = 0
        self._depth = depth
        self._shifts = np.arange(depth - 1, -1, -1, dtype=np.int64)
        self._powers = np.int64(1) << self._shifts

    def scramble(self, bits: npt.ArrayLike) -> Bits:
        """The line bits for the data ``bits`` (first bit first)."""
        data = np.asarray(bits, dtype=np.uint8)
        out = np.empty(data.size, dtype=np.uint8)
        a, b = self.taps[0] - 1, self.taps[1] - 1
        reg, count, mask = self.register, self.count, self._mask
        guard = self.guard
        cmp = [d - 1 for d in guard.compare] if guard else []
        limit = guard.limit if guard else 0
        for i, bit in enumerate(data.tolist()):
            o = (bit ^ (reg >> a) ^ (reg >> b)) & 1
            if guard is not None:
                if count >= limit:
                    o ^= 1
                    count = 0
                elif all(((reg >> c) ^ o) & 1 for c in cmp):
                    count = 0
                else:
                    count += 1
            out[i] = o
            reg = ((reg << 1) | o) & mask
        self.register, self.count = reg, count
        return out

    def descramble(self, bits: npt.ArrayLike) -> Bits:
        """The data bits for the received line ``bits`` (first bit first)."""
        line = np.asarray(bits, dtype=np.uint8)
        n = line.size
        if n == 0:
            return np.zeros(0, dtype=np.uint8)
        depth = self._depth
        hist = ((self.register >> self._shifts) & 1).astype(np.uint8)  # oldest first
        ext = np.concatenate([hist, line])  # ext[depth + i] is line bit i
        idx = np.arange(n) + depth
        out = line ^ ext[idx - self.taps[0]] ^ ext[idx - self.taps[1]]
        if self.guard is not None:
            same = np.ones(n, dtype=bool)
            for d in self.guard.compare:
                same &= ext[idx - d] != line
            self._apply_guard(out, same)
        self.register = int(ext[-depth:].astype(np.int64) @ self._powers)
        result: Bits = out.astype(np.uint8, copy=False)
        return result

    def _apply_guard(self, out: npt.NDArray[np.uint8], differs: npt.NDArray[np.bool_]) -> None:
        """Walk the guard counter over one block: ``differs[i]`` is the reset condition of bit
        ``i`` (each comparison showed a difference), ignored on an inverted bit."""
        assert self.guard is not None
        limit = self.guard.limit
        resets = np.flatnonzero(differs)
        n = out.size
        # Fast path: no run between resets reaches the limit, so nothing is inverted.
        if resets.size:
            longest = max(self.count + int(resets[0]), int(np.max(np.diff(resets), initial=1)) - 1,
                          n - 1 - int(resets[-1]))
            if longest < limit:
                self.count = n - 1 - int(resets[-1])
                return
        elif self.count + n < limit:
            self.count += n
            return
        pos = -1 - self.count  # the bit after which the counter was last 0
        while True:
            flip = pos + limit + 1  # where the counter has reached the limit: inverted
            k = int(np.searchsorted(resets, pos + 1))
            nxt = int(resets[k]) if k < resets.size else n
            if nxt < n and nxt < flip:
                pos = nxt
            elif flip < n:
                out[flip] ^= 1
                pos = flip
            else:
                break
        self.count = n - 1 - pos
