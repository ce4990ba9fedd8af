"""The ITU-T T.30 fax protocol engine, sans-I/O: inputs and the time in, actions out.

:class:`T30Engine` plays one side of a Group 3 fax call over the PSTN, phases A to E (T.30
clause 5): the calling terminal sends a document and the answering terminal receives it, or,
by polling, the calling terminal receives the document the answering terminal offers (DIS
bit 9; the caller sends CIG + DTC, the answerer then transmits: :mod:`pycti.fax.t30_poll`), in
normal mode or in error correction mode (Annex A).  Procedure interrupts (PRI-Q, PIP, PIN),
EOR/ERR, RR/RNR flow control, selective polling (SEP/PSA) and turnaround polling (a sending
caller asked by DTC) are not implemented.

The terminal around the engine owns the modems: it feeds :data:`~pycti.fax.t30_io.T30Input` s
(HDLC frames from V.21 or from the image modem, carrier changes, the TCF summary, image data,
"transmission done", the line dropping) together with ``now_s``, calls :meth:`T30Engine.tick`
when :meth:`T30Engine.deadline_s` passes, and performs the returned actions in order.  The
transitions are the table of :mod:`pycti.fax.t30_table`.

Wiring a terminal (half duplex, one transmitter and one receiver at a time):

* ``WaitSilence(ms)``: queue that much silence before the next transmission;
* ``SendFrames(frames)``: :class:`pycti.dsp.hdlc.HdlcEncoder` ``.encode(frames)`` (1 s of flag
  preamble, FCS, flags) into a V.21 channel 2 transmitter; ``SendTcf`` / ``SendImage`` /
  ``SendEcmFrames``: the image modem at ``rate`` (for ECM the frames HDLC-encoded, with a
  short preamble of flags); when the transmitter is ``done``, feed ``TransmitDone()``;
* ``ReceiveV21()`` / ``ReceiveHighSpeed(rate, purpose)``: switch the receiver; with the image
  modem keep a V.21 receiver and HDLC decoder running beside it (T.30 lets a repeated command
  arrive instead of the expected image);
* every HDLC frame decoded (V.21, or the image modem in ECM) becomes
  ``FrameReceived(data=payload, fcs_ok=...)``; modem carrier events become ``CarrierUp`` /
  ``CarrierDown`` with the modem; at the end of a TCF feed ``TcfReceived`` (longest run of
  zero bits in ms, bits received); non-ECM image bits packed LSB first become
  ``ImageReceived``;
* ``Completed``: hang up.  ``SetTimer``, ``Negotiated``, ``PageSent``, ``PageReceived`` are
  for logs and user interfaces.  CED (answerer) and CNG (caller) are the terminal's to play
  (:mod:`pycti.dsp.fax_tones`) before and while the engine waits for the first frames.
"""

from __future__ import annotations

from pycti.fax.t30_core import Ctx, Role, Signal, State, Trigger
from pycti.fax.t30_dis import Modem
from pycti.fax.t30_frames import Fcf, FrameError, T30Frame
from pycti.fax.t30_io import (
    Abort,
    CarrierDown,
    CarrierUp,
    FrameReceived,
    ImageReceived,
    LineDropped,
    PageSink,
    PageSource,
    T30Action,
    T30Config,
    T30Input,
    T30Result,
    TcfReceived,
    TransmitDone,
)
from pycti.fax.t30_table import ENTRY, TABLE

__all__ = ["Role", "State", "T30Engine"]

_SIGNALS: dict[type, Signal] = {
    TcfReceived: Signal.TCF,
    ImageReceived: Signal.IMAGE,
    TransmitDone: Signal.TX_DONE,
    LineDropped: Signal.LINE_DROPPED,
    Abort: Signal.ABORT,
}
_TIMERS = {"T2": Signal.T2, "T4": Signal.T4}
_ECM_RX = (State.R_AWAIT_PAGE, State.R_RX_PAGE)


class T30Engine:
    """One side of a T.30 call.  Build it with :meth:`caller`, :meth:`poller` or
    :meth:`answerer`, then :meth:`start` it when the line is connected."""

    def __init__(self, role: Role, config: T30Config, *, source: PageSource | None = None,
                 sink: PageSink | None = None) -> None:
        if role is Role.CALL_SEND and source is None:
            raise ValueError("a sending T.30 engine needs a PageSource")
        if role is Role.CALL_POLL and sink is None:
            raise ValueError("a polling T.30 engine needs a PageSink")
        if role is Role.CALL_POLL and source is not None:
            raise ValueError("a polling T.30 engine receives; it takes no PageSource")
        if role is Role.ANSWER_RECEIVE and sink is None and source is None:
            raise ValueError("an answering T.30 engine needs a PageSink, a PageSource to be "
                             "polled, or both")
        if source is not None and source.page_count() < 1:
            raise ValueError(f"a document needs at least one page, got {source.page_count()}")
        first = {Role.CALL_SEND: State.C_IDLE, Role.CALL_POLL: State.P_IDLE,
                 Role.ANSWER_RECEIVE: State.R_IDLE}[role]
        self._ctx = Ctx(role=role, config=config, source=source, sink=sink, state=first)
        self._group: list[T30Frame] = []
        self._group_bad = False

    @classmethod
    def caller(cls, config: T30Config, source: PageSource) -> T30Engine:
        """The calling terminal, sending ``source``."""
        return cls(Role.CALL_SEND, config, source=source)

    @classmethod
    def poller(cls, config: T30Config, sink: PageSink) -> T30Engine:
        """The calling terminal that polls: on a DIS offering a document (bit 9) it sends
        CIG + DTC and receives into ``sink``; on a DIS without, it sends DCN and the call
        ends with ``POLLING_NOT_OFFERED``."""
        return cls(Role.CALL_POLL, config, sink=sink)

    @classmethod
    def answerer(cls, config: T30Config, sink: PageSink | None = None, *,
                 polled: PageSource | None = None) -> T30Engine:
        """The answering terminal, receiving into ``sink`` after DCS; with ``polled`` its
        DIS sets bit 9 and a DTC makes it transmit that document.  Without ``sink`` its DIS
        clears bit 10 (it cannot receive) and a DCS ends the call with ``INCOMPATIBLE``."""
        return cls(Role.ANSWER_RECEIVE, config, source=polled, sink=sink)

    # ------------------------------------------------------------ state

    @property
    def state(self) -> State:
        """The current state."""
        return self._ctx.state

    @property
    def done(self) -> bool:
        """True once the call is over (a Completed action was returned)."""
        return self._ctx.state is State.DONE

    @property
    def result(self) -> T30Result | None:
        """How the call ended (or is ending), None while it goes on."""
        return self._ctx.result

    def deadline_s(self) -> float | None:
        """The earliest time :meth:`tick` has something to do, or None."""
        times = [t for t in (self._ctx.deadline_s, self._ctx.t1_deadline_s) if t is not None]
        return min(times) if times else None

    # ------------------------------------------------------------ inputs

    def start(self, now_s: float) -> list[T30Action]:
        """The line is connected (the caller after dialling, the answerer after CED)."""
        if self._ctx.state not in (State.C_IDLE, State.R_IDLE, State.P_IDLE):
            raise ValueError(f"T.30 engine already started (state {self._ctx.state.name})")
        return self._dispatch(Signal.START, None, now_s)

    def handle(self, inp: T30Input, now_s: float) -> list[T30Action]:
        """Feed one input that happened at ``now_s``; the actions to perform, in order.

        V.21 frames are collected until the one with the final bit; a transmission with a bad
        or unreadable frame counts as one bad command (answered with CRP where T.30 has the
        station ask again), also when the V.21 carrier drops before its final frame.  Image
        modem frames (FCD, RCP) are handled one by one.  A ``TypeError`` for anything that is
        not a :data:`~pycti.fax.t30_io.T30Input`."""
        if isinstance(inp, FrameReceived):
            return self._frame(inp, now_s)
        if isinstance(inp, CarrierUp):
            return [] if inp.modem is Modem.V21 else self._dispatch(Signal.CARRIER_UP, inp, now_s)
        if isinstance(inp, CarrierDown):
            if inp.modem is Modem.V21:
                return self._v21_down(now_s)
            return self._dispatch(Signal.CARRIER_DOWN, inp, now_s)
        signal = _SIGNALS.get(type(inp))
        if signal is None:
            raise TypeError(f"not a T.30 engine input: {inp!r}")
        return self._dispatch(signal, inp, now_s)

    def tick(self, now_s: float) -> list[T30Action]:
        """Let time pass to ``now_s``: an expired T1, T2 or T4 is handled."""
        ctx = self._ctx
        if ctx.t1_deadline_s is not None and now_s >= ctx.t1_deadline_s:
            ctx.t1_deadline_s = None
            return self._dispatch(Signal.T1, None, now_s)
        if ctx.deadline_s is not None and ctx.timer is not None and now_s >= ctx.deadline_s:
            signal = _TIMERS[ctx.timer]
            ctx.timer, ctx.deadline_s = None, None
            return self._dispatch(signal, None, now_s)
        return []

    # ------------------------------------------------------------ internals

    def _frame(self, inp: FrameReceived, now_s: float) -> list[T30Action]:
        try:
            frame: T30Frame | None = T30Frame.decode(inp.data)
        except FrameError:
            frame = None
        bad = frame is None or not inp.fcs_ok
        if bad and self._ctx.state in _ECM_RX:
            return []  # while the image modem runs a bad frame is just missing (PPR asks again)
        if frame is not None and frame.fcf in (Fcf.FCD, Fcf.RCP):
            return [] if bad else self._dispatch(frame.fcf, inp, now_s, (frame,))
        if frame is None or not inp.fcs_ok:
            self._group_bad = True
            return []
        self._group.append(frame)
        if not frame.final:
            return []
        group, bad = tuple(self._group), self._group_bad
        self._group, self._group_bad = [], False
        if bad:
            return self._dispatch(Signal.BAD_FRAME, inp, now_s)
        return self._dispatch(frame.fcf, inp, now_s, group)

    def _v21_down(self, now_s: float) -> list[T30Action]:
        """V.21 carrier off: frames without their final one are a bad command."""
        pending = bool(self._group) or self._group_bad
        self._group, self._group_bad = [], False
        return self._dispatch(Signal.BAD_FRAME, None, now_s) if pending else []

    def _dispatch(self, trigger: Trigger, inp: T30Input | None, now_s: float,
                  frames: tuple[T30Frame, ...] = ()) -> list[T30Action]:
        ctx = self._ctx
        ctx.now_s, ctx.inp, ctx.frames = now_s, inp, frames
        if ctx.state is State.DONE:
            return []
        transition = TABLE.get((ctx.state, trigger)) or TABLE.get((None, trigger))
        if transition is not None:
            returned = transition.handler(ctx)
            nxt = transition.next_state or returned
            if nxt is not None:
                ctx.state = nxt
                entry = ENTRY.get(nxt)
                if entry is not None:
                    entry(ctx)
        out, ctx.actions = ctx.actions, []
        return out
