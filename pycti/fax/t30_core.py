"""The running state of a T.30 call and the helpers every transition handler uses.

:class:`Ctx` is what the handlers of :mod:`pycti.fax.t30_send` (the transmitting station),
:mod:`pycti.fax.t30_recv` (the receiving station) and :mod:`pycti.fax.t30_poll` (polling: DTC)
read and change; the transitions themselves are in :mod:`pycti.fax.t30_table`.  Nothing here
reads a clock: ``now_s`` is the time the engine was given with the input being handled.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable

from pycti.fax.t30_dis import DcsFields, DisFields, ModemRate
from pycti.fax.t30_ecm import EcmBlockReceiver, EcmPageSender
from pycti.fax.t30_frames import Fcf, T30Frame
from pycti.fax.t30_io import (
    Completed,
    PageParams,
    PageSink,
    PageSource,
    ReceiveV21,
    SendFrames,
    SetTimer,
    T30Action,
    T30Config,
    T30Input,
    T30Result,
    T30Stats,
    WaitSilence,
)
from pycti.fax.t4_types import Resolution

__all__ = ["Ctx", "Handler", "Role", "Signal", "State", "Transition", "Trigger"]


class Role(enum.Enum):
    """Which side of the call the engine plays.

    * ``CALL_SEND``: the calling terminal, transmitting its document after DIS (DCS);
    * ``CALL_POLL``: the calling terminal polling: after a DIS with bit 9 ("ready to transmit
      a facsimile document") it sends CIG + DTC and receives;
    * ``ANSWER_RECEIVE``: the answering terminal: it receives after DCS, and, when it has a
      document to be polled (its DIS sets bit 9), transmits it after DTC.
    """

    CALL_SEND = "calling terminal, sending"
    CALL_POLL = "calling terminal, polling (receiving)"
    ANSWER_RECEIVE = "answering terminal, receiving (or transmitting when polled)"


class State(enum.Enum):
    """The engine's states: ``C_`` transmitting (the calling terminal, or the answering one
    after DTC), ``R_`` receiving (the answering terminal, or the polling caller after DIS),
    ``P_`` the polling caller before DIS."""

    C_IDLE = "C: not started"
    R_IDLE = "R: not started"
    P_IDLE = "P: polling caller, not started"
    P_AWAIT_DIS = "P: polling caller, waiting for DIS (phase B)"
    # transmitting: the calling terminal, or the polled answering terminal
    C_AWAIT_DIS = "C: waiting for DIS (phase B; after EOM when polled, DIS or DTC)"
    C_SEND_DCS = "C: sending TSI/DCS"
    C_SEND_TCF = "C: sending TCF"
    C_AWAIT_CFR = "C: waiting for CFR/FTT"
    C_SEND_IMAGE = "C: sending a page or an ECM block (phase C)"
    C_SEND_CMD = "C: sending a post-message command, PPS or CTC"
    C_AWAIT_MCF = "C: waiting for MCF/RTP/RTN"
    C_AWAIT_PPS_RESP = "C: waiting for MCF/PPR after PPS"
    C_AWAIT_CTR = "C: waiting for CTR"
    # receiving: the answering terminal, or the polling caller
    R_SEND_DIS = "R: sending NSF/CSI/DIS (a poller: NSC/CIG/DTC)"
    R_AWAIT_DCS = "R: waiting for DCS after DIS (or DTC)"
    R_AWAIT_TCF = "R: receiving TCF"
    R_SENDING = "R: sending a response"
    R_AWAIT_RETRAIN = "R: waiting for DCS after FTT/RTN"
    R_AWAIT_PAGE = "R: waiting for the image carrier"
    R_RX_PAGE = "R: receiving a page or block"
    R_AWAIT_POST = "R: waiting for the post-message command"
    R_AWAIT_DCN = "R: waiting for DCN after EOP"
    # both
    SEND_DCN = "sending DCN"
    DONE = "done"


class Signal(enum.Enum):
    """Triggers other than a received frame's FCF."""

    START = "start"
    TX_DONE = "transmission done"
    TCF = "TCF summary"
    IMAGE = "image data"
    CARRIER_UP = "carrier up"
    CARRIER_DOWN = "carrier down"
    BAD_FRAME = "frame with bad FCS or unknown code"
    T1 = "T1 expired"
    T2 = "T2 expired"
    T4 = "T4 expired"
    LINE_DROPPED = "far end hung up"
    ABORT = "local abort"


Trigger = Fcf | Signal
Handler = Callable[["Ctx"], "State | None"]


@dataclass(frozen=True, slots=True)
class Transition:
    """A table entry: run ``handler``; the next state is ``next_state``, or when that is None
    the handler's return value (None: stay, without re-running the state's entry)."""

    handler: Handler
    next_state: State | None = None


@dataclass(slots=True)
class Ctx:
    """The mutable state of one call."""

    role: Role
    config: T30Config
    source: PageSource | None = None
    sink: PageSink | None = None
    state: State = State.C_IDLE
    now_s: float = 0.0
    actions: list[T30Action] = field(default_factory=list)
    # the current input
    inp: T30Input | None = None
    frames: tuple[T30Frame, ...] = ()
    # timers
    timer: str | None = None
    deadline_s: float | None = None
    t1_deadline_s: float | None = None
    # phase B
    remote_dis: DisFields | None = None
    remote_id: str = ""
    dcs: DcsFields | None = None
    rate: ModemRate | None = None
    allowed: tuple[ModemRate, ...] = ()
    params: PageParams | None = None
    trainings: int = 0
    # commands (sending side): what to repeat on T4/CRP
    command: tuple[bytes, ...] = ()
    command_state: State = State.C_SEND_CMD
    command_await: State = State.C_AWAIT_MCF
    command_fail: T30Result = T30Result.NO_RESPONSE_TO_POST_PAGE
    tries: int = 0
    after_send: State = State.DONE
    result: T30Result | None = None
    # pages (sending side)
    page: int = 0
    page_tries: int = 0
    page_octets: int = 0
    post: Fcf = Fcf.EOP
    ecm_tx: EcmPageSender | None = None
    ecm_page_counter: int = 0
    ppr_count: int = 0
    resend: frozenset[int] | None = None
    ctc_rate: ModemRate | None = None
    # pages (receiving side)
    image: bytearray = field(default_factory=bytearray)
    ecm_rx: EcmBlockReceiver = field(default_factory=EcmBlockReceiver)
    ecm_page: bytearray = field(default_factory=bytearray)
    confirmed: tuple[int, int] | None = None
    last_response: tuple[bytes, ...] = ()
    carrier_ended: bool = False
    # statistics
    pages_sent: int = 0
    pages_received: int = 0
    pages_rejected: int = 0
    frames_resent: int = 0

    # ------------------------------------------------------------ outputs

    @property
    def x_bit(self) -> bool:
        """T.30 5.3.6.1: the station that received DIS (the caller, sending or polling) sets X;
        it does not change when polling turns the direction of the document round."""
        return self.role is not Role.ANSWER_RECEIVE

    @property
    def polling(self) -> bool:
        """True for the calling terminal that polls (it sends DTC where an answerer sends DIS)."""
        return self.role is Role.CALL_POLL

    def emit(self, *actions: T30Action) -> None:
        """Queue actions for the terminal."""
        self.actions.extend(actions)

    def frame(self, fcf: Fcf, fif: bytes = b"", *, final: bool = True) -> bytes:
        """An encoded control frame from this station (X bit as its role sets it)."""
        return T30Frame(fcf=fcf, fif=fif, x_bit=self.x_bit, final=final).encode()

    def gap(self) -> None:
        """Start a transmission: the protocol timer stops (the next wait starts its own), and
        the line stays silent for the 75 ms T.30 5.3.2 puts between signals.  pycti keeps
        the gap before every transmission, V.21 turnarounds included."""
        self.stop_timer()
        self.emit(WaitSilence(duration_ms=self.config.gap_ms))

    def send_frames(self, *frames: bytes) -> None:
        """Send control frames on V.21, after the gap."""
        self.gap()
        self.emit(SendFrames(frames=frames))

    def listen_v21(self) -> None:
        """Switch the receiver to V.21."""
        self.emit(ReceiveV21())

    def set_timer(self, name: str, duration_s: float) -> None:
        """Run protocol timer ``name`` for ``duration_s`` from now (replacing the one running)."""
        self.timer, self.deadline_s = name, self.now_s + duration_s
        self.emit(SetTimer(name=name, deadline_s=self.deadline_s))

    def push_back(self, name: str, duration_s: float) -> None:
        """Move timer ``name`` to ``duration_s`` from now without announcing it again when it
        is already running (image data keeping T2 from expiring mid-page)."""
        if self.timer == name:
            self.deadline_s = self.now_s + duration_s
        else:
            self.set_timer(name, duration_s)

    def start_t1(self) -> None:
        """Start T1 (it runs beside the other timers)."""
        self.t1_deadline_s = self.now_s + self.config.t1_s
        self.emit(SetTimer(name="T1", deadline_s=self.t1_deadline_s))

    def stop_t1(self) -> None:
        """Stop T1: the far end identified itself."""
        if self.t1_deadline_s is not None:
            self.emit(SetTimer(name="T1", deadline_s=None))
        self.t1_deadline_s = None

    def stop_timer(self) -> None:
        """Stop the protocol timer."""
        if self.timer is not None:
            self.emit(SetTimer(name=self.timer, deadline_s=None))
        self.timer, self.deadline_s = None, None

    # ------------------------------------------------------------ helpers

    def received(self, fcf: Fcf) -> T30Frame | None:
        """The received frame with ``fcf`` in the current group, if any."""
        return next((f for f in self.frames if f.fcf is fcf), None)

    def scan_time_ms(self, dcs_ms: int, halved: bool, resolution: Resolution) -> int:
        """The scan line time a page uses: DCS's value, halved above standard resolution when
        the receiver's DIS asked for T7.7 = T3.85 / 2."""
        return dcs_ms // 2 if halved and resolution is not Resolution.STANDARD else dcs_ms

    def finish(self, result: T30Result, *, send_dcn: bool) -> State:
        """End the call with ``result``: send DCN first when ``send_dcn``."""
        self.result = result
        self.stop_timer()
        self.stop_t1()
        if send_dcn:
            self.send_frames(self.frame(Fcf.DCN))
            return State.SEND_DCN
        self.emit(Completed(result=result, stats=self.stats()))
        return State.DONE

    def stats(self) -> T30Stats:
        """The call's statistics so far."""
        p = self.params
        return T30Stats(pages_sent=self.pages_sent, pages_received=self.pages_received,
                        pages_rejected=self.pages_rejected,
                        rate_bps=self.rate.rate_bps if self.rate else 0,
                        modem=self.rate.modem if self.rate else None,
                        ecm=p.ecm if p else False, coding=p.coding if p else None,
                        resolution=p.resolution if p else None, trainings=self.trainings,
                        ecm_frames_resent=self.frames_resent, remote_id=self.remote_id)
