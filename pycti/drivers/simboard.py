"""Low-level binding of the simulated analog voice board (C, cffi API mode).

:class:`SimBoard` owns one C board: ``n_trunks`` analog trunks (ports ``0 .. n_trunks-1``)
facing a simulated central office whose callers follow per-port scripts
(:mod:`pycti.drivers.sim_ops`), then ``n_stations`` station ports for agent phones.  Audio is
8 kHz int16; :meth:`SimBoard.exchange` moves one block for all ports in one C call and is the
only thing that advances the board's clock (counted in samples; deterministic for a seed).

Every C return code goes through :func:`_check`, which raises a :class:`SimBoardError`
subclass naming the call, the port and the code.  Bad arguments raise ``ValueError`` before
reaching C.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from ..errors import DriverError
from ._simboard import ffi, lib  # type: ignore[import-not-found]  # compiled by cffi
from . import sim_ops as _ops
from .sim_ops import (
    DTMF_FREQS_HZ,
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


class ScriptDone(enum.IntEnum):
    """Why a script ended (arg of a SCRIPT_DONE event)."""

    COMPLETED = lib.SIM_DONE_COMPLETED  #: ran out of ops, or board on hook after Hangup
    GAVE_UP = lib.SIM_DONE_GAVE_UP  #: Ring reached max_ms unanswered
    RELEASED_BY_BOARD = lib.SIM_DONE_RELEASED_BY_BOARD  #: board on hook before Hangup


@dataclass(frozen=True, slots=True, kw_only=True)
class SimEvent:
    """One board event.  ``sample`` is board time in samples (8 kHz) since the board was
    made; ``arg`` is a :class:`ScriptDone` for SCRIPT_DONE, the mark id for MARK, else 0."""

    type: SimEventType
    port: int
    arg: int
    sample: int


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
        )

    # ---- port control ---------------------------------------------------------------

    def script(self, port: int, ops: Sequence[SimOp]) -> None:
        """Load ``ops`` as the script of ``port``, replacing any running one; it starts at
        the next exchange.  An empty list just stops the current script."""
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
        the simulated agent lifts/replaces the handset (OFFHOOK/ONHOOK events)."""
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
                arg = ScriptDone(e.arg) if t is SimEventType.SCRIPT_DONE else e.arg
                events.append(SimEvent(type=t, port=e.port, arg=arg, sample=e.sample))
            if n < _POLL_CHUNK:
                return events
