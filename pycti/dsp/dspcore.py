"""Typed access to the modem receivers' C kernels (``pycti.dsp._dspcore``, built by cffi from
``drivers/dsp/``), and the switch between them and the numpy code.

The kernels run the per-block inner loops of the QAM/PSK receivers of ITU-T V.27ter, V.29 and
V.17 exactly as the numpy code of :mod:`pycti.dsp.qam_rx` and :mod:`pycti.dsp.v17_trellis`
does (same blocks, same order of decisions; floats may differ in their last digits):

- :func:`fe_process`: the front end's carrier mix-down and its two FIR filters over one frame;
- :func:`timing_block`: windowed-sinc interpolation at a block of T/2 instants and the
  block's Gardner timing error;
- :func:`eq_run` / :func:`eq_output`: the T/2-spaced block-LMS equalizer, its slicer and
  its decision-directed carrier phase loop;
- :func:`cd_step`: the carrier detector's sub-block powers and hysteresis (V.27ter 2.7);
- :func:`descramble`: the self-synchronising descrambler with V.27ter's repeated-pattern
  guard (V.27ter 2.5, V.29 clause 5);
- :func:`diff_decode`: differential phase decoding (V.27ter 2.2, V.29 clause 3);
- :func:`v21_front`: the V.21 receiver's mix-down, IIR low-passes, discriminator and running
  power sums (ITU-T V.21, T.30 clause 5);
- :func:`v21_bits`: the V.21 receiver's bit timing from the zero crossings and its decisions;
- :func:`hdlc_scan`: the HDLC receiver's search of a chunk of bits for zeros, runs of ones,
  flags, aborts and inserted zeros (ISO/IEC 13239 as T.30 clause 5.3 uses it);
- :func:`viterbi_decode`: the branch metrics, add-compare-select, traceback and bit release
  of the V.17 (V.32 bis clause 2.3) 8-state trellis decoder.

The numpy code stays the reference: it runs when the compiled module is missing or when the
environment variable ``PYCTI_DSP_C`` is ``0``.  :func:`enabled` reads it each time a
receiver part is built (some parts are built when a transmission starts), so a receiver that
should run one path from end to end runs with the variable fixed; both paths decide the same,
so a receiver whose parts were built under different settings still gives the same bits.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import numpy as np
import numpy.typing as npt

from pycti.errors import PyctiError

__all__ = [
    "AVAILABLE",
    "DspCoreError",
    "ENV_VAR",
    "MAX_TAPS",
    "Views",
    "enabled",
    "eq_output",
    "eq_run",
    "fe_process",
    "hdlc_scan",
    "timing_block",
    "cd_step",
    "descramble",
    "diff_decode",
    "v21_bits",
    "v21_front",
    "viterbi_decode",
]

Complex = npt.NDArray[np.complex128]
Float = npt.NDArray[np.float64]
Int64 = npt.NDArray[np.int64]

class DspCoreError(PyctiError, ValueError):
    """Arrays that do not fit a kernel (sizes named in the message)."""


#: The environment variable that selects the numpy code when set to ``0``.
ENV_VAR = "PYCTI_DSP_C"
#: The most equalizer taps the C equalizer takes (``DSP_MAX_TAPS`` in ``dspcore.h``).
MAX_TAPS = 256

_mod: Any
try:
    _mod = importlib.import_module("pycti.dsp._dspcore")
except ImportError:  # not built (no compiler at install time): the numpy code runs
    _mod = None

#: Whether the compiled module is there.
AVAILABLE: bool = _mod is not None


def enabled() -> bool:
    """Whether the receivers built now use the C kernels: the module is there and
    ``PYCTI_DSP_C`` is not ``0``."""
    return AVAILABLE and os.environ.get(ENV_VAR, "1").strip() != "0"


def _lib() -> Any:
    if _mod is None:  # pragma: no cover - callers check enabled() first
        raise RuntimeError("pycti.dsp._dspcore is not built (python drivers/dsp/build_dspcore.py)")
    return _mod.lib


class Views:
    """C views of the arrays an object passes to the kernels call after call (its taps, its
    state), made once: wrapping an array costs about as much as a small kernel.  A view keeps
    its array alive, so an object keeps its own :class:`Views` (they go with it); the cache
    starts afresh when it holds more than :data:`_VIEWS_KEPT` arrays."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[npt.NDArray[Any], Any]] = {}

    def get(self, arr: npt.NDArray[Any], ctype: str) -> Any:
        """The view of ``arr`` (C-contiguous) as ``ctype``."""
        hit = self._cache.get(id(arr))
        if hit is not None and hit[0] is arr:
            return hit[1]
        if not arr.flags.c_contiguous:
            raise DspCoreError(f"a kept array must be C-contiguous, got strides {arr.strides}")
        if len(self._cache) >= _VIEWS_KEPT:
            self._cache.clear()
        view = _mod.ffi.from_buffer(ctype, arr, require_writable=bool(arr.flags.writeable))
        self._cache[id(arr)] = (arr, view)
        return view


_VIEWS_KEPT = 64


def _v(views: Views | None, arr: npt.NDArray[Any], ctype: str, out: bool = False) -> Any:
    """``arr`` through ``views`` when given, else wrapped now."""
    if views is not None:
        return views.get(arr, ctype)
    return _out(arr, ctype) if out else _in(arr, ctype)


def _in(arr: npt.NDArray[Any], ctype: str) -> Any:
    """A read-only C view of a contiguous array (copied first when it is not contiguous)."""
    return _mod.ffi.from_buffer(ctype, np.ascontiguousarray(arr))


def _out(arr: npt.NDArray[Any], ctype: str) -> Any:
    """A writable C view of a contiguous array."""
    return _mod.ffi.from_buffer(ctype, arr, require_writable=True)


def fe_process(frame: Float, carrier_conj: Complex, phase0: int, ext: Complex,
               taps: Float, flat_taps: Float, views: Views | None = None) -> tuple[Complex, Complex]:
    """Mix ``frame`` down by ``carrier_conj`` (one carrier period, frame sample 0 at index
    ``phase0``) and filter it by ``taps`` and ``flat_taps`` (same length ``L``).  ``ext`` is
    scratch of ``L - 1 + frame.size`` complex whose first ``L - 1`` entries are the filter
    history, updated in place.  Returns the matched-filtered and flat-filtered baseband.
    ``views`` (here and in the other kernels) keeps the C views of the arrays that stay."""
    n = frame.size
    if flat_taps.size != taps.size or ext.size != taps.size - 1 + n:
        raise DspCoreError(f"front end: {taps.size} and {flat_taps.size} taps, {ext.size} "
                           f"scratch for {n} samples (want equal taps, taps - 1 + samples)")
    out = np.empty(n, dtype=np.complex128)
    flat = np.empty(n, dtype=np.complex128)
    _lib().dsp_fe_process(_in(frame, "double[]"), n, _v(views, carrier_conj, "double[]"),
                          carrier_conj.size, phase0, _v(views, ext, "double[]", True), taps.size,
                          _v(views, taps, "double[]"), _v(views, flat_taps, "double[]"),
                          _out(out, "double[]"), _out(flat, "double[]"))
    return out, flat


def timing_block(z: Complex, base: int, pos0: float, half: float, gain: float, count: int,
                 table: Float, last: Complex | None,
                 views: Views | None = None) -> tuple[Complex, Float, float] | None:
    """``count`` T/2 samples of ``z`` (``z[0]`` is absolute sample ``base``) interpolated by
    ``table`` (phases + 1 rows of 8 taps) at ``pos0 + half * i``, times ``gain``; their
    instants; the Gardner error of the block (``last``: the previous block's last centre and
    mid samples, or ``None`` for the first block).  ``None`` when an instant's taps fall
    outside ``z`` (the caller's numpy code then decides what that means)."""
    if table.ndim != 2 or table.shape[1] != 8:
        raise DspCoreError(f"interpolation table must have 8 taps per row, got shape {table.shape}")
    u = np.empty(count, dtype=np.complex128)
    pos = np.empty(count, dtype=np.float64)
    err = _mod.ffi.new("double *")
    prev = np.zeros(2, dtype=np.complex128) if last is None else last
    status = _lib().dsp_timing_block(_in(z, "double[]"), z.size, base, pos0, half, gain, count,
                                     _v(views, table, "double[]"), table.shape[0] - 1,
                                     _out(u, "double[]"), _out(pos, "double[]"),
                                     0 if last is None else 1, _in(prev, "double[]"), err)
    if status != 0:
        return None
    return u, pos, float(err[0])


def eq_run(x: Complex, w: Complex, points: Complex, ref: Complex | None,
           state: Float, views: Views | None = None) -> tuple[Complex, Int64, float]:
    """One block-LMS step on the rows of ``x`` with the taps ``w`` (updated in place), toward
    ``ref`` or (``None``) the slicer's decisions among ``points``.  ``state`` is
    ``[phase, freq, mu, pll_a, pll_b, mse]``; phase, frequency and mse are updated in place.
    Returns the derotated outputs, the decided indices and the block's mean squared error."""
    b, n = x.shape
    if w.size != n or n > MAX_TAPS or state.size != 6 or (ref is not None and ref.size != b):
        raise DspCoreError(f"equalizer: {w.size} taps for rows of {n} (at most {MAX_TAPS}), "
                           f"state of {state.size} (want 6), reference of "
                           f"{None if ref is None else ref.size} for {b} rows")
    yr = np.empty(b, dtype=np.complex128)
    idx = np.empty(b, dtype=np.int64)
    cref = _mod.ffi.NULL if ref is None else _in(ref.astype(np.complex128, copy=False), "double[]")
    _lib().dsp_eq_run(_in(x, "double[]"), b, n, _v(views, w, "double[]", True),
                      _v(views, points, "double[]"),
                      points.size, cref, _out(state, "double[]"), _out(yr, "double[]"),
                      _out(idx, "int64_t[]"))
    return yr, idx, float(state[5])


def eq_output(x: Complex, w: Complex, phase: float, freq: float, ahead: int,
              views: Views | None = None) -> Complex:
    """The derotated equalizer outputs of the rows of ``x`` without adapting, the first row
    ``ahead`` elements after the next one :func:`eq_run` would take."""
    b, n = x.shape
    if w.size != n:
        raise DspCoreError(f"equalizer: {w.size} taps for rows of {n}")
    out = np.empty(b, dtype=np.complex128)
    _lib().dsp_eq_output(_in(x, "double[]"), b, n, _v(views, w, "double[]"), phase, freq, ahead,
                         _out(out, "double[]"))
    return out


def viterbi_decode(y: Complex, sub_re: Float, sub_im: Float, energy: Float,
                   trellis: tuple[Int64, Int64, Int64], points: Complex, bits_per_symbol: int,
                   delay: int, metric: Float, choice: Int64, best_q: Int64, hist: Int64,
                   views: Views | None = None) -> tuple[Complex, npt.NDArray[np.uint8]]:
    """One step of the V.17 Viterbi decoder over the soft elements ``y`` (see
    ``dsp_viterbi_decode`` in ``dspcore.h``): the points subset-major (``sub_re``,
    ``sub_im``, ``energy``), the trellis (``trellis``: the 8 x 4 predecessor state, input ``v``
    and subset of each branch), the decoder's state (``metric``, ``choice``,
    ``best_q``, ``hist = [held, last v]``, updated in place; ``choice`` and ``best_q`` need room
    for ``held + y.size`` elements).  Returns the points and the bits of the released
    elements."""
    n = y.size
    room = int(hist[0]) + n
    per = sub_re.size // 8
    if (sub_re.size % 8 or sub_im.size != sub_re.size or energy.size != sub_re.size
            or points.size < sub_re.size or metric.size != 8 or hist.size != 2
            or any(t.shape != (8, 4) for t in trellis)):
        raise DspCoreError(f"Viterbi decoder: {sub_re.size} subset points (8 x {per}), "
                           f"{points.size} points, {metric.size} metrics, trellis "
                           f"{[t.shape for t in trellis]} (want 8 x 4)")
    if choice.size < room or best_q.size < 8 * room:
        raise DspCoreError(f"decoder history holds {choice.size} elements, {room} needed")
    most = max(0, room - delay)
    decided = np.empty(most, dtype=np.complex128)
    bits = np.empty(most * bits_per_symbol, dtype=np.uint8)
    count = _lib().dsp_viterbi_decode(
        _in(y, "double[]"), n, _v(views, sub_re, "double[]"), _v(views, sub_im, "double[]"),
        _v(views, energy, "double[]"), sub_re.size // 8, _v(views, trellis[0], "int64_t[]"),
        _v(views, trellis[1], "int64_t[]"), _v(views, trellis[2], "int64_t[]"),
        _v(views, points, "double[]"), bits_per_symbol, delay, _v(views, metric, "double[]", True),
        _v(views, choice, "int64_t[]", True), _v(views, best_q, "int64_t[]", True),
        _v(views, hist, "int64_t[]", True), _out(decided, "double[]"),
        _out(bits, "uint8_t[]"))
    return decided[:count], bits[:count * bits_per_symbol]


def cd_step(baseband: Complex, sub: int, state: Float) -> list[tuple[int, bool]]:
    """The carrier detector over ``baseband`` (a whole number of ``sub``-sample sub-blocks):
    ``state = [previous power, on, on threshold, off threshold]`` (updated in place).
    Returns the ``(sub-block index, new state)`` of every change."""
    if sub < 1 or state.size != 4:
        raise DspCoreError(f"carrier detector: sub-blocks of {sub}, state of {state.size} (want 4)")
    nsub = baseband.size // sub
    changes = np.empty(2 * nsub, dtype=np.int64)
    count = _lib().dsp_cd_step(_in(baseband, "double[]"), nsub, sub, _out(state, "double[]"),
                               _out(changes, "int64_t[]"))
    pairs = changes[:2 * count].tolist()
    return [(pairs[2 * i], bool(pairs[2 * i + 1])) for i in range(count)]


def diff_decode(indices: Int64, phase_of: Int64, ring_of: Int64, inverse: Int64,
                phase_bits: int, amp_bit: bool, phase: int,
                views: Views | None = None) -> tuple[npt.NDArray[np.uint8], int]:
    """Differential phase decoding of the decided point ``indices`` (V.27ter 2.2, V.29
    clause 3) from the previous element's ``phase``: the bits (amplitude bit first when
    ``amp_bit``, then the phase bits, most significant first) and the last phase."""
    n = indices.size
    if n and (int(indices.min()) < 0 or int(indices.max()) >= min(phase_of.size, ring_of.size)
              or inverse.size != 8):
        raise DspCoreError(f"point indices must lie in 0..{phase_of.size - 1} (and 8 phase "
                           f"changes), got {int(indices.min())}..{int(indices.max())}")
    per = phase_bits + (1 if amp_bit else 0)
    bits = np.empty(n * per, dtype=np.uint8)
    ph = np.array([phase], dtype=np.int64)
    _lib().dsp_diff_decode(_in(indices.astype(np.int64, copy=False), "int64_t[]"), n,
                           _v(views, phase_of, "int64_t[]"), _v(views, ring_of, "int64_t[]"),
                           _v(views, inverse, "int64_t[]"), phase_bits, 1 if amp_bit else 0,
                           _out(ph, "int64_t[]"), _out(bits, "uint8_t[]"))
    return bits, int(ph[0])


def v21_front(x: Float, lo: Complex, offset: int, data_ba: tuple[Float, Float], zi: Float,
              detect_ba: tuple[Float, Float], zi_detect: Float, last_z: Float, rows: Float,
              smooth: int, sums: Float, views: Views | None = None) -> tuple[Float, Float, Float]:
    """The V.21 receiver's front end over ``x`` (see ``dsp_v21_front`` in ``dspcore.h``):
    ``lo`` one period of the mix-down oscillator (``x[0]`` at ``offset``), the two low-passes
    as ``(b, a)`` with ``a[0] == 1`` and their delays ``zi``/``zi_detect`` (2 x order, updated),
    ``last_z`` (2, updated), ``rows`` (3 x (window + x.size), history in the first window
    columns, updated), ``sums`` (3, updated).  Returns the bit statistic and the two power
    sums after each sample."""
    n = x.size
    window = rows.shape[1] - n
    if rows.shape[0] != 3 or window <= smooth:
        raise DspCoreError(f"rows must be 3 x (window + {n}) with window > {smooth}, got {rows.shape}")
    if (zi.size != 2 * (data_ba[1].size - 1) or zi_detect.size != 2 * (detect_ba[1].size - 1)
            or data_ba[0].size != data_ba[1].size or detect_ba[0].size != detect_ba[1].size
            or last_z.size != 2 or sums.size != 3):
        raise DspCoreError(f"V.21 front end: filter delays {zi.size} and {zi_detect.size} for "
                           f"orders {data_ba[1].size - 1} and {detect_ba[1].size - 1} (want 2 x order)")
    out = np.empty((3, n), dtype=np.float64)
    b, a = data_ba
    bd, ad = detect_ba
    _lib().dsp_v21_front(
        _in(x, "double[]"), n, _v(views, lo, "double[]"), lo.size, offset, _v(views, b, "double[]"),
        _v(views, a, "double[]"), a.size - 1, _v(views, zi, "double[]", True),
        _v(views, bd, "double[]"), _v(views, ad, "double[]"), ad.size - 1,
        _v(views, zi_detect, "double[]", True), _v(views, last_z, "double[]", True),
        _v(views, rows, "double[]", True), window, smooth, _v(views, sums, "double[]", True),
        _out(out[0], "double[]"), _out(out[1], "double[]"), _out(out[2], "double[]"))
    return out[0], out[1], out[2]


def hdlc_scan(work: npt.NDArray[np.uint8], first_prev: int
              ) -> tuple[npt.NDArray[np.bool_], list[tuple[int, int, int]], int, int, int] | None:
    """The scan of HDLC bits ``work`` (``first_prev``: the run of ones before its first zero):
    the mask of data bits (a zero after five or more ones is not data), the flags (kind 0)
    and aborts (kind 1) as ``(zero before, zero after, kind)`` in order, the first and the last
    zero and the run of ones before the last; ``None`` when ``work`` holds no zero."""
    n = work.size
    keep = np.empty(n, dtype=np.uint8)
    tokens = np.empty(3 * (n // 7 + 1), dtype=np.int64)
    info = np.empty(3, dtype=np.int64)
    count = _lib().dsp_hdlc_scan(_in(work, "uint8_t[]"), n, first_prev, _out(keep, "uint8_t[]"),
                                 _out(tokens, "int64_t[]"), _out(info, "int64_t[]"))
    if count < 0:
        return None
    flat = tokens[:3 * count].tolist()
    rows = [(flat[3 * i], flat[3 * i + 1], flat[3 * i + 2]) for i in range(count)]
    return keep.view(np.bool_), rows, int(info[0]), int(info[1]), int(info[2])


def descramble(line: npt.NDArray[np.uint8], taps: tuple[int, int], compare: tuple[int, ...],
               limit: int, register: int, count: int) -> tuple[npt.NDArray[np.uint8], int, int]:
    """The data bits for the received ``line`` bits through the descrambler of ``taps``
    (``1 + x^-taps[0] + x^-taps[1]``) and the guard comparing the bits ``compare`` back
    (none: no guard) that inverts a bit after ``limit`` without a reset; ``register`` (the last
    line bits, newest in bit 0) and ``count`` (the guard's counter) from the last call.
    Returns the bits and the new register and counter."""
    depth = max((taps[1], *compare))
    if not 0 < taps[0] < taps[1] <= 62:
        raise DspCoreError(f"descrambler taps must be two increasing delays in 1..62, got {taps!r}")
    out = np.empty(line.size, dtype=np.uint8)
    state = np.array([register, count], dtype=np.uint64)
    cmp = np.array(compare if compare else (1,), dtype=np.int64)
    status = _lib().dsp_descramble(_in(line.astype(np.uint8, copy=False), "uint8_t[]"), line.size,
                                   taps[0], taps[1], _in(cmp, "int64_t[]"), len(compare), limit,
                                   depth, _out(state, "uint64_t[]"), _out(out, "uint8_t[]"))
    if status != 0:
        raise DspCoreError(f"guard comparisons {compare!r} must lie within 1..{depth}")
    return out, int(state[0]), int(state[1])


def v21_bits(stat: Float, history: int, start: int, end: int,
             switches: list[tuple[int, bool]], t_bit: float, min_gain: float,
             state: Float) -> npt.NDArray[np.uint8] | None:
    """The V.21 receiver's decisions over the stream samples ``start .. end - 1`` (see
    ``dsp_v21_bits`` in ``dspcore.h``): ``stat`` the bit statistic from ``start - history``
    on, ``switches`` the carrier's ``(sample, on)`` changes in order, ``state`` ``[next
    decision, crossings, present]`` (updated).  ``None`` (state untouched) when a decision
    falls before the history."""
    if stat.size < history + end - start or history < 1 or state.size != 3:
        raise DspCoreError(f"V.21 statistic of {stat.size} for {history} + {end - start} samples")
    nev = len(switches)
    samples = np.array([t for t, _ in switches] or [0], dtype=np.int64)
    ups = np.array([1 if on else 0 for _, on in switches] or [0], dtype=np.uint8)
    cap = int((end - start) / t_bit) + 2 * nev + 4
    bits = np.empty(cap, dtype=np.uint8)
    count = _lib().dsp_v21_bits(_in(stat, "double[]"), history, start, end,
                                _in(samples, "int64_t[]"), _in(ups, "uint8_t[]"), nev, t_bit,
                                min_gain, _out(state, "double[]"), _out(bits, "uint8_t[]"), cap)
    if count < 0:
        return None
    return bits[:count]
