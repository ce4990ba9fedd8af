"""Low-level binding of the simulated analog voice board (C, cffi API mode).

:class:`SimBoard` owns one C board: ``n_trunks`` analog trunks (ports ``0 .. n_trunks-1``)
facing a simulated central office whose callers follow per-port scripts
(:mod:`pycti.drivers.sim_ops`), then ``n_stations`` station ports for agent phones.  Audio is
8 kHz int16; :meth:`SimBoard.exchange` moves one block for all ports in one C call and is the
only thing that advances the board's clock (counted in samples; deterministic for a seed).

Outgoing calls: a trunk seized with no script gets dial tone, the CO detects the DTMF digits
sent on it in-band (DIGIT events, :meth:`SimBoard.dialled_number`), and the script routed to
the number (:meth:`SimBoard.route_outbound`, the ``callee_*`` helpers of
:mod:`~pycti.drivers.sim_ops`) plays the far end: ringback, ANSWER (battery reversal), busy,
reorder, SIT, a greeting, fax tones.  Incoming calls carry a called number (DNIS) from the
trunk group (:meth:`SimBoard.set_trunk_number`) or the Ring op (``called=``), readable with
:meth:`SimBoard.called_number`.

Nothing here grows without bound: events wait in the C board's fixed ring buffer
(:attr:`SimBoard.event_capacity`; the excess is dropped and counted in
:attr:`SimBoard.event_overflow`), and the route table holds at most ``SIM_MAX_ROUTES``.

Every C return code goes through :func:`_check`, which raises a :class:`SimBoardError`
subclass naming the call, the port and the code.  Bad arguments raise ``ValueError`` before
reaching C.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from ..errors import DriverError
from ._simboard import ffi, lib  # compiled by cffi; typed by _simboard.pyi
from . import sim_ops as _ops
from .sim_ops import (
    DTMF_FREQS_HZ,
    MAX_NUMBER_LEN,
    NUMBER_DIGITS,
    Answer,
    ProgressTone,
    busy_tone,
    callee_answers,
    callee_busy,
    callee_fax,
    callee_greeting,
    callee_no_answer,
    callee_rejects,
    check_number,
    reorder_tone,
    ringback,
    sit_ops,
    OP_TYPES,
    STATION_ONLY_OPS,
    TRUNK_ONLY_OPS,
    CidMode,
    Hangup,
    Mark,
    OffHook,
    OnHook,
    Play,
    Ring,
    Silence,
    SimOp,
    Speech,
    Tone,
    WaitNudge,
    WaitPrompt,
    dtmf_ops,
)

__all__ = [
    "SimBoard",
    "SimEvent",
    "SimEventType",
    "ScriptDone",
    "DialResult",
    "DialState",
    "SimPortState",
    "SimBoardError",
    "PortFailedError",
    "PortStateError",
    "SimArgumentError",
    "SimMemoryError",
    *_ops.__all__,  # the script ops, re-exported
]

_POLL_CHUNK = 1024


class SimEventType(enum.IntEnum):
    """Kinds of board event (``sim_event.type``)."""

    RING_ON = lib.SIM_EV_RING_ON  #: the CO starts a ring burst on a trunk
    RING_OFF = lib.SIM_EV_RING_OFF  #: a ring burst ends (also on answer: ring trip)
    LOOP_DROP = lib.SIM_EV_LOOP_DROP  #: the caller hung up and the line reports loop drop
    SCRIPT_DONE = lib.SIM_EV_SCRIPT_DONE  #: the port's script ended; arg is a ScriptDone
    MARK = lib.SIM_EV_MARK  #: a Mark op ran; arg is its mark_id
    OFFHOOK = lib.SIM_EV_OFFHOOK  #: a station phone went off hook
    ONHOOK = lib.SIM_EV_ONHOOK  #: a station phone went on hook
    PORT_FAILED = lib.SIM_EV_PORT_FAILED  #: the port failed (fault injection)
    #: the CO heard a DTMF digit the board sent on a seized trunk; arg is its ASCII code
    #: (see :attr:`SimEvent.digit`)
    DIGIT = lib.SIM_EV_DIGIT
    #: the CO ended digit collection on a seized trunk; arg is a :class:`DialResult`, the
    #: digits are :meth:`SimBoard.dialled_number`
    NUMBER_COMPLETE = lib.SIM_EV_NUMBER_COMPLETE
    #: the far end answered an outgoing call (an :class:`Answer` op ran).  On a real analog
    #: trunk this is the CO's battery (polarity) reversal; the ringback stops with it.
    ANSWER = lib.SIM_EV_ANSWER
    POLARITY_REVERSAL = lib.SIM_EV_ANSWER  #: alias of ANSWER, named after the line signal


class ScriptDone(enum.IntEnum):
    """Why a script ended (arg of a SCRIPT_DONE event)."""

    COMPLETED = lib.SIM_DONE_COMPLETED  #: ran out of ops, or board on hook after Hangup
    GAVE_UP = lib.SIM_DONE_GAVE_UP  #: Ring reached max_ms unanswered
    RELEASED_BY_BOARD = lib.SIM_DONE_RELEASED_BY_BOARD  #: board on hook before Hangup


class DialResult(enum.IntEnum):
    """What the CO did with a collected number (arg of a NUMBER_COMPLETE event)."""

    ROUTED = lib.SIM_DIAL_ROUTED  #: a route for exactly this number runs its script
    DEFAULT = lib.SIM_DIAL_DEFAULT  #: no such route: the default route's script runs
    UNROUTED = lib.SIM_DIAL_UNROUTED  #: no route, no default: reorder tone until on hook
    NO_DIGITS = lib.SIM_DIAL_NO_DIGITS  #: nothing dialled before the first-digit timeout


class DialState(enum.IntEnum):
    """The CO side of an outgoing call on a trunk (:attr:`SimPortState.dial_state`)."""

    IDLE = lib.SIM_DIALSTATE_IDLE  #: no outgoing call is being set up
    DIAL_TONE = lib.SIM_DIALSTATE_DIAL_TONE  #: seized; dial tone until the first digit
    COLLECTING = lib.SIM_DIALSTATE_COLLECTING  #: collecting digits (dial tone stopped)
    REORDER = lib.SIM_DIALSTATE_REORDER  #: unrouted or nothing dialled: reorder tone
    ROUTED = lib.SIM_DIALSTATE_ROUTED  #: the route's script runs (or ran) for this call


@dataclass(frozen=True, slots=True, kw_only=True)
class SimEvent:
    """One board event.  ``sample`` is board time in samples (8 kHz) since the board was
    made; ``arg`` is a :class:`ScriptDone` for SCRIPT_DONE, the mark id for MARK, a
    :class:`DialResult` for NUMBER_COMPLETE, the digit's ASCII code for DIGIT, else 0."""

    type: SimEventType
    port: int
    arg: int
    sample: int

    @property
    def digit(self) -> str | None:
        """The digit of a DIGIT event ('0'-'9', '*', '#', 'A'-'D'), else None."""
        return chr(self.arg) if self.type is SimEventType.DIGIT else None


@dataclass(frozen=True, slots=True, kw_only=True)
class SimPortState:
    """A snapshot of one port (see :meth:`SimBoard.state`)."""

    is_station: bool
    offhook: bool  #: trunk: the board holds the line; station: the phone is off hook
    ringing: bool  #: trunk: the CO's ring cycle is on; station: the board rings the phone
    ring_burst: bool  #: inside a ring burst now
    script_running: bool
    script_index: int  #: index of the op now running
    script_len: int
    failed: bool
    report_loop_drop: bool
    nudge_pending: bool
    dial_state: DialState = DialState.IDLE  #: trunk: the CO side of an outgoing call
    answered: bool = False  #: trunk: the far end answered (an Answer op ran) since seizure


class SimBoardError(DriverError):
    """A simulated-board call failed; ``call``, ``port`` and ``code`` (SIM_E*) say which."""

    def __init__(self, code: int, call: str, port: int | None = None) -> None:
        self.code = code
        self.call = call
        self.port = port
        where = f"port {port}" if port is not None else "board"
        super().__init__(f"{call} on {where} failed: {_CODE_NAMES.get(code, 'unknown')} ({code})")


class PortFailedError(SimBoardError):
    """The port has failed (SIM_EFAIL); other ports are unaffected."""


class PortStateError(SimBoardError):
    """The call is not valid in the port's current state (SIM_ESTATE)."""


class SimArgumentError(SimBoardError, ValueError):
    """The C side rejected an argument (SIM_EINVAL)."""


class SimMemoryError(SimBoardError, MemoryError):
    """The board ran out of memory (SIM_ENOMEM)."""


_CODE_NAMES = {
    lib.SIM_EINVAL: "SIM_EINVAL",
    lib.SIM_ESTATE: "SIM_ESTATE",
    lib.SIM_ENOMEM: "SIM_ENOMEM",
    lib.SIM_EFAIL: "SIM_EFAIL",
}
_ERRORS: dict[int, type[SimBoardError]] = {
    lib.SIM_EINVAL: SimArgumentError,
    lib.SIM_ESTATE: PortStateError,
    lib.SIM_ENOMEM: SimMemoryError,
    lib.SIM_EFAIL: PortFailedError,
}


def _check(rc: int, call: str, port: int | None = None) -> int:
    """Return ``rc`` if it is not an error code, else raise the matching SimBoardError."""
    if rc >= 0:
        return rc
    raise _ERRORS.get(rc, SimBoardError)(rc, call, port)


class SimBoard:
    """A simulated board of ``n_trunks`` CO lines and ``n_stations`` agent phones.

    Use as a context manager, or call :meth:`close`, to free the C board.  ``seed`` makes
    the generated audio (speech) repeat exactly.
    """

    COMPLETED = ScriptDone.COMPLETED
    GAVE_UP = ScriptDone.GAVE_UP
    RELEASED_BY_BOARD = ScriptDone.RELEASED_BY_BOARD

    def __init__(self, n_trunks: int, n_stations: int, *, seed: int = 0) -> None:
        n_trunks = operator.index(n_trunks)
        n_stations = operator.index(n_stations)
        seed = operator.index(seed)
        if n_trunks < 0 or n_stations < 0 or n_trunks + n_stations < 1:
            raise ValueError(f"need at least one port, got {n_trunks} trunks, {n_stations} stations")
        if n_trunks + n_stations > 1_000_000:
            raise ValueError(f"at most 1,000,000 ports, got {n_trunks + n_stations}")
        if not 0 <= seed < 2**64:
            raise ValueError(f"seed must be in [0, 2**64), got {seed}")
        board = lib.sim_board_new(n_trunks, n_stations, seed)
        if board == ffi.NULL:
            raise SimMemoryError(lib.SIM_ENOMEM, "sim_board_new")
        self._board: Any = ffi.gc(board, lib.sim_board_free)
        self.n_trunks = n_trunks
        self.n_stations = n_stations
        self.n_ports = n_trunks + n_stations
        self._events = ffi.new("sim_event[]", _POLL_CHUNK)
        self._info = ffi.new("sim_port_info *")
        self._number_buf = ffi.new("char[]", lib.SIM_NUMBER_CAP)

    # ---- lifetime -------------------------------------------------------------------

    def close(self) -> None:
        """Free the C board now; later calls raise ValueError.  Idempotent."""
        if self._board is not None:
            ffi.release(self._board)
            self._board = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._board is None

    def _b(self) -> Any:
        if self._board is None:
            raise ValueError("the simulated board is closed")
        return self._board

    def _port(self, port: int) -> int:
        p = operator.index(port)
        if not 0 <= p < self.n_ports:
            raise ValueError(f"port must be in [0, {self.n_ports}), got {port!r}")
        return p

    def is_station(self, port: int) -> bool:
        """True for a station (agent phone) port, False for a trunk."""
        return self._port(port) >= self.n_trunks

    # ---- board queries --------------------------------------------------------------

    @property
    def time_samples(self) -> int:
        """Board time: samples exchanged so far."""
        return int(lib.sim_board_time(self._b()))

    @property
    def event_overflow(self) -> int:
        """Events dropped because the event buffer was full (poll more often)."""
        return int(lib.sim_board_event_overflow(self._b()))

    @property
    def event_capacity(self) -> int:
        """Size of the board's event buffer."""
        return int(lib.sim_board_event_capacity(self._b()))

    def state(self, port: int) -> SimPortState:
        """A snapshot of ``port`` (works on a failed port too)."""
        p = self._port(port)
        _check(lib.sim_port_state(self._b(), p, self._info), "sim_port_state", p)
        i = self._info
        return SimPortState(
            is_station=bool(i.is_station), offhook=bool(i.offhook), ringing=bool(i.ringing),
            ring_burst=bool(i.ring_burst), script_running=bool(i.script_running),
            script_index=i.script_index, script_len=i.script_len, failed=bool(i.failed),
            report_loop_drop=bool(i.report_loop_drop), nudge_pending=bool(i.nudge_pending),
            dial_state=DialState(i.dial_state), answered=bool(i.answered),
        )

    # ---- port control ---------------------------------------------------------------

    def script(self, port: int, ops: Sequence[SimOp]) -> None:
        """Load ``ops`` as the script of ``port``, replacing any running one; it starts at
        the next exchange.  An empty list just stops the current script.  On a trunk whose
        outgoing call the CO is still dialling, the script takes the call over."""
        p = self._port(port)
        station = p >= self.n_trunks
        for i, op in enumerate(ops):
            if not isinstance(op, OP_TYPES):
                raise ValueError(f"op {i} is not a script op: {op!r}")
            if station and isinstance(op, TRUNK_ONLY_OPS):
                raise ValueError(f"op {i} ({type(op).__name__}) is for trunks, port {p} is a station")
            if not station and isinstance(op, STATION_ONLY_OPS):
                raise ValueError(f"op {i} ({type(op).__name__}) is for stations, port {p} is a trunk")
            if isinstance(op, WaitNudge) and op.timeout_goto > len(ops):
                raise ValueError(f"op {i}: timeout_goto {op.timeout_goto} beyond the script ({len(ops)} ops)")
        c_ops = ffi.new("sim_op[]", max(len(ops), 1))
        keep: list[object] = []
        for c_op, op in zip(c_ops, ops):
            op._encode(c_op, keep)
        _check(lib.sim_port_script(self._b(), p, c_ops, len(ops)), "sim_port_script", p)

    def hook(self, port: int, offhook: bool) -> None:
        """Trunk: the board seizes/answers (True) or releases (False) the line.  Station:
        the simulated agent lifts/replaces the handset (OFFHOOK/ONHOOK events).

        Seizing a trunk that runs no script starts an outgoing call: the CO sends dial tone
        and collects the DTMF digits the board sends (see :meth:`route_outbound`)."""
        p = self._port(port)
        _check(lib.sim_port_hook(self._b(), p, bool(offhook)), "sim_port_hook", p)

    def ring_station(self, port: int, on: bool) -> None:
        """Start/stop ringing a station (1 s on, 4 s off).  PortStateError if it is off hook."""
        p = self._port(port)
        if p < self.n_trunks:
            raise ValueError(f"port {p} is a trunk; only stations can be rung")
        _check(lib.sim_station_ring(self._b(), p, bool(on)), "sim_station_ring", p)

    def nudge(self, port: int) -> None:
        """Let the port's WaitNudge go on (kept if the script has not reached it yet).
        PortStateError if no script is running."""
        p = self._port(port)
        _check(lib.sim_port_nudge(self._b(), p), "sim_port_nudge", p)

    def set_failed(self, port: int, failed: bool) -> None:
        """Fault injection: a failed port drops its script, delivers silence, raises
        PortFailedError from every call, and emits PORT_FAILED once.  ``False`` repairs it
        (idle, on hook)."""
        p = self._port(port)
        _check(lib.sim_port_set_failed(self._b(), p, bool(failed)), "sim_port_set_failed", p)

    def report_loop_drop(self, port: int, on: bool) -> None:
        """Whether the port reports the CO's loop-current drop as LOOP_DROP (default off)."""
        p = self._port(port)
        _check(lib.sim_port_report_loop_drop(self._b(), p, bool(on)), "sim_port_report_loop_drop", p)

    # ---- audio and events -----------------------------------------------------------

    def exchange(self, to_ports: np.ndarray) -> np.ndarray:
        """Send ``to_ports`` (n_ports, n) int16 to the ports, advance n samples, and return
        what the ports sent to the board, (n_ports, n) int16."""
        a = np.asarray(to_ports)
        self._check_block(a, "to_ports")
        a = np.ascontiguousarray(a)
        out = np.empty_like(a)
        self.exchange_into(a, out)
        return out

    def exchange_into(self, to_ports: np.ndarray, from_ports: np.ndarray) -> None:
        """Like :meth:`exchange`, writing into ``from_ports`` (C-contiguous, writable, same
        shape).  No copies: C reads and writes the numpy buffers directly."""
        self._check_block(to_ports, "to_ports")
        self._check_block(from_ports, "from_ports")
        if from_ports.shape != to_ports.shape:
            raise ValueError(f"from_ports shape {from_ports.shape} != to_ports shape {to_ports.shape}")
        if not (to_ports.flags.c_contiguous and from_ports.flags.c_contiguous):
            raise ValueError("to_ports and from_ports must be C-contiguous")
        if not from_ports.flags.writeable:
            raise ValueError("from_ports must be writable")
        src = ffi.from_buffer("int16_t[]", to_ports)
        dst = ffi.from_buffer("int16_t[]", from_ports, require_writable=True)
        _check(lib.sim_board_exchange(self._b(), src, dst, to_ports.shape[1]), "sim_board_exchange")

    def _check_block(self, a: np.ndarray, name: str) -> None:
        if not isinstance(a, np.ndarray) or a.dtype != np.int16:
            raise ValueError(f"{name} must be an int16 numpy array, got {getattr(a, 'dtype', type(a))}")
        if a.ndim != 2 or a.shape[0] != self.n_ports or not 1 <= a.shape[1] <= 2**31 - 1:
            raise ValueError(f"{name} must have shape ({self.n_ports}, n >= 1), got {a.shape}")

    def poll(self) -> list[SimEvent]:
        """All events since the last poll, in order of sample."""
        events: list[SimEvent] = []
        buf = self._events
        while True:
            n = _check(lib.sim_board_poll(self._b(), buf, _POLL_CHUNK), "sim_board_poll")
            for k in range(n):
                e = buf[k]
                t = SimEventType(e.type)
                arg = (ScriptDone(e.arg) if t is SimEventType.SCRIPT_DONE
                       else DialResult(e.arg) if t is SimEventType.NUMBER_COMPLETE else e.arg)
                events.append(SimEvent(type=t, port=e.port, arg=arg, sample=e.sample))
            if n < _POLL_CHUNK:
                return events

    # ---- outgoing calls and called numbers ------------------------------------------

    def _trunk(self, port: int) -> int:
        p = self._port(port)
        if p >= self.n_trunks:
            raise ValueError(f"port {p} is a station; numbers belong to trunks")
        return p

    def _read_number(self, fn: Any, call: str, port: int) -> str:
        n = _check(fn(self._b(), port, self._number_buf, lib.SIM_NUMBER_CAP), call, port)
        raw: bytes = ffi.string(self._number_buf, n)
        return raw.decode("ascii")

    def route_outbound(self, number: str | None, ops: Sequence[SimOp]) -> None:
        """Answer outgoing calls to ``number`` (None: every number without a route of its
        own) with the script ``ops``, replacing that number's route.

        A trunk the board seizes (``hook(port, True)``) while no script runs gets dial tone;
        the CO detects the DTMF digits the board sends in-band on that port (DIGIT events),
        stops dial tone at the first, and takes the number as complete once it equals a
        routed number (at that digit's end), after the inter-digit timeout
        (:meth:`set_dial_timeouts`), or at MAX_NUMBER_LEN digits: NUMBER_COMPLETE, then the
        route's script runs on the trunk as an incoming call's would (its Hangup sends busy
        tone / loop drop).  Unrouted numbers get reorder tone.  Build scripts with
        :func:`~pycti.drivers.sim_ops.callee_answers` and the other ``callee_*`` helpers.
        Ring ops and station ops are not allowed; at most ``SIM_MAX_ROUTES`` routes.
        """
        key = None if number is None else check_number("number", number)
        if not ops:
            raise ValueError("an outbound route needs at least one op")
        for i, op in enumerate(ops):
            if not isinstance(op, OP_TYPES) or isinstance(op, (Ring, *STATION_ONLY_OPS)):
                raise ValueError(f"op {i} cannot run on an outgoing call: {op!r}")
            if isinstance(op, WaitNudge) and op.timeout_goto > len(ops):
                raise ValueError(f"op {i}: timeout_goto {op.timeout_goto} beyond the script ({len(ops)} ops)")
        c_ops = ffi.new("sim_op[]", len(ops))
        keep: list[object] = []
        for c_op, op in zip(c_ops, ops):
            op._encode(c_op, keep)
        c_key = ffi.NULL if key is None else key.encode("ascii")
        rc = lib.sim_board_route_outbound(self._b(), c_key, c_ops, len(ops))
        if rc == lib.SIM_ENOMEM and self.outbound_route_count >= lib.SIM_MAX_ROUTES:
            raise ValueError(f"at most {lib.SIM_MAX_ROUTES} outbound routes (nothing changed)")
        _check(rc, "sim_board_route_outbound")

    def unroute_outbound(self, number: str | None) -> bool:
        """Remove the route of ``number`` (None: the default route); False if there was none.
        Calls already running their script are not affected."""
        key = ffi.NULL if number is None else check_number("number", number).encode("ascii")
        return bool(_check(lib.sim_board_unroute_outbound(self._b(), key), "sim_board_unroute_outbound"))

    @property
    def outbound_route_count(self) -> int:
        """Routes configured, the default route included."""
        return int(lib.sim_board_route_count(self._b()))

    def set_dial_timeouts(self, *, inter_digit_ms: int = 3000, first_digit_ms: int = 10000) -> None:
        """Digit collection timeouts in virtual time: the number is complete ``inter_digit_ms``
        (>= 1) after the last digit ended; with no digit ``first_digit_ms`` after seizure
        (0 = never), the CO stops dial tone and sends reorder (NUMBER_COMPLETE, NO_DIGITS)."""
        for name, v, low in (("inter_digit_ms", inter_digit_ms, 1), ("first_digit_ms", first_digit_ms, 0)):
            if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= 2**31 - 1:
                raise ValueError(f"{name} must be an int in [{low}, 2**31-1], got {v!r}")
        _check(lib.sim_board_set_dial_timeouts(self._b(), inter_digit_ms, first_digit_ms),
               "sim_board_set_dial_timeouts")

    def dialled_number(self, port: int) -> str:
        """The digits the CO collected on trunk ``port``'s outgoing call so far ('' before the
        first); kept after the call until the trunk is seized again."""
        p = self._trunk(port)
        return self._read_number(lib.sim_port_dialled_number, "sim_port_dialled_number", p)

    def set_trunk_number(self, ports: int | Iterable[int], number: str | None) -> None:
        """Give trunks (one port, or a group: a range or list) the called number ``number``
        (DNIS); None clears it.  A Ring op's ``called`` overrides it for that call.  Every
        port and the number are checked before anything changes; failed ports are fine."""
        try:
            group = [self._trunk(operator.index(ports))]  # type: ignore[arg-type]
        except TypeError:
            group = [self._trunk(p) for p in ports]  # type: ignore[union-attr]
        key = b"" if number is None else check_number("number", number).encode("ascii")
        board = self._b()
        for p in group:
            _check(lib.sim_port_set_number(board, p, key), "sim_port_set_number", p)

    def trunk_number(self, port: int) -> str | None:
        """The trunk's own called number (:meth:`set_trunk_number`), or None."""
        p = self._trunk(port)
        return self._read_number(lib.sim_port_number, "sim_port_number", p) or None

    def called_number(self, port: int) -> str | None:
        """The called number (DNIS) of the incoming call on trunk ``port``: the Ring op's
        ``called``, else the trunk's own number; None when neither is set or no call is in.
        Valid from the first RING_ON (set when the Ring op starts, so before caller ID too)
        until the call ends: the board goes on hook, the caller gives up, a new script is
        loaded or the port fails."""
        p = self._trunk(port)
        return self._read_number(lib.sim_port_called_number, "sim_port_called_number", p) or None
