"""The transmitting half shared by the QAM/PSK modems (V.27ter, V.29, later V.17).

A :class:`QamTransmitter` turns a stream of complex signal elements into line samples:

1. **pulse shaping**: each element is spread by a root-raised-cosine pulse (the half of the
   raised-cosine spectrum the transmitter owns; V.27ter and V.29 split the
   shaping equally between the two ends).  Output sample ``n`` falls at symbol time
   ``n * baud / 8000``; with ``baud / 8000 = p / q`` in lowest terms, its fractional part is one
   of ``q`` phases, so the pulse is tabulated once per phase (a polyphase filter) and a whole
   block of samples is one gather and one multiply-sum;
2. **modulation**: the complex baseband multiplies a carrier ``exp(j 2 pi f n / 8000)`` read
   from a table one carrier period long (1800 Hz repeats every 40 samples, 1700 Hz every 80),
   and the real part goes to the line at the level asked for.

The elements come from a :class:`SymbolSource`: the modem's training, then the scrambled data
bits mapped by the modem's :class:`SymbolMapper`, then an end sequence, then silence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from pycti.dsp._base import DBM0_REF_RMS, FS_HZ
from pycti.dsp.modem import Bits, as_bits
from pycti.dsp.qam_scrambler import Scrambler
from pycti.errors import PyctiError

__all__ = ["ModemConfigError", "PulseShape", "QamTransmitter", "SymbolMapper", "rrc_pulse"]

Complex = npt.NDArray[np.complex128]


class ModemConfigError(PyctiError, ValueError):
    """A modem was given a rate, level or request it cannot carry out (the message names the
    value)."""


def rrc_pulse(t_symbols: npt.NDArray[np.float64], alpha: float) -> npt.NDArray[np.float64]:
    """The root-raised-cosine pulse of roll-off ``alpha`` at times ``t_symbols`` (in symbol
    periods), scaled so that the pulse convolved with itself is 1 at 0 and 0 at every other
    whole symbol (the raised-cosine Nyquist pulse)."""
    t = np.asarray(t_symbols, dtype=np.float64)
    out = np.empty_like(t)
    a = alpha
    near0 = np.abs(t) < 1e-9
    sing = np.abs(np.abs(4.0 * a * t) - 1.0) < 1e-9 if a > 0 else np.zeros_like(near0)
    reg = ~(near0 | sing)
    tr = t[reg]
    out[reg] = (np.sin(np.pi * tr * (1 - a)) + 4 * a * tr * np.cos(np.pi * tr * (1 + a))) / (
        np.pi * tr * (1 - (4 * a * tr) ** 2)
    )
    out[near0] = 1.0 - a + 4.0 * a / np.pi
    if a > 0:
        out[sing] = (a / math.sqrt(2.0)) * (
            (1 + 2 / np.pi) * math.sin(np.pi / (4 * a)) + (1 - 2 / np.pi) * math.cos(np.pi / (4 * a))
        )
    return out


@dataclass(frozen=True)
class PulseShape:
    """A modem's line signal: symbol rate, carrier and root-raised-cosine roll-off."""

    baud: int
    carrier_hz: float
    rrc_alpha: float
    span_symbols: int = 8  # the pulse is cut to +-span/2 symbols

    @property
    def ratio(self) -> tuple[int, int]:
        """``(p, q)`` with ``baud / FS_HZ = p / q`` in lowest terms."""
        g = math.gcd(self.baud, FS_HZ)
        return self.baud // g, FS_HZ // g

    @property
    def samples_per_symbol(self) -> float:
        """Line samples per signal element (5, 10/3 or 20/3)."""
        return FS_HZ / self.baud

    def carrier_table(self) -> Complex:
        """``exp(j 2 pi f n / FS_HZ)`` over one whole period of the carrier at 8000 Hz."""
        f = round(self.carrier_hz)
        period = FS_HZ // math.gcd(f, FS_HZ)
        table: Complex = np.exp(2j * np.pi * f * np.arange(period) / FS_HZ)
        return table


class SymbolMapper(Protocol):
    """Maps line (already scrambled) bits to signal elements, keeping its phase state."""

    bits_per_symbol: int

    def map(self, line_bits: Bits) -> Complex:
        """Signal elements for ``line_bits`` (a multiple of ``bits_per_symbol`` long)."""


class QamTransmitter:
    """Training, then scrambled data, then the end sequence, then silence (see the module
    docstring).  Implements :class:`pycti.dsp.modem.ModemTransmitter`.

    ``training`` are the elements sent before the first data bit; ``tail_symbols`` elements of
    scrambled ones follow the last data bit (V.27ter and V.29 define no turn-off sequence:
    the ones carry the last data bits through the far receiver's filters before the carrier
    stops).  ``level_dbm0`` is the mean power of the data signal."""

    def __init__(
        self,
        shape: PulseShape,
        training: Complex,
        mapper: SymbolMapper,
        scrambler: Scrambler,
        level_dbm0: float,
        mean_symbol_power: float,
        tail_symbols: int = 32,
    ) -> None:
        if not -60.0 <= level_dbm0 <= 3.0:
            raise ModemConfigError(f"level_dbm0 must be within -60..3, got {level_dbm0!r}")
        self.shape = shape
        self._mapper = mapper
        self._scrambler = scrambler
        self._tail = tail_symbols
        p, q = shape.ratio
        self._p, self._q = p, q
        half = shape.span_symbols // 2
        self._half = half
        js = np.arange(-half, half + 1)
        phases = np.arange(q) / q
        # table[phase, i]: pulse at time (phase/q + j) for j = js[i], weight of symbol base - j.
        self._table = rrc_pulse(phases[:, None] + js[None, :], shape.rrc_alpha)
        self._js = js
        self._carrier = shape.carrier_table()
        pulse_energy = float(np.mean(np.sum(self._table**2, axis=1)))
        target_rms = DBM0_REF_RMS * 10.0 ** (level_dbm0 / 20.0)
        self._gain = target_rms / math.sqrt(0.5 * mean_symbol_power * pulse_energy)
        # Symbol buffer: _syms[i] is element _sym_base + i; elements before 0 are silence.
        self._syms: Complex = np.zeros(half, dtype=np.complex128)
        self._sym_base = -half
        self._training = np.asarray(training, dtype=np.complex128)
        self._queue: list[Bits] = []
        self._queued = 0
        self._finished = False
        self._ended = False  # the tail has been appended: silence after _last_symbol
        self._last_symbol = -1  # index of the last element that is not silence
        self._n = 0  # samples generated so far
        self._append(self._training)

    # -- ModemTransmitter --------------------------------------------------------------------

    def write_bits(self, bits: npt.ArrayLike) -> None:
        """Queue data bits to send after those already queued.  Raises
        :class:`ModemConfigError` after :meth:`finish`, ``ValueError`` for values other than
        0 and 1."""
        b = as_bits(bits)
        if self._finished:
            raise ModemConfigError("write_bits after finish(): the transmission is already ending")
        if b.size:
            self._queue.append(b)
            self._queued += b.size

    def finish(self) -> None:
        """No more bits: send the queued ones (the last element padded with ones), the tail of
        scrambled ones, then silence."""
        self._finished = True

    @property
    def done(self) -> bool:
        """True once the end sequence has been generated to its last audible sample."""
        if not self._ended:
            return False
        last_t = (self._last_symbol + self._half) * self._q
        return self._n * self._p > last_t

    def generate(self, n: int) -> npt.NDArray[np.int16]:
        """The next ``n`` line samples (int16 at 8000 Hz)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ModemConfigError(f"n must be a non-negative integer, got {n!r}")
        idx = self._n + np.arange(n, dtype=np.int64)
        self._n += n
        if n == 0:
            return np.zeros(0, dtype=np.int16)
        num = idx * self._p
        base = num // self._q
        phase = num % self._q
        need = int(base[-1]) + self._half
        self._produce(need)
        rel = base[:, None] - self._js[None, :] - self._sym_base
        bb = np.sum(self._syms[rel] * self._table[phase], axis=1)
        y = np.real(bb * self._carrier[idx % self._carrier.size]) * self._gain
        keep = int(base[-1]) - self._half - self._sym_base
        if keep > 4096:
            self._syms = self._syms[keep:]
            self._sym_base += keep
        out: npt.NDArray[np.int16] = np.clip(np.rint(y), -32768, 32767).astype(np.int16)
        return out

    # -- element production ------------------------------------------------------------------

    def _append(self, syms: Complex) -> None:
        if syms.size:
            self._syms = np.concatenate([self._syms, syms])
            if np.any(syms != 0):
                self._last_symbol = self._sym_base + self._syms.size - 1 - int(np.argmax(syms[::-1] != 0))

    def _next_index(self) -> int:
        return self._sym_base + self._syms.size

    def _take_bits(self, count: int) -> Bits:
        if not self._queue:
            return np.zeros(0, dtype=np.uint8)
        flat = np.concatenate(self._queue) if len(self._queue) > 1 else self._queue[0]
        taken, rest = flat[:count], flat[count:]
        self._queue = [rest] if rest.size else []
        self._queued = rest.size
        return taken

    def _produce(self, need: int) -> None:
        """Make sure elements up to index ``need`` exist."""
        bps = self._mapper.bits_per_symbol
        while self._next_index() <= need:
            if self._ended:
                self._append(np.zeros(need - self._next_index() + 1, dtype=np.complex128))
                return
            whole = self._queued // bps * bps
            if whole:
                self._append(self._mapper.map(self._scrambler.scramble(self._take_bits(whole))))
            elif self._finished:
                data = self._take_bits(self._queued)
                pad = (-data.size) % bps
                ones = np.ones(pad + self._tail * bps, dtype=np.uint8)
                self._append(self._mapper.map(self._scrambler.scramble(np.concatenate([data, ones]))))
                self._ended = True
            else:
                # Underrun: the queue ran dry before finish(); keep the line up with ones.
                data = self._take_bits(self._queued)
                ones = np.ones(bps - data.size, dtype=np.uint8)
                self._append(self._mapper.map(self._scrambler.scramble(np.concatenate([data, ones]))))
