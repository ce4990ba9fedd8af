"""Script operations for the simulated board's central office / caller (and agent phones).

A port's script is a list of these frozen dataclasses, handed to
:meth:`pycti.drivers.simboard.SimBoard.script`.  Each op knows how to fill its C
``sim_op`` struct (see ``drivers/sim/simboard.h``); the board copies ops and sample buffers
when the script is loaded.  Durations are whole milliseconds (8 samples each at 8 kHz),
levels dBm0 (G.711 convention: a 0 dBm0 sine has a peak of 22748).
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dsp.dtmf_gen import DTMF_DIGITS, digit_frequencies

from ._simboard import ffi, lib  # compiled by cffi; typed by _simboard.pyi

__all__ = [
    "CidMode",
    "Ring",
    "Tone",
    "Speech",
    "Silence",
    "Play",
    "WaitPrompt",
    "WaitNudge",
    "Mark",
    "Hangup",
    "OffHook",
    "OnHook",
    "ProgressTone",
    "Answer",
    "SimOp",
    "DTMF_FREQS_HZ",
    "NUMBER_DIGITS",
    "MAX_NUMBER_LEN",
    "check_number",
    "dtmf_ops",
    "ringback",
    "busy_tone",
    "reorder_tone",
    "sit_ops",
    "callee_answers",
    "callee_busy",
    "callee_no_answer",
    "callee_rejects",
    "callee_greeting",
    "callee_fax",
]

_INT32_MAX = 2**31 - 1
_NYQUIST_HZ = 4000.0
#: Highest level an op accepts; louder signals clip anyway.
_MAX_LEVEL_DBM0 = 20.0
#: Characters a telephone number may hold: the 16 DTMF digits.
NUMBER_DIGITS = "0123456789*#ABCD"
#: Longest number the board handles (its C buffers hold this many digits and a NUL).
MAX_NUMBER_LEN = lib.SIM_NUMBER_CAP - 1


def check_number(name: str, value: Any) -> str:
    """``value`` as a number string (upper-cased): 1 to MAX_NUMBER_LEN characters of
    0-9 * # A-D.  ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string of DTMF digits, got {value!r}")
    v = value.upper()
    if not v or len(v) > MAX_NUMBER_LEN or any(ch not in NUMBER_DIGITS for ch in v):
        raise ValueError(
            f"{name} must be 1 to {MAX_NUMBER_LEN} of the digits 0-9 * # A-D, got {value!r}")
    return v


class CidMode(enum.IntEnum):
    """Where a :class:`Ring` sends its caller ID audio."""

    NONE = lib.SIM_CID_NONE
    #: DTMF style: CID audio first, the first ring 250 ms after it ends.
    BEFORE_FIRST_RING = lib.SIM_CID_BEFORE_FIRST_RING
    #: FSK style (Telcordia GR-30): CID starts 500 ms after the first ring burst ends.
    AFTER_FIRST_RING = lib.SIM_CID_AFTER_FIRST_RING


def _count(name: str, value: Any, *, minimum: int = 0) -> int:
    """``value`` as an int in [minimum, 2**31-1]; ValueError otherwise."""
    try:
        v = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if not minimum <= v <= _INT32_MAX:
        raise ValueError(f"{name} must be in [{minimum}, {_INT32_MAX}], got {v}")
    return v


def _level(name: str, value: float) -> float:
    v = float(value)
    if not v <= _MAX_LEVEL_DBM0:  # also rejects NaN
        raise ValueError(f"{name} must be <= {_MAX_LEVEL_DBM0} dBm0, got {value!r}")
    return v


def _samples(name: str, value: Any) -> np.ndarray:
    """A private, read-only, C-contiguous 1-D int16 copy of ``value``."""
    a = np.asarray(value)
    if a.ndim != 1 or a.dtype != np.int16:
        raise ValueError(f"{name} must be a 1-D int16 array, got {a.dtype} with shape {a.shape}")
    if a.size > _INT32_MAX:
        raise ValueError(f"{name} is too long ({a.size} samples)")
    a = np.array(a, dtype=np.int16, order="C", copy=True)
    a.flags.writeable = False
    return a


def _buffer(a: np.ndarray, keep: list[object]) -> Any:
    """A ``const int16_t *`` onto ``a``, kept alive through ``keep`` until the C call returns."""
    if a.size == 0:
        return ffi.NULL
    buf = ffi.from_buffer("int16_t[]", a)
    keep.append(buf)
    return buf


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Ring:
    """Trunk only: the CO rings the board until it answers (goes off hook).

    Ring bursts last ``on_ms`` with ``off_ms`` between them (China: 1000/4000); the board
    gets RING_ON/RING_OFF events.  ``cid_samples`` (FSK or DTMF audio prepared by the caller)
    go toward the board as ``cid_mode`` says.  After ``max_ms`` unanswered (0 = never) the
    caller gives up: SCRIPT_DONE with arg GAVE_UP.

    ``called`` is the number the caller dialled (DNIS); it overrides the trunk's own number
    (:meth:`~pycti.drivers.simboard.SimBoard.set_trunk_number`).  The board reports it through
    :meth:`~pycti.drivers.simboard.SimBoard.called_number` from the op's start (at or before
    the first RING_ON) until the call ends.
    """

    on_ms: int = 1000
    off_ms: int = 4000
    max_ms: int = 0
    cid_samples: np.ndarray | None = None
    cid_mode: CidMode = CidMode.NONE
    called: str | None = None

    def __post_init__(self) -> None:
        if self.called is not None:
            object.__setattr__(self, "called", check_number("called", self.called))
        _count("on_ms", self.on_ms, minimum=1)
        _count("off_ms", self.off_ms)
        _count("max_ms", self.max_ms)
        object.__setattr__(self, "cid_mode", CidMode(self.cid_mode))
        if self.cid_samples is not None:
            object.__setattr__(self, "cid_samples", _samples("cid_samples", self.cid_samples))
            if self.cid_mode is CidMode.NONE:
                raise ValueError("cid_samples given but cid_mode is NONE")

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_RING
        r = cop.u.ring
        r.on_ms, r.off_ms, r.max_ms = self.on_ms, self.off_ms, self.max_ms
        cid = self.cid_samples if self.cid_samples is not None else np.zeros(0, np.int16)
        r.cid_samples = _buffer(cid, keep)
        r.cid_len = cid.size
        r.cid_mode = int(self.cid_mode)
        r.called = (self.called or "").encode("ascii")



def _check_cadenced_tone(f1_hz: float, f2_hz: float, level_dbm0: float, on_ms: int, off_ms: int) -> None:
    """The checks Tone and ProgressTone share: frequencies, level, cadence."""
    if not 0.0 < float(f1_hz) < _NYQUIST_HZ:
        raise ValueError(f"f1_hz must be in (0, {_NYQUIST_HZ}), got {f1_hz!r}")
    if not 0.0 <= float(f2_hz) < _NYQUIST_HZ:
        raise ValueError(f"f2_hz must be 0 or in (0, {_NYQUIST_HZ}), got {f2_hz!r}")
    _level("level_dbm0", level_dbm0)
    _count("on_ms", on_ms, minimum=1)
    _count("off_ms", off_ms)

@dataclass(frozen=True, slots=True, kw_only=True)
class Tone:
    """A single (``f2_hz`` = 0) or dual tone, each at ``level_dbm0``, cadenced ``on_ms`` /
    ``off_ms`` (``off_ms`` = 0: steady) for ``total_ms``.  One DTMF digit is a Tone of
    on 80 / off 80 / total 160 (see :func:`dtmf_ops`)."""

    f1_hz: float
    f2_hz: float = 0.0
    level_dbm0: float = -10.0
    on_ms: int
    off_ms: int = 0
    total_ms: int

    def __post_init__(self) -> None:
        _check_cadenced_tone(self.f1_hz, self.f2_hz, self.level_dbm0, self.on_ms, self.off_ms)
        _count("total_ms", self.total_ms)

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_TONE
        t = cop.u.tone
        t.f1_hz, t.f2_hz, t.level_dbm0 = self.f1_hz, self.f2_hz, self.level_dbm0
        t.on_ms, t.off_ms, t.total_ms = self.on_ms, self.off_ms, self.total_ms


@dataclass(frozen=True, slots=True, kw_only=True)
class Speech:
    """``ms`` of a speech-like signal: pitch pulses and noise through formant resonators,
    in syllables at about 4 Hz with pauses; ``level_dbm0`` is the RMS over syllables."""

    ms: int
    level_dbm0: float = -20.0

    def __post_init__(self) -> None:
        _count("ms", self.ms)
        _level("level_dbm0", self.level_dbm0)

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_SPEECH
        cop.u.speech.ms = self.ms
        cop.u.speech.level_dbm0 = self.level_dbm0


@dataclass(frozen=True, slots=True, kw_only=True)
class Silence:
    """``ms`` of digital silence."""

    ms: int

    def __post_init__(self) -> None:
        _count("ms", self.ms)

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_SILENCE
        cop.u.silence.ms = self.ms


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Play:
    """Send prepared 8 kHz int16 ``samples`` (copied when the op is made)."""

    samples: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "samples", _samples("samples", self.samples))

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_PLAY
        cop.u.play.samples = _buffer(self.samples, keep)
        cop.u.play.n = self.samples.size


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitPrompt:
    """Listen to the board: done once audio above -40 dBm0 (10 ms frames) was heard and
    ``quiet_ms`` of quiet followed, or after ``max_ms`` (0 = never).  Sends silence."""

    quiet_ms: int = 500
    max_ms: int = 0

    def __post_init__(self) -> None:
        _count("quiet_ms", self.quiet_ms)
        _count("max_ms", self.max_ms)

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_WAIT_PROMPT
        cop.u.wait_prompt.quiet_ms = self.quiet_ms
        cop.u.wait_prompt.max_ms = self.max_ms


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitNudge:
    """Send silence until the host calls ``nudge(port)`` (then go on with the next op), or
    after ``max_ms`` (0 = never) jump to op index ``timeout_goto`` (the script length ends
    the script).  A nudge that comes before the op is reached is kept for it."""

    max_ms: int = 0
    timeout_goto: int = 0

    def __post_init__(self) -> None:
        _count("max_ms", self.max_ms)
        _count("timeout_goto", self.timeout_goto)

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_WAIT_NUDGE
        cop.u.wait_nudge.max_ms = self.max_ms
        cop.u.wait_nudge.timeout_goto = self.timeout_goto


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    """Emit a MARK event whose arg is ``mark_id``; takes no time."""

    mark_id: int

    def __post_init__(self) -> None:
        _count("mark_id", self.mark_id, minimum=-_INT32_MAX)

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_MARK
        cop.u.mark.id = self.mark_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup:
    """Trunk only: the caller hangs up.  The CO sends busy tone (450 Hz, 350/350 ms,
    -13 dBm0) until the board goes on hook if ``busy_tone``, and drops loop current if
    ``loop_drop`` (a LOOP_DROP event, only where the port reports it).  The script ends
    (SCRIPT_DONE, COMPLETED) when the board goes on hook."""

    busy_tone: bool = True
    loop_drop: bool = True

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_HANGUP
        cop.u.hangup.busy_tone = bool(self.busy_tone)
        cop.u.hangup.loop_drop = bool(self.loop_drop)


@dataclass(frozen=True, slots=True, kw_only=True)
class OffHook:
    """Station only: the agent lifts the handset (OFFHOOK event; stops ringing)."""

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_OFFHOOK


@dataclass(frozen=True, slots=True, kw_only=True)
class OnHook:
    """Station only: the agent replaces the handset (ONHOOK event)."""

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_ONHOOK


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressTone:
    """Trunk only: a cadenced call-progress tone (``f2_hz`` = 0 for a single tone, each at
    ``level_dbm0``), ``on_ms`` / ``off_ms`` (``off_ms`` = 0: steady), for ``cycles`` cadence
    cycles, or with ``cycles`` = 0 until the board goes on hook.  See :func:`ringback`,
    :func:`busy_tone` and :func:`reorder_tone` for the CO's own tones."""

    f1_hz: float
    f2_hz: float = 0.0
    level_dbm0: float = -10.0
    on_ms: int
    off_ms: int = 0
    cycles: int = 0

    def __post_init__(self) -> None:
        _check_cadenced_tone(self.f1_hz, self.f2_hz, self.level_dbm0, self.on_ms, self.off_ms)
        _count("cycles", self.cycles)
        if self.on_ms + self.off_ms > _INT32_MAX:
            raise ValueError(f"on_ms + off_ms must be <= {_INT32_MAX}")

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_PROGRESS
        g = cop.u.progress
        g.f1_hz, g.f2_hz, g.level_dbm0 = self.f1_hz, self.f2_hz, self.level_dbm0
        g.on_ms, g.off_ms, g.cycles = self.on_ms, self.off_ms, self.cycles


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """Trunk only, for outbound scripts: the called party answers.  The board gets an
    ANSWER event: on a real analog trunk that is the CO's battery (polarity) reversal, the
    only answer signal a loop-start line gives.  Put it after the ringback, so the ringback
    has stopped and audio-based answer detection works too.  Takes no time."""

    def _encode(self, cop: Any, keep: list[object]) -> None:
        cop.type = lib.SIM_OP_ANSWER


SimOp = (Ring | Tone | Speech | Silence | Play | WaitPrompt | WaitNudge | Mark | Hangup | OffHook
         | OnHook | ProgressTone | Answer)
OP_TYPES = (Ring, Tone, Speech, Silence, Play, WaitPrompt, WaitNudge, Mark, Hangup, OffHook, OnHook,
            ProgressTone, Answer)
TRUNK_ONLY_OPS = (Ring, Hangup, ProgressTone, Answer)
STATION_ONLY_OPS = (OffHook, OnHook)

#: DTMF frequencies (low group, high group) in Hz, ITU-T Q.23, from pycti.dsp's table.
DTMF_FREQS_HZ: dict[str, tuple[float, float]] = {d: digit_frequencies(d) for d in DTMF_DIGITS}


def dtmf_ops(
    digits: str, *, level_dbm0: float = -7.0, on_ms: int = 80, off_ms: int = 80
) -> list[Tone]:
    """One :class:`Tone` per digit of ``digits`` (0-9, *, #, A-D): tone ``on_ms`` then
    ``off_ms`` of silence, each frequency at ``level_dbm0``.  ValueError on other characters."""
    ops = []
    for ch in digits.upper():
        if ch not in DTMF_FREQS_HZ:
            raise ValueError(f"not a DTMF digit: {ch!r} in {digits!r}")
        low, high = DTMF_FREQS_HZ[ch]
        ops.append(
            Tone(f1_hz=low, f2_hz=high, level_dbm0=level_dbm0, on_ms=on_ms, off_ms=off_ms,
                 total_ms=on_ms + off_ms)
        )
    return ops


# ---- call-progress tones and outbound scripts --------------------------------------------
# The simulated CO's tones follow YD/T 1124 (China): 450 Hz at -10 dBm0; ringback 1 s on, 4 s
# off; congestion ("reorder") 700/700 ms; busy 350/350 ms at -13 dBm0 like Hangup's.

_CO_HZ = 450.0


def ringback(rings: int = 0) -> ProgressTone:
    """Ringback tone (450 Hz, 1 s on / 4 s off) for ``rings`` cadence cycles; 0 = until the
    board goes on hook (no answer)."""
    return ProgressTone(f1_hz=_CO_HZ, on_ms=1000, off_ms=4000, cycles=_count("rings", rings))


def busy_tone(cycles: int = 0) -> ProgressTone:
    """Busy tone (450 Hz, 350/350 ms, -13 dBm0) for ``cycles``; 0 = until on hook."""
    return ProgressTone(f1_hz=_CO_HZ, level_dbm0=-13.0, on_ms=350, off_ms=350,
                        cycles=_count("cycles", cycles))


def reorder_tone(cycles: int = 0) -> ProgressTone:
    """Reorder / congestion tone (450 Hz, 700/700 ms) for ``cycles``; 0 = until on hook."""
    return ProgressTone(f1_hz=_CO_HZ, on_ms=700, off_ms=700, cycles=_count("cycles", cycles))


def sit_ops(*, level_dbm0: float = -20.0) -> list[SimOp]:
    """One special information tone (ITU-T Q.35): 950, 1400, 1800 Hz of 330 ms each, then
    1 s of silence."""
    return [*(Tone(f1_hz=f, level_dbm0=level_dbm0, on_ms=330, total_ms=330)
              for f in (950.0, 1400.0, 1800.0)), Silence(ms=1000)]


def callee_answers(rings: int, then: Sequence[SimOp] = ()) -> list[SimOp]:
    """Outbound script: ringback for ``rings`` (>= 1) cadence cycles, answer (ANSWER event,
    ringback stops), then ``then`` (e.g. Speech, Play, Hangup)."""
    if _count("rings", rings) < 1:
        raise ValueError(f"rings must be >= 1 to answer, got {rings}")
    return [ringback(rings), Answer(), *then]


def callee_busy() -> list[SimOp]:
    """Outbound script: the called line is busy: busy tone until the board goes on hook."""
    return [busy_tone()]


def callee_no_answer() -> list[SimOp]:
    """Outbound script: ringback until the board gives up and goes on hook."""
    return [ringback(0)]


def callee_rejects(*, sit: bool = False, reorder_cycles: int = 3) -> list[SimOp]:
    """Outbound script: the network rejects the call: a SIT (if ``sit``), reorder tone for
    ``reorder_cycles`` (>= 1), then the CO drops the loop (LOOP_DROP where the port reports
    it) and stays silent until on hook."""
    if _count("reorder_cycles", reorder_cycles) < 1:
        raise ValueError(f"reorder_cycles must be >= 1, got {reorder_cycles}")
    return [*(sit_ops() if sit else []), reorder_tone(reorder_cycles),
            Hangup(busy_tone=False, loop_drop=True)]


def callee_greeting(greeting: np.ndarray | Sequence[SimOp], *, rings: int = 2,
                    hangup: bool = True) -> list[SimOp]:
    """Outbound script: answer after ``rings``, play ``greeting`` (8 kHz int16 samples, or
    ops such as Speech), then hang up (busy tone and loop drop) if ``hangup``."""
    body: list[SimOp] = [Play(samples=greeting)] if isinstance(greeting, np.ndarray) else [*greeting]
    return callee_answers(rings, [*body, *([Hangup()] if hangup else [])])


def callee_fax(*, rings: int = 1, calling: bool = False, ms: int = 3300) -> list[SimOp]:
    """Outbound script: a fax machine answers after ``rings``: CED (2100 Hz, T.30) for
    ``ms``; or, with ``calling``, CNG (1100 Hz, 0.5 s on / 3 s off) for about ``ms``.  Then
    silence until on hook."""
    ms = _count("ms", ms, minimum=1)
    if calling:
        tone: SimOp = ProgressTone(f1_hz=1100.0, level_dbm0=-13.0, on_ms=500, off_ms=3000,
                                   cycles=max(1, -(-ms // 3500)))
    else:
        tone = Tone(f1_hz=2100.0, level_dbm0=-13.0, on_ms=ms, total_ms=ms)
    return callee_answers(rings, [tone, WaitNudge()])
