"""HDLC framing of the T.30 control channel: flags, transparency, frame check sequence, abort.

ITU-T T.30 clause 5.3 frames every binary-coded facsimile control message (DIS, DCS, CFR, MCF,
DCN ...) as an HDLC frame of ISO/IEC 3309 (now 13239):

- **flag** ``0x7E`` (``01111110``) opens and closes every frame; one flag may close a frame and
  open the next, and two flags may share their zero (``011111101111110``).  T.30 clause 5.3
  wants a preamble of 1 s +- 15 % of flags before the first frame of every V.21 transmission
  (:data:`T30_PREAMBLE_MS`);
- **transparency** (zero-bit insertion): after five contiguous ones inside a frame the sender
  inserts a zero, and the receiver deletes the zero that follows five contiguous ones, so the
  data never contains a flag;
- **frame check sequence**: the 16-bit FCS of ITU-T V.41 / ISO 3309 (generator
  ``x^16 + x^12 + x^5 + 1``, register preset to ones, ones complement sent, low-order octet
  first).  Its check value over ``b"123456789"`` is ``0x906E`` (:data:`FCS_CHECK_VALUE`); running
  the receiver's CRC over a frame and its FCS leaves the residue ``0xF0B8`` (:data:`FCS_GOOD_RESIDUE`);
- **abort**: seven or more contiguous ones end a frame without a closing flag (15 or more are an
  idle line).

Octets go out least significant bit first (T.30 clause 5.3); the address (``0xFF``) and the
control field (``0x03``/``0x13``) are part of the payload given to and returned by this module.

:class:`HdlcEncoder` turns payloads into a bit array (flags, stuffed frames with their FCS).
:class:`HdlcDecoder` takes the received bits in any chunks and returns the same frames and events
whatever the chunking: :class:`HdlcFrame` (with ``fcs_ok``, and a :class:`FrameStatus` saying what
was wrong with a bad one) and the events :class:`FlagsDetected` and :class:`Aborted`, each stamped
with the number of bits received when it became known.  Zero-bit insertion and deletion are done
on whole arrays; the decoder's state machine is one transition table (:data:`_TRANSITIONS`).
The scan of each chunk for zeros, runs of ones, flags and aborts runs in C
(:func:`pycti.dsp.dspcore.hdlc_scan`) when :func:`pycti.dsp.dspcore.enabled` says so; the
numpy code is the reference and the fallback.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pycti.dsp import dspcore
from pycti.dsp.modem import Bits, as_bits
from pycti.errors import PyctiError

__all__ = [
    "FCS_CHECK_VALUE",
    "FCS_GOOD_RESIDUE",
    "FLAG_BITS",
    "T30_PREAMBLE_MS",
    "Aborted",
    "FlagsDetected",
    "FrameStatus",
    "HdlcDecoder",
    "HdlcEncoder",
    "HdlcError",
    "HdlcEvent",
    "HdlcFrame",
    "HdlcResult",
    "crc16_update",
    "fcs16",
    "stuff_bits",
]

#: The flag ``0x7E`` in transmission order.
FLAG_BITS: Bits = np.array([0, 1, 1, 1, 1, 1, 1, 0], dtype=np.uint8)
#: T.30 clause 5.3: flags sent for 1 s +- 15 % before the first frame of a V.21 transmission.
T30_PREAMBLE_MS = 1000.0
#: FCS of ``b"123456789"`` (the catalogued check value of this CRC, "CRC-16/X-25").
FCS_CHECK_VALUE = 0x906E
#: The receiver's CRC register after a frame and its correct FCS (ISO 3309 "good FCS").
FCS_GOOD_RESIDUE = 0xF0B8

_POLY_REFLECTED = 0x8408  # x^16 + x^12 + x^5 + 1, bit-reversed because octets go LSB first


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        reg = byte
        for _ in range(8):
            reg = (reg >> 1) ^ _POLY_REFLECTED if reg & 1 else reg >> 1
        table.append(reg)
    return tuple(table)


_CRC_TABLE = _crc_table()


class HdlcError(PyctiError, ValueError):
    """A bad argument to the HDLC encoder or decoder (the message names the value)."""


def crc16_update(data: bytes, register: int = 0xFFFF) -> int:
    """The V.41 / ISO 3309 CRC register after shifting ``data`` in (LSB of each octet first),
    starting from ``register``; no final complement."""
    reg = register
    table = _CRC_TABLE
    for octet in data:
        reg = (reg >> 8) ^ table[(reg ^ octet) & 0xFF]
    return reg


def fcs16(data: bytes) -> int:
    """The 16-bit frame check sequence of ``data``: the ones complement of the CRC register.

    It is sent low-order octet first: ``bytes([fcs & 0xFF, fcs >> 8])`` follows the payload.
    """
    return crc16_update(bytes(data)) ^ 0xFFFF


def stuff_bits(bits: npt.ArrayLike) -> Bits:
    """Zero-bit insertion (ISO 3309 transparency): a 0 after every fifth contiguous 1.

    The count restarts after each inserted zero, so a run of ten ones becomes
    ``11111 0 11111 0``.  Vectorised: the position of every one within its run comes from a
    cumulative sum.
    """
    b = as_bits(bits)
    ones = np.cumsum(b, dtype=np.int64)
    ones_before_run = np.maximum.accumulate(np.where(b == 0, ones, 0))
    run_position = ones - ones_before_run  # 1, 2, 3 ... along each run of ones, 0 on zeros
    after = np.flatnonzero((b == 1) & (run_position % 5 == 0)) + 1
    return np.insert(b, after, np.uint8(0))


def _octet_bits(data: bytes) -> Bits:
    return np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")


class HdlcEncoder:
    """Builds HDLC bit streams for a modem running at ``bit_rate_bps``.

    ``shared_flags=True`` lets one flag close a frame and open the next (ISO 3309 allows it);
    otherwise each frame has its own opening and closing flag.
    """

    def __init__(self, *, bit_rate_bps: int = 300, shared_flags: bool = False) -> None:
        if isinstance(bit_rate_bps, bool) or not isinstance(bit_rate_bps, int) or bit_rate_bps <= 0:
            raise HdlcError(f"bit_rate_bps must be a positive integer, got {bit_rate_bps!r}")
        self.bit_rate_bps = bit_rate_bps
        self.shared_flags = bool(shared_flags)

    def flags(self, count: int) -> Bits:
        """``count`` back-to-back flags."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise HdlcError(f"flag count must be a non-negative integer, got {count!r}")
        return np.tile(FLAG_BITS, count)

    def preamble_flags(self, duration_ms: float = T30_PREAMBLE_MS) -> int:
        """How many flags last at least ``duration_ms`` at the encoder's bit rate (38 for the
        T.30 1 s preamble at 300 bit/s: 1013 ms)."""
        if not math.isfinite(duration_ms) or duration_ms < 0:
            raise HdlcError(f"duration_ms must be a finite non-negative number, got {duration_ms!r}")
        return math.ceil(duration_ms * self.bit_rate_bps / 8000.0 - 1e-9)

    def preamble(self, duration_ms: float = T30_PREAMBLE_MS) -> Bits:
        """Flags lasting at least ``duration_ms`` (see :meth:`preamble_flags`)."""
        return self.flags(self.preamble_flags(duration_ms))

    def frame(self, payload: bytes) -> Bits:
        """One frame without its flags: ``payload`` and its FCS, LSB first, zero-bit stuffed.

        ``payload`` (address, control and information fields) must hold at least 2 octets, so
        that the frame is the ISO 3309 minimum of 32 bits between flags.
        """
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise HdlcError(f"an HDLC payload must be bytes, got {type(payload).__name__}")
        data = bytes(payload)
        if len(data) < 2:
            raise HdlcError(f"an HDLC payload needs at least 2 octets (address and control), got {data!r}")
        fcs = fcs16(data)
        return stuff_bits(_octet_bits(data + bytes([fcs & 0xFF, fcs >> 8])))

    def encode(
        self,
        payloads: Iterable[bytes],
        *,
        preamble_ms: float = T30_PREAMBLE_MS,
        closing_flags: int = 1,
    ) -> Bits:
        """A whole transmission: flags for ``preamble_ms`` (the first frame's opening flag
        among them), the frames separated by one flag (``shared_flags``) or two, then
        ``closing_flags`` flags after the last frame (at least one)."""
        if isinstance(closing_flags, bool) or not isinstance(closing_flags, int) or closing_flags < 1:
            raise HdlcError(f"closing_flags must be an integer >= 1, got {closing_flags!r}")
        frames = [self.frame(p) for p in payloads]
        between = self.flags(1 if self.shared_flags else 2)
        parts: list[Bits] = [self.flags(max(1, self.preamble_flags(preamble_ms)))]
        for i, f in enumerate(frames):
            parts.append(f)
            parts.append(between if i + 1 < len(frames) else self.flags(closing_flags))
        return np.concatenate(parts)


class FrameStatus(enum.Enum):
    """What the decoder made of the bits between two flags."""

    OK = "ok"  #: octet aligned, of allowed length, FCS correct
    BAD_FCS = "bad_fcs"  #: the FCS does not match
    NOT_OCTET_ALIGNED = "not_octet_aligned"  #: the bit count is not a multiple of 8
    TOO_SHORT = "too_short"  #: fewer octets (FCS included) than ``min_octets``
    TOO_LONG = "too_long"  #: more octets (FCS included) than ``max_octets``


@dataclass(frozen=True, slots=True)
class HdlcFrame:
    """A frame between two flags.

    ``payload`` excludes the FCS (for a bad frame it is whatever whole octets arrived, less the
    last two, for diagnostics); ``fcs_ok`` is true only for :attr:`FrameStatus.OK`; ``end_bit`` is
    the number of bits received when the frame was complete (its closing flag, or for
    ``TOO_LONG`` the first bit beyond ``max_octets``).
    """

    payload: bytes
    fcs_ok: bool
    status: FrameStatus
    end_bit: int


@dataclass(frozen=True, slots=True)
class FlagsDetected:
    """``min_flags`` consecutive flags arrived while the decoder was not synchronised: a
    transmission is under way (``bit``: bits received when the last of them completed)."""

    bit: int


@dataclass(frozen=True, slots=True)
class Aborted:
    """Seven contiguous ones ended a frame of a synchronised stream (``bit``: bits received
    when the seventh one arrived)."""

    bit: int


HdlcEvent = FlagsDetected | Aborted


@dataclass(frozen=True, slots=True)
class HdlcResult:
    """What one :meth:`HdlcDecoder.process` call found, each in bit order."""

    frames: tuple[HdlcFrame, ...] = ()
    events: tuple[HdlcEvent, ...] = ()


class _State(enum.Enum):
    HUNT = "hunt"  # no flag since the start, an abort or an over-long frame
    FLAGS = "flags"  # after a flag, no data yet
    FRAME = "frame"  # collecting the bits of a frame


class _Token(enum.Enum):
    FLAG = "flag"
    DATA = "data"
    ABORT = "abort"
    OVERFLOW = "overflow"


_Action = Callable[["HdlcDecoder", "_Input"], None]


@dataclass(frozen=True, slots=True)
class _Input:
    token: _Token
    bit: int  # bits received when the token became known
    data: Bits | None = None


def _ignore(dec: HdlcDecoder, inp: _Input) -> None:
    """Bits outside a frame carry nothing."""


def _first_flag(dec: HdlcDecoder, inp: _Input) -> None:
    dec._flag_count = 0
    _count_flag(dec, inp)


def _count_flag(dec: HdlcDecoder, inp: _Input) -> None:
    dec._flag_count += 1
    if dec._flag_count == dec.min_flags and not dec._synced:
        dec._synced = True
        dec._events.append(FlagsDetected(inp.bit))


def _start_frame(dec: HdlcDecoder, inp: _Input) -> None:
    dec._segment = []
    dec._segment_bits = 0
    _append(dec, inp)


def _append(dec: HdlcDecoder, inp: _Input) -> None:
    assert inp.data is not None
    dec._segment.append(inp.data)
    dec._segment_bits += inp.data.size


def _end_frame(dec: HdlcDecoder, inp: _Input) -> None:
    frame = dec._judge(np.concatenate(dec._segment), inp.bit)
    dec._segment = []
    if frame.fcs_ok or dec._synced:
        dec._frames.append(frame)
    dec._synced = dec._synced or frame.fcs_ok
    dec._flag_count = 1


def _lose_sync(dec: HdlcDecoder, inp: _Input) -> None:
    dec._synced = False
    dec._segment = []


def _abort_frame(dec: HdlcDecoder, inp: _Input) -> None:
    if dec._synced:
        dec._events.append(Aborted(inp.bit))
    _lose_sync(dec, inp)


def _overflow(dec: HdlcDecoder, inp: _Input) -> None:
    if dec._synced:
        octets = np.packbits(np.concatenate(dec._segment)[: dec.max_octets * 8], bitorder="little")
        dec._frames.append(HdlcFrame(octets[:-2].tobytes(), False, FrameStatus.TOO_LONG, inp.bit))
    _lose_sync(dec, inp)


#: The decoder's state machine: (state, input) -> (action, next state).
_TRANSITIONS: dict[tuple[_State, _Token], tuple[_Action, _State]] = {
    (_State.HUNT, _Token.FLAG): (_first_flag, _State.FLAGS),
    (_State.HUNT, _Token.DATA): (_ignore, _State.HUNT),
    (_State.HUNT, _Token.ABORT): (_ignore, _State.HUNT),
    (_State.FLAGS, _Token.FLAG): (_count_flag, _State.FLAGS),
    (_State.FLAGS, _Token.DATA): (_start_frame, _State.FRAME),
    (_State.FLAGS, _Token.ABORT): (_lose_sync, _State.HUNT),  # idle ones between frames
    (_State.FRAME, _Token.DATA): (_append, _State.FRAME),
    (_State.FRAME, _Token.FLAG): (_end_frame, _State.FLAGS),
    (_State.FRAME, _Token.ABORT): (_abort_frame, _State.HUNT),
    (_State.FRAME, _Token.OVERFLOW): (_overflow, _State.HUNT),
}

#: What a scan of a chunk finds (see :meth:`HdlcDecoder._scan`).
_Scan = tuple[npt.NDArray[np.bool_], list[tuple[int, int, _Token]], int, int, int]

_NO_PREVIOUS_ZERO = 7  # the run before the very first zero: as if after an idle line


class HdlcDecoder:
    """Streaming HDLC receiver: bits in, in any chunks; frames and events out.

    Synchronisation: the decoder is *synchronised* once it has seen ``min_flags`` consecutive
    flags (reported as :class:`FlagsDetected`) or a frame with a good FCS, and stays so until an
    abort, idle ones or an over-long frame.  While synchronised every frame is reported, bad ones
    with ``fcs_ok=False`` and a :class:`FrameStatus`; before that only frames with a good FCS
    are (the bits between flags imitated by line noise are not frames).  A frame must hold
    ``min_octets`` to ``max_octets`` octets, its FCS included (ISO 3309: at least 32 bits).
    """

    def __init__(self, *, min_flags: int = 2, min_octets: int = 4, max_octets: int = 2048) -> None:
        limits = (("min_flags", min_flags, 1), ("min_octets", min_octets, 3), ("max_octets", max_octets, 3))
        for name, value, low in limits:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise HdlcError(f"{name} must be an integer >= {low}, got {value!r}")
        if max_octets < min_octets:
            raise HdlcError(f"max_octets ({max_octets!r}) must not be below min_octets ({min_octets!r})")
        self.min_flags = min_flags
        self.min_octets = min_octets
        self.max_octets = max_octets
        self._c = dspcore.enabled()
        self.reset()

    def reset(self) -> None:
        """Forget everything: hunting for a flag, bit count back to zero."""
        self._state = _State.HUNT
        self._synced = False
        self._flag_count = 0
        self._segment: list[Bits] = []
        self._segment_bits = 0
        self._bits_seen = 0
        # Bits from the last zero on, whose role waits for the zero after them, and the length
        # of the run of ones before that zero.
        self._tail: Bits = np.zeros(0, dtype=np.uint8)
        self._tail_prev_run = _NO_PREVIOUS_ZERO
        self._frames: list[HdlcFrame] = []
        self._events: list[HdlcEvent] = []

    @property
    def bits_seen(self) -> int:
        """Bits received since the start or the last :meth:`reset`."""
        return self._bits_seen

    @property
    def synchronised(self) -> bool:
        """True while the decoder is synchronised (see the class docstring)."""
        return self._synced

    def process(self, bits: npt.ArrayLike) -> HdlcResult:
        """Take the next received bits; return the frames and events they completed."""
        try:
            new = as_bits(bits)
        except ValueError as exc:
            raise HdlcError(f"HDLC input: {exc}") from None
        if new.size == 0:
            return HdlcResult()
        work = np.concatenate([self._tail, new])
        base = self._bits_seen - self._tail.size  # stream index of work[0]
        self._bits_seen += new.size
        first_prev = self._tail_prev_run if self._tail.size else _NO_PREVIOUS_ZERO
        scan = self._scan_c(work, first_prev) if self._c else self._scan(work, first_prev)
        if scan is None:  # only ones with no zero before them: the continuation of idle
            return HdlcResult()
        keep, tokens, first, last, last_prev = scan
        trailing = work.size - 1 - last
        if trailing >= 7:
            tokens.append((last, work.size, _Token.ABORT))
            self._tail = np.zeros(0, dtype=np.uint8)
        else:
            self._tail = work[last:]
            self._tail_prev_run = last_prev
        cursor = first
        for start, end, token in tokens:
            self._data(work, keep, cursor, start, base)
            stamp = base + (end + 1 if token is _Token.FLAG else start + 8)
            self._step(_Input(token, stamp))
            cursor = end
        self._data(work, keep, cursor, last, base)
        result = HdlcResult(tuple(self._frames), tuple(self._events))
        self._frames, self._events = [], []
        return result

    @staticmethod
    def _scan(work: Bits, first_prev: int) -> _Scan | None:
        """The data mask, the flag and abort tokens ``(start, end, token)`` in order, the first
        and last zero and the run of ones before the last zero; ``None`` without a zero.
        ``first_prev`` is the run of ones before the first zero."""
        zeros = np.flatnonzero(work == 0)
        if zeros.size == 0:
            return None
        runs = np.diff(zeros) - 1  # ones between consecutive zeros
        prev_run = np.concatenate([[first_prev], runs])
        # Every one is data unless it lies in a flag or an abort (those are cut out by the
        # caller); a zero is data unless it follows five ones (inserted), six (a flag's) or more.
        keep = np.ones(work.size, dtype=bool)
        keep[zeros[prev_run >= 5]] = False
        tokens = [(int(zeros[j]), int(zeros[j + 1]), _Token.FLAG) for j in np.flatnonzero(runs == 6)]
        tokens += [(int(zeros[j]), int(zeros[j + 1]), _Token.ABORT) for j in np.flatnonzero(runs >= 7)]
        tokens.sort(key=lambda t: t[0])  # runs do not overlap, so starts differ
        return keep, tokens, int(zeros[0]), int(zeros[-1]), int(prev_run[-1])

    @staticmethod
    def _scan_c(work: Bits, first_prev: int) -> _Scan | None:
        """:meth:`_scan` by the C kernel."""
        found = dspcore.hdlc_scan(work, first_prev)
        if found is None:
            return None
        keep, rows, first, last, last_prev = found
        kinds = (_Token.FLAG, _Token.ABORT)
        return keep, [(start, end, kinds[kind]) for start, end, kind in rows], first, last, last_prev

    def _step(self, inp: _Input) -> None:
        action, next_state = _TRANSITIONS[(self._state, inp.token)]
        action(self, inp)
        self._state = next_state

    def _data(self, work: Bits, keep: npt.NDArray[np.bool_], start: int, stop: int, base: int) -> None:
        """Feed the data bits of ``work[start:stop]`` (inserted zeros removed) as a DATA input,
        split by an OVERFLOW input where the frame grows beyond ``max_octets``."""
        if stop <= start:
            return
        mask = keep[start:stop]
        piece = work[start:stop][mask]
        if piece.size == 0:
            return
        room = self.max_octets * 8 - (self._segment_bits if self._state is _State.FRAME else 0)
        if self._state is _State.HUNT or piece.size <= room:
            self._step(_Input(_Token.DATA, base + stop, piece))
            return
        over_at = base + start + int(np.flatnonzero(mask)[room])  # the first bit beyond max_octets
        if room:
            self._step(_Input(_Token.DATA, over_at, piece[:room]))
        self._step(_Input(_Token.OVERFLOW, over_at + 1))

    def _judge(self, bits: Bits, end_bit: int) -> HdlcFrame:
        """The frame made of the destuffed ``bits`` between two flags."""
        octets = np.packbits(bits[: bits.size - bits.size % 8], bitorder="little").tobytes()
        payload = octets[:-2] if len(octets) >= 2 else octets
        if bits.size % 8:
            status = FrameStatus.NOT_OCTET_ALIGNED
        elif len(octets) < self.min_octets:
            status = FrameStatus.TOO_SHORT
        elif len(octets) > self.max_octets:
            status = FrameStatus.TOO_LONG
        elif crc16_update(octets) != FCS_GOOD_RESIDUE:
            status = FrameStatus.BAD_FCS
        else:
            status = FrameStatus.OK
        return HdlcFrame(payload, status is FrameStatus.OK, status, end_bit)
