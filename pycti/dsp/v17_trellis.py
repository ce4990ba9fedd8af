"""The trellis-coded modulation of ITU-T V.17: encoder, constellations and Viterbi decoder.

V.17 codes its signal elements as V.32 bis does (V.32 bis clause 2.3, "signal element
coding": Table 1 for the differential encoding, Figure 1 for the convolutional encoder,
Figures 2-1 to 2-4 for the signal-space diagrams at 14 400, 12 000, 9600 and 7200 bit/s).

Each signal element carries ``bits_per_symbol`` scrambled data bits ``Q1 Q2 Q3 ...`` (first
bit first: 6 at 14 400, 5 at 12 000, 4 at 9600, 3 at 7200 bit/s) and one redundant bit:

1. **differential encoding** (Table 1): ``Q1 Q2`` are added modulo 4 to the previous
   ``Y1 Y2`` (``Y1`` and ``Q1`` the least significant bits), which makes the code transparent
   to the 90, 180 and 270 degree ambiguity of the carrier phase:
   ``Y1n = Q1n xor Y1(n-1)``, ``Y2n = (Q1n and Y1(n-1)) xor Y2(n-1) xor Q2n``;
2. **convolutional encoding** (Figure 1, the 8-state systematic feedback encoder of V.32's
   trellis coding): three delay elements ``w0 w1 w2``; the redundant bit ``Y0n`` is ``w0``
   and the next state is ``w2' = w0``, ``w1' = Y2 xor Y1 xor w2 xor ((Y2 xor w1) and w0)``,
   ``w0' = Y2 xor w1 xor (Y1 and w0)``;
3. **mapping** (the signal-space diagrams): the label ``Y0 Y1 Y2 Q3 Q4 ...`` selects one of 16, 32, 64 or
   128 points.  The labels are laid out so that turning a point by 90 degrees inverts ``Y0``,
   lowers ``Y2 Y1`` by one (modulo 4) and keeps ``Q3 ...``: the tables below list, for each
   rate, only the points whose ``Y1 = Y2 = 0`` (indexed by ``Q3 ... Y0``), and
   :func:`constellation` turns them into the whole figure.  Coordinates are in the units in
   which the training points are ``A = (-6, -2)``, ``B = (2, -6)``, ``C = (6, 2)``,
   ``D = (-2, 6)``; every rate's points have a mean power near that of A (40).

Points are indexed by the integer label ``L = (Q_high << 3) | (Y2 << 2) | (Y1 << 1) | Y0`` where
``Q_high`` has ``Q3`` in its least significant bit.  The labels' meaning was checked against
the reference modem of the tests (spandsp, through its binding): every label of every rate
always gave the same point.

:class:`TrellisMapper` is the transmitter's :class:`pycti.dsp.qam_tx.SymbolMapper`;
:class:`ViterbiDecoder` the receiver's :class:`pycti.dsp.qam.SymbolDecoder`: it takes the
equalized elements (soft decisions), keeps the best path into each of the 8 encoder states and
releases each element's bits :data:`DECISION_DELAY` elements later.  Its add-compare-select
and traceback run in C (:mod:`pycti.dsp.dspcore`) when that is enabled; the Python code here
is the reference and the fallback.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from pycti.dsp import dspcore
from pycti.dsp.modem import Bits

__all__ = [
    "BITS_PER_SYMBOL",
    "DECISION_DELAY",
    "TrellisEncoder",
    "TrellisMapper",
    "ViterbiDecoder",
    "constellation",
]

Complex = npt.NDArray[np.complex128]
Ints = npt.NDArray[np.intp]

#: Data bits per element at each rate.
BITS_PER_SYMBOL = {14400: 6, 12000: 5, 9600: 4, 7200: 3}
#: Elements between an element's arrival and the release of its bits by the Viterbi decoder.
DECISION_DELAY = 16

# The points with Y1 = Y2 = 0, in the order of (Q_high << 1) | Y0.
_QUARTERS: dict[int, tuple[tuple[int, int], ...]] = {
    14400: (
        (-8, -3), (9, 2), (-8, 1), (9, -2), (-4, -3), (5, 2), (-4, 1), (5, -2),
        (4, -3), (-3, 2), (4, 1), (-3, -2), (0, -3), (1, 2), (0, 1), (1, -2),
        (8, -3), (-7, 2), (8, 1), (-7, -2), (-4, -7), (5, 6), (-4, 5), (5, -6),
        (4, -7), (-3, 6), (4, 5), (-3, -6), (0, -7), (1, 6), (0, 5), (1, -6),
    ),
    12000: (
        (7, 1), (-5, -1), (3, -3), (-1, 3), (7, -7), (-5, 7), (-1, -7), (3, 7),
        (3, 5), (-1, -5), (-1, 1), (3, -1), (-5, 5), (7, -5), (-5, -3), (7, 3),
    ),
    9600: ((-8, 2), (-6, -4), (0, 2), (-6, 4), (0, -6), (2, -4), (8, 2), (2, 4)),
    7200: ((6, -6), (-2, 6), (-2, 2), (6, -2)),
}


def constellation(rate_bps: int) -> Complex:
    """The points of ``rate_bps`` indexed by label (see the module docstring): the point of
    label ``(Q, v, Y0)`` (``v = 2 Y2 + Y1``) is the point of ``(Q, 0, Y0 xor (v odd))`` turned
    by ``-90 v`` degrees."""
    quarter = np.array([complex(x, y) for x, y in _QUARTERS[rate_bps]], dtype=np.complex128)
    labels = np.arange(4 * quarter.size)
    q_high, v, y0 = labels >> 3, (labels >> 1) & 3, labels & 1
    base = quarter[(q_high << 1) | (y0 ^ (v & 1))]
    points: Complex = base * (-1j) ** v
    return points


def _next_conv(conv: int, v: int) -> int:
    """The encoder's next state from state ``conv`` (bits w0 w1 w2) on input ``v = 2 Y2 + Y1``."""
    w0, w1, w2 = conv & 1, (conv >> 1) & 1, (conv >> 2) & 1
    y1, y2 = v & 1, v >> 1
    n1 = y2 ^ y1 ^ w2 ^ ((y2 ^ w1) & w0)
    n0 = y2 ^ w1 ^ (y1 & w0)
    return (w0 << 2) | (n1 << 1) | n0


#: NEXT_CONV[state, v]: the encoder state after input v.
NEXT_CONV = np.array([[_next_conv(c, v) for v in range(4)] for c in range(8)], dtype=np.intp)


class TrellisEncoder:
    """Differential and convolutional encoder (steps 1 and 2 of the module docstring).

    ``diff`` is the previous ``Y2 Y1`` (as ``2 Y2 + Y1``), ``conv`` the delay elements."""

    def __init__(self, diff: int = 0, conv: int = 0) -> None:
        self.diff = diff & 3
        self.conv = conv & 7

    def labels(self, q: Ints) -> Ints:
        """The labels for the elements' data values ``q`` (``Q1`` in bit 0)."""
        out = np.empty(q.size, dtype=np.intp)
        diff, conv = self.diff, self.conv
        for i, value in enumerate(q.tolist()):
            diff = (diff + value) & 3
            out[i] = ((value >> 2) << 3) | (diff << 1) | (conv & 1)
            conv = int(NEXT_CONV[conv, diff])
        self.diff, self.conv = diff, conv
        return out


class TrellisMapper:
    """Line bits to V.17 points (a :class:`pycti.dsp.qam_tx.SymbolMapper`)."""

    def __init__(self, rate_bps: int, diff: int = 0) -> None:
        self.bits_per_symbol = BITS_PER_SYMBOL[rate_bps]
        self.points = constellation(rate_bps)
        self.encoder = TrellisEncoder(diff=diff)
        self._weights = 1 << np.arange(self.bits_per_symbol)

    def map(self, line_bits: Bits) -> Complex:
        """Points for ``line_bits`` (a multiple of ``bits_per_symbol`` long, first bit ``Q1``)."""
        g = np.asarray(line_bits, dtype=np.intp).reshape(-1, self.bits_per_symbol)
        out: Complex = self.points[self.encoder.labels(g @ self._weights)]
        return out


def _predecessors() -> tuple[Ints, Ints]:
    """For each state, the four (previous state, input v) pairs that lead to it."""
    prev: list[list[tuple[int, int]]] = [[] for _ in range(8)]
    for c in range(8):
        for v in range(4):
            prev[int(NEXT_CONV[c, v])].append((c, v))
    if any(len(p) != 4 for p in prev):  # pragma: no cover - a property of the code
        raise AssertionError("the V.17 trellis has four branches into every state")
    states = np.array([[c for c, _ in p] for p in prev], dtype=np.intp)
    inputs = np.array([[v for _, v in p] for p in prev], dtype=np.intp)
    return states, inputs


_PREV_STATE, _PREV_V = _predecessors()
#: The subset (the label's low three bits ``Y2 Y1 Y0``) of each branch into each state.
_BRANCH_SUBSET = (_PREV_V << 1) | (_PREV_STATE & 1)


_PREV_STATE_LISTS: list[list[int]] = _PREV_STATE.tolist()
#: The trellis for the C decoder: predecessor state, input v and subset of each branch.
_TRELLIS_64 = (np.ascontiguousarray(_PREV_STATE, dtype=np.int64), np.ascontiguousarray(_PREV_V, dtype=np.int64),
               np.ascontiguousarray(_BRANCH_SUBSET, dtype=np.int64))
_TRANSITIONS = tuple(
    tuple((int(_PREV_STATE[ns, b]), int(_BRANCH_SUBSET[ns, b])) for b in range(4)) for ns in range(8)
)


def _make_acs() -> Callable[[list[float], list[list[float]], list[int]], list[float]]:
    """The add-compare-select step over a block of elements, unrolled from
    :data:`_TRANSITIONS` into straight-line Python (eight states, four branches each: about
    three times faster than a loop over the table or a numpy call per element).

    The function takes the path metric of each state, the branch metric of each subset for
    each element, and a list to which it appends, per element, the branch chosen into each
    state (two bits per state, state 0 lowest); it returns the new path metrics (less their
    minimum)."""
    lines = [
        "def acs(metric, branch_metrics, choice):",
        "    m0, m1, m2, m3, m4, m5, m6, m7 = metric",
        "    for b0, b1, b2, b3, b4, b5, b6, b7 in branch_metrics:",
    ]
    for ns, branches in enumerate(_TRANSITIONS):
        (p0, s0) = branches[0]
        lines.append(f"        n{ns} = m{p0} + b{s0}; k{ns} = 0")
        for j, (p, sub) in enumerate(branches[1:], start=1):
            lines.append(f"        c = m{p} + b{sub}")
            lines.append(f"        if c < n{ns}: n{ns} = c; k{ns} = {j}")
    lines.append("        choice.append(k0 | k1 << 2 | k2 << 4 | k3 << 6 | k4 << 8 | k5 << 10 | k6 << 12 | k7 << 14)")
    lines.append("        m0, m1, m2, m3, m4, m5, m6, m7 = n0, n1, n2, n3, n4, n5, n6, n7")
    lines.append("    low = min(m0, m1, m2, m3, m4, m5, m6, m7)")
    lines.append("    return [m0 - low, m1 - low, m2 - low, m3 - low, m4 - low, m5 - low, m6 - low, m7 - low]")
    namespace: dict[str, object] = {}
    exec("\n".join(lines), namespace)  # noqa: S102 - source built above from the trellis table
    acs = namespace["acs"]
    assert callable(acs)
    return acs


_acs = _make_acs()


class ViterbiDecoder:
    """Soft-decision Viterbi decoder of the V.17 trellis code, then differential decoding and
    the bits ``Q1 Q2 Q3 ...`` of each element (a :class:`pycti.dsp.qam.SymbolDecoder`).

    :meth:`decode` returns the bits of the elements that arrived :data:`DECISION_DELAY`
    elements or more before the last one given (so its output lags its input by that many
    elements).  The search starts from the encoder's zero state."""

    def __init__(self, rate_bps: int, delay: int = DECISION_DELAY) -> None:
        self.bits_per_symbol = BITS_PER_SYMBOL[rate_bps]
        self.points = constellation(rate_bps)
        self.delay = delay
        # _subset_points[s, j]: the j-th point of subset s (labels with low bits s).
        self._subset_points = self.points.reshape(-1, 8).T.copy()
        flat = self._subset_points.reshape(-1)  # subset-major order
        self._coords = np.stack([flat.real, flat.imag])
        self._energy = np.abs(flat) ** 2
        self._metric = [0.0] + [1e9] * 7
        # History (one row per element not yet released): the branch chosen into each state
        # and the best point of each subset.
        self._choice: list[int] = []
        self._best_q: Ints = np.zeros((0, 8), dtype=np.intp)
        self._prev_v = 0
        #: The points decided for the elements whose bits the last :meth:`decode` returned.
        self.decided: Complex = np.zeros(0, dtype=np.complex128)
        self._q_shift = np.arange(self.bits_per_symbol - 2)
        # The C path keeps the same history in arrays (see dspcore.viterbi_acs).
        self._c = dspcore.enabled()
        self._metric_c = np.array(self._metric, dtype=np.float64)
        self._choice_c = np.zeros(0, dtype=np.int64)
        self._best_q_c = np.zeros(0, dtype=np.int64)
        self._hist_c = np.zeros(2, dtype=np.int64)  # elements held, last released v
        self._views = dspcore.Views() if self._c else None
        self._sub_re = np.ascontiguousarray(flat.real)
        self._sub_im = np.ascontiguousarray(flat.imag)

    def nearest(self, point: complex) -> int:
        """Index of the point nearest ``point``."""
        return int(np.argmin(np.abs(self.points - point)))

    def set_previous(self, index: int) -> None:
        """Nothing to do: the trellis decoder starts from the encoder's known zero state and
        the first element's differential bits are not data (V.17 segment 4)."""

    def decode(self, indices: Ints, symbols: Complex | None = None) -> Bits:
        """Bits of the elements released by the elements ``symbols`` (the equalized points;
        without them the points of ``indices`` stand in, which loses the soft decisions)."""
        y = self.points[indices] if symbols is None else np.asarray(symbols, dtype=np.complex128)
        if self._c:
            return self._decode_c(y)
        if y.size:
            # |y - p|^2 less |y|^2 (the same for every branch of an element, so it cannot
            # change a decision): |p|^2 - 2 Re(y conj p), one small product for all points.
            yri = np.stack([y.real, y.imag], axis=1)
            dist = (self._energy - 2.0 * (yri @ self._coords)).reshape(y.size, 8, -1)
            self._metric = _acs(self._metric, dist.min(axis=2).tolist(), self._choice)
            self._best_q = np.concatenate([self._best_q, np.argmin(dist, axis=2)])
        release = len(self._choice) - self.delay
        if release <= 0:
            self.decided = np.zeros(0, dtype=np.complex128)
            return np.zeros(0, dtype=np.uint8)
        return self._release(release)

    def _release(self, count: int) -> Bits:
        """Trace back from the best state now and release the oldest ``count`` elements."""
        st, br = self._trace(count)
        v_out = _PREV_V[st, br]
        subset = _BRANCH_SUBSET[st, br]
        q_out = self._best_q[np.arange(count), subset]
        self.decided = self.points[(q_out << 3) | subset]
        prev_v = np.concatenate([[self._prev_v], v_out[:-1]])
        low = (v_out - prev_v) & 3
        self._prev_v = int(v_out[-1])
        self._best_q = self._best_q[count:]
        bits = np.empty((count, self.bits_per_symbol), dtype=np.uint8)
        bits[:, 0] = low & 1
        bits[:, 1] = low >> 1
        if self.bits_per_symbol > 2:
            bits[:, 2:] = (q_out[:, None] >> self._q_shift[None, :]) & 1
        out: Bits = bits.reshape(-1)
        return out

    def _decode_c(self, y: Complex) -> Bits:
        """:meth:`decode` by the C kernel (the same steps on the same history)."""
        room = int(self._hist_c[0]) + y.size
        if self._choice_c.size < room:
            grown = max(room, 2 * self._choice_c.size, 4 * self.delay)
            choice = np.zeros(grown, dtype=np.int64)
            best_q = np.zeros(8 * grown, dtype=np.int64)
            choice[:self._choice_c.size] = self._choice_c
            best_q[:self._best_q_c.size] = self._best_q_c
            self._choice_c, self._best_q_c = choice, best_q
        self.decided, bits = dspcore.viterbi_decode(
            y, self._sub_re, self._sub_im, self._energy, _TRELLIS_64, self.points,
            self.bits_per_symbol, self.delay, self._metric_c, self._choice_c, self._best_q_c,
            self._hist_c, self._views)
        return bits

    def _trace(self, count: int) -> tuple[Ints, Ints]:
        """The Python traceback: the states and branches of the oldest ``count`` elements,
        which it drops from the history."""
        state = self._metric.index(min(self._metric))
        choice = self._choice
        states = [0] * len(choice)
        branches = [0] * len(choice)
        for t in range(len(choice) - 1, -1, -1):
            branch = (choice[t] >> (2 * state)) & 3
            states[t], branches[t] = state, branch
            state = _PREV_STATE_LISTS[state][branch]
        del choice[:count]
        return np.array(states[:count], dtype=np.intp), np.array(branches[:count], dtype=np.intp)
