"""The inputs, actions, results and configuration of the T.30 engine (:mod:`pycti.fax.t30`).

The engine is sans-I/O: the fax terminal feeds it :data:`T30Input` s with the current time and
performs the :data:`T30Action` s it returns, in order.  Timer values are those of T.30 5.4.3:

* T1 35 +/- 5 s: the time to identify the far end as a fax terminal (connect to DIS/DCS);
* T2 6 +/- 1 s: a receiver waiting for a command (or for the image carrier);
* T3 10 +/- 5 s: the operator's answer to a procedure interrupt (PRI-Q is not implemented,
  so T3 is defined but never started);
* T4 3 s +/- 15 % (4.5 s for automatic terminals, :data:`T4_AUTOMATIC_S`): a command waiting
  for its response; a command is sent at most three times (5.4.3).

The gap between a V.21 transmission and a high-speed one, either way, is 75 +/- 20 ms
(T.30 5.3.2): the engine asks for it with :class:`WaitSilence`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from pycti.errors import PyctiError
from pycti.fax.t30_dis import DisModems, Modem, ModemRate, RecordingWidth
from pycti.fax.t30_frames import Fcf, FrameError, encode_identifier
from pycti.fax.t4_types import Coding, Resolution

__all__ = [
    "GAP_MS",
    "T1_S",
    "T2_S",
    "T3_S",
    "T4_AUTOMATIC_S",
    "T4_S",
    "TCF_DURATION_MS",
    "Abort",
    "CarrierDown",
    "CarrierUp",
    "Completed",
    "FrameReceived",
    "ImageReceived",
    "LineDropped",
    "Negotiated",
    "PageCheck",
    "PageParams",
    "PageReceived",
    "PageSent",
    "PageSink",
    "PageSource",
    "ReceiveHighSpeed",
    "ReceiveV21",
    "ReceivedPage",
    "RxPurpose",
    "SendEcmFrames",
    "SendFrames",
    "SendImage",
    "SendTcf",
    "SetTimer",
    "T30Action",
    "T30Config",
    "T30ConfigError",
    "T30Input",
    "T30Result",
    "T30Stats",
    "TcfReceived",
    "TransmitDone",
    "WaitSilence",
]

T1_S = 35.0  # T.30 5.4.3: T1, 35 +/- 5 s
T2_S = 6.0  # T.30 5.4.3: T2, 6 +/- 1 s
T3_S = 10.0  # T.30 5.4.3: T3, 10 +/- 5 s (procedure interrupts: not implemented)
T4_S = 3.0  # T.30 5.4.3: T4, 3 s +/- 15 % for manual terminals
T4_AUTOMATIC_S = 4.5  # T.30 5.4.3: T4, 4.5 s +/- 15 % for automatic terminals
GAP_MS = 75  # T.30 5.3.2: 75 +/- 20 ms between V.21 and high-speed signals
TCF_DURATION_MS = 1500  # T.30 5.3.6.2.2 (TCF): 1.5 s +/- 10 % of zeros


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameReceived:
    """An HDLC frame, without its FCS, from V.21 (control) or from the image modem (ECM FCD and
    RCP frames); ``fcs_ok`` is the HDLC layer's FCS check."""

    data: bytes
    fcs_ok: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CarrierUp:
    """The receiver's carrier detector of ``modem`` turned on."""

    modem: Modem


@dataclass(frozen=True, slots=True, kw_only=True)
class CarrierDown:
    """The receiver's carrier of ``modem`` turned off (end of a page, or the line lost it)."""

    modem: Modem


@dataclass(frozen=True, slots=True, kw_only=True)
class TcfReceived:
    """The image modem's summary of a TCF: the longest run of consecutive zero bits, in ms at
    the rate it trained at, and the number of bits it received."""

    zero_run_ms: int
    bits_received: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageReceived:
    """Non-ECM page data (T.4 coded octets, in order) from the image modem."""

    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class TransmitDone:
    """The transmission the last Send action asked for has left the line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LineDropped:
    """The far end hung up (loop current lost, BYE ...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Abort:
    """The local user stops the call: the engine sends DCN."""


T30Input: TypeAlias = (FrameReceived | CarrierUp | CarrierDown | TcfReceived | ImageReceived
                       | TransmitDone | LineDropped | Abort)


# ---------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitSilence:
    """Keep the line silent for ``duration_ms`` before the next Send action (no TransmitDone)."""

    duration_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SendFrames:
    """Send HDLC frames on V.21 channel 2 (preamble, frames with FCS, closing flags); the last
    frame has the final bit.  Answer with :class:`TransmitDone` when the carrier is off."""

    frames: tuple[bytes, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SendTcf:
    """Send the training check: the image modem's training, then ``duration_ms`` of zeros."""

    rate: ModemRate
    duration_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SendImage:
    """Send one non-ECM page (training, then the T.4 coded octets) on the image modem."""

    rate: ModemRate
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SendEcmFrames:
    """Send HDLC frames (FCD ... RCP RCP RCP) on the image modem: training, flags, frames."""

    rate: ModemRate
    frames: tuple[bytes, ...]


class RxPurpose(enum.Enum):
    """What the image modem receiver is switched on for."""

    TCF = "tcf"
    IMAGE = "image"
    ECM = "ecm"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveV21:
    """Switch the receiver to V.21 channel 2 (HDLC control frames)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveHighSpeed:
    """Switch the receiver to the image modem at ``rate``; keep a V.21 detector running beside
    it (a repeated command may come instead of the expected high-speed signal)."""

    rate: ModemRate
    purpose: RxPurpose


@dataclass(frozen=True, slots=True, kw_only=True)
class SetTimer:
    """The engine's protocol timer ``name`` (T1, T2, T4) now runs until ``deadline_s``, or
    is stopped (None).  Informational: call :meth:`~pycti.fax.t30.T30Engine.tick`."""

    name: str
    deadline_s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Negotiated:
    """Phase B chose ``rate`` and the page parameters (sent in, or read from, DCS)."""

    rate: ModemRate
    params: PageParams
    remote_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSent:
    """A page went out and the far end answered ``response`` (MCF, RTP, RTN)."""

    page_number: int
    octets: int
    rate: ModemRate
    params: PageParams
    response: Fcf


@dataclass(frozen=True, slots=True, kw_only=True)
class PageReceived:
    """A page came in; the sink checked it, the engine answered ``response``."""

    page_number: int
    octets: int
    rate: ModemRate
    params: PageParams
    lines: int
    bad_lines: int
    response: Fcf


class T30Result(enum.Enum):
    """How a T.30 call ended, named after the condition T.30 (5.4, Annex A) describes."""

    OK = "completed normally"
    T1_EXPIRED = "T1 expired: no fax terminal identified at the far end"
    T2_EXPIRED = "T2 expired: no command from the far end"
    NO_RESPONSE_TO_DCS = "no response to DCS/TCF after 3 tries"
    NO_RESPONSE_TO_POST_PAGE = "no response to the post-message command after 3 tries"
    FTT_AT_SLOWEST_RATE = "failure to train at the slowest rate"
    RTN_ON_LAST_PAGE = "retrain negative on the last page after its retries"
    DCN_UNEXPECTED = "DCN received unexpectedly"
    ECM_RETRANSMIT_LIMIT = "ECM: 4 PPRs at the slowest rate"
    CARRIER_LOST_MID_PAGE = "the image carrier ended and no post-message command followed"
    FAR_END_HUNG_UP = "the far end hung up"
    INCOMPATIBLE = ("no common mode (far end cannot receive, no shared modem, or a DTC asked "
                    "this terminal for a document it does not have)")
    POLLING_NOT_OFFERED = "polling asked, but the far end's DIS offers no document (bit 9)"
    LOCAL_ABORT = "stopped by the local user"


@dataclass(frozen=True, slots=True, kw_only=True)
class T30Stats:
    """What the call achieved: pages, last rate, mode, retrains and ECM repeats."""

    pages_sent: int = 0
    pages_received: int = 0
    pages_rejected: int = 0
    rate_bps: int = 0
    modem: Modem | None = None
    ecm: bool = False
    coding: Coding | None = None
    resolution: Resolution | None = None
    trainings: int = 0
    ecm_frames_resent: int = 0
    remote_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Completed:
    """The call is over (after a DCN sent or received, or a line drop); hang up."""

    result: T30Result
    stats: T30Stats


T30Action: TypeAlias = (WaitSilence | SendFrames | SendTcf | SendImage | SendEcmFrames
                        | ReceiveV21 | ReceiveHighSpeed | SetTimer | Negotiated | PageSent
                        | PageReceived | Completed)


# ---------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True, kw_only=True)
class PageParams:
    """The coding parameters of a page: what the T.4/T.6 coder must produce and the decoder
    must expect.  ``min_scan_line_time_ms`` with ``rate_bps`` gives the fill a non-ECM line
    needs (T.4 4.1.3); with ECM it is 0."""

    coding: Coding
    resolution: Resolution
    width: RecordingWidth
    min_scan_line_time_ms: int
    ecm: bool
    rate_bps: int


class PageSource(Protocol):
    """The document a sending terminal transmits."""

    def page_count(self) -> int:
        """Number of pages (at least 1)."""
        ...

    def page_resolution(self, index: int) -> Resolution:
        """The resolution page ``index`` was scanned at (a change between pages makes the
        sender end the page with EOM and negotiate again)."""
        ...

    def page_data(self, index: int, params: PageParams) -> bytes:
        """The coded data of page ``index`` (0-based) for ``params``: T.4 MH/MR lines with EOLs
        and RTC (non-ECM) or the T.4/T.6 stream for ECM."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedPage:
    """A page as it came off the line, with the negotiated parameters."""

    page_number: int
    data: bytes
    params: PageParams


@dataclass(frozen=True, slots=True, kw_only=True)
class PageCheck:
    """The sink's verdict on a received page: lines decoded and lines in error."""

    lines: int
    bad_lines: int


class PageSink(Protocol):
    """Where a receiving terminal puts its pages."""

    def page_received(self, page: ReceivedPage) -> PageCheck:
        """Store ``page`` and say how many of its lines decoded and how many were bad."""
        ...


# ---------------------------------------------------------------- configuration


class T30ConfigError(PyctiError, ValueError):
    """A :class:`T30Config` value T.30 does not allow; the message names each one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class T30Config:
    """One terminal's capabilities and the protocol's timers and limits.

    ``tcf_min_zero_ms`` is the TCF check: the receiver answers CFR when the TCF held at least
    that many ms of consecutive zeros (T.30 leaves the criterion to the receiver).  A page with
    ``bad_lines / lines`` above ``rtn_bad_line_ratio`` draws RTN, one with fewer but some bad
    lines RTP, a clean one MCF.
    """

    local_id: str = ""
    nsf: bytes | None = None
    modems: DisModems = DisModems.V27TER_V29_V17
    max_rate_bps: int = 14400
    ecm: bool = True
    ecm_frame_octets: int = 256
    codings: frozenset[Coding] = frozenset({Coding.MH, Coding.MR, Coding.MMR})
    resolutions: frozenset[Resolution] = frozenset({Resolution.STANDARD, Resolution.FINE})
    resolution: Resolution = Resolution.FINE
    width: RecordingWidth = RecordingWidth.A4_215MM
    min_scan_line_time_ms: int = 0
    t1_s: float = T1_S
    t2_s: float = T2_S
    t4_s: float = T4_S
    command_tries: int = 3
    page_tries: int = 3
    tcf_min_zero_ms: int = 1000
    tcf_duration_ms: int = TCF_DURATION_MS
    rtn_bad_line_ratio: float = 0.05
    ppr_before_ctc: int = 4
    gap_ms: int = GAP_MS
    send_crp: bool = True

    def __post_init__(self) -> None:
        problems = []
        if self.ecm_frame_octets not in (64, 256):
            problems.append(f"ecm_frame_octets {self.ecm_frame_octets} (T.30 allows 64 or 256)")
        if self.min_scan_line_time_ms not in (0, 5, 10, 20, 40):
            problems.append(f"min_scan_line_time_ms {self.min_scan_line_time_ms} "
                            "(Table 2 has 0, 5, 10, 20, 40)")
        for name in ("t1_s", "t2_s", "t4_s"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} {getattr(self, name)} (must be > 0)")
        for name in ("command_tries", "page_tries", "ppr_before_ctc"):
            if getattr(self, name) < 1:
                problems.append(f"{name} {getattr(self, name)} (must be >= 1)")
        if not 0.0 <= self.rtn_bad_line_ratio <= 1.0:
            problems.append(f"rtn_bad_line_ratio {self.rtn_bad_line_ratio} (must be 0..1)")
        if Coding.MH not in self.codings or Resolution.STANDARD not in self.resolutions:
            problems.append("codings and resolutions must include MH and STANDARD (every T.30 "
                            "terminal has them)")
        try:
            encode_identifier(self.local_id)
        except FrameError as exc:
            problems.append(str(exc))
        if problems:
            raise T30ConfigError("bad T30Config: " + "; ".join(problems))
